"""Mechanism 2 -- work-mode choice: how many allowed flexible days each person uses."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.mechanisms.common import (
    JIT,
    JIT_DISJOINT,
    cap_within_groups,
    counter_uniform,
    counter_uniforms,
    sigmoid1,
    week_key,
)
from flexisim.population import FRONTLINE, OFFSITE, Population, tables

_a, _b = tables()["motivation_beta"]
MEAN_MOTIVATION = _a / (_a + _b)  # the population's mean intrinsic motivation


@njit(**JIT_DISJOINT)
def _days_kernel(key, active, job, approved, max_flex_days, device, internet, lead_results,
                 lead_style, flex_preference, motivation, day_base, day_pref, day_visibility,
                 day_frustration, day_slack, mean_motivation, days):
    """Requested days per person (stochastic rounding).

    Without branches (the conditions are random across rows, so branching on them
    mispredicts): every row's probability and uniform are computed and rows without allowed
    days get ``floor(0 x share + u) = 0``. The loop vectorises.
    """
    for i in range(len(active)):
        allowed = (5 if job[i] == OFFSITE else max_flex_days) if active[i] & approved[i] else 0
        frustration = 1.0 - (internet[i] if device[i] else 0.0)
        visibility = 0.0 if lead_results[i] else 1.0 - lead_style[i]
        logit = (day_base + day_pref * (flex_preference[i] - 0.5)
                 - day_visibility * visibility - day_frustration * frustration
                 + day_slack * (mean_motivation - motivation[i]))
        days[i] = np.int8(np.floor(allowed * sigmoid1(logit) + counter_uniform(key, i, 0, 1)))


@njit(**JIT)
def _agency_day_totals(agency_rows, active, job, days, quota_days, staff_days, front_request,
                       front_days):
    """Per agency (rows ``agency_rows[a]:agency_rows[a + 1]``, as rows are in team order):
    flexible days and staff-days under the quota (not off-site), and of frontline staff.

    Whole numbers summed in integers: exact, and a separate pass from ``_days_kernel``
    because a loop of reductions inside a loop over agencies does not vectorise together
    with the per-row arithmetic (measured: the fused loop took twice the two passes).
    """
    for a in range(len(agency_rows) - 1):
        quota = staff = request = front = 0
        for i in range(np.uint64(agency_rows[a]), np.uint64(agency_rows[a + 1])):  # see fast
            on = active[i]
            counted = on & (job[i] != OFFSITE)
            frontline = on & (job[i] == FRONTLINE)
            d = np.int64(days[i])
            quota += d * counted
            staff += counted
            request += d * frontline
            front += frontline
        quota_days[a] = quota
        staff_days[a] = 5.0 * staff
        front_request[a] = request
        front_days[a] = 5.0 * front


def work_mode_choice(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                     week: int) -> None:
    """Approved staff choose their flexible days; agency limits then apply.

    Each allowed day is used with probability ``sigmoid(base + w_pref (pref - 0.5)
    - w_vis visibility - w_frus frustration + w_slack (mean motivation - motivation))``: preference
    for flexibility against the career cost of being unseen by a presence-watching control
    leader and the frustration of poor infrastructure. The slack term makes the choice
    self-selected: low-motivation staff favour unobserved days. Days are the expected number
    rounded stochastically (one uniform per person, counter-based on the week's key).
    Inherently off-site work is exempt from the cap (up to 5 days) and from the quota.
    The agency quota caps a unit's flexible share of staff-days, and frontline units keep a
    minimum on-site share; both give the scarce days to the people the leaders trust most
    (a sort, only in weeks when some agency exceeds a limit).
    """
    s = pop.staff
    key = week_key(rng)
    if not p.flexiwork_enabled:
        s.flex_days[:] = 0
        return
    n_ag = len(pop.agencies)
    quota_days, staff_days = np.empty(n_ag), np.empty(n_ag)
    front_request, front_days = np.empty(n_ag), np.empty(n_ag)
    days = s.flex_days
    args = (key, s.active, s.job, s.approved, int(p.max_flex_days), s.device, s.internet,
            p.lead_results, p.lead_style, s.flex_preference, s.motivation, float(p.day_base),
            float(p.day_pref), float(p.day_visibility), float(p.day_frustration),
            float(p.day_slack), MEAN_MOTIVATION, days)
    pop.check_disjoint("workmode", args, n_written=1)
    _days_kernel(*args)
    _agency_day_totals(pop.agency_rows, s.active, s.job, days, quota_days, staff_days,
                       front_request, front_days)
    quota_cap = p.agency_quota * staff_days
    front_cap = (1.0 - p.min_onsite_frontline) * front_days
    if np.all(quota_days <= quota_cap + 1e-9) and np.all(front_request <= front_cap + 1e-9):
        return  # the usual case: nothing to ration
    u = counter_uniforms(key, len(s), 0, 1)
    priority = s.belief + np.float32(1e-3) * u
    counted = s.active & (s.job != OFFSITE)
    keep = cap_within_groups(np.where(counted, days, 0), s.agency, priority, quota_cap)
    front = s.active & (s.job == FRONTLINE)
    keep &= cap_within_groups(np.where(front, days, 0), s.agency, priority, front_cap)
    days[~keep] = 0
