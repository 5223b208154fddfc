"""Citizens see all of the civil service (issue 13, items 2 and 3).

The back office's casework reaches citizens as delays (backoffice.py), and the digital channel
is staffed by people: frontline staff on flexible days serve it, citizens adopt and abandon it
(citizens.py). Each test fails if its mechanism is removed or reversed.
"""

from __future__ import annotations

import numpy as np

from flexisim import FlexiworkModel
from flexisim.mechanisms.backoffice import run_back_office
from flexisim.mechanisms.citizens import serve_citizens
from flexisim.mechanisms.registry import STEP
from flexisim.population import FRONTLINE


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _quiet(m) -> None:
    """Trust at its anchor 0.5, no word of mouth, results reporting or scandal."""
    c = m.pop.citizens
    c.trust[:] = 0.5
    c.anchor[:] = 0.5


# ------------------------------------------------------------------ the back office
def test_a_shortfall_of_casework_builds_a_backlog_and_a_surplus_clears_it(world):
    m = world(n_asn=2000)
    s, A = m.pop.staff, m.pop.agencies
    back = s.active & (s.job != FRONTLINE)
    s.output[:] = 5.0
    s.on_time[:] = 1.0
    run_back_office(m.pop, m.p, None, 0)  # first week: the caseload from the usual casework
    caseload = A.caseload.copy()
    assert np.all(caseload[A.casework > 0] > 0)
    assert np.all(A.delay == 0.0)  # 5 x 1 a person is more than the usual casework
    s.output[back] = 0.0  # nobody in the back office delivers for four weeks
    for week in range(1, 5):
        run_back_office(m.pop, m.p, None, week)
    np.testing.assert_array_equal(A.caseload, caseload)  # fixed in policy weeks
    busy = caseload > 0
    np.testing.assert_allclose(A.delay[busy], 4.0, rtol=1e-6)  # four weeks of work waiting
    s.output[back] = 50.0  # a big surplus clears it in a week
    run_back_office(m.pop, m.p, None, 5)
    assert np.all(A.delay == 0.0)


def test_in_the_warm_up_the_caseload_settles_to_the_office_casework(world):
    m = world(n_asn=2000)
    s, A = m.pop.staff, m.pop.agencies
    s.output[:] = 4.0
    s.on_time[:] = 0.5
    for week in range(-200, 0):
        run_back_office(m.pop, m.p, None, week)
    np.testing.assert_allclose(A.caseload, m.p.backoffice_utilisation * A.casework, rtol=1e-6)
    assert np.all(A.delay == 0.0)  # below capacity: nothing waits


def test_back_office_delays_move_trust(world):
    cal = {"need_rate": 1.0, "trust_word_of_mouth": 0.0, "backoffice_need_share": 1.0}
    m = world(n_asn=2000, communication_policy="silent", media_scrutiny=0.0, calibration=cal)
    _quiet(m)
    A, c = m.pop.agencies, m.pop.citizens
    late = np.zeros(len(A), bool)
    late[np.unique(c.agency)[::2]] = True
    A.delay[:] = np.where(late, 8.0, 0.0)
    A.caseload[:] = 1.0
    serve_citizens(m.pop, m.p, rng(), 0)
    waited, served = c.trust[late[c.agency]], c.trust[~late[c.agency]]
    # no delay: every casework need on time (score_well); eight weeks: exp(-4) on time
    np.testing.assert_allclose(served, 0.5 + m.p.trust_experience * (m.p.score_well - 0.5),
                               rtol=1e-5)
    assert waited.mean() < served.mean() - 0.1
    # reversed: without the delay the two halves trust alike
    m2 = world(n_asn=2000, communication_policy="silent", media_scrutiny=0.0, calibration=cal)
    _quiet(m2)
    m2.pop.agencies.delay[:] = 0.0
    serve_citizens(m2.pop, m2.p, rng(), 0)
    t2 = m2.pop.citizens.trust
    assert abs(t2[late[c.agency]].mean() - t2[~late[c.agency]].mean()) < 1e-6


def test_without_the_back_office_mechanism_casework_never_waits():
    levers = dict(n_asn=3000, steps=26, warmup_weeks=13)
    decree = FlexiworkModel(scenario="wfh_2020_decree", rng=4, **levers)
    decree.run()
    assert decree.summary()["backoffice_delay_weeks"] > 0.2
    removed = FlexiworkModel(scenario="wfh_2020_decree", rng=4,
                             mechanisms=STEP.without("backoffice"), **levers)
    removed.run()
    assert np.isnan(removed.summary()["backoffice_delay_weeks"])
    assert (removed.pop.agencies.delay == 0).all()


