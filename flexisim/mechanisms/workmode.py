"""Mechanism 2 -- work-mode choice: how many allowed flexible days each person uses."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.mechanisms.common import cap_within_groups, sigmoid
from flexisim.population import FRONTLINE, OFFSITE, F, Population, tables

_a, _b = tables()["motivation_beta"]
MEAN_MOTIVATION = _a / (_a + _b)  # the population's mean intrinsic motivation


def work_mode_choice(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                     week: int) -> None:
    """Approved staff choose their flexible days; agency limits then apply.

    Each allowed day is used with probability ``sigmoid(base + w_pref (pref - 0.5)
    - w_vis visibility - w_frus frustration + w_slack (mean motivation - motivation))``: preference
    for flexibility against the career cost of being unseen by a presence-watching control
    leader and the frustration of poor infrastructure. The slack term makes the choice
    self-selected: low-motivation staff favour unobserved days. Days are the expected number
    rounded stochastically (one uniform per person, so streams stay aligned).
    Inherently off-site work is exempt from the cap (up to 5 days) and from the quota.
    The agency quota caps a unit's flexible share of staff-days, and frontline units keep a
    minimum on-site share; both give the scarce days to the people the leaders trust most.
    """
    s = pop.staff
    u = rng.random(len(s), dtype=F)
    if not p.flexiwork_enabled:
        s.flex_days[:] = 0
        return
    offsite = s.job == OFFSITE
    allowed = np.where(offsite, 5, p.max_flex_days) * s.approved
    frustration = 1.0 - np.where(s.device, s.internet, 0.0)
    visibility = (~p.lead_results) * (1.0 - p.lead_style)
    logit = (p.day_base + p.day_pref * (s.flex_preference - 0.5) - p.day_visibility * visibility
             - p.day_frustration * frustration + p.day_slack * (MEAN_MOTIVATION - s.motivation))
    days = np.floor(allowed * sigmoid(logit) + u).astype(np.int8)

    n_ag = len(pop.agencies)
    priority = s.belief + 1e-3 * u
    counted = s.active & ~offsite
    staff_days = 5.0 * np.bincount(s.agency, weights=counted, minlength=n_ag)
    keep = cap_within_groups(np.where(counted, days, 0), s.agency, priority,
                             p.agency_quota * staff_days)
    front = s.active & (s.job == FRONTLINE)
    front_days = 5.0 * np.bincount(s.agency, weights=front, minlength=n_ag)
    keep &= cap_within_groups(np.where(front, days, 0), s.agency, priority,
                              (1.0 - p.min_onsite_frontline) * front_days)
    days[~keep] = 0
    s.flex_days = days * s.active
