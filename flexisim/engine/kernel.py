"""The ``@kernel`` decorator: a numba-compiled loop over named records, called cheaply.

Modellers write a mechanism's loop as a plain Python function over records
(:mod:`flexisim.engine.records`) and decorate it::

    @kernel(disjoint=True)
    def _effort_rows(key, v, t):
        s, k = v.staff, v.params
        for i in range(len(s.active)):
            ...

What the decorator adds, so that this machinery stays out of the equations:

* **compilation** with the engine's options (:data:`JIT`: cached on disk, releasing the GIL
  so the two worlds of a run step in two threads; ``disjoint=True`` adds numba's ``noalias``
  flag, :data:`JIT_DISJOINT`, which lets LLVM vectorise loops that write several columns);
* **cheap calls**: numba's dispatcher types every argument on every call, which for a record
  of thirty arrays costs about 25 microseconds -- as long as a whole small step. The wrapper
  keys the compiled entry point by the arguments' :func:`~flexisim.engine.records.type_key`
  (precomputed on the state's records) and calls it directly: the cost of a positional call;
* **a rule**: at most :data:`MAX_POSITIONAL` positional arguments (more would be the long
  positional lists that records replace), checked when the kernel is defined.

A ``disjoint`` kernel must get every array inside records made by
:meth:`flexisim.state.Population.views`, which checks once, when it makes them, that no
written array overlaps any other array of the record (the ``noalias`` promise); bare array
arguments are refused.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from flexisim.engine.records import numba_type, type_key

__all__ = ["JIT", "JIT_DISJOINT", "KERNELS", "MAX_POSITIONAL", "Kernel", "kernel"]

#: Options of every compiled kernel: cached on disk (compiled once per machine), and
#: releasing the GIL so the two worlds of a run can step in two threads.
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


def _allow_noalias() -> bool:
    """Make numba's ``noalias`` compiler flag usable as a decorator option.

    A kernel compiled with it promises the compiler that its array arguments do not overlap,
    which lets LLVM vectorise loops that write several columns (it gives up on the run-time
    overlap checks beyond a few arrays). Numba has the flag (its parallel back end uses it)
    but no decorator option for it; without it (another numba) the kernels compile as
    before: same results, slower.
    """
    try:
        from numba.core.compiler import Flags
        from numba.core.cpu import CPUTargetOptions
        from numba.core.options import TargetOptions
    except ImportError:  # pragma: no cover - another numba layout
        return False
    if not hasattr(Flags, "noalias"):
        return False  # pragma: no cover
    if not isinstance(getattr(CPUTargetOptions, "noalias", None), TargetOptions.Mapping):
        CPUTargetOptions.noalias = TargetOptions.Mapping("noalias")
    return True


#: Options of the row kernels that write several columns: ``JIT`` plus ``noalias``. Every
#: array they get comes in records checked by ``Population.views``.
JIT_DISJOINT = {**JIT, "noalias": True} if _allow_noalias() else JIT

#: Most positional arguments a kernel may take.
MAX_POSITIONAL = 5

#: Every kernel defined with ``@kernel``, by qualified name (tests inspect them all).
KERNELS: dict[str, Kernel] = {}


class Kernel:
    """A compiled kernel (see the module docstring); call it like the function it wraps.

    Attributes
    ----------
    dispatcher : numba.core.registry.CPUDispatcher
        The numba dispatcher (``inspect_llvm``, ``signatures``, ``py_func``; attribute
        access falls through to it).
    disjoint : bool
        Compiled with ``noalias``.
    """

    def __init__(self, func: Callable[..., Any], disjoint: bool) -> None:
        params = inspect.signature(func).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
        name = f"{func.__module__}.{func.__qualname__}"
        if len(positional) > MAX_POSITIONAL:
            raise TypeError(f"kernel {name} takes {len(positional)} positional arguments "
                            f"(at most {MAX_POSITIONAL}: pass state and parameters as records)")
        self.disjoint = disjoint
        self.dispatcher = njit(**(JIT_DISJOINT if disjoint else JIT))(func)
        self._entries: dict[tuple, Callable[..., Any]] = {}
        functools.update_wrapper(self, func)
        KERNELS[name] = self

    def __call__(self, *args: Any) -> Any:
        if self.disjoint:
            self._check_records(args)
        key = tuple(type_key(a) for a in args)
        entry = self._entries.get(key)
        if entry is not None:
            return entry(*args)
        # new argument types: type them once, compile (or load from numba's disk cache)
        signature = tuple(numba_type(a) for a in args)
        entry = self.dispatcher.compile(signature)
        self._entries[key] = entry
        return entry(*args)

    def _check_records(self, args: tuple) -> None:
        """Refuse arrays that did not come in a record checked by ``Population.views``, and
        more than one such record (two records were checked each on its own, not against
        each other)."""
        holders = 0
        for a in args:
            if isinstance(a, np.ndarray):
                raise TypeError(f"{self.__qualname__}: a disjoint kernel takes its arrays in "
                                "records made by Population.views, not bare")
            if not isinstance(a, tuple) or not any(isinstance(x, np.ndarray | tuple)
                                                   for x in a):
                continue
            if getattr(a, "_checked", None) is not True:
                raise TypeError(f"{self.__qualname__}: record {type(a).__name__} holds arrays "
                                "but was not made (and checked) by Population.views")
            holders += 1
        if holders > 1:
            raise TypeError(f"{self.__qualname__}: a disjoint kernel takes its arrays in one "
                            "view (pass the view, not several of its records)")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.dispatcher, name)

    def __repr__(self) -> str:
        return f"<kernel {self.__qualname__}{' (disjoint)' if self.disjoint else ''}>"


def kernel(func: Callable[..., Any] | None = None, *, disjoint: bool = False) -> Any:
    """Decorator: compile ``func`` as a :class:`Kernel` (``@kernel`` or
    ``@kernel(disjoint=True)`` for loops that write several columns)."""
    if func is None:
        return lambda f: Kernel(f, disjoint)
    return Kernel(func, disjoint)
