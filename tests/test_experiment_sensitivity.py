"""SALib wiring checked on functions with known indices before it is trusted on the model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flexisim.experiment import parse_experiment
from flexisim.experiment.analysis import Results, sensitivity_indices
from flexisim.experiment.design import build_design

# Three float levers stand in for Ishigami's x1..x3: each [0, 1] range maps to [-pi, pi].
SOBOL = """scenario = "permenpan_4_2025"
seed = 7
[design]
kind = "{kind}"
size = {size}
[parameters]
trust_culture = {{ min = 0.0, max = 1.0 }}
verification_rate = {{ min = 0.0, max = 1.0 }}
measurement_credibility = {{ min = 0.0, max = 1.0 }}
"""


def ishigami(u: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -math.pi + 2 * math.pi * u
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def fake_results(kind: str, size: int, f) -> Results:
    """Results of an 'experiment' whose model is `f` of the design coordinates."""
    exp = parse_experiment(SOBOL.format(kind=kind, size=size), "ishigami.toml", name="ish")
    design = build_design(exp)
    y = f(design.coords)
    points = design.table(exp)
    data = points[["point_id", *exp.parameter_names]].assign(
        run_id=[f"p{i:06d}-r000" for i in range(len(points))], replication=0,
        status="ok", outcome=y)
    identity = {"name": "ish", "hash": exp.hash, "spec": exp.spec(), "analysis": exp.analysis}
    # as stored in experiment.json: sorted keys, so the order of the parameters is lost there
    # (these names are not in alphabetical order, which would hide a mix-up)
    identity = json.loads(json.dumps(identity, sort_keys=True))
    return Results(folder=Path("."), identity=identity, runs=data, data=data, points=points)


def test_sobol_indices_of_ishigami_match_the_known_values() -> None:
    results = fake_results("sobol", 4096, ishigami)
    table = sensitivity_indices(results, "outcome", bootstrap=200).set_index("parameter")
    # analytic values for a = 7, b = 0.1
    s1 = {"trust_culture": 0.3139, "verification_rate": 0.4424, "measurement_credibility": 0.0}
    st = {"trust_culture": 0.5576, "verification_rate": 0.4424, "measurement_credibility": 0.2437}
    for name in s1:
        assert table.loc[name, "S1"] == pytest.approx(s1[name], abs=0.03)
        assert table.loc[name, "ST"] == pytest.approx(st[name], abs=0.03)
        assert table.loc[name, "ST_low"] <= table.loc[name, "ST"] <= table.loc[name, "ST_high"]


def test_morris_ranks_a_linear_function_by_its_slopes() -> None:
    def linear(x: np.ndarray) -> np.ndarray:
        return 3.0 * x[:, 0] + 1.0 * x[:, 1] + 0.0 * x[:, 2]

    table = sensitivity_indices(fake_results("morris", 20, linear), "outcome",
                                bootstrap=100).set_index("parameter")
    assert table.loc["trust_culture", "mu_star"] == pytest.approx(3.0, rel=1e-6)
    assert table.loc["verification_rate", "mu_star"] == pytest.approx(1.0, rel=1e-6)
    assert table.loc["measurement_credibility", "mu_star"] == pytest.approx(0.0, abs=1e-9)


def test_lhs_design_is_a_latin_hypercube() -> None:
    exp = parse_experiment(SOBOL.format(kind="lhs", size=10), "l.toml", name="l")
    coords = build_design(exp).coords
    for j in range(coords.shape[1]):  # one point in each tenth of every axis
        assert sorted(np.floor(coords[:, j] * 10).astype(int)) == list(range(10))


def test_discrete_parameters_take_every_value_in_continuous_designs() -> None:
    text = SOBOL.format(kind="lhs", size=30).replace(
        "measurement_credibility = { min = 0.0, max = 1.0 }",
        'communication_policy = ["silent", "reactive", "proactive"]\n'
        "max_flex_days = { min = 0, max = 5 }")
    exp = parse_experiment(text, "d.toml", name="d")
    design = build_design(exp)
    df = pd.DataFrame(design.values)
    assert df["communication_policy"].value_counts().to_dict() == {
        "silent": 10, "reactive": 10, "proactive": 10}
    assert set(df["max_flex_days"]) == set(range(6))


def test_factorial_effects_recover_known_effects() -> None:
    from flexisim.experiment.analysis import factorial_effects

    text = """scenario = "permenpan_4_2025"
seed = 1
replications = 3
[parameters]
trust_culture = [0.2, 0.8]
verification_rate = [0.1, 0.3]
"""
    exp = parse_experiment(text, "f.toml", name="f")
    design = build_design(exp)
    points = design.table(exp)
    rng = np.random.default_rng(0)
    rows = []
    for rep in range(3):
        for _, p in points.iterrows():
            a = 1 if p["trust_culture"] == 0.8 else -1
            b = 1 if p["verification_rate"] == 0.3 else -1
            rows.append({"point_id": p["point_id"], "replication": rep,
                         "run_id": f"p{int(p['point_id']):06d}-r{rep:03d}", "status": "ok",
                         "trust_culture": p["trust_culture"],
                         "verification_rate": p["verification_rate"],
                         "y": 5 + 2 * a - 1 * b + 0.5 * a * b + rng.normal(0, 0.01)})
    data = pd.DataFrame(rows)
    identity = {"name": "f", "hash": exp.hash, "spec": exp.spec(), "analysis": exp.analysis}
    res = Results(folder=Path("."), identity=identity, runs=data, data=data, points=points)
    table = factorial_effects(res, "y").set_index("term")
    # effect = high minus low = 2 x coefficient
    assert table.loc["trust_culture", "effect"] == pytest.approx(4.0, abs=0.05)
    assert table.loc["verification_rate", "effect"] == pytest.approx(-2.0, abs=0.05)
    assert table.loc["trust_culture x verification_rate", "effect"] == pytest.approx(1.0,
                                                                                     abs=0.05)