# ------------------------------------------------------------------ the digital channel
def _frontline_away(m, days: int) -> None:
    s = m.pop.staff
    s.active[:] = True
    s.effort_office[:] = 0.6
    s.effort_remote[:] = 0.6
    s.ability[:] = 1.0
    s.flex_days[:] = np.where(s.job == FRONTLINE, days, 0)
    m.pop.refresh_counts()


def test_remote_frontline_staff_raise_digital_capacity(world):
    cal = {"need_rate": 1.0, "backoffice_need_share": 0.0}
    on = world(n_asn=3000, calibration=cal)
    off = world(n_asn=3000, calibration=cal, channels={"digital_staffing": 0.0})
    for m in (on, off):
        _frontline_away(m, 2)
        serve_citizens(m.pop, m.p, rng(), 0)
    a_on, a_off = on.pop.agencies, off.pop.agencies
    serving = a_on.frontline_staff > 0
    assert np.all(a_on.remote_capacity[serving] > 0)
    assert np.all(a_off.remote_capacity == 0)  # reversed: staff away serve nobody online
    assert a_on.digital_availability[serving].mean() > a_off.digital_availability[serving].mean()
    # better home internet, more capacity online: staff infrastructure reaches citizens
    poor = world(n_asn=3000, calibration=cal, internet_quality=0.3, device_access=1.0,
                 regional_gap=0.0)
    good = world(n_asn=3000, calibration=cal, internet_quality=1.0, device_access=1.0,
                 regional_gap=0.0)
    for m in (poor, good):
        _frontline_away(m, 2)
        serve_citizens(m.pop, m.p, rng(), 0)
    assert good.pop.agencies.remote_capacity.sum() > 1.1 * poor.pop.agencies.remote_capacity.sum()


def test_citizens_adopt_the_digital_channel_and_leave_it_after_poor_service(world):
    cal = {"need_rate": 1.0, "backoffice_need_share": 0.0, "digital_adoption": 1.0,
           "digital_abandon": 1.0}
    m = world(n_asn=3000, calibration=cal, platform_quality=1.0)
    c = m.pop.citizens
    c.online[:] = True
    c.digital_user[:] = False
    _frontline_away(m, 0)
    serve_citizens(m.pop, m.p, rng(), 0)
    # a perfect platform, a region's skill of at least 0.5: many start online
    assert 0.3 < c.digital_user.mean() < 1.0
    started = c.digital_user.mean()
    # nobody serves online or at the counter: every digital user is let down and leaves
    m.pop.staff.effort_office[:] = 0.0
    c.digital_user[:] = True
    serve_citizens(m.pop, m.p, rng(1), 1)
    assert c.digital_user.mean() < 1.0 - 0.4 * m.p.digital_channel
    # reversed (no adoption): nobody starts
    m2 = world(n_asn=3000, calibration=cal | {"digital_adoption": 0.0}, platform_quality=1.0)
    m2.pop.citizens.online[:] = True
    m2.pop.citizens.digital_user[:] = False
    _frontline_away(m2, 0)
    serve_citizens(m2.pop, m2.p, rng(), 0)
    assert not m2.pop.citizens.digital_user.any() and started > 0


def test_digital_users_shift_demand_online_next_week(world):
    m = world(n_asn=3000)
    A, c = m.pop.agencies, m.pop.citizens
    c.online[:] = True
    c.digital_user[:] = True
    _frontline_away(m, 0)
    serve_citizens(m.pop, m.p, rng(), 0)
    users = A.digital_users / np.maximum(np.diff(A.citizen_rows), 1)
    np.testing.assert_allclose(A.digital_share, m.p.digital_channel * users, rtol=1e-5)
    assert A.digital_share[np.diff(A.citizen_rows) > 0].min() > 0.3


def test_a_perfect_platform_serves_as_well_online_as_the_counter(world):
    cal = {"need_rate": 1.0, "backoffice_need_share": 0.0, "digital_channel": 1.0,
           "trust_word_of_mouth": 0.0, "digital_abandon": 0.0}
    scores = {}
    for quality in (0.5, 1.0):
        m = world(n_asn=3000, calibration=cal, platform_quality=quality,
                  communication_policy="silent", media_scrutiny=0.0)
        _quiet(m)
        c = m.pop.citizens
        c.online[:] = True
        c.digital_user[:] = True
        s = m.pop.staff
        _frontline_away(m, 0)
        s.ability[:] = 3.0  # everyone served well, online and at the counter
        out = serve_citizens(m.pop, m.p, rng(), 0)
        scores[quality] = out["satisfaction"]
    assert abs(scores[1.0] - m.p.score_well) < 1e-5
    assert scores[0.5] < scores[1.0] - 0.1
