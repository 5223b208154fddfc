"""Mechanism 2 -- work-mode choice: how many allowed flexible days each person uses."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flexisim.engine import counter_uniform, counter_uniforms, kernel, sigmoid1, week_key
from flexisim.mechanisms.common import cap_within_groups
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.population import FRONTLINE, OFFSITE, tables
from flexisim.state import Population, ViewSpec

VIEW = ViewSpec(
    "workmode",
    reads={"staff": ("active", "job", "approved", "device", "internet", "lead_results",
                     "lead_style", "flex_preference", "motivation", "agency", "belief",
                     "mandated"),
           "agencies": ("staff_rows", "max_flex_days", "agency_quota",
                        "min_onsite_frontline")},
    writes={"staff": ("flex_days",),
            "agencies": ("quota_days", "staff_days", "front_request", "front_days")},
    parameters=("day_base", "day_pref", "day_visibility", "day_frustration", "day_slack",
                "nonuser_preference", "ch_selection"),
    precision=np.float64)

class Terms(NamedTuple):
    mean_motivation: float  # the population's mean intrinsic motivation (Beta mean)
    offsite: int  # job code of inherently off-site work (exempt from the cap and quota)
    frontline: int  # job code of frontline service


def _terms() -> Terms:
    a, b = tables()["motivation_beta"]
    return Terms(a / (a + b), OFFSITE, FRONTLINE)


@kernel(disjoint=True)
def _days_rows(key, v, t):
    """Requested days per person (stochastic rounding).

    Without branches (the conditions are random across rows, so branching on them
    mispredicts): every row's probability and uniform are computed and rows without allowed
    days get ``floor(0 x share + u) = 0``. The loop vectorises.
    """
    s, a, k = v.staff, v.agencies, v.params
    for i in range(len(s.active)):
        allowed = ((5 if s.job[i] == t.offsite else a.max_flex_days[s.agency[i]])
                   if s.active[i] & s.approved[i] else 0)
        frustration = 1.0 - (s.internet[i] if s.device[i] else 0.0)
        visibility = 0.0 if s.lead_results[i] else 1.0 - s.lead_style[i]
        logit = (k.day_base + k.day_pref * (s.flex_preference[i] - 0.5)
                 - k.day_visibility * visibility - k.day_frustration * frustration
                 + k.ch_selection * k.day_slack * (t.mean_motivation - s.motivation[i]))
        # persistent non-users never ask (E8); a decree assigns every allowed day
        chosen = sigmoid1(logit) if s.flex_preference[i] >= k.nonuser_preference else 0.0
        share = 1.0 if s.mandated[i] else chosen
        s.flex_days[i] = np.int8(np.floor(allowed * share + counter_uniform(key, i, 0, 1)))


@kernel
def _agency_day_totals(v, t):
    """Per agency (rows ``staff_rows[a]:staff_rows[a + 1]``, as rows are in team order):
    flexible days and staff-days under the quota (not off-site), and of frontline staff.

    Whole numbers summed in integers: exact, and a separate pass from ``_days_rows``
    because a loop of reductions inside a loop over agencies does not vectorise together
    with the per-row arithmetic (measured: the fused loop took twice the two passes).
    """
    s, a = v.staff, v.agencies
    rows = a.staff_rows
    for g in range(len(rows) - 1):
        quota = staff = request = front = 0
        for i in range(np.uint64(rows[g]), np.uint64(rows[g + 1])):  # see engine.compiled
            on = s.active[i]
            counted = on & (s.job[i] != t.offsite)
            frontline = on & (s.job[i] == t.frontline)
            d = np.int64(s.flex_days[i])
            quota += d * counted
            staff += counted
            request += d * frontline
            front += frontline
        a.quota_days[g] = quota
        a.staff_days[g] = 5.0 * staff
        a.front_request[g] = request
        a.front_days[g] = 5.0 * front


def work_mode_choice(pop: Population, p: Params, rng: np.random.Generator,
                     week: int) -> None:
    """Approved staff choose their flexible days; agency limits then apply.

    Each allowed day is used with probability ``sigmoid(base + w_pref (pref - 0.5)
    - w_vis visibility - w_frus frustration + w_slack (mean motivation - motivation))``: preference
    for flexibility against the career cost of being unseen by a presence-watching control
    leader and the frustration of poor infrastructure. The slack term makes the choice
    self-selected: low-motivation staff favour unobserved days. Staff whose preference is
    below ``nonuser_preference`` never ask (persistent non-users, E8). Under a decree
    (``mandated_share``) every allowed day is assigned: no choice. Days are the expected number
    rounded stochastically (one uniform per person, counter-based on the week's key).
    Inherently off-site work is exempt from the cap (up to 5 days) and from the quota.
    The agency quota caps a unit's flexible share of staff-days, and frontline units keep a
    minimum on-site share; both give the scarce days to the people the leaders trust most
    (a sort, only in weeks when some agency exceeds a limit).
    """
    s, ag = pop.staff, pop.agencies
    key = week_key(rng)
    if not ag.flexiwork_enabled.any():
        s.flex_days[:] = 0
        return
    v, t = pop.views(VIEW, p), _terms()
    _days_rows(key, v, t)
    _agency_day_totals(v, t)
    quota_cap = ag.agency_quota * ag.staff_days
    front_cap = (1.0 - ag.min_onsite_frontline) * ag.front_days
    if (np.all(ag.quota_days <= quota_cap + 1e-9)
            and np.all(ag.front_request <= front_cap + 1e-9)):
        return  # the usual case: nothing to ration
    days = s.flex_days
    u = counter_uniforms(key, len(s), 0, 1)
    priority = s.belief + np.float32(1e-3) * u
    counted = s.active & (s.job != OFFSITE)
    keep = cap_within_groups(np.where(counted, days, 0), s.agency, priority, quota_cap)
    front = s.active & (s.job == FRONTLINE)
    keep &= cap_within_groups(np.where(front, days, 0), s.agency, priority, front_cap)
    days[~keep] = 0


MECHANISM = Mechanism(VIEW, work_mode_choice)
