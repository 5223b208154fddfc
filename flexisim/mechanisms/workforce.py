"""Mechanism 7 -- workforce dynamics: well-being, exits, retirement and recruitment."""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from flexisim.engine import (
    FIVE,
    HALF,
    ONE,
    ZERO,
    active_sum_count,
    clip01,
    counter_uniform,
    exp_arith32,
    kernel,
    week_key,
)
from flexisim.mechanisms.common import FIRST_BELIEF, FIRST_TRUST_IN_LEADER
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.mechanisms.setup import (
    INFRASTRUCTURE,
    ict_doable_rows,
    infrastructure_levels,
    time_flex_rows,
)
from flexisim.params import Params
from flexisim.population import skill_base, tables
from flexisim.state import COUNTS, F, Population, ViewSpec
from flexisim.streams import hash_uniform

WEEKS_PER_YEAR = 52.0


def normal_from_uniforms(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Standard normals from two uniforms (Box-Muller)."""
    return (np.sqrt(-2.0 * np.log(np.maximum(u1, F(1e-7)))) * np.cos(2.0 * np.pi * u2)).astype(F)


def flexibility_value(pop: Population, p: Params) -> float:
    """What the flexibility on offer is worth to an applicant, as a share of wages.

    ``pool_flex_wage x offer`` (E13: a work-from-home option is worth about 8% of wages), the
    offer being the mean flexible days of active staff over 2, capped at 1 (what applicants
    see others use; E11: 67% of the APS's new starters were attracted by flexibility); 0
    where no agency has flexiwork, and with the channel ``applicant_pool`` off.
    """
    s = pop.staff
    offer = 0.0
    if pop.agencies.flexiwork_enabled.any():
        total, count = active_sum_count(s.flex_days, s.active)
        if count:
            offer = min(1.0, total / count / 2.0)
    return p.ch_applicant_pool * p.pool_flex_wage * offer


#: the standard normal (statistics.NormalDist: a scalar call costs microseconds, where
#: scipy.stats costs a millisecond, and recruitment asks every week)
STANDARD_NORMAL = NormalDist()


def selection_intensity(n: float) -> float:
    """Mean standard score of the best of ``n`` applicants (the top ``1 / n`` of a normal
    pool): ``phi(z) x n`` with ``z`` the normal quantile of ``1 - 1 / n``; 0 for one applicant
    or fewer (no choice)."""
    if n <= 1.0:
        return 0.0
    return STANDARD_NORMAL.pdf(STANDARD_NORMAL.inv_cdf(1.0 - 1.0 / n)) * n


def applicant_pools(pop: Population, p: Params) -> tuple[float, float]:
    """Applicants per vacancy this week, PNS and PPPK: today's pools (CASN 2023-2024) grown
    by ``applicant_elasticity`` x the value of the flexibility on offer
    (:func:`flexibility_value`)."""
    grow = 1.0 + p.applicant_elasticity * flexibility_value(pop, p)
    return p.applicants_per_post_pns * grow, p.applicants_per_post_pppk * grow


def applicant_pool_shift(pop: Population, p: Params,
                         pools: tuple[float, float] | None = None) -> tuple[float, float]:
    """Mean ability of this week's recruits above today's, PNS and PPPK.

    ``pool_attractiveness x (attractiveness - 0.5)`` plus what choosing among more applicants
    adds: the best of ``n`` by a test of validity ``selection_validity`` is ``ability_sd x
    validity x selection_intensity(n)`` above the pool's mean, so a pool grown from ``n0``
    to ``n`` (:func:`applicant_pools`) adds ``ability_sd x validity x (i(n) - i(n0))``
    (today's recruits, ability 1 on average, already are the best of today's pools).
    ``pools``: this week's :func:`applicant_pools`, when the caller has them.
    """
    base = p.pool_attractiveness * (p.recruitment_attractiveness - 0.5)
    sd = tables()["ability_sd"] * p.selection_validity
    out = []
    for now, today in zip(applicant_pools(pop, p) if pools is None else pools,
                          (p.applicants_per_post_pns, p.applicants_per_post_pppk), strict=True):
        out.append(base + sd * (selection_intensity(now) - selection_intensity(today)))
    return out[0], out[1]


def recruit_ages(u: np.ndarray, pppk: np.ndarray, young: np.ndarray) -> np.ndarray:
    """Recruits' ages from uniforms ``u``: a PNS recruit uniform over the CASN entry ages
    (``pns_entry_age``: graduates to the age limit of 35), a PPPK recruit from the age bands
    of today's PPPK (``pppk_age_bands``, BKN 2023: all hired since 2019); ``young`` recruits
    from the part of their distribution under 35 (the extra applicants flexibility draws,
    when they are younger: ``pool_young_tilt``)."""
    t = tables()
    lo, hi = t["pns_entry_age"]
    bands = np.array(t["pppk_age_bands"], dtype=np.float64)
    edges = np.concatenate(([bands[0, 0]], bands[:, 1]))
    cdf = np.concatenate(([0.0], np.cumsum(bands[:, 2]) / bands[:, 2].sum()))
    u = u.astype(np.float64)
    under = np.interp(YOUNG_AGE, edges, cdf)  # PPPK recruits' share under 35
    q = np.where(young, u * under, u)
    pppk_age = np.interp(q, cdf, edges)  # piecewise uniform within the bands
    return np.where(pppk, pppk_age, lo + u * (hi - lo)).astype(F)


#: the age the essay's regeneration is about (the share "under 35")
YOUNG_AGE = 35.0


VIEW = ViewSpec(
    "workforce",
    reads={"staff": ("pppk", "flex_preference", "lead_style", "belief", "reprimand_left",
                     "discipline_left", "time_flex",
                     "coordination", "retirement_age")},
    writes={"staff": ("active", "flex_days", "age", "tenure", "wellbeing", "intent_to_leave",
                      "approved", "hire", "hired_rows")},
    parameters=("wellbeing_base", "wellbeing_flex", "wellbeing_autonomy", "wellbeing_sanction",
                "sanction_severity", "wellbeing_overload", "wellbeing_rate", "quit_pppk_annual",
                "quit_pns_annual", "quit_wellbeing", "quit_flex", "hiring_delay_weeks",
                "wellbeing_time", "ch_wellbeing_retention", "ch_time_care"))


#: recruits' device, internet and skill under this week's infrastructure levels
RECRUIT_INFRASTRUCTURE = INFRASTRUCTURE

#: recruitment (``_recruit``): a new person in each refilled post
RECRUITMENT = ViewSpec(
    "recruitment",
    reads={"staff": ("job", "region", "hires", "flex_days", "active")},
    writes={"staff": ("age", "tenure", "pppk", "female", "ability", "motivation",
                      "motivation_base", "control_sensitivity", "ict_latent", "device_latent",
                      "internet_latent", "skill_base", "flex_preference", "active", "hires",
                      "ict_doable", "time_latent", "time_flex",
                      "belief", "trust_in_leader", "rating", "wellbeing", "effort",
                      "reprimand_left", "discipline_left", "performing", "cycle_measured",
                      "cycle_weeks")},
    parameters=("pppk_share_of_hires", "wellbeing_base",
                "recruitment_attractiveness", "pool_attractiveness", "pool_flex_wage",
                "applicants_per_post_pns", "applicants_per_post_pppk", "applicant_elasticity",
                "selection_validity", "pool_young_tilt", "ch_applicant_pool"))


class Terms(NamedTuple):
    sanction_weight: np.float32  # well-being lost under sanction: weight x severity
    quit_pppk_weekly: np.float32  # weekly quit hazard of a contract employee at base well-being
    quit_pns_weekly: np.float32  # the same for a PNS
    hire_chance: np.float32  # chance a vacancy is filled this week: 1 / hiring delay


@kernel(disjoint=True)
def _workforce_rows(key, v, t):
    """Well-being, quit hazard, ageing, exits and the hiring draw, in one pass.

    Marks the vacant rows that hire this week in ``hire`` and returns
    ``(exits, retirements)``. Written without data-dependent branches (both uniforms of a
    row are computed; the values do not depend on which are used), so that it vectorises.
    """
    # float32 throughout (parameters and terms are float32; see engine.compiled.ZERO)
    s, k = v.staff, v.params
    exits = 0
    retirements = 0
    step = np.float32(1.0 / 52.0)
    weeks = np.float32(52.0)
    for i in range(len(s.active)):
        d = np.float32(s.flex_days[i]) / FIVE
        flex = k.ch_wellbeing_retention * d  # the channel: off, flexible days change nothing here
        target = (k.wellbeing_base + k.wellbeing_flex * flex * (HALF + s.flex_preference[i])
                  + k.wellbeing_autonomy * s.lead_style[i] * s.belief[i]
                  - k.wellbeing_overload * s.coordination[i])
        # shifts or dynamic hours ease care duties and commutes, as far as the person wants
        # flexibility (channel "time_care"; last, so that without it the sum is unchanged)
        on_time_flex = ONE if s.time_flex[i] else ZERO
        target += k.ch_time_care * k.wellbeing_time * on_time_flex * s.flex_preference[i]
        # the allowance cut of a reprimand or a formal sanction
        cut = (s.reprimand_left[i] > 0) | (s.discipline_left[i] > 0)
        target -= t.sanction_weight if cut else ZERO
        w = clip01(s.wellbeing[i] + k.wellbeing_rate * (target - s.wellbeing[i]))
        s.wellbeing[i] = w
        weekly = t.quit_pppk_weekly if s.pppk[i] else t.quit_pns_weekly
        hazard = (weekly * exp_arith32(-k.quit_wellbeing * (w - k.wellbeing_base))
                  * (ONE - k.quit_flex * flex))
        s.intent_to_leave[i] = clip01(hazard * weeks)
        # selects instead of conditional stores, so that the loop vectorises
        on = s.active[i]
        older = s.age[i] + step
        retire = on & (older >= s.retirement_age[i])
        leave = on & (retire | (counter_uniform(key, i, 0, 2) < hazard))
        s.age[i] = older if on else s.age[i]
        s.tenure[i] = s.tenure[i] + step if on else s.tenure[i]
        s.active[i] = on & (not leave)
        s.flex_days[i] = 0 if leave else s.flex_days[i]
        s.approved[i] = s.approved[i] & (not leave)
        exits += leave
        retirements += retire
        s.hire[i] = (not on) & (counter_uniform(key, i, 1, 2) < t.hire_chance)
    return exits, retirements


@kernel
def _marked_rows(mark, rows):
    """Write the indices of the marked rows into ``rows``; return how many."""
    n = 0
    for i in range(len(mark)):
        if mark[i]:
            rows[n] = i
            n += 1
    return n


def workforce_dynamics(pop: Population, p: Params, rng: np.random.Generator,
                       week: int) -> dict[str, float]:
    """Well-being, then exits (voluntary and retirement), then recruitment into vacancies.

    Well-being moves toward ``base + flex x (days/5) x (0.5 + pref) + autonomy x style x belief
    - sanction x severity x (reprimanded or disciplined) - overload x coordination``. The weekly
    quit hazard is ``annual/52 x exp(-k (wellbeing - base)) x (1 - quit_flex x days/5)`` (E1:
    attrition about halved under full WFH). Retirement at the legal age (BUP). Vacancies are
    refilled with probability ``1 / hiring_delay_weeks`` a week by a recruit of the same post
    whose ability is drawn from an applicant pool that flexibility makes stronger (E11, E13).
    The head counts per team, agency and region are then recounted.
    Two uniforms per row per week (counter-based on the week's key).
    """
    s = pop.staff
    key = week_key(rng)
    terms = Terms(F(p.wellbeing_sanction * p.sanction_severity),
                  F(p.quit_pppk_annual / WEEKS_PER_YEAR), F(p.quit_pns_annual / WEEKS_PER_YEAR),
                  F(1.0 / p.hiring_delay_weeks))
    exits, retirements = _workforce_rows(key, pop.views(VIEW, p), terms)
    n_hired = _marked_rows(s.hire, s.hired_rows)
    rows = s.hired_rows[:n_hired].astype(np.int64)
    quality = np.nan
    if rows.size:
        _recruit(pop, p, rows, week)
        quality = float(s.ability[rows].mean())
    pop.refresh_counts()  # exits and hires changed who is in post
    return {"exits": int(exits), "retirements": int(retirements),
            "hires": int(rows.size), "recruit_ability": quality}


def _recruit(pop: Population, p: Params, rows: np.ndarray, week: int) -> None:
    """Fill the slots ``rows`` with new recruits (same post, agency, leader and region)."""
    t = tables()
    s = pop.staff
    key = rows.astype(np.uint64) * np.uint64(1 << 20) + s.hires[rows].astype(np.uint64)
    h = hash_uniform(pop.recruit_seed, key, week, 19)
    pppk = h[1] < p.pppk_share_of_hires
    s.pppk[rows] = pppk
    # the extra applicants a more attractive offer draws are younger by pool_young_tilt:
    # a recruit is one of them with chance tilt x their share of the pool (attribute 18)
    pools = applicant_pools(pop, p)  # one pass over the staff for the offer
    today = np.array([p.applicants_per_post_pns, p.applicants_per_post_pppk])
    extra = F(p.pool_young_tilt) * (1.0 - today / np.array(pools)).astype(F)
    s.age[rows] = recruit_ages(h[0], pppk, h[18] < extra[pppk.astype(np.int64)])
    s.tenure[rows] = 0.0
    s.female[rows] = h[2] < t["women_share"]
    shift = np.array(applicant_pool_shift(pop, p, pools), dtype=F)[pppk.astype(np.int64)]
    s.ability[rows] = np.clip(1.0 + shift + t["ability_sd"] * normal_from_uniforms(h[3], h[4]),
                              0.3, 2.0)
    a, b = t["motivation_beta"]
    # Beta(a, b) by its normal approximation: recruits need the same mean and spread only
    mean, sd = a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    motivation = np.clip(mean + sd * normal_from_uniforms(h[5], h[6]), 0.0, 1.0)
    s.motivation[rows] = motivation
    s.motivation_base[rows] = motivation
    sensitive = h[7] < t["control_sensitive_share"]
    s.control_sensitivity[rows] = np.where(sensitive, 0.5 + 0.5 * h[8], 0.2 * h[8])
    s.ict_latent[rows] = h[9]
    ict_doable_rows(pop, rows)
    s.device_latent[rows] = h[10]
    s.internet_latent[rows] = normal_from_uniforms(h[11], h[12])
    s.skill_base[rows] = skill_base(s.age[rows], normal_from_uniforms(h[13], h[14]))
    s.flex_preference[rows] = np.clip(0.5 + 0.2 * (s.female[rows] & (s.age[rows] >= 28))
                                      + t["flex_preference_shift"][s.region[rows]]
                                      + 0.2 * normal_from_uniforms(h[15], h[16]), 0, 1)
    s.time_latent[rows] = h[17]
    time_flex_rows(pop, rows)
    s.active[rows] = True
    s.hires[rows] += 1
    s.belief[rows] = FIRST_BELIEF
    s.trust_in_leader[rows] = FIRST_TRUST_IN_LEADER
    s.rating[rows] = 0
    s.wellbeing[rows] = p.wellbeing_base
    s.effort[rows] = s.motivation[rows]
    s.reprimand_left[rows] = 0
    s.discipline_left[rows] = 0
    s.performing[rows] = False
    s.cycle_measured[rows] = 0.0
    # recruits arrive after this week's work was measured: -1 so that this week's appraisal
    # step, which counts every active row, leaves them at 0 weeks worked
    s.cycle_weeks[rows] = -1
    infrastructure_levels(pop, p, rows)


MECHANISM = Mechanism(VIEW, workforce_dynamics,
                      uses=(RECRUITMENT, RECRUIT_INFRASTRUCTURE, COUNTS))
