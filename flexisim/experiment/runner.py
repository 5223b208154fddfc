"""Run an experiment over any :class:`concurrent.futures.Executor`.

One task per (design point, replication). A task builds the model, runs it, and writes
the run's part files into the results folder itself (see :mod:`flexisim.experiment.store`);
it returns only a small record (id, status, wall time) to the driver, so the driver's
memory does not grow with the size of the results. The driver keeps a bounded number of
tasks in flight, so it does not hold a future per run either.

Executors
---------
* ``executor=None``: a :class:`~concurrent.futures.ProcessPoolExecutor` with ``workers``
  processes (default: every core), or the in-process :class:`SequentialExecutor` when
  ``workers == 1``;
* any executor you pass: a thread pool, a process pool, or a Dask ``distributed`` client's
  ``client.get_executor()`` (a ``LocalCluster`` or a cluster started by ``dask-jobqueue``).
  Workers must see the results folder (a shared file system on a cluster).

The same experiment gives bit-identical results on every executor: each run's seed is
fixed by the definition, not by which worker runs it or when.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from flexisim.display import in_jupyter_kernel
from flexisim.errors import FolderError
from flexisim.experiment.analysis import known_outcomes
from flexisim.experiment.claims import STALE_S, Claims, DriverLock, claim_token
from flexisim.experiment.compact import compact, is_compacted
from flexisim.experiment.definition import Experiment, load_experiment, split_calibration
from flexisim.experiment.design import Design, build_design, run_seeds
from flexisim.experiment.store import (
    RUN_TAIL,
    ResultStore,
    StoreWriteError,
    run_id,
    runs_schema,
    write_part,
)
from flexisim.outputs import check_location
from flexisim.runs import (
    Done,
    RunResult,
    RunSpec,
    SequentialExecutor,
    WorkerCrashed,
    default_executor,
    map_runs,
)

__all__ = ["StoreSink", "SweepReport", "commit_record", "in_shard", "points_hash",
           "run_experiment", "summary_columns"]

#: Keys of ``model.summary()`` that are provenance, kept in ``runs`` rather than ``summary``.
_PROVENANCE = ("scenario", "scenario_hash", "package_version", "seed", "steps")


@dataclass
class SweepReport:
    """What a call of :func:`run_experiment` did.

    Attributes
    ----------
    out : Path
        The results folder.
    total : int
        Runs in the experiment.
    skipped : int
        Runs already finished before this call (resume), or by another driver meanwhile.
    done, failed : int
        Runs finished by this call, and how many of those failed (a run whose worker
        process died counts as failed, with the cause).
    lost : int
        Tasks whose worker raised outside the run: not recorded, the next call re-runs them.
    busy : int
        Runs another live driver was running (claimed): not done by this call.
    shard : tuple of int
        ``(k, n)``: this call ran shard k of n (``total`` counts that shard's runs).
    wall_time_s : float
        Duration of the call.
    """

    out: Path
    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    lost: int = 0
    busy: int = 0
    shard: tuple[int, int] = (1, 1)
    wall_time_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every run of the experiment is recorded."""
        return self.skipped + self.done == self.total

    def _repr_html_(self) -> str:
        """How a notebook shows the report (:func:`flexisim.display.report_html`)."""
        from flexisim.display import report_html

        return report_html(self)


# --------------------------------------------------------------------------- worker side

@dataclass(frozen=True)
class StoreSink:
    """Writes a finished run into the results folder, in the worker; returns a small record.

    The run's ``spec.key`` carries its identity (``run_id``, ``point_id``, ``replication``,
    ``parameters``). A failure of the model is recorded in the run's ``runs`` row with its
    error text and status ``"failed"``; the ``runs`` part is written last: it is the run's
    commit record (see :mod:`flexisim.experiment.store`).
    """

    out: str
    schema: pa.Schema
    #: the driver's lock token: what the worker deletes after a failed write, it deletes only
    #: while the run's claim is still its driver's (another may have taken it over)
    token: str = ""

    def __call__(self, result: RunResult) -> dict[str, Any]:
        out, key = Path(self.out), result.spec.key
        status, error = result.status, result.error
        try:
            if result.ok:
                try:
                    summary = result.summary
                    write_part(out, "timeseries", key["run_id"],
                               _timeseries_table(key, result.timeseries))
                    write_part(out, "summary", key["run_id"], _summary_table(key, summary))
                except OSError:
                    raise  # the folder, not the run: below
                except Exception as exc:  # noqa: BLE001 - recorded, and the sweep goes on
                    from flexisim.runs.core import _error_text

                    status, error = "failed", _error_text(exc)
            kept = commit_record(out, self.schema, result.spec, status, error, result)
        except OSError as exc:  # a full disk is not the run's failure: record nothing
            if claim_token(out, key["run_id"]) == self.token:
                ResultStore(out).discard_uncommitted(key["run_id"])
            raise StoreWriteError.from_os_error(out, key["run_id"], exc) from None
        return {"run_id": key["run_id"], "status": status, "error": error,
                "wall_time_s": result.wall_time_s, "kept_earlier": kept}


def commit_record(out: Path, schema: pa.Schema, spec: RunSpec, status: str,
                  error: str | None, result: RunResult | None = None) -> bool:
    """Write run ``spec``'s ``runs`` record (its commit); True if an earlier record was kept.

    Never overwrites: a record already there (the same run finished by another driver) stays.
    """
    from flexisim.provenance import calibration_hash, code_hash, provenance

    key = spec.key
    row = {"run_id": key["run_id"], "point_id": key["point_id"],
           "replication": key["replication"], "seed": spec.seed, **key["parameters"],
           "status": status, "error": error,
           "wall_time_s": result.wall_time_s if result is not None else None,
           "package_version": provenance()["package_version"], "code_hash": code_hash(),
           "calibration_hash": calibration_hash(),
           "scenario_hash": result.scenario_hash if result is not None else None,
           "worker": result.worker if result is not None else None,
           "started_utc": result.started_utc if result is not None else None,
           "ended_utc": result.ended_utc if result is not None else None}
    table = pa.Table.from_pylist([row], schema=schema)
    return not write_part(out, "runs", key["run_id"], table, overwrite=False)


def summary_columns() -> list[str]:
    """Outcome columns of the ``summary`` dataset (:func:`~.analysis.known_outcomes`)."""
    return known_outcomes()


def _summary_table(key: dict[str, Any], summary: dict[str, Any]) -> pa.Table:
    row: dict[str, Any] = {"run_id": key["run_id"], "point_id": key["point_id"],
                           "replication": key["replication"]}
    for key in summary_columns():
        value = summary.get(key, np.nan)
        row[key] = float(value) if value is not None else np.nan
    schema = pa.schema([pa.field("run_id", pa.string()), pa.field("point_id", pa.int32()),
                        pa.field("replication", pa.int32())]
                       + [pa.field(k, pa.float64()) for k in summary_columns()])
    return pa.Table.from_pylist([row], schema=schema)


def _timeseries_table(key: dict[str, Any], ts: pd.DataFrame) -> pa.Table:
    # straight from numpy: pandas -> Arrow conversion (from_pandas) spends ~30 ms per run in
    # thread start-up and metadata, as long as a small model run itself
    n = len(ts)
    columns: dict[str, pa.Array] = {
        "run_id": pa.array([key["run_id"]] * n, pa.string()),
        "point_id": pa.array(np.full(n, key["point_id"], np.int32)),
        "replication": pa.array(np.full(n, key["replication"], np.int32)),
        "step": pa.array(np.asarray(ts.index, dtype=np.int32)),
    }
    for name in ts.columns:
        columns[str(name)] = pa.array(ts[name].to_numpy(dtype=np.float64))
    return pa.table(columns)


# --------------------------------------------------------------------------- driver side

def points_hash(design: Design) -> str:
    """Identity of the design points (guards against a sampler that changed between versions)."""
    import hashlib

    data = np.ascontiguousarray(np.round(design.coords, 12)).tobytes()
    text = repr([sorted(v.items()) for v in design.values]).encode()
    return hashlib.sha256(data + text).hexdigest()[:16]


def in_shard(index: int, shard: tuple[int, int]) -> bool:
    """Is run number ``index`` (design order: point, then replication) in shard ``(k, n)``?

    Runs are dealt out in turn, so every shard gets a similar mix of design points.
    """
    return index % shard[1] == shard[0] - 1


def _specs(experiment: Experiment, design: Design, seeds: np.ndarray,
           skip: set[str], shard: tuple[int, int] = (1, 1)) -> Iterator[RunSpec]:
    """Specs of shard ``shard``'s runs not in `skip`, generated lazily in design order."""
    schema = runs_schema(experiment)
    lever_cols = [f.name for f in schema][4 + len(experiment.parameters):-len(RUN_TAIL)]
    k, n = shard
    for point in range(len(design)):
        values = design.values[point]
        levers, calibration = split_calibration(design.levers(experiment, point))
        params = {k: ",".join(v) if isinstance(v, tuple) else v for k, v in values.items()}
        params |= {k: levers[k] for k in lever_cols}
        for rep in range(experiment.replications):
            rid = run_id(point, rep)
            if rid in skip or not in_shard(point * experiment.replications + rep, (k, n)):
                continue
            yield RunSpec(scenario=experiment.base, seed=int(seeds[point, rep]),
                          steps=experiment.steps, levers=levers, calibration=calibration,
                          source="experiment",
                          key={"run_id": rid, "point_id": point, "replication": rep,
                               "parameters": params})


def run_experiment(definition: Experiment | str | Path, executor: cf.Executor | None = None,
                   out: str | Path | None = None, workers: int | None = None,
                   progress: bool = True, retry_failed: bool = False,
                   max_pending: int | None = None,
                   shard: tuple[int, int] = (1, 1)) -> SweepReport:
    """Run every missing run of an experiment and record it in the results folder.

    Parameters
    ----------
    definition : Experiment, str or Path
        An experiment, or its file (path or name in ``experiments/``).
    executor : concurrent.futures.Executor, optional
        Where the runs execute; not shut down by this function. Default: a process pool of
        `workers` processes (in-process when ``workers == 1``), shut down at the end.
    out : str or Path, optional
        Results folder (default ``results/<experiment name>``). Running again with the same
        folder resumes: finished runs are skipped, none is written twice. A folder holding
        another experiment's results, or results of another model code or calibration, is
        refused (:class:`~flexisim.errors.FolderError`).
    workers : int, optional
        Processes of the default pool (default: every core).
    progress : bool
        Show progress: a tqdm bar on a terminal, plain log lines otherwise.
    retry_failed : bool
        Also re-run runs recorded as failed (their records are replaced).
    max_pending : int, optional
        Most tasks in flight at once (default: 4 per worker, at least 64 for a given
        executor), which bounds the driver's memory.
    shard : (int, int)
        ``(k, n)``: run only shard k of n (1-based), for n independent jobs sharing the
        folder (a job array). Runs are dealt out in turn; the drivers claim each run before
        running it (:mod:`~flexisim.experiment.claims`), so overlapping shards and reruns
        never run a run twice at the same time nor record it twice.

    Returns
    -------
    SweepReport

    Raises
    ------
    ExperimentError
        If the experiment file is invalid (nothing is written).
    FolderError
        If `out` holds something else, another driver runs the same shard on it, or the
        folder cannot be written (a full disk: the runs recorded so far stay).
    """
    start = time.perf_counter()
    experiment = definition if isinstance(definition, Experiment) else \
        load_experiment(definition)
    k, n = shard
    if not (1 <= k <= n):
        raise ValueError(f"shard {k}/{n}: needs 1 <= k <= n")
    folder = Path(out) if out is not None else Path("results") / experiment.name
    folder = folder.resolve()  # workers may run elsewhere (Dask): give them an absolute path
    design = build_design(experiment)
    seeds = run_seeds(experiment, len(design))
    store = ResultStore(folder)
    phash = points_hash(design)
    store.check(experiment, phash)  # before the lock: a foreign folder gets no drivers/
    check_location(folder, folder=True)  # writable, and room for more than a run's records
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderError([f"{folder}: cannot be created ({exc.strerror or exc})"]) from None
    with DriverLock(folder, shard) as lock:
        source = experiment.path.read_text() if experiment.path is not None else None
        store.prepare(experiment, design.table(experiment), phash, source,
                      alone=not lock.others_alive())
        claims = Claims(lock)
        try:
            report = _sweep(experiment, design, seeds, store, claims, executor, workers,
                            progress, retry_failed, max_pending, shard)
        finally:
            claims.release_all()
        # every run of the experiment recorded (by this driver or by other shards): one file
        # per dataset for the readers; the parts stay as the journal
        if len(store.finished()) == len(design) * experiment.replications \
                and not is_compacted(folder):
            compact(folder)
    report.wall_time_s = time.perf_counter() - start
    return report


def _sweep(experiment: Experiment, design: Design, seeds: np.ndarray, store: ResultStore,
           claims: Claims, executor: cf.Executor | None, workers: int | None,
           progress: bool, retry_failed: bool, max_pending: int | None,
           shard: tuple[int, int]) -> SweepReport:
    """The runs of one driver, under its lock and claims."""
    folder = store.folder
    done = store.finished()
    redo = store.failed() if retry_failed else set()
    done -= redo
    for rid in store.orphans():  # parts of runs cut off while being written
        if claims.take(rid):  # else a live driver is writing them now
            try:
                store.discard_uncommitted(rid)
            finally:
                claims.release(rid)
    total = len(design) * experiment.replications
    mine = {run_id(p, r) for p in range(len(design)) for r in range(experiment.replications)
            if in_shard(p * experiment.replications + r, shard)}
    # the folder's identity guarantees every committed id belongs to this experiment
    report = SweepReport(out=folder, total=len(mine) if shard != (1, 1) else total,
                         skipped=len(done & mine), shard=shard)
    todo = report.total - report.skipped
    own = executor is None
    n_workers = workers or 0
    if todo == 0:
        own, executor = False, SequentialExecutor()  # nothing to run: start no pool
    if executor is None:
        executor, n_workers = default_executor(workers)
    # a few tasks per worker keep every worker busy; more would only hold memory
    limit = max_pending or (4 * n_workers if own else max(4 * n_workers, 64))
    bar = _Progress(experiment.name, todo, report.skipped, enabled=progress)
    schema = runs_schema(experiment)

    def claimed(specs: Iterator[RunSpec]) -> Iterator[RunSpec]:
        for spec in specs:
            rid = spec.key["run_id"]
            if claims.lock.lost.is_set():
                raise FolderError([
                    f"{folder}: another driver took over this driver's lock (this one was "
                    f"judged gone: stopped for more than {STALE_S:.0f} s?); it stops here, "
                    "its finished runs are kept; the other driver goes on"])
            if not claims.take(rid):
                report.busy += 1
                continue
            status = store.status(rid)  # read again under the claim
            if status is not None:
                if rid not in redo or status != "failed":
                    # finished by another driver since this one started (or, by another
                    # --retry-failed driver, run again already)
                    claims.release(rid)
                    report.skipped += 1
                    continue
                store.discard(rid)  # a failed run to run again: its record goes first
            yield spec

    specs = claimed(_specs(experiment, design, seeds, done, shard))
    sink = StoreSink(str(folder), schema, claims.lock.token)
    stop: StoreWriteError | None = None
    try:
        for item in map_runs(specs, executor, sink=sink, max_pending=limit):
            try:
                stop = _collect(item, report, folder, schema, claims)
            finally:
                claims.release(item.spec.key["run_id"])
            bar.update(report)
            if stop is not None:
                break
    finally:
        bar.close(report)
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    if stop is not None:
        raise FolderError([str(stop), f"{folder}: {report.skipped + report.done} of "
                           f"{report.total} runs are recorded and kept; make room and run "
                           "the same command again to finish"])
    return report


def _crash(error: BaseException) -> str | None:
    """The cause, when ``error`` says the run's worker process died (not the model)."""
    if isinstance(error, WorkerCrashed):
        return str(error)
    if type(error).__name__ == "KilledWorker":  # Dask gave up after its allowed retries
        # Dask counts every task held by a worker that died, not only the one that killed it:
        # a run queued beside a crashing one can be given up on too
        return ("a Dask worker died while holding this run on each of its attempts (Dask's "
                "distributed.scheduler.allowed-failures); this run or one queued beside it on "
                f"the same worker killed it; --retry-failed runs it again. Dask: {error}")
    return None


def _collect(item: Done, report: SweepReport, folder: Path,
             schema: pa.Schema, claims: Claims) -> StoreWriteError | None:
    """Count a finished task; record a crashed run as failed; a folder error stops the sweep."""
    if item.error is not None:
        if isinstance(item.error, StoreWriteError):
            report.lost += 1
            return item.error
        cause = _crash(item.error)
        if cause is None:  # the task failed outside the model call
            report.lost += 1
            report.errors.append(f"{type(item.error).__name__}: {item.error}")
            return None
        rid = item.spec.key["run_id"]
        if not claims.holds(rid):  # another driver took the run over: it records it
            report.lost += 1
            return None
        store = ResultStore(folder)
        store.discard_uncommitted(rid)  # what it wrote before it died
        try:
            kept = commit_record(folder, schema, item.spec, "failed", cause)
        except OSError as exc:
            return StoreWriteError.from_os_error(folder, rid, exc)
        record = {"run_id": rid, "status": "failed", "error": cause}
        if kept:  # the run had finished and committed before a later attempt's worker died
            # (Dask recomputes a finished task whose result died with its worker): the
            # report counts what the folder holds
            record["status"] = store.status(rid) or "failed"
    else:
        record = item.value
    report.done += 1
    if record["status"] != "ok":
        report.failed += 1
        if len(report.errors) < 20:
            report.errors.append(f"{record['run_id']}: {record['error']}")
    return None


class _Progress:
    """A widget bar in a Jupyter kernel (``tqdm.auto``), tqdm on a terminal; otherwise a
    plain log line every `interval` seconds."""

    def __init__(self, name: str, todo: int, skipped: int, enabled: bool,
                 interval: float = 30.0) -> None:
        self.name, self.todo, self.skipped = name, todo, skipped
        self.enabled = enabled
        self.interval = interval
        self.start = self.last = time.monotonic()
        self.bar = None
        if not enabled:
            return
        if in_jupyter_kernel():  # a notebook: a widget (tqdm.auto falls back without ipywidgets)
            from tqdm.auto import tqdm as auto_tqdm

            self.bar = auto_tqdm(total=todo, unit="run", desc=name)
        elif sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=todo, unit="run", desc=name, file=sys.stderr,
                            dynamic_ncols=True)
        else:
            self._log(f"{todo} runs to do" + (f", {skipped} already done" if skipped else ""))

    def _log(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} sweep {self.name}: {text}", file=sys.stderr, flush=True)

    def update(self, report: SweepReport) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.n = report.done + report.lost
            self.bar.set_postfix(failed=report.failed, refresh=False)
            self.bar.refresh()
            return
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._log(self._status(report, now))

    def _status(self, report: SweepReport, now: float) -> str:
        n = report.done + report.lost
        elapsed = now - self.start
        eta = elapsed / n * (self.todo - n) if n else float("nan")
        pct = 100.0 * n / self.todo if self.todo else 100.0
        return (f"{n}/{self.todo} runs ({pct:.0f}%), {report.failed} failed, "
                f"elapsed {_clock(elapsed)}, ETA {_clock(eta)}")

    def close(self, report: SweepReport) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.close()
        else:
            self._log("finished: " + self._status(report, time.monotonic()))


def _clock(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
