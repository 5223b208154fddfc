"""Mechanism 1 -- eligibility and approval under Permenpan RB No. 4/2025."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.mechanisms.common import sigmoid
from flexisim.population import JOB_FAMILIES, F, Population


def eligibility_and_approval(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                             week: int) -> None:
    """Decide who may work flexibly this week.

    Eligible: flexiwork on, job family eligible, work doable with ICT, not under sanction,
    tenure at least ``min_tenure_years`` (not a new hire), a device when required, rated
    "performing" when required. Approval is "not a right": at each review (every
    ``approval_review_weeks``) the leader approves with probability
    ``sigmoid(k * (belief + 0.5 * style - threshold))``; between reviews an approval lasts
    unless the person loses eligibility (a sanction revokes it at once).
    """
    s = pop.staff
    u = rng.random(len(s), dtype=F)  # drawn every week so the stream stays aligned
    if not p.flexiwork_enabled:
        s.eligible[:] = False
        s.approved[:] = False
        return
    family_ok = np.isin(np.arange(len(JOB_FAMILIES)),
                        [JOB_FAMILIES.index(f) for f in p.eligible_families])
    eligible = (s.active & family_ok[s.job] & s.ict_doable & (s.sanction_left == 0)
                & (s.tenure >= p.min_tenure_years))
    if p.require_device:
        eligible &= s.device
    if p.require_performing:
        eligible &= s.performing
    s.eligible = eligible
    if week % p.approval_review_weeks == 0:
        p_approve = sigmoid(p.approval_slope
                            * (s.belief + 0.5 * p.lead_style - p.approval_threshold))
        s.approved = eligible & (u < p_approve)
    else:
        s.approved &= eligible
