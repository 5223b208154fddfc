"""Nothing lost, nothing hangs: crashing runs, dying drivers, concurrent drivers, kills at
every write step, and provenance that refuses to mix model versions.

The store's guarantees are in flexisim/experiment/store.py and claims.py; the pool's in
flexisim/runs/pool.py.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import crashing
import numpy as np
import pandas as pd
import pytest

from flexisim.cli import main
from flexisim.errors import FolderError
from flexisim.experiment import SequentialExecutor, load_experiment, run_experiment, store
from flexisim.experiment import claims as claims_mod
from flexisim.experiment.claims import Claims, DriverLock
from flexisim.experiment.compact import is_compacted
from flexisim.experiment.design import build_design, run_seeds
from flexisim.experiment.runner import _specs, commit_record
from flexisim.runs import WorkerCrashed, WorkerPool

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def tiny(tmp_path: Path, points: int = 3, replications: int = 2, name: str = "exp.toml") -> Path:
    """A small grid experiment: `points` x `replications` runs of 4 weeks at 600 ASN."""
    values = ", ".join(f"{v:.2f}" for v in np.linspace(0.1, 0.9, points))
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""\
        description = "test"
        scenario = "permenpan_4_2025"
        steps = 4
        replications = {replications}
        seed = 5
        [design]
        kind = "grid"
        [parameters]
        trust_culture = [{values}]
        [fixed]
        n_asn = 600
        """))
    return path


def frames(folder: Path) -> dict[str, pd.DataFrame]:
    """The three datasets, sorted, without the columns that say when and where a run ran."""
    out = {}
    for name in store.DATASETS:
        df = pd.read_parquet(folder / name)
        keys = [k for k in ("run_id", "step") if k in df.columns]
        df = df.sort_values(keys).reset_index(drop=True)
        out[name] = df.drop(columns=[c for c in store.VOLATILE if c in df.columns])
    return out


def assert_exactly_once(folder: Path, expected: int, weeks: int = 4) -> None:
    runs = pd.read_parquet(folder / "runs")
    assert len(runs) == expected and runs["run_id"].is_unique
    assert (runs["status"] == "ok").all(), runs.loc[runs["status"] != "ok", "error"].tolist()
    summary = pd.read_parquet(folder / "summary")
    assert sorted(summary["run_id"]) == sorted(runs["run_id"])
    ts = pd.read_parquet(folder / "timeseries")
    assert len(ts) == expected * weeks and not ts.duplicated(["run_id", "step"]).any()


