"""A process pool that survives its workers' deaths, and whose workers do not outlive it.

:class:`concurrent.futures.ProcessPoolExecutor` treats the death of one worker (a segfault,
the kernel's out-of-memory killer) as the end of the whole pool: every task in flight fails
with ``BrokenProcessPool``, nobody learns which task killed its process, and a sweep that
meets the same crashing run again dies at the same place every time. Its workers also live
on after their driver is killed, still running queued tasks.

:class:`WorkerPool` gives each worker one task at a time over its own pipe, so that when a
worker's process ends the pool knows the task it was running: that task's future fails with
:class:`WorkerCrashed` (carrying the exit code or signal), a new worker takes the dead one's
place, and every other task goes on. Each worker watches its driver and exits when the
driver is gone.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.connection as mpc
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["WorkerCrashed", "WorkerPool", "exit_with_parent", "exit_cause"]

#: idle workers dying in a row, with no task finishing in between: the workers cannot start
_START_FAILURES = 5


class WorkerCrashed(RuntimeError):
    """The worker process running a task ended before the task did.

    Attributes
    ----------
    exitcode : int or None
        The process's exit code; negative: the signal that ended it.
    """

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(f"the worker process running this task {exit_cause(exitcode)}")


def exit_cause(exitcode: int | None) -> str:
    """A process's end in words: ``"was killed by signal 9 (SIGKILL; out of memory?)"``."""
    if exitcode is None:
        return "ended (exit code unknown)"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        hint = {"SIGKILL": "; out of memory?", "SIGSEGV": "; a crash in compiled code"}
        return f"was killed by signal {-exitcode} ({name}{hint.get(name, '')})"
    return f"exited with code {exitcode}"


def exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """In a worker process: end it when process ``parent`` (its driver) is gone.

    A daemon thread polls; a worker busy with a long run would otherwise notice its driver's
    death only when it next talks to it, and a worker of ``ProcessPoolExecutor`` never does.
    Polls both the parent's pid (a forkserver's child has the fork server as its parent, which
    exits with the driver) and the driver's own pid.
    """

    def alive() -> bool:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # exists, owned by another user: not ours any more
            return False
        return True

    first = os.getppid()

    def watch() -> None:
        while os.getppid() == first and alive():
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker(conn: mpc.Connection, parent: int) -> None:
    """A worker's loop: receive a task, run it, send back ``(ok, value)``; ``None`` ends it."""
    # Ctrl-C goes to the whole process group: the driver decides, the workers carry on until
    # told (or until the driver is gone)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, args, kwargs = task
        try:
            reply: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the driver
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - an unpicklable value or exception
            conn.send((False, RuntimeError(f"the task's result could not be sent back: "
                                           f"{type(exc).__name__}: {exc}")))


class _Slot:
    """One worker process and the task it runs."""

    def __init__(self, ctx: Any, parent: int) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker, args=(child, parent), daemon=True,
                                   name="flexisim-worker")
        self.process.start()
        child.close()
        self.task: tuple[cf.Future, Any] | None = None


