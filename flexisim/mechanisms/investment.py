"""Mechanism 0 -- investment: budgets in rupiah that build the prerequisites, and their cost.

The essay's prerequisites are built, not switched on. Three budgets a year (levers, in
billion rupiah at 2025 prices) buy what closes a gap at sourced unit costs
(calibration.toml, "0. investment: unit costs"):

* **staff digital** -- for civil servants without a structural post (leaders are not
  counted): a work device, an adequate home connection and a seat on a secure
  collaboration platform for the staff who lack them, agency by agency;
* **citizens' access** -- internet access for the citizens of a region who have none (the
  citizens' own investment path: towers and networks, not the civil service's laptops);
* **measurement** -- the integration of e-Kinerja with e-planning and e-budgeting in the
  agencies not yet integrated (the essay's first prerequisite).

Each gap's *need* is what closing all of it would cost a year (the people who lack it x the
annual unit cost). A budget sustains a share of the need (:func:`allocate`: in proportion to
the need, weighted by the agency lever ``investment_priority``, so a scenario can put the
eastern regions' or the regional governments' agencies first), and what is delivered builds
toward that share with a lag (the build weeks: procurement, construction, integration), so
the money is spent as it is delivered. A budget cut lowers the cover at once: the unit costs
are annual (a device's price over its life, a connection's fee), so what is not paid for is
not kept, and a week never costs more than its budget. Every week's spending is reported
(outputs ``cost_*``, billion rupiah a week), so a run's summary says what its scenario cost;
leadership training's cost is its seats at a unit cost spread over the trained leader's
years in post (:mod:`flexisim.mechanisms.leadership`).

Not priced: the skill penalty of a region's gap falls with the digital cover (the support
that comes with equipment, an assumption), and the platform's quality is the national mean
cover (a shared platform improves for everyone as seats are bought).

Investment is not flexiwork: the office-only twin gets the same budgets, the same cover and
the same costs, so it differs from the policy world by flexiwork alone. Nothing is invested
during the warm-up.
"""

from __future__ import annotations

import numpy as np

from flexisim.mechanisms.common import MILLION_IN_BILLION
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.mechanisms.setup import (
    CREDIBILITY,
    INFRASTRUCTURE,
    credibility_levels,
    infrastructure_levels,
)
from flexisim.params import Params
from flexisim.population import tables
from flexisim.state import F, Population, ViewSpec

WEEKS_PER_YEAR = 52.0

#: the year of the prices of every budget lever and unit cost
PRICE_YEAR = 2025


#: the budgets' categories of spending, in the order of the outputs (training is costed by
#: the leadership mechanism)
CATEGORIES = ("digital", "citizen_access", "measurement")


#: a priority weight below this is none (its inverse, the point the unit's gap closes, would
#: overflow)
MIN_WEIGHT = 1e-9


