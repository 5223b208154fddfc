"""Batch experiments: runner, store, executors, resume after SIGKILL, failures, folders."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexisim.cli import main
from flexisim.experiment import (
    FolderError,
    SequentialExecutor,
    analyze,
    load_experiment,
    parse_experiment,
    run_experiment,
    store,
    to_ema,
)

REPO = Path(__file__).resolve().parents[1]
QUICK = REPO / "experiments" / "quick.toml"
#: Columns that legitimately differ between executions (timing, which process ran it).
VOLATILE = list(store.VOLATILE)


def quick(**changes: object) -> str:
    """The text of a small grid experiment; `changes` replace top-level lines."""
    lines = {
        "description": '"test"', "scenario": '"permenpan_4_2025"', "steps": "6",
        "replications": "2", "seed": "11",
    }
    lines |= {k: str(v) for k, v in changes.items()}
    head = "\n".join(f"{k} = {v}" for k, v in lines.items())
    return head + """
[design]
kind = "grid"
[parameters]
trust_culture = [0.2, 0.8]
verification_rate = { min = 0.0, max = 0.4, levels = 3 }
[fixed]
n_asn = 800
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def read(folder: Path, dataset: str) -> pd.DataFrame:
    df = pd.read_parquet(folder / dataset)
    keys = ["run_id", "step"] if dataset == "timeseries" else ["run_id"]
    return df.sort_values(keys).reset_index(drop=True)


# --------------------------------------------------------------------------- basics

def test_quick_experiment_file_is_valid_and_small() -> None:
    exp = load_experiment(QUICK)
    assert exp.design == "grid" and exp.replications == 2 and exp.steps == 10
    assert len(exp.parameters) == 2
    from flexisim.experiment.design import build_design

    assert len(build_design(exp)) == 4


@pytest.mark.parametrize("name", ["quick", "risk_map", "four_prerequisites", "sensitivity"])
def test_shipped_experiments_validate(name: str) -> None:
    exp = load_experiment(name)
    from flexisim.experiment.design import count_points

    n = count_points(exp)
    if name == "risk_map":  # the exposure levers too (issue 13)
        assert n >= 75 and exp.replications >= 8
        assert "exposure" in [p.name for p in exp.parameters]
    if name == "four_prerequisites":
        assert n == 32 and exp.replications >= 2
        assert "exposure" in [p.name for p in exp.parameters]
    if name == "sensitivity":
        assert exp.design == "sobol" and len(exp.parameters) >= 8


def test_sweep_writes_three_datasets_and_analysis(tmp_path: Path) -> None:
    exp = parse_experiment(quick(), "t.toml", name="t")
    report = run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r",
                            progress=False)
    assert report.complete and report.done == 12 and report.failed == 0
    runs, summary, ts = (read(tmp_path / "r", d) for d in ("runs", "summary", "timeseries"))
    assert len(runs) == 12 and runs["run_id"].is_unique
    assert set(runs.columns) >= {"run_id", "point_id", "replication", "seed", "trust_culture",
                                 "verification_rate", "status", "error", "wall_time_s",
                                 "package_version", "scenario_hash"}
    assert sorted(runs["verification_rate"].unique()) == [0.0, 0.2, 0.4]
    # common random numbers: replication r has the same seed at every point
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert runs.groupby("point_id")["seed"].nunique().eq(2).all()
    assert len(summary) == 12 and "performance_change_pct" in summary
    assert "trust_worst_change_pp" in summary
    assert len(ts) == 12 * 6 and set(ts["step"]) == set(range(1, 7))
    files = analyze(tmp_path / "r")
    names = {p.name for p in files}
    assert {"points.csv", "risk.csv", "bands.png", "heatmap_performance_risk.png"} <= names
    for png in (p for p in files if p.suffix == ".png"):
        assert png.with_suffix(".csv").is_file(), f"no CSV beside {png.name}"
    risk = pd.read_csv(tmp_path / "r" / "analysis" / "risk.csv")
    assert ((risk["perf_low"] <= risk["perf_p"]) & (risk["perf_p"] <= risk["perf_high"])).all()


def test_independent_seeds_differ_per_run(tmp_path: Path) -> None:
    exp = parse_experiment(quick(seeds='"independent"'), "t.toml", name="t")
    from flexisim.experiment.design import run_seeds

    seeds = run_seeds(exp, 6)
    assert len(np.unique(seeds)) == 12
    assert np.array_equal(seeds, run_seeds(exp, 6))  # a pure function of the definition


# --------------------------------------------------------------------------- executors

def _frames(folder: Path) -> dict[str, pd.DataFrame]:
    return {"runs": read(folder, "runs").drop(columns=VOLATILE),
            "summary": read(folder, "summary"), "timeseries": read(folder, "timeseries")}