class WorkerPool(cf.Executor):
    """A process pool of ``workers`` processes, one task each at a time.

    Parameters
    ----------
    workers : int
        Number of worker processes.
    mp_context : multiprocessing context, optional
        Default: ``forkserver`` with ``preload`` modules imported once in the fork server
        (fork from a driver running threads is unsafe; spawn re-imports everything per worker).
    preload : tuple of str
        Modules the fork server imports before forking workers.

    Notes
    -----
    A task whose worker dies fails with :class:`WorkerCrashed`; the worker is replaced. When
    idle workers die ``_START_FAILURES`` times in a row, the pool stops: the remaining tasks
    fail with ``concurrent.futures.BrokenExecutor``. ``shutdown(cancel_futures=True)`` also
    ends the workers still running a task (a driver that was interrupted does not wait for
    runs it will not record); their futures are cancelled.
    """

    def __init__(self, workers: int, *, mp_context: Any = None,
                 preload: tuple[str, ...] = ()) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if mp_context is None:
            mp_context = multiprocessing.get_context("forkserver")
            if preload:
                mp_context.set_forkserver_preload(list(preload))
        self._ctx = mp_context
        self._workers = workers
        self._parent = os.getpid()
        self._queue: deque[tuple[cf.Future, Any]] = deque()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = mp_context.Pipe(duplex=False)
        self._closing = False
        self._abandon = False  # shut down with cancel_futures: end the running workers too
        self._broken: str | None = None
        self._slots: list[_Slot] = []
        self._thread = threading.Thread(target=self._dispatch, name="flexisim-pool",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ Executor API
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        with self._lock:
            if self._broken is not None:
                raise cf.BrokenExecutor(self._broken)
            if self._closing:
                raise RuntimeError("cannot submit to a pool that is shut down")
            self._queue.append((future, (fn, args, kwargs)))
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closing = True
            self._abandon = self._abandon or cancel_futures
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[0].cancel()
        self._wake()
        if wait:
            self._thread.join()

    # ------------------------------------------------------------------ the dispatcher
    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"x")
        except OSError:  # the dispatcher has ended
            pass

    def _dispatch(self) -> None:
        failures = 0
        try:
            self._slots = [_Slot(self._ctx, self._parent) for _ in range(self._workers)]
            while True:
                self._assign()
                busy = [s for s in self._slots if s.task is not None]
                with self._lock:
                    if self._closing and (self._abandon or not busy) and not self._queue:
                        return
                ready = mpc.wait([self._wake_r] + [s.conn for s in busy]
                                 + [s.process.sentinel for s in self._slots])
                if self._wake_r in ready:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                for slot in list(self._slots):
                    if slot.task is not None and slot.conn in ready:
                        try:
                            ok, value = slot.conn.recv()
                        except (EOFError, OSError):
                            # its end of the pipe closed: the process is ending
                            slot.process.join(timeout=5)
                        except Exception as exc:  # noqa: BLE001 - a result that cannot load
                            slot.task[0].set_exception(RuntimeError(
                                f"the task's result could not be read: {exc}"))
                            slot.task = None
                            continue
                        else:
                            future, _ = slot.task
                            slot.task = None
                            failures = 0
                            if ok:
                                future.set_result(value)
                            else:
                                future.set_exception(value)
                            continue
                    if slot.process.sentinel in ready or not slot.process.is_alive():
                        slot.process.join(timeout=1)
                        if slot.process.is_alive():
                            continue
                        # a death with a task is that task's crash; without one, a failure
                        # to start (which must not loop forever)
                        failures += slot.task is None
                        self._replace(slot, failures)
        except BaseException as exc:  # noqa: BLE001 - a dead dispatcher must fail the tasks
            self._break(f"the pool's dispatcher failed: {type(exc).__name__}: {exc}")
            raise
        finally:
            self._stop_workers()

    def _assign(self) -> None:
        for slot in self._slots:
            if slot.task is not None or not slot.process.is_alive():
                continue
            # until this idle slot has a task or the queue is empty: a cancelled future or an
            # unsendable task must not leave it idle (with no slot busy, nothing would wake
            # the dispatcher again and the queue would wait for ever)
            while slot.task is None:
                with self._lock:
                    if not self._queue:
                        return
                    future, task = self._queue.popleft()
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    slot.conn.send(task)
                except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable argument
                    future.set_exception(exc)
                    continue
                slot.task = (future, task)

    def _replace(self, slot: _Slot, failures: int) -> None:
        slot.process.join()
        if slot.task is not None:
            slot.task[0].set_exception(WorkerCrashed(slot.process.exitcode))
        slot.conn.close()
        self._slots.remove(slot)
        if failures >= _START_FAILURES:
            self._break(f"{failures} worker processes in a row ended before finishing a task "
                        f"(the last {exit_cause(slot.process.exitcode)})")
            return
        with self._lock:
            closing = self._closing and not self._queue
        if not closing:
            self._slots.append(_Slot(self._ctx, self._parent))

    def _break(self, why: str) -> None:
        with self._lock:
            self._broken = why
            queued = list(self._queue)
            self._queue.clear()
        for future, _ in queued:
            if future.set_running_or_notify_cancel():
                future.set_exception(cf.BrokenExecutor(why))
        for slot in self._slots:
            if slot.task is not None:
                slot.task[0].set_exception(cf.BrokenExecutor(why))
                slot.task = None
        with self._lock:
            self._closing = True

    def _stop_workers(self) -> None:
        for slot in self._slots:
            if slot.task is not None:  # abandoned: its result would never be read
                slot.process.kill()
                slot.task[0].cancel() or slot.task[0].set_exception(cf.CancelledError())
                slot.task = None
                continue
            try:
                slot.conn.send(None)
            except OSError:
                pass
        for slot in self._slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()
        self._slots = []
        self._wake_r.close()
        self._wake_w.close()
