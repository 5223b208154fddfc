"""Investment with a cost and a target (issue 14, item 4; ODD §7.0).

Budgets in rupiah buy what closes a gap at unit costs; the delivery builds over the build
weeks; every run reports what it cost. The tests: the allocation spends exactly the budget
(property test); a run's costs add up to its budget once delivery has caught up, and to the
whole gap's cost when the budget exceeds it; cover builds gradually and never in the
warm-up; targeting by agency puts the money where it is set; the twin gets the same cover
and costs; the reported rupiah do not depend on how many agents stand for the civil service.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexisim import FlexiworkModel
from flexisim.mechanisms import investment
from flexisim.mechanisms.investment import allocate
from flexisim.model import build_worlds
from flexisim.scenario import load_scenario, parse_scenario_text

N = 3000


def _worlds(n_asn: int = N, calibration=None, **levers):
    config = load_scenario("permenpan_4_2025").with_values(n_asn=n_asn, warmup_weeks=0,
                                                           **levers)
    return build_worlds(config, 3, calibration=calibration)


needs = st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(need=needs, data=st.data())
def test_allocation_spends_the_budget_and_no_more(need, data):
    need = np.array(need)
    weight = np.array(data.draw(st.lists(st.floats(0.0, 50.0), min_size=len(need),
                                         max_size=len(need))))
    budget = data.draw(st.floats(0.0, 2e5))
    share = allocate(budget, need, weight)
    assert ((share >= 0) & (share <= 1)).all()
    none = weight <= investment.MIN_WEIGHT
    assert (share[none] == 0).all() and (share[need == 0] == 0).all()
    fundable = need[~none & (need > 0)].sum()
    spent = float(np.dot(share, need))
    # the budget is spent to the last rupiah, unless it closes every gap it may fund
    assert spent == pytest.approx(min(budget, fundable), rel=1e-9, abs=1e-6)
    # a higher priority never gets a smaller share
    on = ~none & (need > 0)
    order = np.argsort(weight[on])
    assert (np.diff(share[on][order]) >= -1e-12).all()


def test_equal_priority_closes_the_same_share_of_every_gap():
    share = allocate(30.0, np.array([10.0, 40.0, 50.0]))
    np.testing.assert_allclose(share, 0.3)
    # twice the weight, twice the share, until that gap is closed
    share = allocate(30.0, np.array([10.0, 40.0, 50.0]), np.array([10.0, 1.0, 1.0]))
    assert share[0] == 1.0
    assert share[1] == pytest.approx(share[2]) and share[1] == pytest.approx(20.0 / 90.0)


def _spend(world, weeks: int) -> list[dict]:
    out = []
    for week in range(weeks):
        world.step(week)
        out.append(dict(world.metrics))
    return out


def test_costs_add_up_to_the_budget_once_delivery_has_caught_up():
    budget = {"digital_budget": 2000.0, "citizen_access_budget": 500.0,
              "measurement_budget": 100.0}
    world, twin = _worlds(**budget, calibration={"infrastructure_build_weeks": 1.0,
                                                 "citizen_access_build_weeks": 1.0,
                                                 "integration_build_weeks": 1.0})
    weeks = _spend(world, 3)
    for name, key in (("digital", "digital_budget"), ("citizen_access", "citizen_access_budget"),
                      ("measurement", "measurement_budget")):
        # build weeks 1: delivered at once, so every week spends a 52nd of the budget
        assert weeks[-1][f"cost_{name}"] == pytest.approx(budget[key] / 52, rel=1e-5)
    assert weeks[-1]["investment_budget"] == pytest.approx(sum(budget.values()) / 52)


def test_a_budget_above_the_gap_closes_it_and_spends_only_its_cost():
    world, _ = _worlds(digital_budget=1e5, calibration={"infrastructure_build_weeks": 1.0})
    stats = _spend(world, 2)[-1]
    need = investment.staff_digital_need(world.pop, world.p)
    assert (world.pop.agencies.digital_cover == 1).all()
    assert stats["cost_digital"] == pytest.approx(need.sum() / 52, rel=1e-5)
    assert stats["cost_digital"] < stats["investment_budget"]
    s = world.pop.staff
    assert s.device[s.active].all()  # every post equipped
    assert world.pop.platform == pytest.approx(1.0)


def test_delivery_builds_over_the_build_weeks_and_not_in_the_warm_up():
    world, _ = _worlds(digital_budget=2000.0)
    target = 2000.0 / investment.staff_digital_need(world.pop, world.p).sum()
    for week in range(-5, 0):
        world.step(week)
        assert world.metrics["cost_digital"] == 0.0
    assert not world.pop.agencies.digital_cover.any()
    covers = []
    for week in range(52):
        world.step(week)
        covers.append(float(world.pop.agencies.digital_cover.mean()))
    # an exponential lag of 26 weeks: 1 - (1 - 1/26)^n of the target after n weeks
    assert covers[0] == pytest.approx(target / 26, rel=1e-4)
    assert covers[25] == pytest.approx(target * (1 - (1 - 1 / 26) ** 26), rel=1e-3)
    assert (np.diff(covers) > 0).all() and covers[-1] < target


def test_investment_closes_the_gaps_it_pays_for():
    plain, _ = _worlds()
    paid, _ = _worlds(digital_budget=4000.0, citizen_access_budget=10000.0,
                      measurement_budget=100.0)
    for week in range(52):
        plain.step(week)
        paid.step(week)
    s0, s1 = plain.pop.staff, paid.pop.staff
    assert s1.device[s1.active].mean() > s0.device[s0.active].mean() + 0.02
    assert s1.internet[s1.active].mean() > s0.internet[s0.active].mean() + 0.02
    assert paid.pop.citizens.online.mean() > plain.pop.citizens.online.mean() + 0.01
    assert paid.pop.agencies.credibility.mean() > plain.pop.agencies.credibility.mean()
    assert paid.pop.platform > plain.pop.platform


def test_priority_puts_the_money_where_the_scenario_sets_it():
    text = ('extends = "permenpan_4_2025"\n[investment]\ndigital_budget = 1000.0\n'
            '[[schedule]]\nagencies = { regions = ["Sulawesi", "Nusa Tenggara", '
            '"Maluku-Papua"] }\ninvestment = { priority = 5.0 }\n')
    config = parse_scenario_text(text, "east_first.toml").with_values(n_asn=N, warmup_weeks=0)
    world, _ = build_worlds(config, 3)
    _spend(world, 10)
    A, R = world.pop.agencies, world.pop.regions
    eastern = R.eastern[A.region]
    assert A.digital_cover[eastern].min() > A.digital_cover[~eastern].max()
    assert A.digital_cover[~eastern].min() > 0  # the rest still get a share


def test_the_twin_gets_the_same_investment():
    model = FlexiworkModel(scenario="permenpan_4_2025", rng=2, n_asn=N, warmup_weeks=4,
                           digital_budget=2000.0, measurement_budget=100.0,
                           citizen_access_budget=3000.0)
    model.run(20)
    np.testing.assert_array_equal(model.pop.agencies.digital_cover,
                                  model.counterfactual.pop.agencies.digital_cover)
    np.testing.assert_array_equal(model.pop.agencies.integration_cover,
                                  model.counterfactual.pop.agencies.integration_cover)
    np.testing.assert_array_equal(model.pop.regions.access_cover,
                                  model.counterfactual.pop.regions.access_cover)
    ts = model.timeseries()
    assert (ts["cost_digital"] > 0).all()
    for name in ("cost_digital", "cost_citizen_access", "cost_measurement", "cost_training"):
        assert model.counterfactual.metrics[name] == model.metrics[name]


def test_reported_rupiah_do_not_depend_on_the_number_of_agents():
    small, _ = _worlds(n_asn=2000)
    large, _ = _worlds(n_asn=8000)
    for need in (investment.staff_digital_need, investment.citizen_access_need,
                 investment.measurement_need):
        # the same civil service and population, sampled more finely: 2% (sampling noise)
        assert need(small.pop, small.p).sum() == pytest.approx(need(large.pop, large.p).sum(),
                                                               rel=0.02)


def test_training_seats_are_costed_over_the_years_in_post():
    world, _ = _worlds(training_capacity=0.2, calibration={"training_seat_cost": 40.0,
                                                          "leader_turnover_annual": 0.25})
    stats = _spend(world, 26)
    L = world.pop.leaders
    seats = int(L.schooled.sum())
    assert seats > 0
    # a seat's 40 M spread over its leader's expected 4 years in post: 10 M a year
    assert stats[-1]["cost_training"] == pytest.approx(
        seats * world.pop.scale * 40.0 * 0.25 / 52 / 1000.0)
    # a trained leader who leaves stops costing: the new leader is not schooled
    leaver = np.flatnonzero(L.schooled)[0]
    L.schooled[leaver] = False
    world.step(26)
    assert world.metrics["cost_training"] == pytest.approx(
        int(L.schooled.sum()) * world.pop.scale * 40.0 * 0.25 / 52 / 1000.0)


def test_a_budget_cut_is_felt_at_once_and_never_overspent():
    text = ('extends = "permenpan_4_2025"\n[investment]\ndigital_budget = 4000.0\n'
            'citizen_access_budget = 5000.0\nmeasurement_budget = 100.0\n'
            '[[schedule]]\nfrom_week = 30\ninvestment = { digital_budget = 1000.0, '
            'citizen_access_budget = 0.0, measurement_budget = 0.0 }\n')
    config = parse_scenario_text(text, "cut.toml").with_values(n_asn=N, warmup_weeks=0)
    world, _ = build_worlds(config, 3)
    weeks = _spend(world, 40)
    for w in weeks:
        spent = w["cost_digital"] + w["cost_citizen_access"] + w["cost_measurement"]
        assert spent <= w["investment_budget"] * (1 + 1e-6)
    after = weeks[30]
    assert after["cost_citizen_access"] == 0.0 and after["cost_measurement"] == 0.0
    assert after["cost_digital"] == pytest.approx(1000.0 / 52, rel=1e-5)
    assert not world.pop.regions.access_cover.any()


def test_every_run_reports_what_its_scenario_cost():
    # delivered at once (build weeks 1): 20 weeks of a 1,000 bn budget cost 1000 x 20 / 52
    at_once = FlexiworkModel(scenario="permenpan_4_2025", rng=1, n_asn=2000, warmup_weeks=4,
                             steps=20, digital_budget=1000.0, measurement_budget=50.0,
                             calibration={"infrastructure_build_weeks": 1.0,
                                          "integration_build_weeks": 1.0})
    at_once.run()
    s = at_once.summary()
    assert s["cost_digital_bn"] == pytest.approx(1000.0 * 20 / 52, rel=1e-5)
    assert s["cost_measurement_bn"] == pytest.approx(50.0 * 20 / 52, rel=1e-5)
    assert s["investment_unspent_bn"] == pytest.approx(0.0, abs=1e-3)
    model = FlexiworkModel(scenario="permenpan_4_2025", rng=1, n_asn=2000, warmup_weeks=4,
                           steps=20, digital_budget=1000.0, training_capacity=0.1)
    model.run()
    s = model.summary()
    assert s["investment_budget_bn"] == pytest.approx(1000.0 * 20 / 52)
    assert 0 < s["cost_digital_bn"] < s["investment_budget_bn"]  # delivery lags the budget
    assert s["cost_training_bn"] > 0 and s["cost_price_year"] == 2025
    none = FlexiworkModel(scenario="permenpan_4_2025", rng=1, n_asn=2000, warmup_weeks=4,
                          steps=5)
    none.run()
    assert none.summary()["cost_digital_bn"] == 0.0


def test_a_sweep_ranks_programmes_per_rupiah(tmp_path):
    from flexisim.experiment import SequentialExecutor, analyze, parse_experiment, run_experiment
    from flexisim.experiment.analysis import load_results, value_for_money

    text = """description = "t"
