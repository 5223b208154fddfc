"""Tasks that kill their own process, for the tests of crash handling (imported by workers).

Kept in its own module so that worker processes (forkserver, spawn) can unpickle them.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import time
from collections.abc import Callable
from typing import Any


def square(x: int) -> int:
    return x * x


def die(sig: int = signal.SIGSEGV) -> None:
    """End this process by signal ``sig`` (a segfault by default), as a crash would."""
    os.kill(os.getpid(), sig)
    time.sleep(10)


def exit_with(code: int) -> None:
    os._exit(code)


def pid_then_sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def crash_run(target: str, sig: int, fn: Callable[..., Any], *args: Any) -> Any:
    """Run the task ``fn(*args)`` of the run core, but die by ``sig`` if it is run ``target``."""
    spec = args[0]
    if spec.key["run_id"] == target:
        die(sig)
    return fn(*args)


class CrashingExecutor(cf.Executor):
    """Submits every task to ``inner``, through :func:`crash_run` for run ``target``."""

    def __init__(self, inner: cf.Executor, target: str, sig: int = signal.SIGSEGV) -> None:
        self.inner, self.target, self.sig = inner, target, sig

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self.inner.submit(crash_run, self.target, self.sig, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


class KilledWorker(Exception):
    """Stands for ``distributed.KilledWorker`` (matched by name, as the runner does)."""


def finish_then_lost(target: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run the task; for run ``target`` then raise as Dask does when a finished task's result
    died with its worker and every recomputation's worker died too."""
    value = fn(*args)
    if args[0].key["run_id"] == target:
        raise KilledWorker(f"attempted to run task {target} on 2 different workers")
    return value


class LostResultExecutor(cf.Executor):
    """Submits every task to ``inner``; run ``target`` commits, then is reported lost."""

    def __init__(self, inner: cf.Executor, target: str) -> None:
        self.inner, self.target = inner, target

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self.inner.submit(finish_then_lost, self.target, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
