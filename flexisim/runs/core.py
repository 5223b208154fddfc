"""The one execution core: a run is one record, executed by one function, on any executor.

:class:`RunSpec` describes a run completely -- scenario (and lever changes), seed, weeks,
calibration overrides, the reference world, observers, what to keep -- and is small and
picklable. :func:`execute` runs it in the calling process and returns a :class:`RunResult`
(a failure of the model is recorded in the result, not raised). :func:`map_runs` executes
many specs over any :class:`concurrent.futures.Executor` -- in-process, a process pool, a
Dask ``distributed`` client's executor -- with a bounded number in flight and an optional
*sink*: a picklable callable run in the worker on each result (the results store writes
part files there and returns a small record). Every caller goes through here:
``flexisim run``, sweeps, validation, face validity, sensitivity and the dashboard's
comparison.

Thread policy lives here too: a run steps its reference world in a second thread when it is
alone in its process (the national run relies on it); in a worker process of a parallel
executor runs are already parallel, so the reference world steps in the calling thread.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from flexisim.engine import twin
from flexisim.model import FlexiworkModel
from flexisim.provenance import utc_now
from flexisim.runs.pool import WorkerCrashed, WorkerPool
from flexisim.scenario import Scenario

__all__ = ["Done", "Observe", "RunResult", "RunSpec", "SequentialExecutor", "WorkerCrashed",
           "WorkerDied",
           "default_executor", "execute", "in_worker_process", "map_runs", "run_all",
           "worker_name"]


@dataclass(frozen=True)
class Observe:
    """An observer of a run: ``factory()`` makes a fresh one per run, which sees the run
    every week from week ``start`` (0-based) on -- ``observe(model, reference)``, where
    ``reference`` is the run's reference world or ``None`` -- and gives its result at the
    end (``value()``), stored under ``name`` in :attr:`RunResult.observations`.

    ``factory`` must be picklable (a class or a ``functools.partial``) when runs execute in
    other processes.
    """

    name: str
    factory: Callable[[], Any]
    start: int = 0


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one run (small and picklable).

    Parameters
    ----------
    scenario : Scenario
        The scenario (validated).
    seed : int
        The run's seed.
    steps : int, optional
        Weeks to simulate (default: the scenario's ``[run] steps``).
    levers : mapping, optional
        Lever changes applied to ``scenario`` when the run starts (validated there; a bad
        value makes a failed run, not a failed sweep).
    calibration : mapping, optional
        Overrides of behavioural coefficients.
    counterfactual : bool
        Run a reference world beside it (default: the office-only twin).
    reference : Scenario, optional
        The reference world's scenario instead of the office-only twin (``levers`` are not
        applied to it: give it complete, e.g. with the same ``n_asn``).
    observers : tuple of Observe
        Observers of the run.
    timeseries : bool or tuple of str
        Keep the timeseries in the result: all columns, none, or these columns.
    key : any
        The caller's label of the run (returned with the result).
    source : str
        Names the run's origin in the messages of a bad lever value.
    """

    scenario: Scenario
    seed: int
    steps: int | None = None
    levers: Mapping[str, Any] = field(default_factory=dict)
    calibration: Mapping[str, float] = field(default_factory=dict)
    counterfactual: bool = True
    reference: Scenario | None = None
    observers: tuple[Observe, ...] = ()
    timeseries: bool | tuple[str, ...] = True
    key: Any = None
    source: str = "run"

    def __post_init__(self) -> None:
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "levers", dict(self.levers))
        object.__setattr__(self, "calibration", dict(self.calibration))
        object.__setattr__(self, "observers", tuple(self.observers))
        if isinstance(self.timeseries, list):
            object.__setattr__(self, "timeseries", tuple(self.timeseries))

    @property
    def weeks(self) -> int:
        """Weeks this run simulates."""
        return int(self.steps if self.steps is not None else self.scenario.values["steps"])


