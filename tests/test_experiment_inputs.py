"""Every bad experiment-file input: exit 2, one line per problem, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from flexisim.cli import main

GOOD = """description = "ok"
scenario = "permenpan_4_2025"
steps = 5
replications = 2
seed = 3
[design]
kind = "grid"
[parameters]
trust_culture = [0.2, 0.8]
verification_rate = { min = 0.0, max = 0.4 }
[fixed]
n_asn = 800
"""

VR = "verification_rate = { min = 0.0, max = 0.4 }"  # the last parameter line

# (name, replace this, with this, expected text in the message)
CASES = [
    ("huge grid levels", VR, "verification_rate = { min = 0.0, max = 0.4, levels = 1000000000 }",
     "expected an integer from 2 to 1000"),
    ("deep nesting", VR, "verification_rate = " + "[" * 500 + "]" * 500,
     "nested more than 32 levels"),
    ("unknown coefficient", VR, VR + "\ncalibration.grant_signall = [0.0, 0.1]",
     "calibration.grant_signall: [0.0, 0.1]: unknown coefficient (did you mean 'grant_signal'?)"),
    ("negative coefficient", VR, VR + "\ncalibration.grant_signal = { min = -1.0, max = 0.1 }",
     "below the minimum"),
    ("toml syntax", "seed = 3", "seed = ", "invalid TOML"),
    ("unknown top field", "seed = 3", "seed = 3\nrepetitions = 4",
     "repetitions: 4: unknown field (did you mean 'replications'?)"),
    ("missing scenario", 'scenario = "permenpan_4_2025"\n', "", "scenario: \"\": missing"),
    ("unknown scenario", '"permenpan_4_2025"', '"no_such_scenario"', "file not found"),
    ("missing seed", "seed = 3\n", "", "seed: \"\": missing"),
    ("negative seed", "seed = 3", "seed = -1", "seed: -1: below the minimum"),
    ("zero replications", "replications = 2", "replications = 0",
     "replications: 0: below the minimum"),
    ("steps as text", "steps = 5", 'steps = "five"', 'steps: "five": expected an integer'),
    ("bad seeds mode", "seed = 3", 'seed = 3\nseeds = "shared"', "seeds: \"shared\": not one"),
    ("unknown design", 'kind = "grid"', 'kind = "latin"', 'design.kind: "latin": not one'),
    ("grid with size", 'kind = "grid"', 'kind = "grid"\nsize = 8', "a grid has no size"),
    ("lhs without size", 'kind = "grid"', 'kind = "lhs"', "a lhs design needs a size"),
    ("sobol size not power of 2", 'kind = "grid"', 'kind = "sobol"\nsize = 10',
     "not a power of 2"),
    ("morris odd levels", 'kind = "grid"', 'kind = "morris"\nsize = 4\nlevels = 3',
     "even number of levels"),
    ("unknown lever", "trust_culture = [0.2, 0.8]", "trust_cultur = [0.2, 0.8]",
     "parameters.trust_cultur: [0.2, 0.8]: unknown lever (did you mean 'trust_culture'?)"),
    ("value out of range", "[0.2, 0.8]", "[0.2, 1.8]",
     "parameters.trust_culture: 1.8: above the maximum (allowed: a number from 0.0 to 1.0)"),
    ("wrong value type", "[0.2, 0.8]", '[0.2, "high"]', "expected a number, got a string"),
    ("duplicate value", "[0.2, 0.8]", "[0.2, 0.2]", "appears more than once"),
    ("empty list", "[0.2, 0.8]", "[]", "empty list"),
    ("range min above max", "{ min = 0.0, max = 0.4 }", "{ min = 0.4, max = 0.1 }",
     "min must be below max"),
    ("range missing max", "{ min = 0.0, max = 0.4 }", "{ min = 0.0 }",
     "parameters.verification_rate.max"),
    ("range of a text lever", "verification_rate = { min = 0.0, max = 0.4 }",
     'communication_policy = { min = 0, max = 1 }', "a range needs a numeric lever"),
    ("range unknown key", "{ min = 0.0, max = 0.4 }", "{ min = 0.0, max = 0.4, step = 0.1 }",
     "parameters.verification_rate.step: 0.1: unknown field"),
    ("varying the seed", "trust_culture = [0.2, 0.8]", "seed = [1, 2]",
     "parameters.seed: [1, 2]: 'seed' is set by the experiment itself"),
    ("fixed and varied", "n_asn = 800", "n_asn = 800\ntrust_culture = 0.5",
     "parameters.trust_culture: [0.2, 0.8]: also set in [fixed]"),
    ("bad fixed value", "n_asn = 800", "n_asn = 10",
     "fixed.n_asn: 10: below the minimum (allowed: an integer from 600 to 6000000)"),
    ("unknown fixed lever", "n_asn = 800", "n_asn = 800\nverification = 0.2",
     "fixed.verification: 0.2: unknown lever"),
    ("steps in fixed", "n_asn = 800", "n_asn = 800\nsteps = 10",
     "fixed.steps: 10: set 'steps' at the top of the file"),
    ("no parameters", "trust_culture = [0.2, 0.8]\nverification_rate = { min = 0.0, max = 0.4 }",
     "", "parameters: \"\": missing"),
    ("factor with unknown lever", VR, VR + "\n[parameters.infra]\nlow = { device_acces = 0.5 }\n"
     "high = { device_access = 0.9 }", "parameters.infra.low.device_acces: 0.5: unknown lever"),
    ("factor levels differ", VR, VR + "\n[parameters.infra]\nlow = { device_access = 0.5 }\n"
     "high = { internet_quality = 0.9 }", "every level must set the same levers"),
    ("factor bad value", VR, VR + "\n[parameters.infra]\nlow = { device_access = 5.0 }\n"
     "high = { device_access = 0.9 }", "parameters.infra.low.device_access: 5.0: above"),
    ("lever varied twice", VR, VR + "\n[parameters.infra]\nlow = { verification_rate = 0.1 }\n"
     "high = { verification_rate = 0.3 }", "lever already varied"),
    ("unknown analysis field", "n_asn = 800",
     "n_asn = 800\n[analysis]\nperformance_threshold = -2.0",
     "analysis.performance_threshold: -2.0: unknown field (did you mean"),
    ("negative trust drop", "n_asn = 800", "n_asn = 800\n[analysis]\ntrust_drop_pp = -3",
     "analysis.trust_drop_pp: -3: must be positive"),
    ("unknown outcome", "n_asn = 800", 'n_asn = 800\n[analysis]\noutcomes = ["performance"]',
     'analysis.outcomes: "performance": unknown outcome'),
    ("heatmap axis not a parameter", "n_asn = 800",
     'n_asn = 800\n[analysis]\nheatmap_x = "regional_gap"', "not a parameter of this experiment"),
    ("design not a table", '[design]\nkind = "grid"\n', 'design = "grid"\n',
     'design: "grid": expected a table'),
]


@pytest.mark.parametrize(("name", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_experiment_file(tmp_path: Path, capsys, name: str, old: str, new: str,
                             expected: str) -> None:
    assert old in GOOD, name
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert all(line.startswith(str(path)) for line in err.splitlines()), err
    assert not out.exists()  # nothing written


def test_good_file_passes(tmp_path: Path) -> None:
    from flexisim.experiment import parse_experiment

    exp = parse_experiment(GOOD, "good.toml")
    assert exp.parameter_names == ["trust_culture", "verification_rate"]


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("seed = 3", "seed = -1").replace("[0.2, 0.8]", "[0.2, 1.8]"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 2


@pytest.mark.parametrize(("args", "expected"), [
    (["sweep", "no_such_experiment"], "no_such_experiment: file not found (available"),
    (["sweep", "risk_mpa"], "risk_mpa: file not found (did you mean 'risk_map'?) (available"),
    (["sweep", "quick", "--workers", "0"], "--workers: 0: must be at least 1"),
    (["sweep", "quick", "--dask", "locale"], "--dask: locale: unknown cluster"),
    (["sweep", "quick", "--dask", "local:x"], "--dask: local:x: not a worker count"),
    (["sweep", "quick", "--workers", "2", "--dask", "local"], "not allowed with argument"),
    (["analyze", "/nonexistent/folder"], "not a flexisim results folder"),
])
def test_bad_command_line(tmp_path: Path, capsys, args: list[str], expected: str) -> None:
    assert main([*args, *(["--out", str(tmp_path / "o")] if args[0] == "sweep" else [])]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_coefficient_can_vary_and_reaches_the_runs(tmp_path: Path) -> None:
    """`calibration.<name>` in [parameters] varies a behavioural coefficient (the sensitivity
    analysis of assumed coefficients): each run gets it as a calibration override."""
    import pandas as pd

    from flexisim import FlexiworkModel
    from flexisim.experiment import parse_experiment
    from flexisim.experiment.runner import run_experiment

    text = GOOD.replace(VR, "calibration.grant_signal = [0.0, 0.085]").replace(
        "trust_culture = [0.2, 0.8]", "trust_culture = [0.8]").replace(
        "n_asn = 800", "n_asn = 800\nwarmup_weeks = 4")
    exp = parse_experiment(text, "coef.toml")
    assert exp.parameter_names == ["trust_culture", "calibration.grant_signal"]
    path = tmp_path / "coef.toml"
    path.write_text(text)
    run_experiment(path, out=tmp_path / "res", workers=1, progress=False)
    runs = pd.read_parquet(tmp_path / "res" / "runs").set_index("run_id")
    summary = pd.read_parquet(tmp_path / "res" / "summary").set_index("run_id")
    on = runs.index[runs["calibration.grant_signal"] == 0.085][0]
    model = FlexiworkModel(rng=int(runs.loc[on, "seed"]), n_asn=800, warmup_weeks=4,
                           trust_culture=0.8, calibration={"grant_signal": 0.085})
    model.run(5)
    assert summary.loc[on, "performance_change_pct"] == model.summary()["performance_change_pct"]
    off = runs.index[(runs["calibration.grant_signal"] == 0.0)
                     & (runs["replication"] == runs.loc[on, "replication"])][0]
    assert summary.loc[off, "performance_change_pct"] != summary.loc[on, "performance_change_pct"]


def test_grid_size_is_counted_without_building_the_grid() -> None:
    """count_points must not build a grid (a huge `levels` was a MemoryError before the
    run-count guard); for int ranges it equals the grid's own length."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from flexisim.experiment.definition import Parameter

    @settings(max_examples=200, deadline=None)
    @given(st.integers(0, 50), st.integers(1, 60), st.integers(2, 120))
    def check(low, span, levels):
        p = Parameter(name="x", kind="range", lever_type="int", low=low, high=low + span,
                      levels=levels)
        assert p.grid_size(3) == len(p.grid(3))

    check()
