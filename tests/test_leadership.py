"""Leaders who change (issue 14, item 3; ODD §7.9): turnover, training that builds, style
that learns from flexible teams.

Each mechanism has a test that fails when it is removed or reversed: new leaders appear at
the turnover rate and the same in both worlds, and their teams start afresh; training seats
follow the capacity, only in policy weeks, and their effect builds gradually; style drifts
toward the flexible team's proven trustworthiness, never in the twin, not with the channel
off. With every coefficient at zero the mechanism is inert (bit for bit the run without it).
"""

from __future__ import annotations

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim.mechanisms import leadership
from flexisim.mechanisms.common import FIRST_BELIEF, FIRST_TRUST_IN_LEADER
from flexisim.mechanisms.registry import STEP
from flexisim.model import build_worlds
from flexisim.scenario import load_scenario

N = 6000


def _model(calibration=None, **levers) -> FlexiworkModel:
    levers = {"n_asn": N, "warmup_weeks": 4, **levers}
    return FlexiworkModel(scenario="permenpan_4_2025", rng=5, calibration=calibration,
                          **levers)


def test_posts_turn_over_at_the_rate_and_alike_in_both_worlds():
    m = _model({"leader_turnover_annual": 0.5}, warmup_weeks=0)
    m.run(52)
    L, T = m.pop.leaders, m.counterfactual.pop.leaders
    changed = (L.appointments > 0).mean()
    # 1 - (1 - 0.5/52)^52 = 0.395; binomial sd over ~360 posts is 0.026: 4 sd
    assert changed == pytest.approx(1 - (1 - 0.5 / 52) ** 52, abs=0.1)
    assert np.array_equal(L.appointments, T.appointments)
    assert np.array_equal(L.style_latent, T.style_latent)
    none = _model({"leader_turnover_annual": 0.0}, warmup_weeks=0)
    none.run(10)
    assert (none.pop.leaders.appointments == 0).all()


def test_a_new_leader_is_a_new_draw_and_meets_the_team_afresh():
    config = load_scenario("permenpan_4_2025").with_values(n_asn=N, warmup_weeks=0)
    world, _ = build_worlds(config, 5, calibration={"leader_turnover_annual": 5.0})
    L, s = world.pop.leaders, world.pop.staff
    before = L.style_latent.copy()
    for week in range(3):
        world.step(week)
    new = L.appointed
    assert new.any() and not new.all()
    assert (L.style_latent[new] != before[new]).all()
    team = new[s.leader]
    # the team's beliefs were reset this week and moved only by nothing since (end of week)
    assert (s.belief[team] == np.float32(FIRST_BELIEF)).all()
    assert (s.trust_in_leader[team] == np.float32(FIRST_TRUST_IN_LEADER)).all()
    assert (s.lead_style == L.style[s.leader]).all()


def test_training_seats_follow_the_capacity_only_in_policy_weeks_and_build_up():
    cal = {"leader_turnover_annual": 0.0, "training_build_weeks": 26.0}
    m = _model(cal, warmup_weeks=20, training_capacity=0.52, training_share=0.0)
    L = m.pop.leaders
    assert not L.trained.any()  # no seats in the warm-up, nobody trained before
    m.step()  # week 0: 0.52 x N_leaders / 52 = 1% of leaders
    n = len(L)
    assert L.schooled.sum() == int(np.floor(0.01 * n))
    first = L.schooled.copy()
    assert np.allclose(L.capacity[first], 1 / 26)  # the first week's practice only
    for _ in range(12):
        m.step()
    # 13 weeks of seats; the first cohort halfway to full effect, not yet there
    assert L.schooled.sum() == int(np.floor(0.01 * n * 13))
    assert np.allclose(L.capacity[first], 13 / 26, atol=1e-5)
    # the readiest (lowest training draw) were trained first
    assert L.training_latent[L.schooled].max() <= L.training_latent[~L.schooled].min()
    # staff see their leader's capacity, not a yes/no
    s = m.pop.staff
    assert np.array_equal(s.lead_trained, L.capacity[s.leader])
    for _ in range(20):
        m.step()
    assert np.allclose(L.capacity[first], 1.0)


