"""The engine's kernel dispatch (flexisim/engine): cheap calls that are never wrong.

``@kernel`` calls the compiled entry point directly, keyed by a type key of the arguments;
the key must give different compiled overloads to arguments numba types differently, or a
kernel would silently compute with the wrong types.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from flexisim.engine import kernel
from flexisim.engine.records import record_class, stamp, type_key


@kernel
def first(x):
    return x[0]


@kernel
def apply(f, x):
    return f(x)


@njit
def plus_one(x):
    return x + 1.0


@njit
def times_ten(x):
    return x * 10.0


@pytest.mark.filterwarnings("ignore::numba.NumbaPendingDeprecationWarning")  # reflected lists
def test_arguments_numba_types_differently_get_their_own_overload():
    assert first([1, 2]) == 1
    assert first([1.5, 2.5]) == 1.5  # a list of floats after a list of ints
    assert first((3, 4)) == 3
    assert first(np.array([5.5])) == 5.5
    assert first(np.array([7], np.int8)) == 7
    assert apply(plus_one, 1.0) == 2.0
    assert apply(times_ten, 1.0) == 10.0  # another function, the same signature shape


def test_the_type_key_tells_apart_what_numba_types_apart():
    assert type_key(np.float32(1)) != type_key(np.float64(1))
    assert type_key(1) != type_key(2**63)  # int64 vs uint64
    assert type_key(np.zeros(3, np.float32)) != type_key(np.zeros(3, np.float64))
    assert type_key(np.zeros((3, 2))) != type_key(np.zeros((3, 2)).T)  # C vs F layout
    readonly = np.zeros(3)
    readonly.setflags(write=False)
    assert type_key(readonly) != type_key(np.zeros(3))
    assert type_key([1]) != type_key([1.0])


def test_stamped_records_of_the_same_types_share_a_token():
    cls = record_class("test_engine__pair", ("a", "b"))
    assert record_class("test_engine__pair", ("a", "b")) is cls
    with pytest.raises(ValueError, match="other fields"):
        record_class("test_engine__pair", ("a", "c"))
    one = stamp(cls(np.zeros(2, np.float32), np.float32(1)))
    two = stamp(cls(np.ones(5, np.float32), np.float32(3)))
    other = stamp(cls(np.zeros(2, np.float64), np.float32(1)))
    assert type_key(one) == type_key(two) != type_key(other)