@dataclass
class RunResult:
    """What one run gave.

    Attributes
    ----------
    spec : RunSpec
    status : str
        ``"ok"`` or ``"failed"``.
    error : str or None
        The failure, one line with where it happened.
    timeseries : DataFrame or None
        One row per week (the columns ``spec.timeseries`` asked for).
    summary : dict or None
        ``FlexiworkModel.summary()``.
    observations : dict
        Each observer's ``value()`` by name.
    regions : tuple of str
        The regions' names (for regional columns and figures).
    scenario_hash : str or None
        Hash of the scenario as run (``levers`` applied).
    wall_time_s : float
        Seconds from building the worlds to the summary (a sink's own work, such as writing
        files, is not counted).
    worker : str
        ``host:pid`` of the process that ran it.
    started_utc, ended_utc : str
        When the run started and ended (UTC, ISO 8601).
    """

    spec: RunSpec
    status: str
    error: str | None = None
    timeseries: pd.DataFrame | None = None
    summary: dict[str, Any] | None = None
    observations: dict[str, Any] = field(default_factory=dict)
    regions: tuple[str, ...] = ()
    scenario_hash: str | None = None
    wall_time_s: float = 0.0
    worker: str = ""
    started_utc: str = ""
    ended_utc: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def raise_for_status(self) -> RunResult:
        """Raise ``RuntimeError`` with the run's error if it failed; return ``self``."""
        if not self.ok:
            raise RuntimeError(f"run {self.spec.key!r} (seed {self.spec.seed}) failed: "
                               f"{self.error}")
        return self


def worker_name() -> str:
    """``host:pid`` of the running process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def in_worker_process() -> bool:
    """True in a child process of a pool (a process-pool or Dask worker)."""
    return multiprocessing.parent_process() is not None


def _error_text(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    return "".join(lines).strip() + where


def _model(spec: RunSpec, config: Scenario) -> Any:
    """The run's model (a separate function so that tests can make a run fail)."""
    return FlexiworkModel(scenario=config, rng=spec.seed, counterfactual=spec.counterfactual,
                          reference=spec.reference, calibration=spec.calibration)


def execute(spec: RunSpec, *,
            on_step: Callable[[int, int], None] | None = None) -> RunResult:
    """Run ``spec`` in this process; ``on_step(week, weeks)`` after every week.

    Any exception of the model is recorded in the result (status ``"failed"``) rather than
    raised, so a sweep goes on; ``KeyboardInterrupt`` propagates.
    """
    start = time.perf_counter()
    result = RunResult(spec=spec, status="ok", worker=worker_name(), started_utc=utc_now())
    try:
        config = (spec.scenario.with_values(source=spec.source, **spec.levers) if spec.levers
                  else spec.scenario)
        result.scenario_hash = config.hash
        model = _model(spec, config)
        observers = [(o, o.factory()) for o in spec.observers]
        weeks = spec.weeks
        for week in range(weeks):
            model.step()
            for o, observer in observers:
                if week >= o.start:
                    observer.observe(model, model.counterfactual)
            if on_step is not None:
                on_step(week + 1, weeks)
        result.summary = model.summary()
        result.observations = {o.name: observer.value() for o, observer in observers}
        result.regions = tuple(model.pop.region_names)
        if spec.timeseries is not False:
            ts = model.timeseries()
            result.timeseries = ts if spec.timeseries is True else ts[list(spec.timeseries)]
    except Exception as exc:  # noqa: BLE001 - recorded in the result, and a sweep goes on
        result.status, result.error = "failed", _error_text(exc)
        result.timeseries, result.summary = None, None
    result.wall_time_s = time.perf_counter() - start
    result.ended_utc = utc_now()
    return result


def _run(spec: RunSpec, sink: Callable[[RunResult], Any] | None) -> Any:
    """The task a worker runs: the thread policy, the run, then the sink."""
    if in_worker_process():
        twin.set_twin_thread(False)  # runs are parallel across processes already
    result = execute(spec)
    return sink(result) if sink is not None else result