def test_the_trained_share_stays_steady_through_turnover_without_seats():
    # new leaders come from the same pipeline: training_share of them trained
    m = _model({"leader_turnover_annual": 1.0}, warmup_weeks=104, training_share=0.4,
               training_capacity=0.0)
    L = m.pop.leaders
    assert (L.appointments > 0).mean() > 0.8
    assert L.trained.mean() == pytest.approx(0.4, abs=0.06)
    assert np.array_equal(L.capacity, L.trained.astype(np.float32))


def test_partial_training_targets_checks_partly():
    """Capacity is what oversight reads: a leader whose training has barely begun checks at
    the announced rate, one in full effect targets (ODD §7.5, §7.9)."""
    cal = {"leader_turnover_annual": 0.0, "training_build_weeks": 1e6}
    m = _model(cal, warmup_weeks=8, training_capacity=1.0, training_share=0.0,
               verification_rate=0.2)
    m.run(20)
    s, L = m.pop.staff, m.pop.leaders
    assert L.schooled.mean() > 0.3
    barely = L.schooled[s.leader] & s.active
    # capacity 20 weeks / 1e6: checks differ from the announced rate by at most that share
    assert np.abs(s.verification[barely] - 0.2).max() < 1e-3
    full = _model({"leader_turnover_annual": 0.0}, warmup_weeks=8, training_share=1.0,
                  verification_rate=0.2)
    full.run(20)
    assert full.pop.staff.verification[full.pop.staff.active].std() > 0.05


def test_style_drifts_with_what_flexible_teams_show():
    m = _model({"leader_turnover_annual": 0.0, "style_learning": 5.0}, warmup_weeks=0)
    s, L = m.pop.staff, m.pop.leaders
    start = s.belief.copy()
    m.run(30)
    T = m.counterfactual.pop.leaders
    assert (T.style_drift == 0).all()  # nobody works flexibly in the twin: nothing learned
    learnt = L.style_drift != 0
    assert learnt.mean() > 0.5
    # from the drawn start (no warm-up) beliefs rise as checks come back clean: leaders whose
    # flexible teams' beliefs rose moved toward trust, those whose fell toward control
    team = np.bincount(s.leader, weights=s.belief - start, minlength=len(L))
    agree = np.sign(L.style_drift[learnt]) == np.sign(team[learnt])
    assert agree.mean() > 0.8


def test_learning_is_the_leader_learning_channel():
    drifts = {}
    for gate in (1.0, 0.0):
        m = FlexiworkModel(scenario="permenpan_4_2025", rng=5, n_asn=N, warmup_weeks=4,
                           calibration={"style_learning": 0.2})
        m.world.p = m.world.p.replace(ch_leader_learning=gate)
        m.run(10)
        drifts[gate] = m.pop.leaders.style_drift
    assert (drifts[1.0] != 0).any()  # the same world learns with the channel on ...
    assert (drifts[0.0] == 0).all()  # ... and nothing with it off


def test_learn_moves_style_by_the_equation():
    m = _model({"leader_turnover_annual": 0.0, "style_learning": 0.5}, warmup_weeks=0)
    pop, p = m.pop, m.p
    L, s = pop.leaders, pop.staff
    L.team_remote[:] = 0.4
    L.team_doubt[:] = 0.4  # mean belief 0.6 before the week's oversight ...
    s.belief[:] = 0.7  # ... and 0.7 after it: the week raised it by 0.1
    style = L.style.copy()
    leadership.learn(pop, p)
    expected = np.float32(0.5) * np.float32(0.4) * (np.float32(0.7) - np.float32(0.6))
    assert np.allclose(L.style_drift, expected, atol=1e-6)
    unclipped = (style + expected > 0) & (style + expected < 1)
    assert np.allclose(L.style[unclipped], (style + expected)[unclipped], atol=1e-6)


def test_with_its_coefficients_at_zero_the_mechanism_is_inert():
    cal = {"leader_turnover_annual": 0.0, "style_learning": 0.0}
    config = load_scenario("permenpan_4_2025").with_values(n_asn=4000, warmup_weeks=6,
                                                           training_capacity=0.0)
    a, _ = build_worlds(config, 2, calibration=cal)
    b, _ = build_worlds(config, 2, calibration=cal, mechanisms=STEP.without("leadership"))
    for week in range(15):
        a.step(week)
        b.step(week)
    for name in ("effort", "belief", "verification", "output", "measured", "wellbeing"):
        assert np.array_equal(getattr(a.pop.staff, name), getattr(b.pop.staff, name)), name