@pytest.mark.slow
def test_bit_identical_sequential_process_pool_and_dask(tmp_path: Path) -> None:
    exp = parse_experiment(quick(), "t.toml", name="t")
    run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "seq", progress=False)
    reference = _frames(tmp_path / "seq")
    run_experiment(exp, workers=2, out=tmp_path / "pool", progress=False)
    for name, frame in _frames(tmp_path / "pool").items():
        pd.testing.assert_frame_equal(frame, reference[name], check_exact=True, obj=name)

    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run_experiment(exp, executor=client.get_executor(), out=tmp_path / "dask",
                       progress=False)
    for name, frame in _frames(tmp_path / "dask").items():
        pd.testing.assert_frame_equal(frame, reference[name], check_exact=True, obj=name)


def test_thread_pool_executor_is_accepted(tmp_path: Path) -> None:
    exp = parse_experiment(quick(replications=1), "t.toml", name="t")
    with cf.ThreadPoolExecutor(2) as pool:
        report = run_experiment(exp, executor=pool, out=tmp_path / "t", progress=False)
    assert report.complete and report.done == 6


# --------------------------------------------------------------------------- failures

def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from flexisim.runs import core

    real = core._model

    def flaky(spec, config):  # the model fails at one design point only
        if spec.key["point_id"] == 1:
            raise FloatingPointError("boom at point 1")
        return real(spec, config)

    monkeypatch.setattr(core, "_model", flaky)
    exp = parse_experiment(quick(), "t.toml", name="t")
    report = run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r",
                            progress=False)
    assert report.done == 12 and report.failed == 2 and report.complete
    runs = read(tmp_path / "r", "runs")
    failed = runs[runs["status"] == "failed"]
    assert list(failed["point_id"]) == [1, 1]
    assert failed["error"].str.contains("FloatingPointError: boom at point 1").all()
    assert runs.loc[runs["status"] == "ok", "error"].isna().all()
    assert set(read(tmp_path / "r", "summary")["run_id"]) == set(runs.loc[runs.status == "ok",
                                                                         "run_id"])
    # rerun without the fault: failed runs stay failed unless asked to retry
    monkeypatch.setattr(core, "_model", real)
    again = run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r",
                           progress=False)
    assert again.done == 0 and again.skipped == 12
    retry = run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r",
                           progress=False, retry_failed=True)
    assert retry.done == 2 and retry.failed == 0
    runs = read(tmp_path / "r", "runs")
    assert len(runs) == 12 and (runs["status"] == "ok").all()
    assert len(read(tmp_path / "r", "summary")) == 12


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path: Path) -> None:
    text = quick(steps=6, replications=2).replace(
        "trust_culture = [0.2, 0.8]", "trust_culture = [0.1, 0.3, 0.5, 0.7, 0.9]")
    path = write(tmp_path, text)  # 5 x 3 points x 2 replications = 30 runs
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "flexisim.cli", "sweep", str(path), "--workers", "2",
           "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done_at_kill = 0
    while time.monotonic() < deadline:
        done_at_kill = len(list((out / "runs").glob("part-*.parquet")))
        if done_at_kill >= 4 or proc.poll() is not None:
            break
        time.sleep(0.02)
    # kill the driver, the fork server and every worker at once, as a batch system would
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr \
        else ""
    assert 0 < done_at_kill < 30, "the kill must land mid-sweep"
    # same command again: it finishes what is missing
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    expected = {f"p{p:06d}-r{r:03d}" for p in range(15) for r in range(2)}
    runs = pd.read_parquet(out / "runs")
    assert sorted(runs["run_id"]) == sorted(expected)  # exactly once each
    summary = pd.read_parquet(out / "summary")
    assert sorted(summary["run_id"]) == sorted(expected)
    ts = pd.read_parquet(out / "timeseries")
    assert len(ts) == 30 * 6 and not ts.duplicated(["run_id", "step"]).any()
    assert not list(out.rglob(".tmp-*"))
    # and the results equal an uninterrupted sweep's
    ref = tmp_path / "ref"
    run_experiment(load_experiment(path), executor=SequentialExecutor(), out=ref,
                   progress=False)
    pd.testing.assert_frame_equal(read(out, "summary"), read(ref, "summary"))


# --------------------------------------------------------------------------- folders

