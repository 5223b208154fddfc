"""Exposure (issue 13, item 1): how flexible days are assigned, and limits that bind.

Assignment by decree (``mandated_share``), the digital share of frontline work
(``frontline_digital_share``), persistent non-users (``nonuser_preference``), the agency
quota and frontline floor binding under a decree, and the notes for scenarios outside
Permenpan RB No. 4/2025.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_world
from hypothesis import given, settings
from hypothesis import strategies as st

from flexisim import FlexiworkModel
from flexisim.mechanisms import eligibility, workmode
from flexisim.mechanisms.setup import decree_agencies
from flexisim.population import FRONTLINE, OFFSITE
from flexisim.scenario import load_scenario, outside_rules


def _week(model: FlexiworkModel, week: int = 0) -> None:
    """Eligibility and the work-mode choice of one week, on the policy world."""
    w = model.world
    eligibility.eligibility_and_approval(w.pop, w.p, w.streams["eligibility"], week)
    workmode.work_mode_choice(w.pop, w.p, w.streams["workmode"], week)


# --------------------------------------------------------------------- the decree
@given(st.integers(1, 3000), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_decree_agencies_are_nested_and_their_share_is_the_lever(n, a, b):
    lo, hi = sorted((a, b))
    small, large = decree_agencies(n, lo), decree_agencies(n, hi)
    assert not (small & ~large).any()  # a larger share keeps the smaller share's agencies
    # a low-discrepancy sequence: the count is within a few of share x n
    assert abs(large.sum() - hi * n) <= 3
    assert not decree_agencies(n, 0.0).any() and decree_agencies(n, 1.0).all()


def test_a_decree_sends_home_everyone_whose_work_allows_it():
    levers = dict(max_flex_days=5, agency_quota=1.0, min_onsite_frontline=0.0)
    decree = make_world(n_asn=3000, mandated_share=1.0, **levers)
    request = make_world(n_asn=3000, mandated_share=0.0, **levers)
    for m in (decree, request):
        s = m.pop.staff
        s.tenure[: len(s) // 10] = 0.0  # new hires: not eligible on request
        _week(m)
    s = decree.pop.staff
    can = s.active & s.ict_doable & (s.discipline_left == 0)
    # everyone who can is approved and works every day away (no choice, no criteria)
    assert (s.approved == can).all()
    assert (s.flex_days[can] == 5).all() and (s.flex_days[~can] == 0).all()
    assert s.approved[: len(s) // 10].sum() > 0  # new hires too
    # on request (reversed): fewer approved, fewer days, no new hire
    r = request.pop.staff
    assert r.approved.sum() < 0.8 * s.approved.sum()
    assert r.flex_days.mean() < 0.5 * s.flex_days.mean()
    assert not r.approved[: len(r) // 10].any()


def test_a_reprimand_does_not_bring_a_decree_back_to_the_office():
    m = make_world(n_asn=2000, mandated_share=1.0)
    s = m.pop.staff
    s.reprimand_left[:] = 5
    _week(m, week=0)  # a review week
    can = s.active & s.ict_doable & (s.discipline_left == 0)
    assert (s.approved == can).all()
    s.approved[:] = False  # withdrawn by a reprimand this week (oversight)
    _week(m, week=1)  # between reviews: the decree still stands
    assert (s.approved == can).all()
    on_request = make_world(n_asn=2000, mandated_share=0.0)
    on_request.pop.staff.reprimand_left[:] = 5
    _week(on_request, week=0)
    assert not on_request.pop.staff.approved.any()


def test_mixed_assignment_decrees_only_the_chosen_agencies():
    m = make_world(n_asn=5000, mandated_share=0.5, max_flex_days=2, agency_quota=1.0,
                   min_onsite_frontline=0.0)
    _week(m)
    s, A = m.pop.staff, m.pop.agencies
    assert 0.3 < A.mandated.mean() < 0.7
    assert (s.mandated == A.mandated[s.agency]).all()
    assigned = s.mandated & s.approved & (s.job != OFFSITE)
    assert (s.flex_days[assigned] == 2).all()
    chosen = ~s.mandated & s.approved & (s.job != OFFSITE)
    assert (s.flex_days[chosen] < 2).any()  # on request some use fewer than allowed


# ------------------------------------------------------------------ digital frontline work
def test_the_frontline_digital_share_moves_the_same_people():
    low = make_world(n_asn=5000, frontline_digital_share=0.3)
    high = make_world(n_asn=5000, frontline_digital_share=0.7)
    a, b = low.pop.staff, high.pop.staff
    front = a.job == FRONTLINE
    assert abs(a.ict_doable[front].mean() - 0.3) < 0.03
    assert abs(b.ict_doable[front].mean() - 0.7) < 0.03
    assert not (a.ict_doable & ~b.ict_doable).any()  # a superset: the same people and more
    assert (a.ict_doable[~front] == b.ict_doable[~front]).all()  # other families unchanged


def test_recruits_get_the_frontline_digital_share():
    m = FlexiworkModel(scenario="permenpan_4_2025", rng=3, n_asn=3000, counterfactual=False,
                       warmup_weeks=0, frontline_digital_share=1.0, steps=30)
    m.run()
    s = m.pop.staff
    recruited = (s.hires > 0) & (s.job == FRONTLINE)
    assert recruited.sum() > 0 and s.ict_doable[recruited].all()


# ------------------------------------------------------------------ persistent non-users
def test_persistent_non_users_never_ask_but_a_decree_assigns_them():
    calibration = {"nonuser_preference": 0.3}
    levers = dict(agency_quota=1.0, min_onsite_frontline=0.0, trust_culture=0.9)
    m = make_world(n_asn=4000, calibration=calibration, **levers)
    s = m.pop.staff
    non_users = s.flex_preference < 0.3
    used = np.zeros(len(s), bool)
    for week in range(8):
        _week(m, week)
        used |= s.flex_days > 0
    approved_non_users = non_users & s.approved & (s.job != OFFSITE)
    assert approved_non_users.sum() > 20
    assert not used[non_users & (s.job != OFFSITE)].any()
    # reversed (threshold 0): the same people use days
    none = make_world(n_asn=4000, calibration={"nonuser_preference": 0.0}, **levers)
    ever = np.zeros(len(s), bool)
    for week in range(8):
        _week(none, week)
        ever |= none.pop.staff.flex_days > 0
    assert ever[non_users].mean() > 0.3
    decree = make_world(n_asn=4000, calibration=calibration, mandated_share=1.0, **levers)
    _week(decree)
    d = decree.pop.staff
    assert (d.flex_days[non_users & d.approved] > 0).all()


# ------------------------------------------------------------ quota and floor bind there
def _summary(**levers) -> dict:
    m = FlexiworkModel(scenario="wfh_2020_decree", rng=5, n_asn=3000, steps=13,
                       warmup_weeks=13, **levers)
    m.run()
    return m.summary()


@pytest.mark.parametrize("lever, value", [("agency_quota", 1.0), ("min_onsite_frontline", 0.0)])
def test_quota_and_floor_bind_in_the_decree_scenario(lever, value):
    shipped = load_scenario("wfh_2020_decree").values[lever]
    assert shipped != value
    base, loose = _summary(), _summary(**{lever: value})
    # without the limit more days are away; the limit binds in the shipped scenario
    assert loose["mean_flex_days"] > base["mean_flex_days"] + 0.02
    assert loose["performance_change_pct"] != base["performance_change_pct"]


# --------------------------------------------------------------- outside the rules
def test_outside_rules_notes():
    assert outside_rules(load_scenario("permenpan_4_2025").values) == []
    assert outside_rules(load_scenario("office_only").values) == []
    three = outside_rules(load_scenario("three_flexible_days").values)
    assert len(three) == 1 and "3 flexible days" in three[0]
    decree = outside_rules(load_scenario("wfh_2020_decree").values)
    assert len(decree) == 2 and "decree" in decree[1]
    assert "hari" in outside_rules(load_scenario("three_flexible_days").values, "id")[0]
    # flexiwork off: nothing to say, whatever the cap
    off = load_scenario("three_flexible_days").with_values(flexiwork_enabled=False)
    assert off.outside_rules == []


def test_the_summary_records_a_scenario_outside_the_rules():
    m = FlexiworkModel(scenario="three_flexible_days", rng=1, n_asn=600, steps=1,
                       warmup_weeks=0)
    m.run()
    assert "3 flexible days" in m.summary()["outside_rules"]
    m = FlexiworkModel(scenario="permenpan_4_2025", rng=1, n_asn=600, steps=1, warmup_weeks=0)
    m.run()
    assert m.summary()["outside_rules"] == ""
