"""The channel decomposition (flexisim.explain, `flexisim explain`).

The channels are complete: with every gate off the policy world is its twin, bit for bit,
while people take flexible days. The Shapley values add up to the run's own effect; a
channel whose mechanism is removed gets exactly nothing; with two channels the estimate
is the exact Shapley value.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim.channels import CHANNELS, PATHS
from flexisim.errors import UsageError
from flexisim.explain import OUTCOMES, explain

SMALL = {"n_asn": 1500, "warmup_weeks": 26}
#: every entry channel off (the path channels need the twin's values: tested through explain)
OFF = {c: 0.0 for c in CHANNELS if c not in PATHS}


@pytest.mark.parametrize("scenario", ["permenpan_4_2025", "trust_but_verify",
                                      "digital_divide", "control_heavy",
                                      "shifts_and_dynamic_hours"])
def test_with_every_channel_off_the_policy_world_is_its_twin(scenario):
    model = FlexiworkModel(scenario=scenario, rng=2, channels=OFF, **SMALL)
    ts = model.run(30)
    assert ts["mean_flex_days"].mean() > 0.1  # flexible days are taken ...
    for policy, twin in (("performance", "performance_counterfactual"),
                         ("public_trust", "public_trust_counterfactual")):
        # ... to no effect
        np.testing.assert_array_equal(ts[policy].to_numpy(), ts[twin].to_numpy())


#: channels that act on the flexiwork state itself (who takes how many days): alone they
#: change the days but, with every channel through which days matter off, no outcome
STATE_CHANNELS = {"selection", "revocation"}


def test_each_channel_alone_makes_a_difference_somewhere():
    # a gate that reaches nothing would be a channel in name only
    # with time flexibility, so that its channels have something to gate (shifts 4 hours off
    # the core, enough to overshoot the after-hours demand and thin the core, ODD 7.10)
    small = SMALL | {"time_flexibility": 0.6, "calibration": {"off_core_hours": 4.0}}
    base = FlexiworkModel(scenario="trust_but_verify", rng=2, channels=OFF, **small).run(26)
    for channel in CHANNELS:
        if channel == "signalling" or channel in PATHS:
            continue  # signalling is off by default (tested below); paths act only through
            # the other channels (tested below)
        on = OFF | {channel: 1.0}
        ts = FlexiworkModel(scenario="trust_but_verify", rng=2, channels=on, **small).run(26)
        outcomes = ["flex_uptake"] if channel in STATE_CHANNELS else ["performance",
                                                                      "public_trust"]
        moved = any(not np.array_equal(ts[k], base[k]) for k in outcomes)
        assert moved, channel


@pytest.fixture(scope="module")
def decomposition():
    return explain("trust_but_verify", steps=26, replications=2, orders=4, seed=5, **_kw())


def _kw():
    return {"n_asn": SMALL["n_asn"], "levers": {"warmup_weeks": SMALL["warmup_weeks"]}}


def test_the_channels_add_up_to_the_total(decomposition):
    for o in OUTCOMES:
        np.testing.assert_allclose(decomposition.totals[f"{o}_sum"],
                                   decomposition.totals[f"{o}_total"], atol=1e-9)
    table = decomposition.table()
    channels = table[table["channel"] != "total"]
    total = table[table["channel"] == "total"].iloc[0]
    for o in OUTCOMES:
        assert abs(channels[o].sum() - total[o]) < 1e-9


def test_the_total_is_the_runs_own_effect(decomposition):
    for r, seed in enumerate(decomposition.seeds):
        model = FlexiworkModel(scenario="trust_but_verify", rng=seed, **SMALL)
        model.run(26)
        summary = model.summary()
        totals = decomposition.totals.iloc[r]
        for o in OUTCOMES:
            assert totals[f"{o}_total"] == pytest.approx(summary[o], rel=1e-12, abs=1e-12)


def test_a_removed_mechanism_gets_no_share():
    kw = _kw()
    d = explain("trust_but_verify", steps=20, orders=2, seed=3,
                calibration={"coordination_loss": 0.0, "temptation_remote": 0.0}, **kw)
    values = d.values.set_index("channel")
    for channel in ("coordination", "temptation", "signalling"):
        for o in OUTCOMES:
            assert values.loc[channel, o] == 0.0, (channel, o)
    assert values.loc["remote_productivity", "performance_change_pct"] != 0.0


def test_the_grant_signal_has_its_own_line():
    d = explain("trust_but_verify", steps=20, orders=2, seed=3,
                calibration={"grant_signal": 0.085}, **_kw())
    values = d.values.set_index("channel")
    assert values.loc["signalling", "performance_change_pct"] > 0.3


def test_two_channels_give_the_exact_shapley_values():
    kw = _kw()
    pair = ("remote_productivity", "coordination")
    d = explain("trust_but_verify", steps=20, orders=2, seed=4, channels=pair, **kw)

    def v(on):
        gates = OFF | dict.fromkeys(on, 1.0)
        m = FlexiworkModel(scenario="trust_but_verify", rng=4, channels=gates, **SMALL)
        m.run(20)
        return m.summary()["performance_change_pct"]

    a, b, ab = v([pair[0]]), v([pair[1]]), v(pair)
    exact = {pair[0]: 0.5 * (a + (ab - b)), pair[1]: 0.5 * (b + (ab - a))}
    values = d.values.set_index("channel")["performance_change_pct"]
    for c in pair:
        assert values[c] == pytest.approx(exact[c], rel=1e-9, abs=1e-12)


def test_bad_requests_are_refused_with_the_reason():
    with pytest.raises(UsageError, match="unknown channel"):
        explain("trust_but_verify", channels=["nope"], steps=2, **_kw())
    with pytest.raises(UsageError, match="even number"):
        explain("trust_but_verify", orders=3, steps=2, **_kw())
    with pytest.raises(UsageError, match="replications"):
        explain("trust_but_verify", replications=0, steps=2, **_kw())
    with pytest.raises(UsageError, match="flexiwork is off"):
        explain("office_only", steps=2, **_kw())


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "flexisim.cli", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def test_cli_explain_writes_table_figure_and_provenance(tmp_path):
    out = tmp_path / "why"
    proc = _cli("explain", "trust_but_verify", "--asn", "1200", "--steps", "12",
                "--set", "warmup_weeks=13", "--set", "trust_culture=0.6", "--out", str(out),
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Temptation at home" in proc.stdout and "Total" in proc.stdout
    for name in ("channels.csv", "replications.csv", "totals.csv", "waterfall.png",
                 "provenance.json", "scenario.toml"):
        assert (out / name).stat().st_size > 0, name
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["warmup_weeks"] == 13 and provenance["n_asn"] == 1200
    from test_cli import assert_provenance

    assert_provenance(provenance)
    assert "trust_culture = 0.6" in (out / "scenario.toml").read_text()


def test_cli_explain_bad_input_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "why"
    for args, message in ((["--channels", "coordination,nope"], "unknown channel"),
                          (["--set", "trust_culture=7"], "trust_culture"),
                          (["--set", "nonsense"], "expected LEVER=VALUE"),
                          (["--orders", "5"], "even number"),
                          (["--experiment", "quick"], "go together")):
        proc = _cli("explain", "trust_but_verify", "--asn", "1000", "--steps", "2",
                    "--out", str(out), *args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert not out.exists()
    proc = _cli("explain", "--channels", "list", cwd=tmp_path)
    assert proc.returncode == 0 and all(c in proc.stdout for c in CHANNELS)


def test_a_design_point_of_a_sweep_is_explained_with_its_own_runs(tmp_path):
    from flexisim.experiment.runner import run_experiment
    from flexisim.explain import explain_point

    exp = tmp_path / "tiny.toml"
    exp.write_text('''description = "two points"
scenario = "trust_but_verify"
steps = 8
replications = 2
seed = 3
[design]
kind = "grid"
[parameters]
trust_culture = [0.2, 0.8]
[fixed]
n_asn = 1000
warmup_weeks = 13
''')
    run_experiment(exp, out=tmp_path / "res", workers=1, progress=False)
    import pandas as pd

    summary = pd.read_parquet(tmp_path / "res" / "summary").sort_values("run_id")
    d = explain_point(exp, 1, orders=2)
    recorded = summary[summary["point_id"] == 1]["performance_change_pct"].to_numpy()
    np.testing.assert_allclose(d.totals["performance_change_pct_total"], recorded, rtol=1e-12)
    assert d.scenario.values["trust_culture"] == 0.8
    # the point is named with its levers, also in the scenario.toml the command writes
    assert d.provenance()["design_point"] == "tiny point 1 (trust_culture = 0.8)"
    assert d.scenario.description.startswith("tiny point 1 (trust_culture = 0.8), on "
                                             "trust_but_verify: ")
    from flexisim.scenario import parse_scenario_text

    again = parse_scenario_text(d.scenario.to_toml())  # the written file reads back
    assert (again.description, again.hash) == (d.scenario.description, d.scenario.hash)
    with pytest.raises(UsageError, match="point 9 does not exist"):
        explain_point(exp, 9)


def test_path_channels_off_only_through_the_decomposition():
    with pytest.raises(ValueError, match="need the twin's weekly values"):
        FlexiworkModel(scenario="trust_but_verify", rng=1, channels={"scandals": 0.0}, **SMALL)
    # in the decomposition's runs, every channel off (paths included) is the twin
    from flexisim.explain import _Replication
    from flexisim.mechanisms.registry import STEP
    from flexisim.scenario import load_scenario

    config = load_scenario("trust_but_verify", SMALL)
    rep = _Replication(config, 3, 20, {}, STEP)
    off = rep.run(rep.world(frozenset()))
    for k in ("performance", "public_trust"):
        np.testing.assert_array_equal(off[k], rep.twin[k])


def test_a_path_that_carries_nothing_gets_nothing():
    no_reach = {f"comm_reach_{p}": 0.0 for p in ("silent", "reactive", "proactive")}
    # no route by which misconduct becomes public, no image of it
    no_reach |= {"observation_publicity": 0.0, "press_scrutiny": 0.0, "perception_news": 0.0,
                 "perception_absence": 0.0}
    d = explain("trust_but_verify", steps=20, orders=2, seed=3, calibration=no_reach,
                n_asn=SMALL["n_asn"], levers={"warmup_weeks": SMALL["warmup_weeks"],
                                              "media_scrutiny": 0.0})
    values = d.values.set_index("channel")
    for o in OUTCOMES:
        assert values.loc["communication", o] == 0.0
        assert values.loc["scandals", o] == 0.0
        assert values.loc["perception", o] == 0.0
    d = explain("trust_but_verify", steps=20, orders=2, seed=3, n_asn=SMALL["n_asn"],
                levers={"warmup_weeks": SMALL["warmup_weeks"]})
    values = d.values.set_index("channel")
    assert values.loc["communication", "trust_effect_pp"] != 0.0  # proactive reporting