def test_folder_of_another_experiment_is_refused(tmp_path: Path, capsys) -> None:
    first = write(tmp_path, quick(), "a.toml")
    out = tmp_path / "r"
    assert main(["sweep", str(first), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    before = sorted(p.name for p in (out / "runs").iterdir())
    changed = write(tmp_path, quick(seed=12), "b.toml")
    capsys.readouterr()
    assert main(["sweep", str(changed), "--workers", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "different experiment definition" in err and "differs in seed: 11 -> 12" in err
    assert sorted(p.name for p in (out / "runs").iterdir()) == before
    with pytest.raises(FolderError):
        run_experiment(load_experiment(changed), out=out, workers=1, progress=False)
    # a folder with other files is refused too
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["sweep", str(first), "--workers", "1", "--out", str(other)]) == 2
    assert "not a flexisim results folder" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_analysis_settings_do_not_change_the_identity(tmp_path: Path) -> None:
    a = parse_experiment(quick(), "t.toml", name="t")
    b = parse_experiment(quick(description='"other words"') +
                         "[analysis]\nperformance_threshold_pct = -1.0\n", "t.toml", name="t")
    assert a.hash == b.hash
    run_experiment(a, executor=SequentialExecutor(), out=tmp_path / "r", progress=False)
    report = run_experiment(b, executor=SequentialExecutor(), out=tmp_path / "r",
                            progress=False)
    assert report.skipped == 12
    stored = json.loads((tmp_path / "r" / "experiment.json").read_text())
    assert stored["analysis"]["performance_threshold_pct"] == -1.0


# --------------------------------------------------------------------------- interop

def test_ema_export(tmp_path: Path) -> None:
    exp = parse_experiment(quick(), "t.toml", name="t")
    run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r", progress=False)
    experiments, outcomes = to_ema(tmp_path / "r", timeseries=["public_trust"])
    assert len(experiments) == 12
    assert {"trust_culture", "verification_rate", "scenario", "policy", "model"} <= set(
        experiments.columns)
    assert outcomes["performance_change_pct"].shape == (12,)
    assert outcomes["public_trust"].shape == (12, 6)
    # only what was varied is an uncertainty: no seed, replication or bookkeeping
    assert set(experiments.columns) == {"trust_culture", "verification_rate", "scenario",
                                        "policy", "model"}
    assert all(experiments[c].dtype == "category" for c in ("scenario", "policy", "model"))
    # an outcome undefined in one run (NaN: EMA's feature scoring raises on it) is left out
    # by default, with a warning; asked for by name, it is there
    part = sorted((tmp_path / "r" / "summary").glob("part-*.parquet"))[3]
    frame = pd.read_parquet(part)
    frame["wellbeing"] = np.nan
    frame.to_parquet(part, index=False)
    with pytest.warns(UserWarning, match=r"left out outcomes undefined \(NaN\) in some runs: "
                                         r"wellbeing \(1 of 12 runs\)"):
        _, outcomes = to_ema(tmp_path / "r")
    assert "wellbeing" not in outcomes and "performance_change_pct" in outcomes
    _, outcomes = to_ema(tmp_path / "r", outcomes=["wellbeing"])
    assert np.isnan(outcomes["wellbeing"]).sum() == 1


def test_ema_workbench_round_trip(tmp_path: Path) -> None:
    """The export through EMA Workbench 3.x itself: PRIM, CART, feature scoring and
    save_results / load_results (the test command installs it: the `ema` extra)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench
        from ema_workbench.analysis import cart, feature_scoring, prim

    assert int(ema_workbench.__version__.split(".")[0]) >= 3
    exp = parse_experiment(quick(), "t.toml", name="t")
    run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r", progress=False)
    experiments, outcomes = to_ema(tmp_path / "r", timeseries=["public_trust"])
    x = experiments.drop(columns=["scenario", "policy", "model"])
    change = outcomes["performance_change_pct"]
    y = change < np.median(change)
    box = prim.Prim(x, y).find_box()
    assert box is not None and set(box.box_lims[-1].columns) <= set(x.columns)
    tree = cart.CART(experiments, y, mass_min=0.2)  # 12 runs: leaves of at least 2
    tree.build_tree()
    assert tree.boxes
    scalars = {k: v for k, v in outcomes.items() if v.ndim == 1}
    scores = feature_scoring.get_feature_scores_all(experiments, scalars)
    assert set(scores.index) == {"trust_culture", "verification_rate"}
    archive = tmp_path / "ema.tar.gz"
    ema_workbench.save_results((experiments, outcomes), str(archive))
    back, back_outcomes = ema_workbench.load_results(str(archive))
    assert len(back) == len(experiments)
    np.testing.assert_array_equal(back_outcomes["public_trust"], outcomes["public_trust"])
    np.testing.assert_array_equal(back_outcomes["performance_change_pct"], change)


def test_mesa_batch_run_still_works() -> None:
    import mesa

    from flexisim import FlexiworkModel

    results = mesa.batch_run(FlexiworkModel, parameters={"verification_rate": [0.1, 0.4],
                                                         "n_asn": 800},
                             rng=[1], max_steps=3, number_processes=1, display_progress=False)
    df = pd.DataFrame(results)
    assert set(df["verification_rate"]) == {0.1, 0.4}
    assert "public_trust" in df.columns


def test_progress_is_plain_lines_off_a_terminal(tmp_path: Path, capsys) -> None:
    exp = parse_experiment(quick(replications=1), "t.toml", name="t")
    run_experiment(exp, executor=SequentialExecutor(), out=tmp_path / "r", progress=True)
    err = capsys.readouterr().err
    assert "sweep t: 6 runs to do" in err and "finished: 6/6 runs (100%), 0 failed" in err
    assert "\r" not in err  # no progress bar escape codes in a log file


def test_cli_sweep_then_analyze(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, quick(replications=1))
    out = tmp_path / "r"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 0
    assert "next: flexisim analyze" in capsys.readouterr().err
    assert main(["analyze", str(out), "--performance-threshold", "-1"]) == 0
    text = capsys.readouterr().out
    assert "P(performance_change_pct < -1)" in text
    assert (out / "analysis" / "heatmap_trust_risk.png").is_file()


@pytest.mark.slow
def test_cli_dask_local_cluster(tmp_path: Path, capsys) -> None:
    pytest.importorskip("distributed")
    path = write(tmp_path, quick(replications=1))
    assert main(["sweep", str(path), "--dask", "local:2", "--out", str(tmp_path / "d")]) == 0
    assert "Dask (local:2, 2 worker threads)" in capsys.readouterr().err
    run_experiment(load_experiment(path), executor=SequentialExecutor(), out=tmp_path / "s",
                   progress=False)
    pd.testing.assert_frame_equal(read(tmp_path / "d", "summary"),
                                  read(tmp_path / "s", "summary"), check_exact=True)


def test_uncommitted_parts_are_replaced_not_duplicated(tmp_path: Path) -> None:
    """The state a kill can leave: parts without their runs record, and temporary files."""
    exp = parse_experiment(quick(replications=1), "t.toml", name="t")
    out = tmp_path / "r"
    run_experiment(exp, executor=SequentialExecutor(), out=out, progress=False)
    victim = "p000002-r000"
    (out / "runs" / f"part-{victim}.parquet").unlink()          # killed before its commit
    (out / "summary" / ".tmp-p000003-r000-dead.parquet").write_bytes(b"half a file")
    report = run_experiment(exp, executor=SequentialExecutor(), out=out, progress=False)
    assert report.done == 1 and report.skipped == 5
    for dataset in ("runs", "summary"):
        ids = pd.read_parquet(out / dataset)["run_id"]
        assert ids.is_unique and len(ids) == 6
    assert not list(out.rglob(".tmp-*"))


# ------------------------------------------------------------ intervals of bounded outcomes
def test_a_share_s_interval_is_cut_at_zero_and_an_effect_s_is_not():
    """Over a few replications a t-interval of a share near 0 would reach below 0 (the
    shirking rate of a quiet point: 0, 0, 0.003); cut at the outcome's range it does not,
    while an effect against the twin keeps its negative side."""
    from flexisim.experiment.analysis import mean_ci, outcome_bounds

    values = np.array([0.0, 0.0, 0.003])
    mean, low, high = mean_ci(values)
    assert low < 0.0
    assert mean_ci(values, bounds=outcome_bounds("shirking_rate")) == (mean, 0.0, high)
    assert outcome_bounds("shirking_rate") == (0.0, 1.0)
    assert outcome_bounds("public_trust_end") == (0.0, 100.0)
    assert outcome_bounds("attrition_rate_annual") == (0.0, np.inf)  # a rate: 0 upwards
    for effect in ("performance_change_pct", "trust_effect_pp", "regional_trust_gap"):
        assert outcome_bounds(effect) == (-np.inf, np.inf)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12))
def test_a_bounded_interval_holds_its_mean_and_stays_in_range(shares):
    from flexisim.experiment.analysis import mean_ci

    mean, low, high = mean_ci(np.array(shares), bounds=(0.0, 1.0))
    assert 0.0 <= low <= mean + 1e-12 and mean - 1e-12 <= high <= 1.0


def test_sweep_figures_title_their_panels_in_words():
    """Not 'performance change pct': an outcome's label and unit."""
    from flexisim.experiment.analysis import effects_figure, outcome_label

    table = pd.DataFrame({"outcome": ["performance_change_pct", "trust_change_pp"],
                          "term": ["trust_culture"] * 2, "effect": [-0.9, 0.1],
                          "ci_low": [-1.0, -1.0], "ci_high": [-0.8, 1.2]})
    titles = [ax.get_title() for ax in effects_figure(table).axes]
    assert titles == ["performance vs office-only twin (%)",
                      "public trust in the last week minus at the start (points)"]
    assert outcome_label("wellbeing") == "mean well-being of active staff (index)"
    assert outcome_label("no_such_outcome") == "no such outcome"
