"""Run validation targets: replications over any executor, one number per run, a table.

Seeds come from ``SeedSequence(target.seed).spawn(replications)``, so a target's runs are
the same whoever runs them, in whatever order; the calibration reuses them (common random
numbers make the objective a smooth function of the coefficients).
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from flexisim.experiment.analysis import mean_ci
from flexisim.experiment.design import replication_seeds
from flexisim.runs import Observe, RunResult, RunSpec, run_all
from flexisim.validation.measures import make_probe
from flexisim.validation.targets import Target

__all__ = ["run_targets", "summarize_results", "target_spec"]


def target_spec(target: Target, replication: int, seed: int, n_asn: int,
                calibration: Mapping[str, float] | None = None) -> RunSpec:
    """The run of one replication of a target: its setting, its reference world and its probe.

    The reference world is the target's ``[contrast]`` world if it has one, else the
    office-only twin; only probes that compare two worlds get one. The setting's own
    coefficients (e.g. "forced" choice) win over the ones being fitted.
    """
    paired = make_probe(target.measure, target.measure_options).PAIRED
    return RunSpec(
        scenario=target.base(n_asn), seed=seed, steps=target.steps,
        calibration={**dict(calibration or {}), **target.setting_calibration},
        counterfactual=paired, reference=target.contrast_scenario(n_asn) if paired else None,
        observers=(Observe("value", partial(make_probe, target.measure,
                                            target.measure_options), start=target.burn_in),),
        timeseries=False,
        key={"id": target.id, "replication": replication, "seed": seed, "n_asn": n_asn})


def _row(result: RunResult) -> dict[str, Any]:
    result.raise_for_status()
    return {**result.spec.key, "value": float(result.observations["value"]),
            "wall_time_s": result.wall_time_s}


def _specs(targets: Iterable[Target], replications: int | None, reduced: bool,
           calibration: Mapping[str, float] | None) -> list[RunSpec]:
    specs = []
    for t in targets:
        n = replications or (t.reduced_replications if reduced else t.replications)
        n_asn = t.reduced_n_asn if reduced else t.n_asn
        specs += [target_spec(t, r, s, n_asn, calibration)
                  for r, s in enumerate(replication_seeds(t.seed, n))]
    return specs


def run_targets(targets: Iterable[Target], *, replications: int | None = None,
                reduced: bool = False, calibration: Mapping[str, float] | None = None,
                executor: cf.Executor | None = None,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every replication of every target; one row per run (id, replication, seed, value).

    Parameters
    ----------
    targets : iterable of Target
    replications : int, optional
        Runs per target (default: each target's ``replications``, or its
        ``reduced_replications`` when ``reduced``).
    reduced : bool
        The test suite's reduced version: fewer replications, ``reduced_n_asn`` staff.
    calibration : mapping, optional
        Coefficient overrides (the calibration procedure's trial values).
    executor : concurrent.futures.Executor, optional
        Where runs execute (default: in this process, one after the other).
    progress : callable(done, total), optional
        Called after each finished run.
    """
    specs = _specs(targets, replications, reduced, calibration)
    rows = run_all(specs, executor, sink=_row, progress=progress)  # a failed run stops here
    df = pd.DataFrame(rows)
    return df.sort_values(["id", "replication"], kind="stable").reset_index(drop=True)


def summarize_results(targets: Iterable[Target], runs: pd.DataFrame,
                      reduced: bool = False) -> pd.DataFrame:
    """One row per target: published value, band, model mean with 95% t-interval, pass.

    A target passes when the model's mean lies inside the band (the band already carries the
    study's uncertainty; the interval shows the model's own Monte-Carlo error).
    """
    rows = []
    for t in targets:
        values = runs.loc[runs["id"] == t.id, "value"].to_numpy(dtype=float)
        n = int(np.isfinite(values).sum())
        mean, ci_low, ci_high = mean_ci(values)
        band = (t.reduced_band or t.band) if reduced else t.band
        rows.append({"id": t.id, "title": t.title, "source": t.source, "role": t.role,
                     "unit": t.unit, "target": t.target, "band_low": band[0],
                     "band_high": band[1], "mean": mean, "ci_low": ci_low,
                     "ci_high": ci_high, "runs": n, "failed_runs": len(values) - n,
                     "pass": t.passes(mean, band),
                     # the weaker criterion of the reduced test: the band is within reach of
                     # the run's own Monte-Carlo error
                     "ci_overlaps_band": bool(np.isfinite(ci_low) and ci_low <= band[1]
                                              and ci_high >= band[0])})
    return pd.DataFrame(rows)


def print_progress(done: int, total: int) -> None:
    """A one-line progress display on stderr (``\\r`` on a terminal, lines otherwise)."""
    if sys.stderr.isatty():
        print(f"\r  runs {done}/{total}", end="" if done < total else "\n", file=sys.stderr,
              flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        print(f"  runs {done}/{total}", file=sys.stderr, flush=True)