scenario = "permenpan_4_2025"
steps = 8
replications = 2
seed = 3
[design]
kind = "grid"
[parameters.programme]
none = { digital_budget = 0.0, training_capacity = 0.0 }
devices = { digital_budget = 5000.0, training_capacity = 0.0 }
training = { digital_budget = 0.0, training_capacity = 0.2 }
[parameters]
trust_culture = [0.2, 0.8]
[fixed]
n_asn = 1000
warmup_weeks = 4
"""
    exp = parse_experiment(text, "t.toml", name="t")
    run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r", progress=False)
    results = load_results(tmp_path / "r")
    table = value_for_money(results)
    # each programme against "none" under the same trust culture
    points = results.points.set_index("point_id")
    for _, row in table.iterrows():
        me, ref = points.loc[row["point_id"]], points.loc[row["reference"]]
        assert ref["programme"] == "none" and ref["trust_culture"] == me["trust_culture"]
        assert row["cost_trillion"] > 0
        assert row["per_trillion"] == pytest.approx(row["difference"] / row["cost_trillion"])
    assert set(table["outcome"]) >= {"performance_mean", "performance_change_pct"}
    assert len(table) == 4 * 4  # 4 programme points x 4 outcomes
    names = {p.name for p in analyze(tmp_path / "r")}
    assert {"per_rupiah.png", "per_rupiah.csv"} <= names


def test_levels_are_recomputed_only_while_a_cover_moves(monkeypatch):
    calls = []
    real = investment.infrastructure_levels
    monkeypatch.setattr(investment, "infrastructure_levels",
                        lambda *a, **k: (calls.append(k), real(*a, **k))[1])
    world, _ = _worlds(digital_budget=2000.0, calibration={"infrastructure_build_weeks": 1.0})
    _spend(world, 4)
    # delivered in the first week; after that the cover stands still and so do the levels
    assert calls == [{"staff": True, "citizens": False}]
    assert world.metrics["cost_digital"] == pytest.approx(2000.0 / 52, rel=1e-5)