class SequentialExecutor(cf.Executor):
    """Run each task in the calling process when it is submitted (no parallelism).

    The reference for bit-identical results, and the cheapest choice for one worker.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - a Future carries any exception
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(exc)
        return future


def default_executor(workers: int | None, preload: tuple[str, ...] = (
        "flexisim.model", "flexisim.runs.core")) -> tuple[cf.Executor, int]:
    """A :class:`~flexisim.runs.pool.WorkerPool` of ``workers`` (default: every core), or
    in-process for one worker.

    The pool survives a worker's death (the run it ran fails with
    :class:`~flexisim.runs.pool.WorkerCrashed`) and its workers exit with their driver.
    """
    n = workers or os.cpu_count() or 1
    if n == 1:
        return SequentialExecutor(), 1
    # forkserver: workers start from a clean, single-threaded server process (fork from a
    # driver running tqdm's monitor thread is unsafe), with the model preloaded once
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    return WorkerPool(n, mp_context=ctx), n


class WorkerDied(RuntimeError):
    """A worker process of the executor died (out of memory, killed): the pool is broken."""


def _died(exc: BaseException) -> WorkerDied:
    return WorkerDied(f"a worker process died ({exc}); the finished runs are saved: run the "
                      "same command again to resume")


class Done(NamedTuple):
    """A finished task of :func:`map_runs`: the spec, what the worker returned (a
    :class:`RunResult`, or the sink's record), or the exception the worker raised outside
    the model (e.g. a sink that could not write)."""

    spec: RunSpec
    value: Any
    error: BaseException | None
    index: int  # position of the spec in the iterable given to map_runs


def map_runs(specs: Iterable[RunSpec], executor: cf.Executor | None = None, *,
             sink: Callable[[RunResult], Any] | None = None, max_pending: int | None = None,
             cancel: threading.Event | None = None) -> Iterator[Done]:
    """Execute ``specs`` on ``executor``; yield each as it finishes (completion order).

    Parameters
    ----------
    specs : iterable of RunSpec
        Consumed lazily: at most ``max_pending`` runs are in flight at once (default 64), so
        neither the specs nor their futures are all held.
    executor : concurrent.futures.Executor, optional
        Default: in this process, one run after the other (:class:`SequentialExecutor`).
        Not shut down here.
    sink : callable, optional
        Called in the worker on each :class:`RunResult`; what it returns comes back.
    cancel : threading.Event, optional
        When set: runs not started are cancelled and ``InterruptedError`` is raised.

    Raises
    ------
    WorkerDied
        A worker process died (the pool is broken); finished runs stay finished. A
        ``RuntimeError``.
    InterruptedError
        ``cancel`` was set.
    """
    pool = executor if executor is not None else SequentialExecutor()
    # a sequential executor runs a task when it is submitted: one at a time, so that each
    # finished run is reported (and a failure seen) before the next one starts
    limit = 1 if isinstance(pool, SequentialExecutor) else (max_pending or 64)
    todo = enumerate(specs)
    pending: dict[cf.Future, tuple[int, RunSpec]] = {}
    exhausted = False
    try:
        while pending or not exhausted:
            while not exhausted and len(pending) < limit:
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("cancelled")
                item = next(todo, None)
                if item is None:
                    exhausted = True
                    break
                try:
                    pending[pool.submit(_run, item[1], sink)] = item
                except cf.BrokenExecutor as exc:  # a worker died while the pool was idle
                    raise _died(exc) from exc
            if not pending:
                break
            finished, _ = cf.wait(pending, timeout=0.25 if cancel is not None else None,
                                  return_when=cf.FIRST_COMPLETED)
            for future in finished:
                index, spec = pending.pop(future)
                try:
                    value, error = future.result(), None
                except cf.BrokenExecutor as exc:
                    raise _died(exc) from exc
                except Exception as exc:  # noqa: BLE001 - the task failed outside the model
                    value, error = None, exc
                yield Done(spec, value, error, index)
            if cancel is not None and cancel.is_set():
                raise InterruptedError("cancelled")
    finally:
        for future in pending:
            future.cancel()


def run_all(specs: Iterable[RunSpec], executor: cf.Executor | None = None, *,
            sink: Callable[[RunResult], Any] | None = None,
            progress: Callable[[int, int], None] | None = None,
            cancel: threading.Event | None = None) -> list[Any]:
    """Every spec's result (or sink record), in the order of ``specs``.

    ``progress(done, total)`` is called after every finished run. An exception a worker
    raised outside the model is raised here.
    """
    specs = list(specs)
    out: list[Any] = [None] * len(specs)
    for done, item in enumerate(map_runs(specs, executor, sink=sink, cancel=cancel), 1):
        if item.error is not None:
            raise item.error
        out[item.index] = item.value
        if progress is not None:
            progress(done, len(specs))
    return out
