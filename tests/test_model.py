"""FlexiworkModel as a whole: determinism, the counterfactual, Mesa compatibility, agent views."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from flexisim import FlexiworkModel, ScenarioError, load_scenario
from flexisim.agents import ASN, Citizen, Leader
from flexisim.metrics import OUTPUTS

SMALL = {"n_asn": 1500}


def run(scenario: str = "permenpan_4_2025", seed: int = 3, steps: int = 20, **levers):
    model = FlexiworkModel(scenario=scenario, rng=seed, **(SMALL | levers))
    return model, model.run(steps)


def test_same_seed_same_timeseries():
    _, a = run(seed=11)
    _, b = run(seed=11)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seeds_differ():
    _, a = run(seed=11)
    _, b = run(seed=12)
    assert not a["performance"].equals(b["performance"])
    assert not a["public_trust"].equals(b["public_trust"])


def test_rng_none_draws_a_fresh_seed_and_records_it():
    """Mesa's convention: None is fresh entropy (the scenario's seed is the CLI's default)."""
    scenario = load_scenario("permenpan_4_2025", {"seed": 5, "n_asn": 1000})
    a, b = FlexiworkModel(scenario=scenario), FlexiworkModel(scenario=scenario)
    assert a.seed != b.seed
    ts = a.run(5)
    assert a.summary()["seed"] == a.seed and a.config.values["seed"] == a.seed
    # the recorded seed reproduces the run
    pd.testing.assert_frame_equal(ts, FlexiworkModel(scenario=scenario, rng=a.seed).run(5))


@pytest.mark.filterwarnings("ignore:The `iterations` keyword:DeprecationWarning")
def test_mesa_batch_run_iterations_give_distinct_runs():
    import mesa

    results = pd.DataFrame(mesa.batch_run(
        FlexiworkModel, parameters={"n_asn": 600}, iterations=3, max_steps=2,
        number_processes=1, display_progress=False))
    last = results.sort_values("Step").groupby("RunId").last()
    assert last["performance"].nunique() == 3
    seeded = pd.DataFrame(mesa.batch_run(
        FlexiworkModel, parameters={"n_asn": 600}, rng=[None] * 3, max_steps=2,
        number_processes=1, display_progress=False))
    assert seeded.sort_values("Step").groupby("RunId").last()["performance"].nunique() == 3


def test_plain_solaraviz_resets_a_flexiwork_model():
    """Mesa's Reset re-creates the model with a Scenario object of Mesa's own. The
    dashboard imported in the same process (its translated Mesa card) must not change it."""
    import ipyvuetify as v
    import solara
    from mesa.visualization import SolaraViz

    import flexisim.dashboard.page  # noqa: F401 - registers the dashboard's parameter panel
    from flexisim.dashboard import i18n, mesa_i18n

    mesa_i18n.install()  # what the dashboard's page does (for the rest of this process)
    i18n.language.set("en")  # Mesa's labels, as the patched module shows them in English

    model = FlexiworkModel(scenario="permenpan_4_2025", n_asn=600, rng=1)
    page = SolaraViz(model, components=[], model_params={"n_asn": 600})
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    try:
        rc.find(v.Btn, children=["Step"]).widget.click()
        rc.find(v.Btn, children=["Reset"]).widget.click()  # raised before
        rc.find(v.Btn, children=["Step"]).widget.click()
        alerts = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
        assert "Error" not in alerts and "Traceback" not in alerts, alerts
    finally:
        rc.close()
        i18n.language.set(i18n.DEFAULT_LANGUAGE)


def test_office_only_gives_exactly_zero_change_and_uptake():
    model, ts = run("office_only", steps=30)
    summary = model.summary()
    assert summary["performance_change_pct"] == 0.0
    assert summary["flex_uptake"] == 0.0
    assert summary["mean_flex_days"] == 0.0
    assert summary["trust_effect_pp"] == 0.0
    assert (ts["performance"] == ts["performance_counterfactual"]).all()


def test_counterfactual_is_the_office_only_world_with_common_random_numbers():
    """The twin inside a policy run is bit-identical to a separate office-only run."""
    model, ts = run("trust_but_verify", seed=4, steps=25)
    office = FlexiworkModel(scenario=model.config.with_values(flexiwork_enabled=False),
                            rng=4, counterfactual=False)
    alone = office.run(25)
    np.testing.assert_array_equal(ts["performance_counterfactual"].to_numpy(),
                                  alone["performance"].to_numpy())
    np.testing.assert_array_equal(ts["public_trust_counterfactual"].to_numpy(),
                                  alone["public_trust"].to_numpy())


