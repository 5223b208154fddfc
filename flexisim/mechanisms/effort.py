"""Mechanism 3 -- effort and shirking, in the office and on flexible days."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.mechanisms.common import (
    FIVE,
    HALF,
    JIT_DISJOINT,
    ONE,
    TWO,
    ZERO,
    clip01,
    counter_uniform,
    week_key,
)
from flexisim.population import F, Population


@njit(**JIT_DISJOINT)
def _effort_kernel(key, half_width, active, agency, peer_by_agency, verification, credibility,
                   lead_results, lead_style, lead_trained, belief, trust_in_leader, approved,
                   motivation, control_sensitivity, flex_days, tp_base, presence_deterrence,
                   severity, effort_crowding, effort_reciprocity, temptation_office,
                   temptation_remote, effort_deterrence, effort_peer, shirk_threshold,
                   effort_office, effort_remote, effort, office_shirk_days, shirk_days,
                   office_shortfall, shortfall):
    # float32 throughout (scalars and peer means are passed as float32; see fast.ZERO)
    mix = ONE - effort_peer
    for i in range(len(active)):
        tp = tp_base + (ONE - tp_base) * credibility[i]
        catch_remote = verification[i] * tp
        presence = ZERO if lead_results[i] else presence_deterrence
        catch_office = ONE - (ONE - catch_remote) * (ONE - presence)
        style = lead_style[i]
        trained = ONE if lead_trained[i] else ZERO
        watching = ZERO if lead_results[i] else ONE
        control = ((ONE - style) * (HALF + HALF * watching) * (ONE - HALF * trained)
                   + HALF * verification[i] * (ONE - style) * (ONE - trained))
        reciprocity = style * belief[i] * trust_in_leader[i] * (ONE if approved[i] else HALF)
        own = (motivation[i] - effort_crowding * control * control_sensitivity[i]
               + effort_reciprocity * reciprocity - temptation_office)
        peer = effort_peer * peer_by_agency[agency[i]]
        e1 = (TWO * counter_uniform(key, i, 0, 2) - ONE) * half_width
        e2 = (TWO * counter_uniform(key, i, 1, 2) - ONE) * half_width
        eo = clip01(mix * (own + effort_deterrence * severity * catch_office) + peer + e1)
        er = clip01(mix * (own + effort_deterrence * severity * catch_remote - temptation_remote)
                    + peer + e2)
        effort_office[i] = eo
        effort_remote[i] = er
        d = flex_days[i]
        office_days = 5 - d if active[i] else 0
        osd = office_days if eo < shirk_threshold else 0
        office_shirk_days[i] = osd
        shirk_days[i] = osd + (d if er < shirk_threshold else 0)
        depth_office = clip01(ONE - eo / shirk_threshold)
        depth_remote = clip01(ONE - er / shirk_threshold)
        o_short = np.float32(office_days) * depth_office / FIVE
        office_shortfall[i] = o_short
        shortfall[i] = o_short + np.float32(d) * depth_remote / FIVE
        effort[i] = (np.float32(office_days) * eo + np.float32(d) * er) / FIVE


def effort_and_shirking(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                        week: int) -> None:
    """Effort per setting, then the shirked days.

    ``effort_k = (1 - a_peer) x (motivation + a_det c_k sev - temptation_k
    - a_crowd control x sensitivity + a_recip style x belief x trust_in_leader x signal)
    + a_peer x peer + noise``,
    clipped to [0, 1]. ``c_k`` is the catch probability of setting k, ``sev`` the sanction's
    weight. Control (a control-style leader, watching presence, verifying without training)
    lowers effort of control-sensitive staff (O1, O2); a trusting leader's belief, doubled in
    weight when flexibility is granted, is reciprocated (O1) -- as far as the person trusts
    the leader in return (false accusations erode that). A day with effort below the
    threshold is shirked -- in the office (presenteeism) or away; the shortfall (how far below
    the threshold, weighted by days) is what a check can see.
    Two uniform noises per person per week (counter-based on the week's key).
    """
    s = pop.staff
    key = week_key(rng)
    # last week's agency mean, before it is overwritten
    peer = pop.mean_by(s.effort, "agency").astype(F)
    severity = p.severity_floor + (1.0 - p.severity_floor) * p.sanction_severity
    args = (key, F(p.effort_noise * np.sqrt(3.0)), s.active, s.agency, peer, s.verification,
            p.staff_credibility, p.lead_results, p.lead_style, p.lead_trained, s.belief,
            s.trust_in_leader, s.approved, s.motivation, s.control_sensitivity, s.flex_days,
            *(F(v) for v in (p.true_positive_base, p.presence_deterrence, severity,
                             p.effort_crowding, p.effort_reciprocity, p.temptation_office,
                             p.temptation_remote, p.effort_deterrence, p.effort_peer,
                             p.shirk_threshold)),
            s.effort_office, s.effort_remote, s.effort, s.office_shirk_days, s.shirk_days,
            s.office_shortfall, s.shortfall)
    pop.check_disjoint("effort", args, n_written=7)
    _effort_kernel(*args)
