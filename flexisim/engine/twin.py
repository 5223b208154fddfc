"""Two worlds of one run stepped side by side: the policy world and its reference world.

The compiled kernels release the GIL, so the reference world (the office-only twin) can step
in a second thread while the policy world steps in the calling one; the worlds share no
mutable state, so the results do not depend on it (tests/test_scale.py). Whether a thread is
used is a policy of the caller, not of the model: the run core (:mod:`flexisim.runs`) turns
it off in worker processes, where runs are already parallel across processes and a second
thread per run would only take a core from the next worker.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["set_twin_thread", "step_side_by_side", "twin_thread"]

_enabled = os.environ.get("FLEXISIM_THREADS", "") != "1" and (os.cpu_count() or 1) > 1
_pool: ThreadPoolExecutor | None = None


def twin_thread() -> bool:
    """Whether the reference world steps in a second thread (default: on with more than one
    core, off with ``FLEXISIM_THREADS=1``)."""
    return _enabled


def set_twin_thread(enabled: bool) -> bool:
    """Step the reference world in a second thread or not; returns the previous setting."""
    global _enabled
    previous, _enabled = _enabled, bool(enabled)
    return previous


def _forget_pool() -> None:
    # a forked child inherits the pool object but not its thread: a task submitted to it
    # would wait for ever (a driver forked by a test or by a user's own script hung so)
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flexisim-twin")
    return _pool


def step_side_by_side(world: Any, reference: Any | None, week: int) -> None:
    """Step ``world`` and, if given, ``reference`` through ``week`` (each ``.step(week)``)."""
    if reference is None:
        world.step(week)
        return
    if not _enabled:
        reference.step(week)
        world.step(week)
        return
    other = _thread_pool().submit(reference.step, week)
    try:
        world.step(week)
    finally:
        other.result()
