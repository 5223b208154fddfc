"""Mechanism 6b -- public perception: misconduct that becomes public, and the image of an
absent civil service.

The essay's second risk is a loss of public trust when the state's "face" disappears from
the counter and flexible work is read as laziness. Two things carry it beyond each citizen's
own visit (citizens mechanism):

* **Public cases of misconduct**, by three routes: verification records (detected shirking
  that becomes public: BKN's discipline data, news of sanctions), citizens' own observation
  (idle staff seen at the counter and spread on social media), and the press finding misuse
  of flexible work away from the office. More verification makes the first route busier and
  the other two quieter, as it deters shirking: the routes are reported apart.
* **A persistent image** of an absent, idle civil service per region, fed by visible absence
  at counters (P4, softened by the agency's communication) and by public cases (the media
  amplify them), dispelled by visible results (reported results that reach citizens), and
  fading slowly. Citizens hear their region's image and the nation's.
"""

from __future__ import annotations

import numpy as np

from flexisim.mechanisms.citizens import citizens_by_region
from flexisim.mechanisms.common import poisson_from_uniform
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import F, Population, ViewSpec

#: the routes by which misconduct becomes public, in the order of their uniforms
ROUTES = ("records", "observed", "press")

VIEW = ViewSpec(
    "perception",
    reads={"agencies": ("region", "idle_share", "away_shirk", "counter_visits", "saw_empty",
                        "reported"),
           "regions": ("headcount", "detected_total", "scandals_reference")},
    writes={"regions": ("scandals", "scandals_records", "scandals_observed", "scandals_press",
                        "perception")},
    parameters=("media_scrutiny", "observation_publicity", "press_scrutiny",
                "communication_policy", "comm_soften_silent", "comm_soften_reactive",
                "comm_soften_proactive", "comm_reach_silent", "comm_reach_reactive",
                "comm_reach_proactive", "perception_decay", "perception_absence",
                "perception_news", "perception_results", "ch_scandals"))


def _by_region(values: np.ndarray, pop: Population) -> np.ndarray:
    return np.bincount(pop.agencies.region, weights=values, minlength=len(pop.regions))


def form_perception(pop: Population, p: Params, rng: np.random.Generator,
                    week: int) -> dict[str, float]:
    """This week's public cases by route, and the image of the civil service, per region.

    Public cases: a Poisson number per route and region (each drawn by inverting the CDF at
    one uniform, so the stream stays aligned between worlds), with means proportional to
    shares (the same at 10,000 or 5.6 M agents):

    * records: ``media_scrutiny x 100 x share of the region's staff reprimanded for real
      shirking this week``;
    * observed: ``observation_publicity x 100 x counter visits that met idle staff / the
      region's citizens``, a visit meeting idle staff with the agency's share of frontline
      staff-days idled;
    * press: ``press_scrutiny x 100 x share of the region's staff-days shirked away from the
      office``.

    Image: ``perception <- clip((1 - perception_decay) x perception + perception_absence x
    (1 - comm_soften_<policy>) x share of counter visits that found it thinned out +
    perception_news x public cases - perception_results x comm_reach_<policy> x
    max(reported results - 0.5, 0), 0, 1)``, the reported results averaged over the region's
    agencies. Citizens feel the cases and the image next week (citizens mechanism).
    """
    A, R = pop.agencies, pop.regions
    u = rng.random((len(ROUTES), len(R)))
    heads = np.maximum(R.headcount, 1.0)
    citizens = np.maximum(citizens_by_region(pop), 1.0)
    rates = {
        "records": p.media_scrutiny * 100.0 * R.detected_total / heads,
        "observed": (p.observation_publicity * 100.0
                     * _by_region(A.counter_visits * A.idle_share, pop) / citizens),
        "press": p.press_scrutiny * 100.0 * _by_region(A.away_shirk, pop) / (5.0 * heads),
    }
    cases = {route: poisson_from_uniform(u[k], rates[route]) for k, route in enumerate(ROUTES)}
    R.scandals_records[:] = cases["records"]
    R.scandals_observed[:] = cases["observed"]
    R.scandals_press[:] = cases["press"]
    total = cases["records"] + cases["observed"] + cases["press"]
    if p.ch_scandals == 0.0:  # path channel off: the twin's number of public cases
        total = R.scandals_reference.astype(total.dtype)
    R.scandals[:] = total

    policy = p.communication_policy
    soften = getattr(p, f"comm_soften_{policy}")
    reach = getattr(p, f"comm_reach_{policy}")
    visits = _by_region(A.counter_visits, pop)
    absent = np.where(visits > 0, _by_region(A.saw_empty, pop) / np.maximum(visits, 1.0), 0.0)
    agencies = np.maximum(np.bincount(A.region, minlength=len(R)), 1.0)
    results = np.maximum(_by_region(A.reported.astype(np.float64), pop) / agencies - 0.5, 0.0)
    image = ((1.0 - p.perception_decay) * R.perception
             + p.perception_absence * (1.0 - soften) * absent
             + p.perception_news * total
             - p.perception_results * reach * results)
    R.perception[:] = np.clip(image, 0.0, 1.0).astype(F)
    return {"scandals": float(total.sum()),
            "scandals_records": float(cases["records"].sum()),
            "scandals_observed": float(cases["observed"].sum()),
            "scandals_press": float(cases["press"].sum()),
            "perception": float((R.perception * citizens).sum() / citizens.sum())}


MECHANISM = Mechanism(VIEW, form_perception, outputs={
    "scandals_records": ("count", "public cases this week from verification records"),
    "scandals_observed": ("count", "public cases this week from citizens' own observation"),
    "scandals_press": ("count", "public cases this week found by the press"),
    "perception": ("index", "the public's image of an absent, idle civil service 0-1 "
                            "(citizen-weighted mean of the regions)"),
})