def test_common_random_numbers_shrink_the_noise_of_the_effect():
    """Paired against its own counterfactual, the effect varies far less across seeds than
    the raw performance does -- the reason for common random numbers (MODEL.md)."""
    effects, levels = [], []
    for seed in range(5):
        model, ts = run("trust_but_verify", seed=seed, steps=26)
        effects.append(model.summary()["performance_change_pct"])
        levels.append(100 * ts["performance"].mean() / 48.0 - 100)
    assert np.std(effects) < 0.5 * np.std(levels)


def test_every_output_is_collected_every_step():
    model, ts = run(steps=7)
    assert list(ts.index) == list(range(1, 8))
    for name in OUTPUTS:
        assert name in ts.columns
    for region in model.pop.region_names:
        assert f"performance[{region}]" in ts.columns
        assert f"public_trust[{region}]" in ts.columns


def test_summary_has_the_fields_the_issue_requires():
    model, _ = run(steps=14)
    summary = model.summary()
    required = ["scenario", "scenario_hash", "package_version", "seed", "steps", "n_asn",
                "performance_change_pct", "public_trust_start", "public_trust_end",
                "trust_change_pp", "shirking_rate", "detected_shirking_rate",
                "false_accusation_rate", "flex_uptake", "mean_flex_days", "service_availability",
                "citizen_satisfaction", "attrition_rate_annual", "share_performing",
                "share_under_35", "regional_performance_gap"]
    missing = [k for k in required if k not in summary]
    assert not missing
    assert summary["steps"] == 14 and summary["n_asn"] == 1500 and summary["seed"] == 3
    assert summary["scenario"] == "permenpan_4_2025"


def test_levers_reach_the_model_and_bad_levers_are_rejected():
    model = FlexiworkModel(rng=1, n_asn=1000, verification_rate=0.45, trust_culture=0.9)
    assert model.p.verification_rate == 0.45
    assert model.pop.leaders.style.mean() > 0.7
    with pytest.raises(ScenarioError, match="verfication_rate.*did you mean 'verification_rate'"):
        FlexiworkModel(rng=1, verfication_rate=0.3)
    with pytest.raises(ScenarioError, match="verification_rate: 1.5"):
        FlexiworkModel(rng=1, verification_rate=1.5)
    with pytest.raises(KeyError, match="no_such_coefficient"):
        FlexiworkModel(rng=1, n_asn=1000, calibration={"no_such_coefficient": 1.0})


def test_scale_factor_follows_n_asn():
    model = FlexiworkModel(rng=1, n_asn=2000, counterfactual=False)
    leaders, staff = len(model.pop.leaders), len(model.pop.staff)
    assert leaders + staff == 2000
    assert model.pop.scale == pytest.approx(5_588_245 / 2000)


def test_mesa_batch_run_works_unchanged():
    results = mesa.batch_run(FlexiworkModel, parameters={"verification_rate": [0.1, 0.4],
                                                         "n_asn": 800},
                             rng=[1, 2], max_steps=10, display_progress=False)
    assert len(results) == 4
    assert {r["verification_rate"] for r in results} == {0.1, 0.4}
    assert all(r["Step"] == 10 for r in results)
    assert all(np.isfinite(r["performance"]) for r in results)


def test_agents_are_mesa_views_over_rows():
    model, _ = run(steps=3)
    person = model.asn(17)
    assert isinstance(person, ASN) and isinstance(person, mesa.Agent)
    assert person.effort == pytest.approx(float(model.pop.staff.effort[17]))
    assert person.job_family in {"frontline", "administrative", "technical", "offsite"}
    assert person.region_name in model.pop.region_names
    person.belief = 0.123  # writing the view writes the column
    assert model.pop.staff.belief[17] == pytest.approx(0.123)
    assert model.asn(17) is person  # cached: one view per row
    boss = model.leader(person.leader)
    assert isinstance(boss, Leader) and 17 in boss.team
    citizen = model.citizen(0)
    assert isinstance(citizen, Citizen) and 0.0 <= citizen.trust <= 1.0
    assert person in model.agents  # registered with mesa like any agent
    with pytest.raises(IndexError):
        model.asn(len(model.pop.staff))


def test_a_summary_before_the_first_week_says_so():
    from flexisim import FlexiworkModel

    model = FlexiworkModel(rng=1, n_asn=600)
    with pytest.raises(ValueError, match=r"no week has run yet \(call step\(\) or run"):
        model.summary()
    model.step()
    assert model.summary()["steps"] == 1
