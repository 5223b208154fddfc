"""Mechanism 3 -- effort and shirking, in the office and on flexible days."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flexisim.engine import FIVE, HALF, ONE, TWO, ZERO, clip01, counter_uniform, kernel, week_key
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import F, Population, ViewSpec

VIEW = ViewSpec(
    "effort",
    reads={"staff": ("active", "agency", "verification", "credibility", "lead_results",
                     "lead_style", "lead_trained", "belief", "trust_in_leader", "grant_signal",
                     "motivation", "control_sensitivity", "flex_days"),
           "agencies": ("headcount",)},
    writes={"staff": ("effort_office", "effort_remote", "effort", "office_shirk_days",
                      "shirk_days", "office_shortfall", "shortfall"),
            "agencies": ("peer_effort",)},
    parameters=("effort_noise", "severity_floor", "sanction_severity", "true_positive_base",
                "presence_deterrence", "effort_crowding", "effort_reciprocity",
                "temptation_office", "temptation_remote", "effort_deterrence", "effort_peer",
                "shirk_threshold", "ch_deterrence", "ch_temptation"))


class Terms(NamedTuple):
    noise_half_width: np.float32  # uniform weekly noise of sd effort_noise: half-width sd x sqrt 3
    severity: np.float32  # weight of a sanction: severity_floor + (1 - floor) x sanction_severity


@kernel(disjoint=True)
def _effort_rows(key, v, t):
    # float32 throughout (parameters and terms are float32; see engine.compiled.ZERO)
    s, a, k = v.staff, v.agencies, v.params
    mix = ONE - k.effort_peer
    for i in range(len(s.active)):
        tp = k.true_positive_base + (ONE - k.true_positive_base) * s.credibility[i]
        catch_remote = s.verification[i] * tp
        presence = ZERO if s.lead_results[i] else k.presence_deterrence
        catch_office = ONE - (ONE - catch_remote) * (ONE - presence)
        # channel "deterrence": away from the office only results-based checks deter (off:
        # a flexible day is deterred as an office day)
        catch_away = catch_office + k.ch_deterrence * (catch_remote - catch_office)
        style = s.lead_style[i]
        trained = s.lead_trained[i]  # how far the training has taken effect, 0-1
        watching = ZERO if s.lead_results[i] else ONE
        control = ((ONE - style) * (HALF + HALF * watching) * (ONE - HALF * trained)
                   + HALF * s.verification[i] * (ONE - style) * (ONE - trained))
        reciprocity = style * s.belief[i] * s.trust_in_leader[i]
        own = (s.motivation[i] - k.effort_crowding * control * s.control_sensitivity[i]
               + k.effort_reciprocity * reciprocity + s.grant_signal[i] - k.temptation_office)
        peer = k.effort_peer * a.peer_effort[s.agency[i]]
        # one weekly noise for both settings: a person's week, not their day
        e = (TWO * counter_uniform(key, i, 0, 2) - ONE) * t.noise_half_width
        eo = clip01(mix * (own + k.effort_deterrence * t.severity * catch_office) + peer + e)
        er = clip01(mix * (own + k.effort_deterrence * t.severity * catch_away
                           - k.ch_temptation * k.temptation_remote) + peer + e)
        s.effort_office[i] = eo
        s.effort_remote[i] = er
        d = s.flex_days[i]
        office_days = 5 - d if s.active[i] else 0
        osd = office_days if eo < k.shirk_threshold else 0
        s.office_shirk_days[i] = osd
        s.shirk_days[i] = osd + (d if er < k.shirk_threshold else 0)
        depth_office = clip01(ONE - eo / k.shirk_threshold)
        depth_remote = clip01(ONE - er / k.shirk_threshold)
        # week totals as the office value plus the flexible days' difference, so that a
        # flexible day like an office day gives exactly the office-only week
        days = np.float32(office_days + d)
        s.office_shortfall[i] = np.float32(office_days) * depth_office / FIVE
        s.shortfall[i] = (days * depth_office
                          + np.float32(d) * (depth_remote - depth_office)) / FIVE
        s.effort[i] = (days * eo + np.float32(d) * (er - eo)) / FIVE


def effort_and_shirking(pop: Population, p: Params, rng: np.random.Generator,
                        week: int) -> None:
    """Effort per setting, then the shirked days.

    ``effort_k = (1 - a_peer) x (motivation + a_det c_k sev - temptation_k
    - a_crowd control x sensitivity + a_recip style x belief x trust_in_leader + signal)
    + a_peer x peer + noise``,
    clipped to [0, 1]. ``c_k`` is the catch probability of setting k, ``sev`` the sanction's
    weight. Control (a control-style leader, watching presence, verifying without training)
    lowers effort of control-sensitive staff (O1, O2); a trusting leader's belief is
    reciprocated (O1) -- as far as the person trusts the leader in return (false accusations
    erode that) -- in both worlds alike; ``signal`` is the effort added by being granted
    flexibility (the signalling mechanism, :mod:`flexisim.mechanisms.signalling`). A day
    with effort below the threshold is shirked -- in the office (presenteeism) or away; the
    shortfall (how far below the threshold, weighted by days) is what a check can see. The
    peer norm is the agency's mean effort of last week.
    One uniform noise per person per week, the same in both settings (counter-based on the
    week's key). Channels: ``deterrence`` and ``temptation`` (:mod:`flexisim.channels`).
    """
    key = week_key(rng)
    pop.mean_by(pop.staff.effort, "agency", out=pop.agencies.peer_effort)  # last week's
    terms = Terms(F(p.effort_noise * np.sqrt(3.0)),
                  F(p.severity_floor + (1.0 - p.severity_floor) * p.sanction_severity))
    _effort_rows(key, pop.views(VIEW, p), terms)


MECHANISM = Mechanism(VIEW, effort_and_shirking)