def allocate(budget: float, need: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """The share of each unit's need a budget sustains.

    ``min(1, lam x weight)``, with ``lam`` such that the shares' cost ``sum(need x share)``
    equals the budget (water-filling): with equal weights every unit closes the same share
    of its gap, a unit of twice the weight twice the share until its gap is closed. A budget
    above the whole need closes every gap (share 1) and leaves the rest unspent.

    Parameters
    ----------
    budget : float
        Money a year (billion rupiah).
    need : numpy.ndarray
        Each unit's cost of closing its whole gap for a year (billion rupiah), >= 0.
    weight : numpy.ndarray, optional
        Priority of each unit (>= 0; 0, or below ``MIN_WEIGHT``: none of the budget);
        default 1 for all.

    Returns
    -------
    numpy.ndarray
        Shares 0-1 (float64), one per unit.
    """
    need = np.asarray(need, dtype=np.float64)
    w = np.ones_like(need) if weight is None else np.asarray(weight, dtype=np.float64)
    share = np.zeros_like(need)
    served = (need > 0) & (w > MIN_WEIGHT)
    if budget <= 0 or not served.any():
        return share
    need_s, w_s = need[served], w[served]
    if budget >= need_s.sum():
        share[served] = 1.0
        return share
    # the units saturate in the order of 1 / weight: f(lam) = saturated need + lam x the
    # weighted need of the rest, evaluated at each saturation point, is increasing
    order = np.argsort(1.0 / w_s, kind="stable")
    points = 1.0 / w_s[order]
    saturated = np.concatenate(([0.0], np.cumsum(need_s[order])[:-1]))
    rest = np.cumsum((need_s * w_s)[order][::-1])[::-1]
    k = int(np.searchsorted(saturated + points * rest, budget))
    lam = (budget - saturated[k]) / rest[k]
    share[served] = np.minimum(1.0, lam * w_s)
    return share


def staff_digital_need(pop: Population, p: Params) -> np.ndarray:
    """Each agency's cost of equipping all of its staff who lack it, for a year (billion Rp).

    Posts (agent rows x the people each stands for: a vacant post's equipment waits for its
    recruit, and the need is the same in the policy world and its twin) x (share without a
    device x the device's price over its life + shortfall of home internet x a connection's
    annual fee + shortfall of platform quality x a platform seat a year), at today's levels
    (no investment): the regions' levels
    (:func:`~flexisim.mechanisms.setup.infrastructure_levels`).
    """
    A, R = pop.agencies, pop.regions
    per_person = ((1.0 - R.device.astype(np.float64)) * p.device_cost / p.device_life_years
                  + (1.0 - R.internet.astype(np.float64)) * p.connection_cost
                  + (1.0 - p.platform_quality) * p.platform_seat_cost)
    return posts(pop) * per_person[A.region] / MILLION_IN_BILLION


def posts(pop: Population) -> np.ndarray:
    """Each agency's posts in real people: its staff rows x the people an agent stands for."""
    return np.diff(pop.agencies.staff_rows).astype(np.float64) * pop.scale


def citizen_access_need(pop: Population, p: Params) -> np.ndarray:
    """Each region's cost of connecting all of its citizens without internet access, for a
    year (billion Rp): the people the region's citizen agents stand for (BPS population) x
    the share without access (BPS internet use) x the annual cost per person connected."""
    R = pop.regions
    n = np.bincount(pop.citizens.region, minlength=len(R)).astype(np.float64)
    people = n * tables()["national_population"] / max(len(pop.citizens), 1)
    return people * (1.0 - R.citizen_internet) * p.citizen_access_cost / MILLION_IN_BILLION


def measurement_need(pop: Population, p: Params) -> np.ndarray:
    """Each agency's cost of integrating e-Kinerja with e-planning and e-budgeting where it
    is not yet integrated, for a year (billion Rp): its posts (:func:`posts`) x (1 - the lever
    ``planning_integration``) x the annual integration cost per civil servant."""
    A = pop.agencies
    return (posts(pop) * (1.0 - A.planning_integration.astype(np.float64))
            * p.integration_cost / MILLION_IN_BILLION)


def _build(cover: np.ndarray, target: np.ndarray, weeks: float) -> bool:
    """Move ``cover`` a ``1 / weeks`` step up toward ``target`` (delivery lags the budget:
    an exponential lag of mean ``weeks``), or down to it at once: what is no longer paid for
    is not kept, so the week's cost never exceeds the week's budget. Returns whether the
    cover changed (once it has settled, in float32, the levels under it need no update)."""
    built = np.minimum(cover + ((target - cover) / weeks).astype(F), target.astype(F))
    # a cover within float32 rounding of nothing is nothing
    built[built < F(1e-6)] = 0.0
    changed = not np.array_equal(built, cover)
    cover[:] = built
    return changed


def invest(pop: Population, p: Params, rng: None, week: int) -> dict[str, float]:
    """This week's delivery of the three budgets, the levels under it and its cost.

    For each budget: the share of each gap it sustains (:func:`allocate`), the cover built a
    step toward it (the build weeks), the staff's and citizens' infrastructure
    (:func:`~flexisim.mechanisms.setup.infrastructure_levels`) and the agencies' measurement
    credibility (:func:`~flexisim.mechanisms.setup.credibility_levels`) under the cover, and
    the cost of what is delivered (cover x need / 52, billion rupiah). None during the
    warm-up (weeks < 0).
    """
    A, R = pop.agencies, pop.regions
    out = {f"cost_{c}": 0.0 for c in CATEGORIES}
    out["investment_budget"] = 0.0
    if week < 0:
        return out
    priority = A.investment_priority
    plans = (("digital", p.digital_budget, staff_digital_need, priority, A.digital_cover,
              p.infrastructure_build_weeks),
             ("citizen_access", p.citizen_access_budget, citizen_access_need, None,
              R.access_cover, p.citizen_access_build_weeks),
             ("measurement", p.measurement_budget, measurement_need, priority,
              A.integration_cover, p.integration_build_weeks))
    moved = dict.fromkeys(CATEGORIES, False)
    for name, budget, need_of, weight, cover, weeks in plans:
        out["investment_budget"] += budget / WEEKS_PER_YEAR
        if budget <= 0 and not cover.any():
            continue  # nothing bought, nothing standing: nothing to compute
        need = need_of(pop, p)
        moved[name] = _build(cover, allocate(budget, need, weight), weeks)
        out[f"cost_{name}"] = float(np.dot(cover, need)) / WEEKS_PER_YEAR
    # the levels under a cover that did not move are already in place (set when it last
    # moved, by apply_levers when a lever changed, and for each recruit)
    if moved["digital"] or moved["citizen_access"]:
        infrastructure_levels(pop, p, staff=moved["digital"],
                              citizens=moved["citizen_access"])
    if moved["measurement"]:
        credibility_levels(pop)
    return out


MECHANISM = Mechanism(
    ViewSpec(
        "investment",
        reads={"citizens": ("region",),
               "agencies": ("region", "staff_rows", "investment_priority",
                            "planning_integration"),
               "regions": ("citizen_internet", "device", "internet")},
        writes={"agencies": ("digital_cover", "integration_cover"),
                "regions": ("access_cover",)},
        parameters=("digital_budget", "citizen_access_budget", "measurement_budget",
                    "platform_quality", "device_cost", "device_life_years", "connection_cost",
                    "platform_seat_cost", "citizen_access_cost", "integration_cost",
                    "infrastructure_build_weeks", "citizen_access_build_weeks",
                    "integration_build_weeks")),
    invest, stream=False, uses=(INFRASTRUCTURE, CREDIBILITY),
    outputs={"cost_digital": ("Rp billion/week", "spent this week on staff devices, "
                                                 "connections and platform seats"),
             "cost_citizen_access": ("Rp billion/week", "spent this week on citizens' "
                                                        "internet access"),
             "cost_measurement": ("Rp billion/week", "spent this week on integrating "
                                                     "e-Kinerja with planning and budgeting"),
             "investment_budget": ("Rp billion/week",
                                   "the three investment budgets in force, a week")})
