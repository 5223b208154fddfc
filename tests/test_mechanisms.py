"""Unit tests of the eight weekly mechanisms (flexisim/mechanisms/*.py) and their helpers.

Each test sets the columns it controls on a small world (``world`` fixture, conftest.py),
calls one mechanism directly with a fixed random stream and compares groups of agents that
differ in one attribute -- inside one call where possible (even vs odd rows), so that both
groups share the same week, the same agencies and the same peers. Where two calls are
compared they start from identical fresh worlds with identical random streams (common random
numbers), so the only difference is the attribute under test. Every test would fail if its
mechanism were made a no-op or its direction reversed; tolerances are given in comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from flexisim.mechanisms import (
    appraise,
    effort_and_shirking,
    eligibility_and_approval,
    oversee,
    produce_output,
    serve_citizens,
    signal_of_grant,
    work_mode_choice,
    workforce_dynamics,
)
from flexisim.mechanisms.common import cap_within_groups
from flexisim.mechanisms.perception import form_perception
from flexisim.mechanisms.workforce import applicant_pool_shift, hash_uniform
from flexisim.population import ADMINISTRATIVE, FRONTLINE, OFFSITE, TECHNICAL


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the even and the odd rows (two interleaved, comparable groups)."""
    even = np.arange(n) % 2 == 0
    return even, ~even


# ============================================================== 1. eligibility and approval
def _all_qualified(m) -> None:
    """Every staff member meets every individual criterion (the tests then remove one)."""
    s = m.pop.staff
    s.active[:] = True
    s.job[:] = ADMINISTRATIVE
    s.ict_doable[:] = True
    s.reprimand_left[:] = 0
    s.discipline_left[:] = 0
    s.tenure[:] = 5.0
    s.device[:] = True
    s.performing[:] = True
    m.pop.refresh_counts()


def test_eligibility_flexiwork_off_nobody_eligible_or_approved(world):
    m = world(flexiwork_enabled=False)
    _all_qualified(m)
    s = m.pop.staff
    s.eligible[:] = True  # left over from an earlier week: the switch must clear them
    s.approved[:] = True
    s.belief[:] = 1.0
    for week in (0, 1):  # a review week and a week between reviews
        eligibility_and_approval(m.pop, m.p, rng(), week)
        assert not s.eligible.any()
        assert not s.approved.any()


def test_eligibility_individual_criteria(world):
    m = world(require_device=True, require_performing=True, min_tenure_years=1.0,
              eligible_families=["frontline", "administrative", "offsite"])
    _all_qualified(m)
    s = m.pop.staff
    n = len(s)
    kind = np.arange(n) % 8  # eight interleaved groups, one failed criterion each (0 = none)
    s.discipline_left[kind == 1] = 3  # under a formal disciplinary sanction
    s.tenure[kind == 2] = 0.5  # a new hire
    s.device[kind == 3] = False
    s.job[kind == 4] = TECHNICAL  # family not in eligible_families
    s.ict_doable[kind == 5] = False
    s.performing[kind == 6] = False
    s.active[kind == 7] = False
    m.pop.refresh_counts()
    eligibility_and_approval(m.pop, m.p, rng(), 0)
    assert s.eligible[kind == 0].all()
    for k in range(1, 8):
        assert not s.eligible[kind == k].any(), f"criterion {k} ignored"
    assert not s.approved[kind != 0].any()


def test_a_reprimand_blocks_approval_but_not_eligibility(world):
    m = world()
    _all_qualified(m)
    s = m.pop.staff
    s.belief[:] = 1.0
    s.lead_style[:] = 1.0
    reprimanded, clean = halves(len(s))
    s.reprimand_left[reprimanded] = 4
    eligibility_and_approval(m.pop, m.p, rng(), 0)  # a review week
    assert s.eligible.all()  # "not under disciplinary sanction": a reprimand is informal
    assert not s.approved[reprimanded].any()  # the leader withdrew the approval
    assert s.approved[clean].mean() > 0.9


def test_eligibility_optional_criteria_can_be_switched_off(world):
    m = world(require_device=False, require_performing=False)
    _all_qualified(m)
    s = m.pop.staff
    s.device[::2] = False
    s.performing[1::2] = False
    eligibility_and_approval(m.pop, m.p, rng(), 0)
    assert s.eligible.all()


def test_approval_rate_rises_with_leader_belief_at_review(world):
    m = world()
    _all_qualified(m)
    s = m.pop.staff
    m.pop.staff.lead_style[:] = 0.5
    high, low = halves(len(s))
    s.belief[high] = 0.9  # p = sigmoid(8 (0.9 + 0.25 - 0.8)) = 0.94
    s.belief[low] = 0.2  # p = sigmoid(8 (0.2 + 0.25 - 0.8)) = 0.06
    eligibility_and_approval(m.pop, m.p, rng(), 0)
    # expected gap 0.88; binomial sd of each rate < 0.015 with 470 per group
    assert s.approved[high].mean() - s.approved[low].mean() > 0.6


def test_approval_rate_rises_with_leader_trust_style(world):
    m = world()
    _all_qualified(m)
    s = m.pop.staff
    s.belief[:] = 0.6
    trusting, controlling = halves(len(s))
    m.pop.staff.lead_style[trusting] = 1.0  # sigmoid(8 (0.6 + 0.5 - 0.8)) = 0.92
    m.pop.staff.lead_style[controlling] = 0.0  # sigmoid(8 (0.6 - 0.8)) = 0.17
    eligibility_and_approval(m.pop, m.p, rng(), 0)
    assert s.approved[trusting].mean() - s.approved[controlling].mean() > 0.5


def test_approval_persists_between_reviews_but_not_past_lost_eligibility(world):
    m = world(approval_review_weeks=4)
    _all_qualified(m)
    s = m.pop.staff
    s.belief[:] = 1.0
    m.pop.staff.lead_style[:] = 1.0
    eligibility_and_approval(m.pop, m.p, rng(), 0)  # review week: nearly all approved
    approved_before = s.approved.copy()
    assert approved_before.mean() > 0.9
    # between reviews: belief collapses -- no re-decision, approval lasts ...
    s.belief[:] = 0.0
    lose = np.arange(len(s)) % 3 == 0
    s.discipline_left[lose] = 5  # ... except for those who lose eligibility
    eligibility_and_approval(m.pop, m.p, rng(1), 1)
    assert np.array_equal(s.approved, approved_before & ~lose)
    # nobody is newly approved between reviews
    s.discipline_left[:] = 0
    eligibility_and_approval(m.pop, m.p, rng(2), 2)
    assert not (s.approved & ~approved_before).any()
    # at the next review the (now zero) belief is used again: approvals mostly withdrawn
    eligibility_and_approval(m.pop, m.p, rng(3), 4)
    assert s.approved.mean() < 0.2  # sigmoid(8 (0 + 0.5 - 0.8)) = 0.08


# ================================================================== 2. work-mode choice
def _all_approved(m, **columns) -> None:
    """Every staff member active and approved, with neutral traits unless given."""
    s = m.pop.staff
    s.active[:] = True
    s.approved[:] = True
    s.device[:] = True
    s.internet[:] = 1.0
    s.motivation[:] = 0.62  # slack term zero
    s.flex_preference[:] = 0.5
    m.pop.staff.lead_results[:] = True  # no visibility cost
    m.pop.staff.lead_style[:] = 0.5
    for name, value in columns.items():
        getattr(s, name)[:] = value
    m.pop.refresh_counts()


