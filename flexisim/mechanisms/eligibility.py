"""Mechanism 1 -- eligibility and approval under Permenpan RB No. 4/2025."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.mechanisms.common import JIT_DISJOINT, counter_uniform, sigmoid1, week_key
from flexisim.population import JOB_FAMILIES, Population


@njit(**JIT_DISJOINT)
def _eligibility_kernel(key, review, active, job, family_ok, ict_doable, sanction_left, tenure,
                        min_tenure, device, require_device, performing, require_performing,
                        belief, lead_style, slope, threshold, eligible, approved):
    for i in range(len(active)):
        # without short-circuits: the conditions are random across rows, so branching on
        # them mispredicts; the masked form vectorises (same results)
        ok = (active[i] & family_ok[job[i]] & ict_doable[i] & (sanction_left[i] == 0)
              & (tenure[i] >= min_tenure) & (device[i] | (not require_device))
              & (performing[i] | (not require_performing)))
        eligible[i] = ok
        if review:  # loop-invariant: compiled as two loops
            p_approve = sigmoid1(slope * (belief[i] + 0.5 * lead_style[i] - threshold))
            approved[i] = ok & (counter_uniform(key, i, 0, 1) < p_approve)
        else:
            approved[i] = approved[i] & ok


def eligibility_and_approval(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                             week: int) -> None:
    """Decide who may work flexibly this week.

    Eligible: flexiwork on, job family eligible, work doable with ICT, not under sanction,
    tenure at least ``min_tenure_years`` (not a new hire), a device when required, rated
    "performing" when required. Approval is "not a right": at each review (every
    ``approval_review_weeks``) the leader approves with probability
    ``sigmoid(k * (belief + 0.5 * style - threshold))``; between reviews an approval lasts
    unless the person loses eligibility (a sanction revokes it at once).
    One uniform per person per week (counter-based on the week's key, ``week_key``).
    """
    s = pop.staff
    key = week_key(rng)  # drawn every week so the stream stays aligned
    if not p.flexiwork_enabled:
        s.eligible[:] = False
        s.approved[:] = False
        return
    family_ok = np.isin(np.arange(len(JOB_FAMILIES)),
                        [JOB_FAMILIES.index(f) for f in p.eligible_families])
    args = (key, week % p.approval_review_weeks == 0, s.active, s.job, family_ok,
            s.ict_doable, s.sanction_left, s.tenure, float(p.min_tenure_years), s.device,
            bool(p.require_device), s.performing, bool(p.require_performing), s.belief,
            p.lead_style, float(p.approval_slope), float(p.approval_threshold), s.eligible,
            s.approved)
    pop.check_disjoint("eligibility", args, n_written=2)
    _eligibility_kernel(*args)