def assert_as_one_sweep(path: Path, folder: Path) -> None:
    """``folder`` holds what one uninterrupted sequential sweep of ``path`` writes, value for
    value (the reference sweep is run once per experiment file, beside it)."""
    import hashlib

    ref = path.parent / f"reference-{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    if not ref.exists():
        run_experiment(load_experiment(path), executor=SequentialExecutor(), out=ref,
                       progress=False)
    expected = frames(ref)
    for name, frame in frames(folder).items():
        pd.testing.assert_frame_equal(frame, expected[name], check_exact=True,
                                      obj=f"{name} of {folder.name}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (killed, not yet reaped by its parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


# --------------------------------------------------------------------------- the pool

@pytest.mark.slow
def test_a_crashing_task_fails_alone_and_its_worker_is_replaced() -> None:
    pool = WorkerPool(2)
    try:
        squares = [pool.submit(crashing.square, i) for i in range(6)]
        crash = pool.submit(crashing.die, signal.SIGSEGV)
        killed = pool.submit(crashing.die, signal.SIGKILL)
        exited = pool.submit(crashing.exit_with, 3)
        more = [pool.submit(crashing.square, i) for i in range(6, 12)]
        assert [f.result(timeout=60) for f in squares + more] == [i * i for i in range(12)]
        for future, code, words in ((crash, -signal.SIGSEGV, "SIGSEGV"),
                                    (killed, -signal.SIGKILL, "out of memory?"),
                                    (exited, 3, "exited with code 3")):
            with pytest.raises(WorkerCrashed) as info:
                future.result(timeout=60)
            assert info.value.exitcode == code and words in str(info.value)
        # still two workers, still working
        assert pool.submit(crashing.square, 7).result(timeout=60) == 49
    finally:
        pool.shutdown()


@pytest.mark.parametrize("workers", [1, 2])
def test_unsendable_and_cancelled_tasks_do_not_stall_the_queue(workers: int) -> None:
    """A task that cannot be sent to a worker (an unpicklable argument) or was cancelled must
    not leave an idle worker idle: the tasks behind it run."""
    pool = WorkerPool(workers)
    try:
        assert pool.submit(crashing.square, 2).result(timeout=60) == 4  # workers up, idle
        blocker = pool.submit(crashing.pid_then_sleep, 1.0)
        unsendable = [pool.submit(crashing.square, lambda: 1) for _ in range(2)]
        cancelled = pool.submit(crashing.square, 5)
        cancelled.cancel()
        good = pool.submit(crashing.square, 3)
        assert good.result(timeout=60) == 9
        assert all(isinstance(f.exception(timeout=60), Exception) for f in unsendable)
        assert blocker.result(timeout=60) > 0
    finally:
        pool.shutdown()


def test_a_forked_child_steps_the_twin_although_the_parent_s_thread_did_not_follow() -> None:
    """The twin's thread pool is not inherited across fork (a forked driver hung for ever)."""
    from flexisim.engine import twin
    from flexisim.model import FlexiworkModel

    previous = twin.set_twin_thread(True)
    try:
        FlexiworkModel(scenario="permenpan_4_2025", n_asn=600, rng=1).step()  # thread up
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                FlexiworkModel(scenario="permenpan_4_2025", n_asn=600, rng=1).step()
                code = 0
            finally:
                os._exit(code)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert os.waitstatus_to_exitcode(status) == 0
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's step hung")
    finally:
        twin.set_twin_thread(previous)


@pytest.mark.slow
def test_workers_exit_when_their_driver_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        import time
        import crashing
        from flexisim.runs import WorkerPool
        if __name__ == "__main__":  # forkserver re-imports the main module
            pool = WorkerPool(2)
            first = [pool.submit(crashing.pid_then_sleep, 0) for _ in range(2)]
            print(" ".join(str(f.result()) for f in first), flush=True)
            for _ in range(8):
                pool.submit(crashing.pid_then_sleep, 600)
            time.sleep(600)
        """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = {int(p) for p in proc.stdout.readline().split()}
    assert len(pids) >= 1 and all(alive(p) for p in pids)
    proc.kill()  # the driver alone, not its process group
    proc.wait()
    wait_until(lambda: not any(alive(p) for p in pids), 30, f"workers {pids} gone")


@pytest.mark.slow
def test_a_run_that_kills_its_worker_is_recorded_as_failed_and_the_sweep_goes_on(
        tmp_path: Path) -> None:
    path = tiny(tmp_path)
    out = tmp_path / "r"
    pool = crashing.CrashingExecutor(WorkerPool(2), "p000001-r000", signal.SIGSEGV)
    try:
        report = run_experiment(load_experiment(path), executor=pool, out=out, progress=False)
    finally:
        pool.shutdown()
    assert report.done == 6 and report.failed == 1 and report.complete
    runs = pd.read_parquet(out / "runs").set_index("run_id")
    assert runs.loc["p000001-r000", "status"] == "failed"
    assert "signal 11 (SIGSEGV" in runs.loc["p000001-r000", "error"]
    assert (runs.drop(index="p000001-r000")["status"] == "ok").all()
    assert "p000001-r000" not in set(pd.read_parquet(out / "summary")["run_id"])
    # a plain rerun keeps the failure; --retry-failed runs it again (now without the crash)
    again = run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    assert again.done == 0 and again.skipped == 6
    again = run_experiment(load_experiment(path), workers=1, out=out, progress=False,
                           retry_failed=True)
    assert again.done == 1 and again.failed == 0
    assert_exactly_once(out, 6)


def test_a_sequential_sweep_whose_run_dies_in_a_dask_retry_loop_is_recorded_failed(
        tmp_path: Path) -> None:
    """Dask reports a task whose workers kept dying as KilledWorker: a failed run, not a
    run to repeat forever."""

    class KilledWorker(Exception):  # what distributed raises, matched by name
        pass

    class Killing(cf.Executor):
        def submit(self, fn, /, *args, **kwargs):
            future = cf.Future()
            if args[0].key["run_id"] == "p000000-r001":
                future.set_exception(KilledWorker("attempted to run task 3 times"))
            else:
                future.set_result(fn(*args, **kwargs))
            return future

    out = tmp_path / "r"
    report = run_experiment(load_experiment(tiny(tmp_path)), executor=Killing(), out=out,
                            progress=False)
    assert report.complete and report.failed == 1
    runs = pd.read_parquet(out / "runs").set_index("run_id")
    assert "allowed-failures" in runs.loc["p000000-r001", "error"]


# --------------------------------------------------------------------------- locks, claims

def _lock_file(folder: Path, holder: dict, age: float = 0.0) -> Path:
    path = folder / "drivers" / holder["lock"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(holder))
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_one_driver_per_folder_and_shard(tmp_path: Path) -> None:
    with DriverLock(tmp_path) as first:
        with pytest.raises(FolderError, match=f"process {os.getpid()} on"):
            DriverLock(tmp_path).acquire()
        with DriverLock(tmp_path, (2, 3)) as other:  # another shard may run beside it
            assert other.others_alive() and first.others_alive()
    assert not list((tmp_path / "drivers").iterdir())  # both released


def test_a_dead_or_silent_driver_s_lock_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    here = socket.gethostname()
    name = "shard-1-of-1.json"
    _lock_file(tmp_path, {"token": "x", "host": here, "pid": int(dead), "lock": name})
    with DriverLock(tmp_path) as lock:  # a dead process on this host: at once
        assert json.loads(lock.path.read_text())["token"] == lock.token
    # on another host: only after STALE_S without a heartbeat
    _lock_file(tmp_path, {"token": "y", "host": "elsewhere", "pid": 1, "lock": name})
    with pytest.raises(FolderError, match="elsewhere"):
        DriverLock(tmp_path).acquire()
    _lock_file(tmp_path, {"token": "y", "host": "elsewhere", "pid": 1, "lock": name},
               age=claims_mod.STALE_S + 5)
    with DriverLock(tmp_path):
        pass


def test_claims_keep_two_drivers_off_one_run(tmp_path: Path) -> None:
    with DriverLock(tmp_path, (1, 2)) as a, DriverLock(tmp_path, (2, 2)) as b:
        ca, cb = Claims(a), Claims(b)
        assert ca.take("p000000-r000") and not cb.take("p000000-r000")
        assert cb.held_elsewhere("p000000-r000") and not ca.held_elsewhere("p000000-r000")
        ca.release("p000000-r000")
        assert cb.take("p000000-r000")
    # b's driver is gone (its lock released): its claim is stale and is taken over
    with DriverLock(tmp_path) as c:
        assert Claims(c).take("p000000-r000")


def test_a_second_sweep_on_a_running_folder_is_refused_with_exit_2(tmp_path: Path,
                                                                    capsys) -> None:
    path, out = tiny(tmp_path), tmp_path / "r"
    out.mkdir()
    with DriverLock(out):  # as if another sweep were running
        code = main(["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 2 and "another sweep is running" in capsys.readouterr().err
    assert not (out / "runs").exists()  # nothing written


def test_shards_together_make_the_whole_sweep(tmp_path: Path) -> None:
    path = tiny(tmp_path, points=3, replications=2)
    out = tmp_path / "r"
    reports = [run_experiment(load_experiment(path), workers=1, out=out, progress=False,
                              shard=(k, 3)) for k in (1, 2, 3)]
    assert [r.total for r in reports] == [2, 2, 2] and all(r.complete for r in reports)
    assert_exactly_once(out, 6)
    assert_as_one_sweep(path, out)


def test_bad_shard_is_a_usage_error(tmp_path: Path, capsys) -> None:
    for bad in ("0/3", "4/3", "x", "1/0", "2"):
        assert main(["sweep", str(tiny(tmp_path)), "--shard", bad, "--quiet"]) == 2
        assert "--shard" in capsys.readouterr().err


def test_a_finished_run_s_record_is_never_overwritten(tmp_path: Path) -> None:
    """A paused driver whose claim was taken over finishes late: the record stays."""
    path, out = tiny(tmp_path, points=1, replications=1), tmp_path / "r"
    run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    before = (out / "runs" / "part-p000000-r000.parquet").read_bytes()
    exp = load_experiment(path)
    spec = next(_specs(exp, build_design(exp), run_seeds(exp, 1), set()))
    assert commit_record(out, store.runs_schema(exp), spec, "failed", "late and wrong")
    assert (out / "runs" / "part-p000000-r000.parquet").read_bytes() == before


# --------------------------------------------------------------------------- kills

def _sweep_killed_at_fsync(path: Path, out: Path, n: int) -> int:
    """Run the sweep sequentially in a forked child that SIGKILLs itself at its n-th fsync;
    return the child's exit code (``-SIGKILL`` if the kill came)."""
    pid = os.fork()
    if pid == 0:  # the child: no return from here
        try:
            real, calls = store._fsync, [0]

            def fsync(where: Path) -> None:
                calls[0] += 1
                if calls[0] == n:
                    os.kill(os.getpid(), signal.SIGKILL)
                real(where)

            store._fsync = fsync
            run_experiment(load_experiment(path), executor=SequentialExecutor(), out=out,
                           progress=False)
        finally:
            os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_sigkill_at_every_write_step_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """Kill the driver at its n-th fsync -- odd: a file written, not yet renamed; even:
    renamed, its folder not yet flushed -- for every write of a sweep, the identity file's
    included, then resume: every run recorded exactly once, the results an uninterrupted
    sweep's."""
    path = tiny(tmp_path, points=1, replications=2)
    # identity, points and experiment.toml, three parts per run, then the compaction's six
    # files (three datasets, the regional table, the data dictionary, the manifest last):
    # two fsyncs each
    steps = 2 * 3 + 2 * 3 * 2 + 2 * 6
    for n in range(1, steps + 2):
        out = tmp_path / f"k{n}"
        code = _sweep_killed_at_fsync(path, out, n)
        assert code == (-signal.SIGKILL if n <= steps else 0), n  # and no write unvisited
        report = run_experiment(load_experiment(path), executor=SequentialExecutor(),
                                out=out, progress=False)
        assert report.complete, n
        assert_exactly_once(out, 2)
        assert_as_one_sweep(path, out)
        assert is_compacted(out), n  # a compaction cut off is made again by the rerun
        assert not list(out.rglob(".tmp-*"))


@pytest.mark.slow
def test_concurrent_shards_killed_at_seeded_moments_end_with_every_run_once(
        tmp_path: Path) -> None:
    """Three shard drivers and one whole-sweep driver on one folder, two of them SIGKILLed
    at moments drawn from a fixed seed, then every command again: each run exactly once."""
    path = tiny(tmp_path, points=6, replications=2)  # 12 runs
    out = tmp_path / "r"
    rng = np.random.default_rng(20261203)
    commands = [[sys.executable, "-m", "flexisim.cli", "sweep", str(path), "--workers", "1",
                 "--out", str(out), "--quiet", *extra]
                for extra in (["--shard", "1/3"], ["--shard", "2/3"], ["--shard", "3/3"], [])]
    procs = [subprocess.Popen(c, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for c in commands]
    # kill once the sweep has started (its identity written), at a seeded moment after
    wait_until(lambda: (out / "experiment.json").is_file(), 120, "a driver started")
    mid_sweep = []  # (the victim was running, runs recorded then) at each kill
    for victim in rng.choice(len(procs), size=2, replace=False):
        time.sleep(float(rng.uniform(0.1, 1.5)))
        running = procs[victim].poll() is None
        os.killpg(procs[victim].pid, signal.SIGKILL)
        mid_sweep.append((running, len(list((out / "runs").glob("part-*.parquet")))))
    for proc in procs:
        proc.wait(timeout=300)
        assert proc.returncode in (0, 1, 2, -signal.SIGKILL), proc.stderr.read()
    # the test is only worth its name if a kill landed in a running driver before the sweep
    # was done (so that the reruns had something to recover)
    assert any(running and recorded < 12 for running, recorded in mid_sweep), mid_sweep
    for command in commands:  # the reruns (a lock still held by a live driver -> exit 2)
        rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
    assert_exactly_once(out, 12)
    assert_as_one_sweep(path, out)
    assert not list((out / "claims").iterdir()) and not list((out / "drivers").iterdir())


# --------------------------------------------------------------------------- folders

def test_a_folder_holding_only_a_killed_driver_s_temporary_files_is_accepted(
        tmp_path: Path) -> None:
    out = tmp_path / "r"
    (out / "drivers").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    # the identity file half-written by a driver (of this machine) that was killed
    (out / f".tmp-{socket.gethostname()}~{dead}~0123abcd~experiment.json").write_text(
        '{"name": "half')
    (out / "drivers" / "shard-1-of-1.json").write_text('{"token": "gone", "host": "x"}')
    report = run_experiment(load_experiment(tiny(tmp_path, points=1, replications=1)),
                            workers=1, out=out, progress=False)
    assert report.complete and (out / "experiment.json").is_file()
    assert not list(out.rglob(".tmp-*"))


def test_a_resume_with_another_calibration_or_model_code_is_refused(
        tmp_path: Path, monkeypatch, capsys) -> None:
    from flexisim import provenance

    path, out = tiny(tmp_path, points=1, replications=2), tmp_path / "r"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    identity = json.loads((out / "experiment.json").read_text())
    runs = pd.read_parquet(out / "runs")
    for key in ("code_hash", "calibration_hash"):
        assert identity["provenance"][key] == getattr(provenance, key)()
        assert (runs[key] == getattr(provenance, key)()).all()
    assert {"started_utc", "ended_utc", "worker"} <= set(runs.columns)
    assert set(identity["provenance"]["versions"]) >= {"python", "numpy", "numba", "scipy",
                                                       "SALib", "pandas", "pyarrow", "mesa"}
    (out / "runs" / "part-p000000-r001.parquet").unlink()  # one run to redo
    for key, what in (("calibration_hash", "calibration"), ("code_hash", "model code")):
        monkeypatch.setattr(provenance, key, lambda: "0123456789abcdef")
        code = main(["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and f"another {what}" in err and "never mixed" in err
        monkeypatch.undo()
    assert len(pd.read_parquet(out / "runs")) == 1  # nothing added by the refused drivers
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet"]) == 0


def test_a_full_disk_stops_the_sweep_and_records_no_failure(tmp_path: Path,
                                                            monkeypatch) -> None:
    import errno

    import pyarrow.parquet as pq

    path, out = tiny(tmp_path, points=2, replications=1), tmp_path / "r"
    real = pq.write_table
    calls = [0]

    def full(table, where, **kw):
        if "timeseries" in str(where):
            calls[0] += 1
            if calls[0] == 2:  # the second run's timeseries meets a full disk
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, **kw)

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(FolderError, match="disk full") as info:
        run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    assert "1 of 2 runs are recorded" in str(info.value.problems)
    runs = pd.read_parquet(out / "runs")
    assert list(runs["run_id"]) == ["p000000-r000"] and (runs["status"] == "ok").all()
    assert not (out / "timeseries" / "part-p000001-r000.parquet").exists()
    monkeypatch.undo()
    assert run_experiment(load_experiment(path), workers=1, out=out, progress=False).complete
    assert_exactly_once(out, 2)


def test_a_sweep_into_a_nearly_full_disk_is_refused_before_any_run(
        tmp_path: Path, monkeypatch, capsys) -> None:
    from collections import namedtuple

    from flexisim import outputs

    usage = namedtuple("usage", "total used free")
    path, out = tiny(tmp_path, points=2, replications=1), tmp_path / "r"
    monkeypatch.setattr(outputs.shutil, "disk_usage", lambda p: usage(10**9, 10**9, 4096))
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet"]) == 2
    assert "disk full: 0.0 MB free" in capsys.readouterr().err
    assert not out.exists()


# --------------------------------------------------------------------------- Dask

@pytest.mark.slow
def test_a_run_that_kills_its_dask_worker_is_recorded_failed_after_dask_s_retries(
        tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    path, out = tiny(tmp_path, points=2, replications=2), tmp_path / "r"
    # Dask retries a task whose worker died on other workers, allowed-failures times
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pool = crashing.CrashingExecutor(client.get_executor(), "p000001-r000",
                                         signal.SIGKILL)
        report = run_experiment(load_experiment(path), executor=pool, out=out,
                                progress=False)
    assert report.complete and report.done == 4 and report.failed >= 1
    runs = pd.read_parquet(out / "runs").set_index("run_id")
    assert runs.loc["p000001-r000", "status"] == "failed"
    # Dask blames every run its dying worker held: one queued beside the crash may fail too
    failed = runs[runs["status"] == "failed"]
    assert failed["error"].str.contains("allowed-failures").all(), failed["error"].tolist()
    assert (runs["status"] == "ok").sum() >= 2
    again = run_experiment(load_experiment(path), workers=1, out=out, progress=False,
                           retry_failed=True)  # now without the crash
    assert again.done == report.failed and again.complete
    assert_exactly_once(out, 4)


def test_a_committed_run_that_dask_reports_killed_counts_as_done_not_failed(
        tmp_path: Path) -> None:
    """Dask recomputes a finished task whose result died with its worker; when that attempt's
    worker dies too, the future says KilledWorker although the run's record is ``ok``: the
    record stays, and the report counts what the folder holds (CI saw failed=2 for 1)."""
    path, out = tiny(tmp_path, points=2, replications=1), tmp_path / "r"
    pool = crashing.LostResultExecutor(SequentialExecutor(), "p000001-r000")
    report = run_experiment(load_experiment(path), executor=pool, out=out, progress=False)
    runs = pd.read_parquet(out / "runs").set_index("run_id")
    assert (runs["status"] == "ok").all()
    assert report.done == 2 and report.failed == 0 and report.complete
    again = run_experiment(load_experiment(path), workers=1, out=out, progress=False,
                           retry_failed=True)
    assert again.done == report.failed == 0 and again.skipped == 2
    assert_exactly_once(out, 2)


@pytest.mark.slow
def test_a_disconnected_dask_driver_s_queued_runs_are_cancelled(tmp_path: Path) -> None:
    """The scheduler forgets the tasks of a client that is gone: a killed driver leaves no
    sweep running on the cluster."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as observer:
        script = tmp_path / "driver.py"
        script.write_text(textwrap.dedent(f"""\
            import sys, time
            sys.path.insert(0, {str(TESTS)!r})
            import crashing
            from distributed import Client
            if __name__ == "__main__":
                client = Client({cluster.scheduler_address!r})
                pool = client.get_executor()
                futures = [pool.submit(crashing.pid_then_sleep, 1.0 + i / 1000)
                           for i in range(20)]
                print("submitted", flush=True)
                time.sleep(600)
            """))
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                text=True)

        def tasks() -> int:
            return observer.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))

        assert proc.stdout.readline().strip() == "submitted"
        wait_until(lambda: tasks() >= 20, 60, "the driver's 20 tasks reach the scheduler")
        proc.kill()
        proc.wait()
        # the running task may finish; the 19 queued behind it must not run
        wait_until(lambda: tasks() == 0, 60, "the scheduler forgets the dead driver's tasks")


# --------------------------------------------------------------------------- review races

def test_orphan_cleanup_spares_a_run_committed_meanwhile_and_a_run_claimed_elsewhere(
        tmp_path: Path, monkeypatch) -> None:
    """Parts without a record are deleted only under the run's claim, and not once the run
    has its record (another driver committed it between the listing and the deletion)."""
    path, out = tiny(tmp_path, points=1, replications=2), tmp_path / "r"
    run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    # both runs listed as orphans, as a listing made just before their commit would
    monkeypatch.setattr(store.ResultStore, "orphans", lambda self: {"p000000-r000",
                                                                   "p000000-r001"})
    report = run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    assert report.skipped == 2
    assert_exactly_once(out, 2)  # their timeseries and summary parts are all there


def test_a_retry_driver_keeps_a_run_another_retry_driver_ran_again(tmp_path: Path,
                                                                  monkeypatch) -> None:
    """--retry-failed reads a run's status again under its claim: a run that another driver
    has meanwhile run again successfully is not discarded and run a third time."""
    path, out = tiny(tmp_path, points=1, replications=2), tmp_path / "r"
    run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    before = pd.read_parquet(out / "runs").set_index("run_id")
    # this driver's snapshot says both runs failed; their records say ok
    monkeypatch.setattr(store.ResultStore, "failed", lambda self: {"p000000-r000",
                                                                   "p000000-r001"})
    report = run_experiment(load_experiment(path), workers=1, out=out, progress=False,
                            retry_failed=True)
    assert report.done == 0 and report.skipped == 2
    after = pd.read_parquet(out / "runs").set_index("run_id")
    assert (after["ended_utc"] == before["ended_utc"]).all()  # the same records


def test_a_starting_driver_removes_only_abandoned_temporary_files(tmp_path: Path) -> None:
    path, out = tiny(tmp_path, points=1, replications=1), tmp_path / "r"
    run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    live = out / "claims" / f".tmp-{socket.gethostname()}~{os.getpid()}~abcd1234~x.json"
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()
    dead = out / "claims" / f".tmp-{socket.gethostname()}~{dead_pid}~abcd1234~y.json"
    old = out / "timeseries" / ".tmp-elsewhere~1~abcd1234~part-x.parquet"
    for tmp in (live, dead, old):
        tmp.write_text("{}")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    run_experiment(load_experiment(path), workers=1, out=out, progress=False)
    assert live.exists()  # a writer that is still running (this process)
    assert not dead.exists() and not old.exists()
    live.unlink()


def test_a_driver_whose_lock_was_taken_over_stops_and_stops_renewing_it(tmp_path: Path
                                                                         ) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    lock = DriverLock(folder)
    lock.acquire()
    try:
        other = {**lock.record, "token": "elsewhere:1:deadbeef"}
        lock.path.write_text(json.dumps(other))  # as a takeover by another driver leaves it
        assert lock.taken_over()
        claims = Claims(lock)
        assert claims.take("p000000-r000") and claims.holds("p000000-r000")
        (folder / "claims" / "p000000-r000.json").write_text(json.dumps(
            {"token": "elsewhere:1:deadbeef", "lock": lock.name}))
        assert not claims.holds("p000000-r000")
    finally:
        lock.release()
    assert json.loads(lock.path.read_text())["token"] == "elsewhere:1:deadbeef"  # not removed


def test_a_dead_worker_in_validate_model_is_one_line_and_exit_1(monkeypatch, capsys) -> None:
    import flexisim.cli as cli

    def crashing_command(args):
        raise WorkerCrashed(-signal.SIGKILL)

    monkeypatch.setitem(cli.COMMANDS, "scenarios", crashing_command)
    assert main(["scenarios"]) == 1
    err = capsys.readouterr().err
    assert "a worker process died" in err and "Traceback" not in err
