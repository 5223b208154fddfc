"""The run core (flexisim/runs): one record per run, one function that executes it, any executor.

Every caller -- ``flexisim run``, sweeps, validation, face validity, sensitivity, the
dashboard's comparison -- goes through ``execute``/``map_runs``; these tests pin the contract
they rely on: results are the model's (bit-identical to calling it directly, on any
executor), a model failure is a failed result rather than an exception, observers see the
weeks they ask for, at most ``max_pending`` runs are in flight, cancellation stops the rest,
and the reference world's thread is off in worker processes.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
from dataclasses import dataclass, field

import pytest

from flexisim import FlexiworkModel, load_scenario
from flexisim.runs import (
    Observe,
    RunSpec,
    SequentialExecutor,
    WorkerDied,
    execute,
    map_runs,
    run_all,
)

BASE = load_scenario("permenpan_4_2025").with_values(source="test", n_asn=800)


def spec(seed: int = 1, **kwargs) -> RunSpec:
    return RunSpec(scenario=BASE, seed=seed, steps=kwargs.pop("steps", 6), **kwargs)


def test_execute_gives_the_models_results():
    result = execute(spec(levers={"verification_rate": 0.3}, key="k"))
    assert result.ok and result.error is None and result.spec.key == "k"
    model = FlexiworkModel(scenario=BASE, rng=1, verification_rate=0.3)
    expected = model.run(6)
    assert result.timeseries.equals(expected)
    summary = model.summary()
    assert result.summary == summary
    assert result.scenario_hash == summary["scenario_hash"] == model.config.hash
    assert result.regions == tuple(model.pop.region_names)
    assert result.wall_time_s > 0 and ":" in result.worker


def test_a_failing_model_gives_a_failed_result_not_an_exception():
    bad = execute(spec(calibration={"no_such_coefficient": 1.0}))
    assert not bad.ok and bad.status == "failed"
    assert "no_such_coefficient" in bad.error and "(at " in bad.error
    assert bad.timeseries is None and bad.summary is None
    with pytest.raises(RuntimeError, match="failed"):
        bad.raise_for_status()
    # a bad lever value is the run's failure too (a sweep records it and goes on)
    lever = execute(spec(levers={"verification_rate": 7.0}))
    assert not lever.ok and "verification_rate" in lever.error


def test_the_timeseries_kept_is_what_the_spec_asks_for():
    assert execute(spec(timeseries=False)).timeseries is None
    some = execute(spec(timeseries=("performance", "public_trust")))
    assert list(some.timeseries.columns) == ["performance", "public_trust"]
    assert len(some.timeseries) == 6


@dataclass
class WeekCounter:
    """An observer: which weeks it saw, and whether it saw the reference world."""

    weeks: list = field(default_factory=list)
    reference: list = field(default_factory=list)

    def observe(self, model, reference) -> None:
        self.weeks.append(int(model.steps))
        self.reference.append(None if reference is None
                              else reference.config.values["verification_rate"])

    def value(self):
        return {"weeks": self.weeks, "reference": self.reference}


def test_observers_are_fresh_per_run_and_see_the_weeks_asked_for():
    observers = (Observe("all", WeekCounter), Observe("late", WeekCounter, start=4))
    a, b = execute(spec(observers=observers)), execute(spec(seed=2, observers=observers))
    assert a.observations["all"]["weeks"] == [1, 2, 3, 4, 5, 6]
    assert a.observations["late"]["weeks"] == [5, 6]  # from week 4 (0-based) on
    assert b.observations["all"]["weeks"] == [1, 2, 3, 4, 5, 6]  # not shared between runs


def test_the_reference_world_is_the_twin_or_the_given_contrast():
    contrast = BASE.with_values(source="test", verification_rate=0.9)
    twin = execute(spec(observers=(Observe("w", WeekCounter),)))
    other = execute(spec(reference=contrast, observers=(Observe("w", WeekCounter),)))
    none = execute(spec(counterfactual=False, observers=(Observe("w", WeekCounter),)))
    assert set(twin.observations["w"]["reference"]) == {BASE.values["verification_rate"]}
    assert set(other.observations["w"]["reference"]) == {0.9}
    assert set(none.observations["w"]["reference"]) == {None}


class CountingExecutor(cf.Executor):
    """Runs tasks in threads and records the most tasks in flight at once."""

    def __init__(self) -> None:
        self.pool = cf.ThreadPoolExecutor(2)
        self.lock = threading.Lock()
        self.in_flight = self.most = 0

    def submit(self, fn, /, *args, **kwargs):
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        future = self.pool.submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future) -> None:
        with self.lock:
            self.in_flight -= 1

    def shutdown(self, wait=True, **kwargs) -> None:
        self.pool.shutdown(wait=wait)


def test_map_runs_bounds_the_runs_in_flight_and_run_all_keeps_the_order():
    specs = [spec(seed=s, steps=3, timeseries=False, key=s) for s in range(8)]
    executor = CountingExecutor()
    try:
        done = list(map_runs(specs, executor, max_pending=3))
    finally:
        executor.shutdown()
    assert executor.most <= 3
    assert sorted(d.index for d in done) == list(range(8))
    assert all(d.error is None and d.value.spec is specs[d.index] for d in done)
    ordered = run_all(specs, cf.ThreadPoolExecutor(2))
    assert [r.spec.key for r in ordered] == list(range(8))
    sequential = run_all(specs)
    assert [r.summary for r in ordered] == [r.summary for r in sequential]


def failing_sink(result):
    raise OSError("disk full")


def test_an_error_outside_the_model_comes_back_with_its_run():
    (done,) = list(map_runs([spec(steps=2)], sink=failing_sink))
    assert isinstance(done.error, OSError) and done.value is None
    with pytest.raises(OSError, match="disk full"):
        run_all([spec(steps=2)], SequentialExecutor(), sink=failing_sink)


def test_cancel_stops_the_runs_not_started():
    cancel = threading.Event()
    seen = []

    def specs():
        for s in range(20):
            if s == 3:
                cancel.set()  # as a facilitator presses Cancel mid-way
            yield spec(seed=s, steps=2, timeseries=False)
            seen.append(s)

    with pytest.raises(InterruptedError):
        list(map_runs(specs(), SequentialExecutor(), cancel=cancel))
    assert len(seen) < 20


def thread_policy(result):
    from flexisim.engine import twin

    return twin.twin_thread()


@pytest.mark.slow
def test_worker_processes_step_the_reference_world_in_their_own_thread():
    """Runs are parallel across processes already: a second thread per run would only take a
    core from the next worker (the dashboard's pool used to miss this)."""
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        assert run_all([spec(steps=1)], pool, sink=thread_policy) == [False]


def die(result):
    os._exit(3)


@pytest.mark.slow
def test_a_dead_worker_raises_worker_died():
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=ctx) as pool, pytest.raises(WorkerDied):
        list(map_runs([spec(steps=1)], pool, sink=die))


def test_in_process_runs_report_each_run_before_the_next_starts():
    events = []

    def note(result):
        events.append(("ran", result.spec.key))
        return result.spec.key

    run_all([spec(steps=1, key=k, timeseries=False) for k in range(3)],
            progress=lambda done, total: events.append(("progress", done)), sink=note)
    assert events == [("ran", 0), ("progress", 1), ("ran", 1), ("progress", 2), ("ran", 2),
                      ("progress", 3)]


@pytest.mark.slow
def test_a_pool_broken_while_idle_raises_worker_died_at_submit():
    """A worker killed between two comparisons (the out-of-memory killer) breaks the pool;
    the next map_runs must say so as WorkerDied, so that the dashboard makes a new pool."""
    import signal
    import time

    ctx = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(1, mp_context=ctx)
    try:
        assert run_all([spec(steps=1, timeseries=False)], pool)[0].ok
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not pool._broken and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool._broken
        with pytest.raises(WorkerDied):
            list(map_runs([spec(steps=1)], pool))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
