"""Named records: how a compiled kernel sees state and parameters by name.

A kernel takes a few *records* instead of long lists of positional arrays: a record is a
named tuple whose fields are the columns of a table (``v.staff.effort``), the parameters of
a mechanism (``v.params.effort_crowding``) or other records (``v.staff``, ``v.params``).
numba compiles attribute access on a named tuple to a plain load, so the loop is the same
machine code as with positional arguments, and the ``noalias`` promise reaches every array
inside (numba passes a tuple's members as separate arguments).

The record classes are made by :func:`record_class` -- those of the model's views when a
world is set up -- and live in this module's namespace: numba's on-disk cache pickles a
kernel's signature, and a named tuple's class is pickled by reference (module and name), so
it must be findable there before a cached kernel is loaded.
"""

from __future__ import annotations

import sys
import threading
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["record_class", "type_key"]

_MODULE = sys.modules[__name__]
_LOCK = threading.Lock()  # two worlds may set up their views in two threads


def record_class(name: str, fields: Sequence[str]) -> type:
    """A named-tuple class ``name`` with ``fields``, importable from this module.

    Instances may carry a precomputed :func:`type_key` (attribute ``_type_key``), which the
    kernel dispatch (:mod:`flexisim.engine.kernel`) reads instead of walking the record.
    Making the same class twice with the same fields returns the first one; other fields
    under a taken name are an error (two record types must not share a pickled name).
    """
    with _LOCK:
        existing = getattr(_MODULE, name, None)
        if existing is not None:
            if tuple(existing._fields) != tuple(fields):
                raise ValueError(f"record class {name!r} already exists with other fields")
            return existing
        base = namedtuple(f"{name}_fields", fields)  # noqa: PYI024 - from declarations
        base.__module__ = __name__
        setattr(_MODULE, base.__name__, base)
        # a subclass without __slots__ has a __dict__, where a record keeps its type key
        cls = type(name, (base,), {"__module__": __name__, "__doc__": f"Record {name}."})
        cls.__qualname__ = name
        setattr(_MODULE, name, cls)
        _register_with_numba(cls)
        return cls


def _register_with_numba(cls: type) -> None:
    """Type ``cls`` the way numba types any tuple, without its search for a matching type.

    numba's ``typeof`` dispatches on the class (``functools.singledispatch``); for a class it
    has not seen it walks the class hierarchy against every registered abstract type, about
    1.5 ms per record class -- on the first call of every kernel of every process. A class
    registered directly is found at once.
    """
    from numba.core.typing.typeof import typeof_impl

    typeof_impl.register(cls, typeof_impl.dispatch(tuple))


#: scalar types whose numba type is their Python or numpy type alone
_SCALARS = frozenset({float, bool, np.float32, np.float64, np.bool_, np.int8, np.int16,
                      np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64})
#: deep type keys of stamped records -> a small token (hashing a deep key on every call of a
#: kernel would cost as much as the call)
_TOKENS: dict[Any, int] = {}


def type_key(value: Any) -> Any:
    """A hashable key that determines the numba type of ``value``.

    Two values with the same key get the same compiled overload of a kernel. Arrays: dtype,
    dimensions and the flags numba types by; named tuples: their class and their members'
    keys (a record stamped by :func:`stamp`: a small token for that); scalars: their Python or
    numpy type (a Python int also by whether it fits int64, as numba types larger ones as
    uint64).
    """
    t = type(value)
    if t in _SCALARS:
        return t
    if t is int:
        return (int, -(2**63) <= value < 2**63)
    key = getattr(value, "_type_key", None)
    if key is not None:
        return key
    if t is np.ndarray:
        f = value.flags
        return ("array", value.dtype.str, value.ndim, f.c_contiguous, f.f_contiguous,
                f.writeable, f.aligned)
    if t is tuple or (isinstance(value, tuple) and hasattr(value, "_fields")):
        return (t, tuple([type_key(v) for v in value]))
    # anything else (lists, functions, array subclasses, other scalars): numba's own type,
    # slower to compute but never wrong
    from numba import typeof

    return ("numba", typeof(value))


_NUMBA_TYPES: dict[Any, Any] = {}


def numba_type(value: Any) -> Any:
    """numba's type of ``value``; computed once per type token for stamped records (the
    two worlds of a run, and the kernels of one mechanism, share their records' types)."""
    from numba import typeof

    key = getattr(value, "_type_key", None)
    if key is None:
        return typeof(value)
    found = _NUMBA_TYPES.get(key)
    if found is None:
        found = _NUMBA_TYPES.setdefault(key, typeof(value))
    return found


def stamp(record: Any) -> Any:
    """Store a small token of ``type_key(record)`` on ``record`` (a record class instance):
    records with the same types get the same token. Returns ``record``."""
    record._type_key = None
    deep = type_key(record)
    with _LOCK:
        token = _TOKENS.setdefault(deep, len(_TOKENS))
    record._type_key = ("record", token)
    return record


def arrays_in(value: Any, path: str = "") -> list[tuple[str, np.ndarray]]:
    """Every array inside ``value`` (records nested to any depth), with its dotted path."""
    if isinstance(value, np.ndarray):
        return [(path, value)]
    if isinstance(value, tuple):
        names = getattr(value, "_fields", None) or [str(i) for i in range(len(value))]
        out: list[tuple[str, np.ndarray]] = []
        for name, member in zip(names, value, strict=True):
            out += arrays_in(member, f"{path}.{name}" if path else name)
        return out
    return []