def test_workmode_cap_on_days_offsite_exempt(world):
    m = world(max_flex_days=2, agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    work_mode_choice(m.pop, m.p, rng(), 0)
    offsite = s.job == OFFSITE
    assert s.flex_days.min() >= 0
    assert s.flex_days[~offsite].max() == 2  # the cap is reached, never passed
    assert s.flex_days[offsite].max() <= 5
    assert s.flex_days[offsite].max() > 2  # exempt from the cap
    assert s.flex_days[offsite].mean() > s.flex_days[~offsite].mean()


def test_workmode_flexiwork_off_or_not_approved_means_no_days(world):
    m = world(flexiwork_enabled=False, agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    s.flex_days[:] = 2
    work_mode_choice(m.pop, m.p, rng(), 0)
    assert not s.flex_days.any()

    m = world(agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    s.approved[1::2] = False
    s.active[2::4] = False
    m.pop.refresh_counts()
    work_mode_choice(m.pop, m.p, rng(), 0)
    assert not s.flex_days[1::2].any()
    assert not s.flex_days[2::4].any()
    assert s.flex_days[0::4].mean() > 1.0


def test_workmode_preference_raises_days(world):
    m = world(agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m)
    s = m.pop.staff
    keen, reluctant = halves(len(s))
    s.flex_preference[keen] = 0.9  # logit 1 + 3 x 0.4 = 2.2 -> 0.90 of allowed days
    s.flex_preference[reluctant] = 0.1  # logit 1 - 1.2 = -0.2 -> 0.45
    work_mode_choice(m.pop, m.p, rng(), 0)
    # expected gap about 0.45 x 2 = 0.9 days (offsite staff more); demand at least 0.5
    assert s.flex_days[keen].mean() - s.flex_days[reluctant].mean() > 0.5


def test_workmode_poor_infrastructure_lowers_days(world):
    m = world(agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m)
    s = m.pop.staff
    good = np.arange(len(s)) % 3 == 0
    no_internet = np.arange(len(s)) % 3 == 1
    no_device = np.arange(len(s)) % 3 == 2
    s.internet[no_internet] = 0.0  # frustration 1: logit 1 - 2 = -1 -> 0.27 (vs 0.73)
    s.device[no_device] = False
    work_mode_choice(m.pop, m.p, rng(), 0)
    days = s.flex_days.astype(float)
    # expected gaps about 0.46 x 2 = 0.9 days; demand 0.4
    assert days[good].mean() - days[no_internet].mean() > 0.4
    assert days[good].mean() - days[no_device].mean() > 0.4


def test_workmode_visibility_cost_under_presence_watching_control_leader(world):
    m = world(agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m)
    s = m.pop.staff
    watched, results = halves(len(s))
    m.pop.staff.lead_results[watched] = False
    m.pop.staff.lead_style[:] = 0.0  # visibility cost 1 vs 0: logit -0.5 vs 1.0 -> 0.38 vs 0.73
    work_mode_choice(m.pop, m.p, rng(), 0)
    assert s.flex_days[results].mean() - s.flex_days[watched].mean() > 0.4


def test_workmode_self_selection_low_motivation_takes_more_days(world):
    m = world(agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m)
    s = m.pop.staff
    low, high = halves(len(s))
    s.motivation[low] = 0.1  # slack +0.52 vs -0.38 on the logit
    s.motivation[high] = 1.0
    work_mode_choice(m.pop, m.p, rng(), 0)
    assert s.flex_days[low].mean() - s.flex_days[high].mean() > 0.2  # expected about 0.4


def test_workmode_agency_quota_caps_flexible_staff_days(world):
    quota = 0.1
    m = world(agency_quota=quota, min_onsite_frontline=0.0)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    n_ag = len(m.pop.agencies)
    counted = s.active & (s.job != OFFSITE)
    work_mode_choice(m.pop, m.p, rng(), 0)
    used = np.bincount(s.agency, weights=s.flex_days * counted, minlength=n_ag)
    capacity = quota * 5 * np.bincount(s.agency, weights=counted, minlength=n_ag)
    assert np.all(used <= capacity + 1e-9)
    assert used.sum() > 0.8 * capacity.sum()  # the quota is used, not just undercut

    # control: without the quota the same choice would exceed it
    m = world(agency_quota=1.0, min_onsite_frontline=0.0)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    work_mode_choice(m.pop, m.p, rng(), 0)
    free = np.bincount(s.agency, weights=s.flex_days * counted, minlength=n_ag)
    assert np.all(free > capacity)


def test_workmode_quota_gives_scarce_days_to_the_most_trusted(world):
    m = world(agency_quota=0.1, min_onsite_frontline=0.0)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    s.belief[:] = np.linspace(0.0, 1.0, len(s))[np.random.default_rng(5).permutation(len(s))]
    work_mode_choice(m.pop, m.p, rng(), 0)
    counted = s.job != OFFSITE
    with_days = counted & (s.flex_days > 0)
    without = counted & (s.flex_days == 0)
    assert s.belief[with_days].mean() > s.belief[without].mean() + 0.3


def test_workmode_min_onsite_frontline_respected(world):
    floor = 0.9
    m = world(agency_quota=1.0, min_onsite_frontline=floor)
    _all_approved(m, flex_preference=1.0)
    s = m.pop.staff
    n_ag = len(m.pop.agencies)
    front = s.active & (s.job == FRONTLINE)
    work_mode_choice(m.pop, m.p, rng(), 0)
    away = np.bincount(s.agency, weights=s.flex_days * front, minlength=n_ag)
    staff_days = 5 * np.bincount(s.agency, weights=front, minlength=n_ag)
    assert np.all(away <= (1 - floor) * staff_days + 1e-9)
    assert away.sum() > 0.8 * (1 - floor) * staff_days.sum()
    # non-frontline staff are not held back by the frontline floor
    other = s.active & (s.job != FRONTLINE) & (s.job != OFFSITE)
    assert s.flex_days[other].mean() > 1.5

    m = world(agency_quota=1.0, min_onsite_frontline=0.0)  # control: the floor binds
    _all_approved(m, flex_preference=1.0)
    work_mode_choice(m.pop, m.p, rng(), 0)
    free = np.bincount(s.agency, weights=m.pop.staff.flex_days * front, minlength=n_ag)
    assert np.all(free[staff_days > 0] > (1 - floor) * staff_days[staff_days > 0])


# ================================================================== 3. effort and shirking
def _neutral_effort(m) -> None:
    """Identical staff and leaders, so a test can vary one attribute between groups."""
    s = m.pop.staff
    s.active[:] = True
    s.motivation[:] = 0.6
    s.control_sensitivity[:] = 0.0
    s.belief[:] = 0.6
    s.trust_in_leader[:] = 1.0  # reciprocity at full strength
    s.approved[:] = True
    s.verification[:] = 0.0
    s.effort[:] = 0.5  # the peer norm is the same everywhere
    s.flex_days[:] = 2
    s.lead_style[:] = 0.5
    s.lead_results[:] = True
    s.lead_trained[:] = True
    s.credibility[:] = 0.5
    m.pop.refresh_counts()


# Each effort column carries uniform noise of sd 0.12; a group mean over about 470 staff has
# sd 0.006, a difference of two such means 0.008: gaps are tested at > 4 sd of noise.


def test_effort_verification_raises_remote_effort_of_results_based_staff(world):
    m = world()
    _neutral_effort(m)
    s = m.pop.staff
    checked, unchecked = halves(len(s))
    s.verification[checked] = 0.9
    effort_and_shirking(m.pop, m.p, rng(), 0)
    # expected: 0.7 x deterrence x severity 0.65 x catch (0.9 x tp 0.7) (0.05 as calibrated)
    expected = 0.7 * m.p.effort_deterrence * 0.65 * 0.9 * 0.7
    gap = s.effort_remote[checked].mean() - s.effort_remote[unchecked].mean()
    assert gap > 0.7 * expected
    assert s.shirk_days[checked].mean() < s.shirk_days[unchecked].mean()


def test_effort_crowding_out_of_control_sensitive_staff(world):
    m = world()
    _neutral_effort(m)
    s = m.pop.staff
    n = len(s)
    sensitive = np.arange(n) % 2 == 0
    s.control_sensitivity[sensitive] = 1.0
    controlled = np.arange(n) % 4 < 2  # half of each group under a controlling leader
    s.lead_style[controlled] = 0.0
    s.lead_results[controlled] = False  # watches presence
    s.lead_trained[controlled] = False
    s.lead_style[~controlled] = 1.0  # the other half under a trusting results-based one
    s.verification[:] = 0.1
    effort_and_shirking(m.pop, m.p, rng(), 0)
    e = s.effort_office
    gap_control = e[controlled & ~sensitive].mean() - e[controlled & sensitive].mean()
    gap_trust = e[~controlled & ~sensitive].mean() - e[~controlled & sensitive].mean()
    # expected: 0.7 x 0.18 x control 1.05 = 0.13 under control; 0 under trust (sd 0.011)
    assert gap_control > 0.08
    assert abs(gap_trust) < 0.04


def test_effort_reciprocity_of_trust(world):
    m = world()
    _neutral_effort(m)
    s = m.pop.staff
    n = len(s)
    trusted = np.arange(n) % 2 == 0
    s.belief[trusted] = 0.95
    s.belief[~trusted] = 0.05
    trusting = np.arange(n) % 4 < 2
    s.lead_style[trusting] = 1.0
    s.lead_style[~trusting] = 0.0
    s.motivation[:] = 0.5  # keep effort away from the clip at 1
    effort_and_shirking(m.pop, m.p, rng(), 0)
    e = s.effort_office
    gap_trusting = e[trusting & trusted].mean() - e[trusting & ~trusted].mean()
    gap_control = e[~trusting & trusted].mean() - e[~trusting & ~trusted].mean()
    # expected: 0.7 x 0.085 x 0.9 = 0.054 under a trusting leader, 0 under a controlling one
    assert gap_trusting > 0.03
    assert abs(gap_control) < 0.03


def _granted_vs_refused(m, refuse: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effort after the signalling and effort mechanisms, half the staff refused."""
    _neutral_effort(m)
    s = m.pop.staff
    s.lead_style[:] = 1.0
    s.belief[:] = 1.0
    s.motivation[:] = 0.45
    granted, refused = halves(len(s))
    if refuse:
        s.approved[refused] = False
    signal_of_grant(m.pop, m.p, None, 0)
    effort_and_shirking(m.pop, m.p, rng(), 0)
    return s.effort_office.copy(), granted, refused


def test_signalling_off_by_default_approval_alone_changes_no_effort(world):
    # the first version doubled reciprocity for approved staff, an effect the office-only
    # twin could never have; now it is the signalling mechanism, off by default (ODD)
    m = world()
    assert m.p.grant_signal == 0.0
    half_refused, _, _ = _granted_vs_refused(m)
    assert not m.pop.staff.grant_signal.any()
    all_granted, _, _ = _granted_vs_refused(world(), refuse=False)
    np.testing.assert_array_equal(half_refused, all_granted)  # same draws, same effort


def test_signalling_when_on_raises_effort_of_granted_staff(world):
    m = world(calibration={"grant_signal": 0.085})
    effort, granted, refused = _granted_vs_refused(m)
    # expected: 0.7 (1 - peer weight) x 0.085 x style 1 x belief 1 x trust 1 = 0.06
    assert effort[granted].mean() - effort[refused].mean() > 0.035
    # a reversed sign (refused staff rewarded) or a removed term fails here
    assert np.all(m.pop.staff.grant_signal[refused] == 0)


def test_effort_reciprocity_needs_trust_in_the_leader(world):
    m = world()
    _neutral_effort(m)
    s = m.pop.staff
    s.lead_style[:] = 1.0
    s.belief[:] = 1.0
    s.motivation[:] = 0.45
    trusts, wary = halves(len(s))
    s.trust_in_leader[wary] = 0.0  # e.g. after false accusations
    effort_and_shirking(m.pop, m.p, rng(), 0)
    # expected: 0.7 x 0.085 x 1 x 1 = 0.06
    assert s.effort_office[trusts].mean() - s.effort_office[wary].mean() > 0.035


def test_effort_remote_below_office_without_verification(world):
    m = world()
    _neutral_effort(m)
    s, p = m.pop.staff, m.p
    s.verification[:] = 0.0
    results, presence = halves(len(s))
    s.lead_results[presence] = False
    s.lead_style[:] = 1.0  # no control term, so only the setting matters
    effort_and_shirking(m.pop, m.p, rng(), 0)
    gap = s.effort_office - s.effort_remote  # paired: same person, two settings
    # results-based: temptation only, 0.7 x 0.06 = 0.042 (paired sd 0.008)
    assert gap[results].mean() > 0.02
    # presence-watching: also deterred in the office, + 0.7 x deterrence x 0.65 x 0.5
    deterred = 0.7 * p.effort_deterrence * 0.65 * 0.5
    assert gap[presence].mean() > gap[results].mean() + 0.5 * deterred  # noisy: paired sd 0.15


def test_effort_sanction_severity_deters(world):
    efforts = []
    for severity in (0.0, 1.0):
        m = world(sanction_severity=severity)
        _neutral_effort(m)
        m.pop.staff.verification[:] = 0.5
        effort_and_shirking(m.pop, m.p, rng(), 0)  # same draws in both calls
        efforts.append(m.pop.staff.effort_remote.copy())
    # catch 0.5 x 0.7; severity 0.3 vs 1.0: 0.7 x deterrence x 0.7 x 0.35 (0.03 as calibrated)
    assert efforts[1].mean() - efforts[0].mean() > 0.7 * (0.7 * m.p.effort_deterrence * 0.7 * 0.35)


def test_effort_peer_norm(world):
    efforts = []
    for norm in (0.2, 0.8):
        m = world()
        _neutral_effort(m)
        m.pop.staff.effort[:] = norm  # last week's effort of colleagues
        effort_and_shirking(m.pop, m.p, rng(), 0)
        efforts.append(m.pop.staff.effort_office.copy())
    # peer weight 0.3 x 0.6 = 0.18 (identical noise in both calls)
    assert efforts[1].mean() - efforts[0].mean() > 0.12


def test_effort_shirk_days_consistent_with_threshold(world):
    m = world()
    _neutral_effort(m)
    s = m.pop.staff
    s.motivation[:] = np.linspace(0.0, 1.0, len(s))  # efforts on both sides of the threshold
    s.flex_days[:] = np.arange(len(s)) % 3
    s.active[::7] = False
    s.flex_days[::7] = 0  # as work_mode_choice leaves them: no days for empty posts
    m.pop.refresh_counts()
    effort_and_shirking(m.pop, m.p, rng(), 0)
    thr = m.p.shirk_threshold
    d = s.flex_days.astype(int)
    office_days = (5 - d) * s.active
    expected_office = office_days * (s.effort_office < thr)
    expected = expected_office + d * (s.effort_remote < thr)
    assert np.array_equal(s.office_shirk_days, expected_office)
    assert np.array_equal(s.shirk_days, expected)
    assert 0 < (s.shirk_days > 0).mean() < 1  # both kinds present
    assert not s.shirk_days[~s.active].any()
    assert np.all((s.shirk_days >= 0) & (s.shirk_days <= 5))
    # the shortfall is zero exactly when no day is shirked
    assert np.array_equal(s.shortfall > 0, s.shirk_days > 0)
    for name in ("effort_office", "effort_remote", "effort"):
        col = getattr(s, name)
        assert np.all((col >= 0) & (col <= 1)), name


# ======================================================================== 4. production
def _perfect_remote(m, flex_days: int) -> None:
    s = m.pop.staff
    s.active[:] = True
    s.ability[:] = 1.0
    s.effort_office[:] = 0.6
    s.effort_remote[:] = 0.6
    s.effort[:] = 0.6
    s.device[:] = True
    s.internet[:] = 1.0
    s.skill[:] = 1.0
    s.collaboration[:] = 0.0  # no coordination loss
    s.flex_days[:] = flex_days
    m.pop.refresh_counts()


def test_production_remote_day_gains_with_perfect_setting(world):
    outputs = []
    for days in (0, 5):
        m = world()
        _perfect_remote(m, days)
        produce_output(m.pop, m.p, rng(), 0)  # same task luck in both calls
        outputs.append(m.pop.staff.output.astype(float))
    ratio = outputs[1] / outputs[0]
    assert ratio.min() > 1.0  # commute time and focus: a remote day yields more
    np.testing.assert_allclose(ratio, 1.0 + m.p.remote_gain, rtol=1e-5)  # float32 rounding


def test_production_poor_infrastructure_lowers_remote_output(world):
    m = world()
    _perfect_remote(m, 5)
    s = m.pop.staff
    kind = np.arange(len(s)) % 3
    s.internet[kind == 1] = 0.0
    s.device[kind == 2] = False
    produce_output(m.pop, m.p, rng(), 0)
    out = s.output
    # factors 1, 1 - 0.25 = 0.75 and 0.6; task luck is +-8.7% per person (uniform, sd 5%),
    # so group means over 313 people are within 0.6% of their factor
    assert out[kind == 1].mean() < 0.8 * out[kind == 0].mean()
    assert out[kind == 2].mean() < 0.65 * out[kind == 0].mean()


def test_production_low_digital_skill_lowers_remote_output(world):
    m = world()
    _perfect_remote(m, 5)
    s = m.pop.staff
    low, high = halves(len(s))
    s.skill[low] = 0.0  # factor 1 - 0.15
    produce_output(m.pop, m.p, rng(), 0)
    assert s.output[low].mean() < 0.9 * s.output[high].mean()


def test_production_infrastructure_does_not_matter_in_the_office(world):
    m = world()
    _perfect_remote(m, 0)
    s = m.pop.staff
    poor = np.arange(len(s)) % 2 == 0
    s.device[poor] = False
    s.internet[poor] = 0.0
    s.skill[poor] = 0.0
    produce_output(m.pop, m.p, rng(), 0)
    assert abs(s.output[poor].mean() / s.output[~poor].mean() - 1) < 0.02  # luck only


def test_production_coordination_loss_grows_with_collaboration_and_team_remote_share(world):
    m = world()
    _perfect_remote(m, 0)
    s = m.pop.staff
    n = len(s)
    remote_team = s.leader % 2 == 0  # whole teams remote or in the office
    s.flex_days[remote_team] = 5
    s.flex_days[~remote_team] = 1
    high = np.arange(n) % 2 == 0
    s.collaboration[high] = 0.8
    s.collaboration[~high] = 0.2
    produce_output(m.pop, m.p, rng(), 0)
    coord = s.coordination
    assert np.all(coord >= 0)
    # same team share: coordination loss proportional to collaboration (0.8 / 0.2 = 4)
    for team in (remote_team, ~remote_team):
        assert coord[team & high].mean() > 3 * coord[team & ~high].mean()
    # same collaboration: remote teams lose more (team remote share 1 vs about 0.2)
    assert coord[remote_team & high].mean() > 3 * coord[~remote_team & high].mean()
    # and output falls with it: remote staff, high vs low collaboration
    # (loss 0.3 x 0.8 x 0.8 x 0.84 = 0.16 vs 0.04; luck sd 0.3%)
    out = s.output
    assert out[remote_team & high].mean() < 0.92 * out[remote_team & ~high].mean()
    # quality suffers from coordination loss on remote days too
    assert s.quality[remote_team & high].mean() < s.quality[remote_team & ~high].mean()


def test_production_platform_reduces_coordination_loss(world):
    coords = []
    for platform in (0.0, 1.0):
        m = world(platform_quality=platform)
        _perfect_remote(m, 5)
        m.pop.staff.collaboration[:] = 0.6
        produce_output(m.pop, m.p, rng(), 0)
        coords.append(m.pop.staff.coordination.copy())
    assert coords[0].min() > 0 and np.all(coords[1] < coords[0])
    np.testing.assert_allclose(coords[1], coords[0] * (1 - m.p.platform_coordination), rtol=1e-5)


# ========================================================================= 5. oversight
def _honest(m) -> None:
    """Everyone active and honest (no shirked day), leaders controlling and untrained."""
    s = m.pop.staff
    s.active[:] = True
    s.shirk_days[:] = 0
    s.shortfall[:] = 0.0
    s.office_shortfall[:] = 0.0
    s.output[:] = 3.0
    s.quality[:] = 0.7
    s.belief[:] = 0.6
    s.reprimand_left[:] = 0
    s.approved[:] = True
    s.flex_days[:] = 0
    s.lead_style[:] = 0.0  # sanctions at the first flag
    s.lead_trained[:] = False
    s.lead_results[:] = True
    s.credibility[:] = 0.5
    m.pop.refresh_counts()


def test_oversight_false_accusations_need_noisy_measurement(world):
    m = world(verification_rate=1.0)
    _honest(m)
    s = m.pop.staff
    credible, noisy = halves(len(s))
    m.pop.staff.credibility[credible] = 1.0
    m.pop.staff.credibility[noisy] = 0.0
    oversee(m.pop, m.p, rng(), 0)
    assert not s.falsely_accused[credible].any()
    assert not s.detected.any()  # nobody shirked
    # false-positive rate 0.05 at credibility 0: about 23 of 470 (at least 10 is > 2.7 sd off)
    assert s.falsely_accused[noisy].sum() >= 10


def test_oversight_more_verification_detects_more_shirkers(world):
    detected = []
    for rate in (0.1, 0.8):
        m = world(verification_rate=rate)
        _honest(m)
        s = m.pop.staff
        s.shirk_days[:] = 5
        s.shortfall[:] = 0.5
        oversee(m.pop, m.p, rng(), 0)  # same draws: the checked set grows with the rate
        detected.append(s.detected.copy())
    assert not (detected[0] & ~detected[1]).any()
    # expected about 0.1 vs 0.8 x tp 0.7 x 0.5 x 940 = 33 vs 263
    assert detected[1].sum() > 4 * detected[0].sum() > 0


def test_oversight_sanction_revokes_approval_and_starts_the_clock(world):
    m = world(verification_rate=1.0, sanction_weeks=9)
    _honest(m)
    s = m.pop.staff
    shirker = np.arange(len(s)) % 2 == 0
    s.shirk_days[shirker] = 5
    s.shortfall[shirker] = 1.0
    m.pop.staff.credibility[:] = 1.0  # tp = 1: every checked shirker flagged, no false flags
    s.reprimand_left[~shirker] = 3  # an earlier sanction running out
    oversee(m.pop, m.p, rng(), 0)
    assert s.detected[shirker].all()
    assert not s.approved[shirker].any()
    assert np.all(s.reprimand_left[shirker] == 9)
    assert np.all(s.reprimand_left[~shirker] == 2)  # counts down by one a week
    assert s.approved[~shirker].all()  # revocation is for the sanctioned only


def _repeat_offenders(m) -> tuple[np.ndarray, np.ndarray]:
    """Half the staff shirk and are still under a reprimand; every one is checked and
    flagged (credibility 1, control leaders reprimand at the first flag)."""
    _honest(m)
    s = m.pop.staff
    repeat, first = halves(len(s))
    s.shirk_days[:] = 5
    s.shortfall[:] = 1.0
    s.credibility[:] = 1.0
    s.reprimand_left[repeat] = 4
    s.discipline_left[:] = 0
    return repeat, first


@pytest.mark.parametrize("escalation", [0.0, 0.3, 1.0])
def test_formal_discipline_follows_repeated_offences_at_the_escalation_rate(world, escalation):
    m = world(verification_rate=1.0, calibration={"discipline_escalation": escalation})
    repeat, first = _repeat_offenders(m)
    s = m.pop.staff
    oversee(m.pop, m.p, rng(), 0)
    assert s.detected.all()  # everyone reprimanded
    assert not s.disciplined[first].any()  # a first offence is never formal
    share = s.disciplined[repeat].mean()
    # binomial with n = 470: sd <= 0.023
    assert abs(share - escalation) < 0.08
    assert np.all(s.discipline_left[s.disciplined] == int(m.p.discipline_weeks))
    assert np.all(s.discipline_left[~s.disciplined] == 0)


def test_formal_discipline_needs_real_shirking_and_counts_down(world):
    m = world(verification_rate=1.0, calibration={"discipline_escalation": 1.0})
    _honest(m)
    s = m.pop.staff
    s.credibility[:] = 0.0  # noisy: honest staff are flagged too (false accusations)
    s.reprimand_left[:] = 4
    s.discipline_left[:] = 7
    oversee(m.pop, m.p, rng(), 0)
    assert s.falsely_accused.any()
    assert not s.disciplined.any()  # the formal examination clears the honest
    assert np.all(s.discipline_left == 6)


def test_oversight_trusting_leader_sanctions_only_when_belief_low(world):
    m = world(verification_rate=1.0)
    _honest(m)
    s = m.pop.staff
    s.shirk_days[:] = 5
    s.shortfall[:] = 1.0
    s.credibility[:] = 1.0  # every shirker flagged
    s.lead_style[:] = 1.0  # trusting leaders ...
    trusted = np.arange(len(s)) % 2 == 0
    s.belief[trusted] = 1.0  # ... keep 0.65 after a flag: above belief_sanction 0.5
    s.belief[~trusted] = 0.6  # -> 0.39: below
    oversee(m.pop, m.p, rng(), 0)
    assert not s.detected[trusted].any()
    assert s.detected[~trusted].all()


def test_oversight_trained_leaders_dismiss_false_flags(world):
    # a large false-positive rate makes the comparison sharp inside one call
    m = world(verification_rate=1.0, calibration={"false_positive_max": 0.5})
    _honest(m)
    s = m.pop.staff
    trained, untrained = halves(len(s))
    s.lead_trained[trained] = True
    s.belief[:] = 0.6  # a flag drops it to 0.39 < 0.5: trained leaders sanction it too
    s.credibility[:] = 0.6  # flagged with p = 0.2; a trained leader dismisses 60%
    oversee(m.pop, m.p, rng(), 0)
    n_trained = s.falsely_accused[trained].sum()
    n_untrained = s.falsely_accused[untrained].sum()
    # expected about 38 vs 94 (binomial sd 6 and 9)
    assert n_untrained > 60
    assert n_trained < 0.6 * n_untrained


def test_oversight_beliefs_rise_after_clean_checks_and_fall_after_flags(world):
    m = world(verification_rate=1.0)
    _honest(m)
    s, p = m.pop.staff, m.p
    s.credibility[:] = 1.0  # no false flags, every shirker flagged
    s.lead_style[:] = 1.0
    s.belief[:] = 0.5
    shirker = np.arange(len(s)) % 2 == 0
    s.shirk_days[shirker] = 5
    s.shortfall[shirker] = 1.0
    oversee(m.pop, m.p, rng(), 0)
    assert s.belief[~shirker].min() > 0.5 > s.belief[shirker].max()
    np.testing.assert_allclose(s.belief[~shirker], 0.5 + p.belief_gain * 0.5, rtol=1e-6)
    np.testing.assert_allclose(s.belief[shirker], 0.5 * (1 - p.belief_loss), rtol=1e-6)


def test_oversight_unchecked_beliefs_stay(world):
    m = world(verification_rate=0.0)
    _honest(m)
    s = m.pop.staff
    oversee(m.pop, m.p, rng(), 0)
    np.testing.assert_allclose(s.belief, 0.6)


def test_oversight_trained_leaders_target_checks_at_doubt(world):
    m = world(verification_rate=0.1)
    _honest(m)
    s = m.pop.staff
    s.lead_trained[:] = True
    doubted, trusted = halves(len(s))
    s.belief[doubted] = 0.2
    s.belief[trusted] = 0.8
    oversee(m.pop, m.p, rng(), 0)
    v = s.verification
    # doubt 0.8 vs 0.2 around a team mean of about 0.5: checked 0.16 vs 0.04
    assert v[doubted].mean() > 3 * v[trusted].mean()
    assert m.pop.mean(v) == pytest.approx(0.1, abs=0.005)  # the same average share


@pytest.mark.xfail(strict=True, reason="known limitation (ODD 7.5): trained leaders' targeted "
                   "verification is clipped at 1 without redistributing, so at higher "
                   "verification_rate the average share checked falls below the rate")
def test_oversight_targeting_keeps_the_average_at_high_rates(world):
    m = world(verification_rate=0.6)
    _honest(m)
    s = m.pop.staff
    s.lead_trained[:] = True
    s.belief[:] = 0.8  # doubt 0.2, 0.8 and 1 (shares 1/2, 1/3, 1/6; mean 0.53):
    s.belief[::2] = 0.2  # targeted 0.6 x doubt / 0.53 = 0.23, 0.9 and 1.13 -> clipped to 1,
    s.belief[::6] = 0.0  # so the mean share checked is about 0.58, not 0.6
    oversee(m.pop, m.p, rng(), 0)
    assert m.pop.mean(s.verification) == pytest.approx(0.6, abs=0.005)


def test_oversight_presence_watchers_lose_belief_for_unseen_days(world):
    m = world(verification_rate=0.0)
    _honest(m)
    s, p = m.pop.staff, m.p
    away = np.arange(len(s)) % 2 == 0
    s.flex_days[away] = 2
    s.lead_results[:] = False
    oversee(m.pop, m.p, rng(), 0)
    np.testing.assert_allclose(s.belief[~away], 0.6)
    assert s.belief[away].max() < 0.6
    np.testing.assert_allclose(s.belief[away], 0.6 - 2 * p.visibility_bias, rtol=1e-5)


def test_oversight_false_accusation_lowers_morale(world):
    m = world(verification_rate=1.0, calibration={"false_positive_max": 0.5})
    _honest(m)
    s = m.pop.staff
    s.motivation[:] = 0.5
    s.motivation_base[:] = 0.5
    m.pop.staff.credibility[:] = 0.0
    oversee(m.pop, m.p, rng(), 0)
    assert s.falsely_accused.sum() > 100
    assert s.motivation[s.falsely_accused].max() < 0.5
    np.testing.assert_allclose(s.motivation[s.falsely_accused],
                               0.5 - m.p.false_accusation_morale, rtol=1e-5)
    np.testing.assert_allclose(s.motivation[~s.falsely_accused], 0.5)


def test_oversight_false_accusation_lowers_trust_in_the_leader(world):
    m = world(verification_rate=1.0, calibration={"false_positive_max": 0.5})
    _honest(m)
    s, p = m.pop.staff, m.p
    s.trust_in_leader[:] = p.trust_in_leader_base  # at rest: no recovery drift
    s.credibility[:] = 0.0
    oversee(m.pop, m.p, rng(), 0)
    accused = s.falsely_accused
    assert accused.sum() > 100
    base = p.trust_in_leader_base
    assert s.trust_in_leader[accused].max() < base
    np.testing.assert_allclose(s.trust_in_leader[accused], base * (1 - p.false_accusation_trust),
                               rtol=1e-5)
    np.testing.assert_allclose(s.trust_in_leader[~accused], base, rtol=1e-6)


def test_oversight_gaming_inflates_measured_output_of_shirkers_at_low_credibility(world):
    m = world(verification_rate=0.0, calibration={"measurement_noise": 0.0})
    _honest(m)
    s, p = m.pop.staff, m.p
    shirker = np.arange(len(s)) % 2 == 0
    s.shirk_days[shirker] = 5
    s.ability[:] = 1.0
    s.credibility[:] = 0.0
    oversee(m.pop, m.p, rng(), 0)
    # true output x quality is 2.1 for everyone; shirkers' measured + gaming 0.3 x 1 x 5
    assert s.measured[shirker].min() > s.measured[~shirker].max()
    np.testing.assert_allclose(s.measured[~shirker], 2.1, rtol=1e-5)
    np.testing.assert_allclose(s.measured[shirker], 2.1 + p.gaming * 5, rtol=1e-5)


# ============================================================ 6. service and citizens
def _quiet_citizens(m) -> None:
    """Citizens at trust 0.5 = their anchor, all offline, no reported results, no scandal."""
    c, s = m.pop.citizens, m.pop.staff
    c.trust[:] = 0.5
    c.anchor[:] = 0.5
    m.pop.citizens.online[:] = False
    s.active[:] = True
    s.measured[:] = 0.0
    s.detected[:] = False
    s.flex_days[:] = 0
    s.effort_office[:] = 1.0
    s.ability[:] = 1.0
    m.pop.refresh_counts()


def _agency_groups(m) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of the agencies that serve citizens (per agency, alternating)."""
    serving = np.unique(m.pop.citizens.agency)
    a = np.zeros(len(m.pop.agencies), bool)
    a[serving[::2]] = True
    b = np.zeros(len(m.pop.agencies), bool)
    b[serving[1::2]] = True
    return a, b


# everyone has a frontline need (no casework: the back office is tested on its own)
SERVICE_CAL = {"need_rate": 1.0, "trust_word_of_mouth": 0.0, "backoffice_need_share": 0.0,
               "after_hours_share": 0.0}  # nobody who cannot come in office hours (ODD 7.10)


def test_citizens_trust_follows_frontline_availability(world):
    m = world(communication_policy="silent", media_scrutiny=0.0, calibration=SERVICE_CAL)
    _quiet_citizens(m)
    s, c = m.pop.staff, m.pop.citizens
    good, poor = _agency_groups(m)
    s.effort_office[poor[s.agency]] = 0.0  # present but idle: nobody is served on time
    out = serve_citizens(m.pop, m.p, rng(), 0)
    assert np.all(out["availability"][good] == 1.0)
    assert np.all(out["availability"][poor] == 0.0)
    assert np.all(out["presence"] == 1.0)  # nobody away: visibility plays no part
    t_good, t_poor = c.trust[good[c.agency]], c.trust[poor[c.agency]]
    # served well: 0.5 + w_exp (score_well - 0.5); late/unserved: at most 0.5 - 0.3 x 0.15
    np.testing.assert_allclose(t_good, 0.5 + m.p.trust_experience * (m.p.score_well - 0.5),
                               rtol=1e-5)
    assert t_poor.max() < 0.46
    assert t_good.mean() > t_poor.mean() + 0.05


def _thinned_counter(m) -> tuple[np.ndarray, np.ndarray]:
    """Half the serving agencies keep every frontline day on site, the other half only 60%,
    with able enough staff that both meet demand fully (availability 1 in both)."""
    s = m.pop.staff
    full, thin = _agency_groups(m)
    front = s.job == FRONTLINE
    s.flex_days[front & thin[s.agency]] = 2
    s.ability[front & thin[s.agency]] = 1.5  # 3 days x 1.5 = 4.5 >= 5 x 0.75
    return full, thin


def test_citizens_visibility_penalty_softened_by_proactive_communication(world):
    gaps = {}
    cal = SERVICE_CAL | {"comm_reach_proactive": 0.0}  # isolate the softening of the penalty
    for policy in ("silent", "proactive"):
        m = world(communication_policy=policy, media_scrutiny=0.0, calibration=cal)
        _quiet_citizens(m)
        full, thin = _thinned_counter(m)
        c = m.pop.citizens
        out = serve_citizens(m.pop, m.p, rng(), 0)  # same draws under both policies
        assert np.all(out["availability"][full | thin] == 1.0)
        assert np.all(out["presence"][thin] < 0.8)
        gaps[policy] = c.trust[full[c.agency]].mean() - c.trust[thin[c.agency]].mean()
    # silent: 0.4 of visitors x 0.3 x penalty 0.25 = 0.03; proactive: 70% of that removed
    assert gaps["silent"] > 0.015
    assert gaps["proactive"] < 0.5 * gaps["silent"]
    assert gaps["proactive"] > 0  # softened, not removed


def test_citizens_proactive_reporting_pulls_trust_toward_reported_results(world):
    m = world(communication_policy="proactive", media_scrutiny=0.0,
              calibration={"need_rate": 0.0, "trust_word_of_mouth": 0.0,
                           "comm_reach_proactive": 1.0, "trust_anchor": 0.0})
    _quiet_citizens(m)
    s, c = m.pop.staff, m.pop.citizens
    good, poor = _agency_groups(m)
    s.measured[good[s.agency]] = 100.0  # far above any standard: reported results = 1
    serve_citizens(m.pop, m.p, rng(), 0)
    np.testing.assert_allclose(c.trust[good[c.agency]], 0.5 + 0.2 * 0.5, rtol=1e-5)
    np.testing.assert_allclose(c.trust[poor[c.agency]], 0.5 - 0.2 * 0.5, rtol=1e-5)


def test_citizens_word_of_mouth_pulls_trust_toward_ties(world):
    m = world(communication_policy="silent", media_scrutiny=0.0,
              calibration={"need_rate": 0.0})
    _quiet_citizens(m)
    c = m.pop.citizens
    c.trust[:] = np.random.default_rng(3).random(len(c)).astype(np.float32)
    c.anchor[:] = c.trust  # no pull toward the predisposition
    before = c.trust.astype(float)
    heard = c.ties @ before
    serve_citizens(m.pop, m.p, rng(), 0)
    after = c.trust.astype(float)
    w = m.p.trust_word_of_mouth
    np.testing.assert_allclose(after - before, w * (heard - before), atol=1e-5)
    moved = np.abs(heard - before) > 0.05
    assert np.all(np.abs(after - heard)[moved] < np.abs(before - heard)[moved])
    assert np.all(np.sign(after - before)[moved] == np.sign(heard - before)[moved])


def test_citizens_public_scandal_lowers_trust_in_its_region(world):
    trusts = []
    for scrutiny in (0.0, 0.5):
        m = world(communication_policy="silent", media_scrutiny=scrutiny,
                  calibration={"need_rate": 0.0, "trust_word_of_mouth": 0.0})
        _quiet_citizens(m)
        s = m.pop.staff
        in_region0 = np.flatnonzero(s.region == 0)
        s.detected[in_region0[::10]] = True  # 10% detected: a Poisson mean of 5 cases
        s.shirk_days[:] = 0  # no other route: nobody idle, nobody shirking away
        s.office_shirk_days[:] = 0
        serve_citizens(m.pop, m.p, rng(), 0)  # counts this week's detections by region
        out = form_perception(m.pop, m.p, rng(), 0)  # this week's public cases
        m.pop.regions.perception[:] = 0.0  # the case itself, not the image it leaves
        m.pop.citizens.trust[:] = 0.5
        serve_citizens(m.pop, m.p, rng(1), 1)  # felt the week after
        trusts.append(m.pop.citizens.trust.copy())
        if scrutiny == 0.0:
            assert out["scandals"] == 0
        else:
            assert out["scandals"] >= 1 and out["scandals_records"] == out["scandals"]
    region = m.pop.citizens.region
    np.testing.assert_allclose(trusts[0], 0.5)
    assert trusts[1][region == 0].max() < 0.5
    assert trusts[1][region == 0].max() < 0.5 - m.p.scandal_hit + 1e-6  # at least one case
    np.testing.assert_allclose(trusts[1][region != 0], 0.5)  # other regions untouched


# =================================================================== 7. workforce dynamics
def test_workforce_retirement_at_legal_age(world):
    m = world(hiring_delay_weeks=260)
    s = m.pop.staff
    s.active[:] = True
    old = np.arange(len(s)) % 10 == 0
    s.age[old] = s.retirement_age[old]
    s.age[~old] = np.minimum(s.age[~old], s.retirement_age[~old] - 1.0)
    m.pop.refresh_counts()
    out = workforce_dynamics(m.pop, m.p, rng(), 0)
    assert not s.active[old].any()
    assert out["retirements"] == old.sum()
    assert out["exits"] >= out["retirements"]
    assert (~s.active[~old]).sum() == out["exits"] - out["retirements"]  # voluntary quits
    assert out["hires"] == 0  # who left this week is not replaced the same week


def test_workforce_flexible_days_lower_quit_intent_at_equal_wellbeing(world):
    m = world(calibration={"wellbeing_rate": 0.0})  # well-being frozen: equal for all
    s = m.pop.staff
    s.active[:] = True
    s.wellbeing[:] = 0.5
    s.pppk[:] = True
    days = np.arange(len(s)) % 3 * 2  # 0, 2 or 4 days (exits reset theirs to 0 in the call)
    s.flex_days[:] = days
    m.pop.refresh_counts()
    workforce_dynamics(m.pop, m.p, rng(), 0)
    intent = s.intent_to_leave
    base = intent[days == 0]
    assert np.all(base > 0)
    np.testing.assert_allclose(base, base[0])
    assert intent[days == 2].max() < base.min() and intent[days == 4].max() < base.min()
    q = m.p.quit_flex
    np.testing.assert_allclose(intent[days == 2], base[0] * (1 - q * 0.4), rtol=1e-5)
    np.testing.assert_allclose(intent[days == 4], base[0] * (1 - q * 0.8), rtol=1e-5)


def test_workforce_wellbeing_rises_with_flexibility_and_falls_with_sanctions(world):
    m = world()
    s = m.pop.staff
    s.active[:] = True
    s.wellbeing[:] = 0.55
    s.flex_preference[:] = 0.5
    s.coordination[:] = 0.0
    s.reprimand_left[:] = 0
    m.pop.staff.lead_style[:] = 0.5
    s.belief[:] = 0.5
    kind = np.arange(len(s)) % 3
    s.flex_days[kind == 1] = 2
    s.reprimand_left[kind == 2] = 5
    m.pop.refresh_counts()
    workforce_dynamics(m.pop, m.p, rng(), 0)
    w = s.wellbeing
    assert w[kind == 1].min() > w[kind == 0].max()
    assert w[kind == 2].max() < w[kind == 0].min()


def test_workforce_lower_wellbeing_raises_quit_intent(world):
    m = world(calibration={"wellbeing_rate": 0.0})
    s = m.pop.staff
    s.active[:] = True
    s.pppk[:] = False
    s.flex_days[:] = 0
    happy, unhappy = halves(len(s))
    s.wellbeing[happy] = 0.8
    s.wellbeing[unhappy] = 0.3
    m.pop.refresh_counts()
    workforce_dynamics(m.pop, m.p, rng(), 0)
    assert s.intent_to_leave[unhappy].min() > 2 * s.intent_to_leave[happy].max()


def test_workforce_vacancies_are_refilled(world):
    m = world(hiring_delay_weeks=1)  # every vacancy filled within the week
    s = m.pop.staff
    s.active[:] = True
    vacant = np.arange(len(s)) % 5 == 0
    s.active[vacant] = False
    s.tenure[vacant] = 12.0
    s.reprimand_left[vacant] = 4
    s.age[:] = np.minimum(s.age, s.retirement_age - 1)
    hires_before = s.hires.copy()
    m.pop.refresh_counts()
    out = workforce_dynamics(m.pop, m.p, rng(), 10)
    assert out["hires"] == vacant.sum()
    assert s.active[vacant].all()
    assert np.all(s.tenure[vacant] == 0.0)
    assert np.all(s.hires[vacant] == hires_before[vacant] + 1)
    assert np.all(s.hires[~vacant] == hires_before[~vacant])
    assert np.all(s.reprimand_left[vacant] == 0)
    pns, pppk = vacant & ~s.pppk, vacant & s.pppk
    assert np.all((s.age[pns] >= 22) & (s.age[pns] <= 35))  # CPNS entry ages
    assert np.all((s.age[pppk] >= 21) & (s.age[pppk] <= 58))  # today's PPPK age bands
    assert (s.age[pppk] > 35).mean() > 0.5
    assert np.isfinite(out["recruit_ability"])


def test_workforce_recruits_abler_when_flexibility_attracts(world):
    abilities = []
    for enabled in (False, True):
        m = world(flexiwork_enabled=enabled, hiring_delay_weeks=1)
        s = m.pop.staff
        s.age[:] = np.minimum(s.age, s.retirement_age - 1)
        s.active[::4] = False
        s.flex_days[:] = 2 if enabled else 0
        s.flex_days[::4] = 0
        m.pop.refresh_counts()
        shift = applicant_pool_shift(m.pop, m.p)  # the offer before this week's few exits
        workforce_dynamics(m.pop, m.p, rng(), 3)
        abilities.append(s.ability[::4].copy())
    # same recruits (hash-keyed draws), shifted by the larger pool's better choice, by status
    # (less where clipped at 0.3 / 2.0); the pool's arithmetic: tests/test_regeneration.py
    diff = abilities[1] - abilities[0]
    pppk = m.pop.staff.pppk[::4]
    assert np.all(diff >= -1e-6)
    assert np.median(diff[~pppk]) == pytest.approx(shift[0], rel=0.05)
    assert np.median(diff[pppk]) == pytest.approx(shift[1], rel=0.05)
    assert 0 < shift[0] < shift[1]


def test_hash_uniform_deterministic_bounded_and_uniform():
    key = np.arange(200_000, dtype=np.uint64)
    a = hash_uniform(123, key, 5, 3)
    b = hash_uniform(123, key, 5, 3)
    assert a.shape == (3, key.size)
    assert np.array_equal(a, b)  # a pure function of its key
    assert np.all((a >= 0) & (a < 1))
    # roughly uniform: each of 20 bins within 5% of its expected count (sd is 0.5%)
    counts = np.histogram(a, bins=20, range=(0, 1))[0]
    assert np.all(np.abs(counts / (a.size / 20) - 1) < 0.05)
    assert abs(a.mean() - 0.5) < 0.005
    # different seed, week, attribute -> (nearly) uncorrelated streams
    others = (hash_uniform(124, key, 5, 1)[0], hash_uniform(123, key, 6, 1)[0], a[1])
    for other in others:
        assert abs(np.corrcoef(a[0], other)[0, 1]) < 0.01
    # a draw does not depend on which other keys are drawn alongside
    assert np.array_equal(hash_uniform(123, key[7:9], 5, 3), a[:, 7:9])


def test_hash_uniform_never_returns_one():
    # regression: a float64 in [0, 1) cast to float32 rounded values above 1 - 2**-25 up to
    # 1.0; found by a search over 3e7 keys (seed 0, week 0, attribute 1, key 27119691) and,
    # for realistic keys (row << 20), seed 42, week 2, attribute 9, row 489637
    assert hash_uniform(0, np.array([27119691], np.uint64), 0, 1)[0, 0] < 1.0
    assert hash_uniform(42, np.array([489637 << 20], np.uint64), 2, 9)[8, 0] < 1.0


# ========================================================================== 8. appraisal
def test_appraisal_ratings_change_only_at_cycle_end(world):
    m = world(appraisal_weeks=4)
    s = m.pop.staff
    s.active[:] = True
    s.performing[:] = False
    s.cycle_measured[:] = 0.0
    s.cycle_weeks[:] = 0
    std = m.p.performing_standard
    good = np.arange(len(s)) % 2 == 0
    s.measured[good] = 5 * (std + 0.05)
    s.measured[~good] = 5 * (std - 0.05)
    s.active[3::10] = False
    m.pop.refresh_counts()
    for week in range(3):
        appraise(m.pop, m.p, rng(), week)
        assert not s.performing.any(), f"rated in week {week}, mid-cycle"
    appraise(m.pop, m.p, rng(), 3)  # (3 + 1) % 4 == 0: end of the cycle
    assert np.array_equal(s.performing, good & s.active)
    assert not s.cycle_measured.any() and not s.cycle_weeks.any()  # a new cycle starts
    # the next weeks keep the rating until the next cycle end, whatever is measured
    s.measured[:] = 0.0
    for week in range(4, 7):
        appraise(m.pop, m.p, rng(), week)
        assert np.array_equal(s.performing, good & s.active)
    appraise(m.pop, m.p, rng(), 7)
    assert not s.performing.any()


def test_appraisal_recruits_not_rated_on_a_week_they_did_not_work(world):
    m = world(hiring_delay_weeks=1, appraisal_weeks=4)
    s = m.pop.staff
    m.run(3)  # weeks 0-2
    s.active[::10] = False  # vacancies, refilled in week 3 (hiring delay 1 week)
    s.flex_days[::10] = 0
    m.pop.refresh_counts()
    hires = s.hires.copy()
    m.step()  # week 3: the cycle ends
    recruits = s.hires > hires
    assert recruits.sum() > 50
    assert np.all(s.rating[recruits] == 0)


def test_appraisal_performing_iff_measured_per_day_reaches_standard(world):
    m = world(appraisal_weeks=13)
    s = m.pop.staff
    s.active[:] = True
    s.cycle_measured[:] = 0.0
    s.cycle_weeks[:] = 0
    m.pop.refresh_counts()
    weekly = np.random.default_rng(4).uniform(1.5, 4.0, len(s)).astype(np.float32)
    total = np.zeros(len(s))
    for week in range(13):
        s.measured[:] = weekly * (0.8 + 0.4 * (week % 2))  # varies week to week
        total += s.measured
        appraise(m.pop, m.p, rng(), week)
    per_day = total / 13 / 5
    margin = np.abs(per_day - m.p.performing_standard) > 1e-4  # leave float32 ties aside
    assert np.array_equal(s.performing[margin], (per_day >= m.p.performing_standard)[margin])
    assert 0.1 < s.performing.mean() < 0.9
    # the 1-5 rating behind it rises with measured output
    order = np.argsort(per_day)
    assert np.all(np.diff(s.rating[order].astype(int)) >= 0)
    assert s.rating.min() >= 1 and s.rating.max() <= 5


# ===================================================================== cap_within_groups
def test_cap_within_groups_keeps_highest_priority_within_capacity():
    values = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 0.0])
    group = np.array([0, 0, 0, 1, 1, 0])
    priority = np.array([3.0, 1.0, 2.0, 0.0, 5.0, -1.0])
    capacity = np.array([2.0, 2.0])
    keep = cap_within_groups(values, group, priority, capacity)
    # group 0: priorities 3 and 2 fit, 1 waits; the zero request is always kept
    # group 1: priority 5 (value 2) fills the capacity, priority 0 waits
    assert keep.tolist() == [True, False, True, False, True, True]


def test_cap_within_groups_keeps_all_when_capacity_not_binding():
    r = np.random.default_rng(0)
    values = r.integers(0, 3, 500).astype(float)
    group = r.integers(0, 7, 500)
    priority = r.random(500)
    capacity = np.bincount(group, weights=values, minlength=7)  # exactly enough
    assert cap_within_groups(values, group, priority, capacity).all()


@pytest.mark.parametrize("seed", range(5))
def test_cap_within_groups_random_properties(seed):
    r = np.random.default_rng(seed)
    n, n_groups = 400, 9
    values = r.integers(0, 4, n).astype(float)
    group = r.integers(0, n_groups, n)
    priority = r.random(n)
    capacity = r.uniform(0, 40, n_groups)
    keep = cap_within_groups(values, group, priority, capacity)
    kept = np.bincount(group, weights=values * keep, minlength=n_groups)
    assert np.all(kept <= capacity + 1e-9)
    assert keep[values == 0].all()
    for g in range(n_groups):
        rows = (group == g) & (values > 0)
        if (rows & ~keep).any() and (rows & keep).any():
            # a priority queue: everyone kept outranks everyone waiting
            assert priority[rows & keep].min() > priority[rows & ~keep].max()
        if (rows & ~keep).any():  # something waits only if it would not have fit
            first_waiting = np.flatnonzero(rows & ~keep)[np.argmax(priority[rows & ~keep])]
            assert kept[g] + values[first_waiting] > capacity[g]
