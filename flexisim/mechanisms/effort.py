"""Mechanism 3 -- effort and shirking, in the office and on flexible days."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.mechanisms.common import JIT_DISJOINT, clip01, counter_uniform, week_key
from flexisim.population import Population


@njit(**JIT_DISJOINT)
def _effort_kernel(key, half_width, active, agency, peer_by_agency, verification, credibility,
                   lead_results, lead_style, lead_trained, belief, trust_in_leader, approved,
                   motivation, control_sensitivity, flex_days, tp_base, presence_deterrence,
                   severity, effort_crowding, effort_reciprocity, temptation_office,
                   temptation_remote, effort_deterrence, effort_peer, shirk_threshold,
                   effort_office, effort_remote, effort, office_shirk_days, shirk_days,
                   office_shortfall, shortfall):
    mix = 1.0 - effort_peer
    for i in range(len(active)):
        tp = tp_base + (1.0 - tp_base) * credibility[i]
        catch_remote = verification[i] * tp
        presence = 0.0 if lead_results[i] else presence_deterrence
        catch_office = 1.0 - (1.0 - catch_remote) * (1.0 - presence)
        style = lead_style[i]
        trained = 1.0 if lead_trained[i] else 0.0
        watching = 0.0 if lead_results[i] else 1.0
        control = ((1.0 - style) * (0.5 + 0.5 * watching) * (1.0 - 0.5 * trained)
                   + 0.5 * verification[i] * (1.0 - style) * (1.0 - trained))
        reciprocity = (style * belief[i] * trust_in_leader[i]
                       * (1.0 if approved[i] else 0.5))
        own = (motivation[i] - effort_crowding * control * control_sensitivity[i]
               + effort_reciprocity * reciprocity - temptation_office)
        peer = effort_peer * peer_by_agency[agency[i]]
        e1 = (2.0 * counter_uniform(key, i, 0, 2) - 1.0) * half_width
        e2 = (2.0 * counter_uniform(key, i, 1, 2) - 1.0) * half_width
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
        depth_office = clip01(1.0 - eo / shirk_threshold)
        depth_remote = clip01(1.0 - er / shirk_threshold)
        o_short = office_days * depth_office / 5.0
        office_shortfall[i] = o_short
        shortfall[i] = o_short + d * depth_remote / 5.0
        effort[i] = (office_days * eo + d * er) / 5.0


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
    peer = pop.mean_by(s.effort, "agency")  # last week's agency mean, before it is overwritten
    severity = p.severity_floor + (1.0 - p.severity_floor) * p.sanction_severity
    args = (key, float(p.effort_noise * np.sqrt(3.0)), s.active, s.agency, peer,
                   s.verification, p.staff_credibility, p.lead_results, p.lead_style,
                   p.lead_trained, s.belief, s.trust_in_leader, s.approved, s.motivation,
                   s.control_sensitivity, s.flex_days, float(p.true_positive_base),
                   float(p.presence_deterrence), float(severity), float(p.effort_crowding),
                   float(p.effort_reciprocity), float(p.temptation_office),
                   float(p.temptation_remote), float(p.effort_deterrence),
                   float(p.effort_peer), float(p.shirk_threshold), s.effort_office,
                   s.effort_remote, s.effort, s.office_shirk_days, s.shirk_days,
                   s.office_shortfall, s.shortfall)
    pop.check_disjoint("effort", args, n_written=7)
    _effort_kernel(*args)
