"""Compiled building blocks of the engine (numba): counter-based uniforms and group sums.

The mechanisms are loops over rows compiled by numba (one fused pass per mechanism instead
of a numpy temporary per operation): the memory-lean form the national scale needs
(5.6 million civil servants in two worlds). This module imports nothing from flexisim, so
population.py and the mechanisms can both use it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Options of every compiled kernel: cached on disk (compiled once per machine), and
#: releasing the GIL so the two worlds of a run can step in two threads.
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = np.float32(1.0 / (1 << 24))


def week_key(rng: np.random.Generator) -> np.uint64:
    """The week's key of a mechanism's stream: one 64-bit draw, whatever the population size.

    Every per-agent uniform of the mechanism is then ``counter_uniform(key, row, k, K)``
    (SplitMix64 at counter ``row x K + k`` of a sequence seeded by the key): a fixed-shape
    draw (one key per week per stream), so common random numbers hold between worlds, and
    row ``i`` gets the same uniforms in both worlds of a run whatever happens to other rows.
    """
    return np.uint64(rng.integers(0, 2**63, dtype=np.int64))


@njit(inline="always")
def counter_uniform(key, row, k, per_row):
    """Uniform in [0, 1) (float32, 24 bits) for draw ``k`` of ``per_row`` of agent ``row``."""
    x = key + (np.uint64(row) * np.uint64(per_row) + np.uint64(k) + np.uint64(1)) * _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    x = x ^ (x >> np.uint64(31))
    return np.float32(x >> np.uint64(40)) * _TO_UNIT


@njit(**JIT)
def counter_uniforms(key, n, k, per_row):
    """``counter_uniform`` for rows ``0..n-1`` as an array (for the rare vectorised path)."""
    out = np.empty(n, np.float32)
    for i in range(n):
        out[i] = counter_uniform(key, i, k, per_row)
    return out


@njit(**JIT)
def group_sums(values, active, group, n_groups):
    """Sum of ``values`` over active rows, per group (float64 accumulators)."""
    out = np.zeros(n_groups)
    for i in range(len(values)):
        if active[i]:
            out[group[i]] += values[i]
    return out


@njit(inline="always")
def clip01(x):
    return min(max(x, 0.0), 1.0)


@njit(inline="always")
def sigmoid1(x):
    return 1.0 / (1.0 + np.exp(-x))


@njit(**JIT)
def refresh_kernel(active, leader, agency, region, weight, per_leader, per_agency, per_region):
    """Active-staff weight and headcounts per leader, agency and region, in one pass."""
    per_leader[:] = 0.0
    per_agency[:] = 0.0
    per_region[:] = 0.0
    n_active = 0
    for i in range(len(active)):
        if active[i]:
            weight[i] = 1.0
            per_leader[leader[i]] += 1.0
            per_agency[agency[i]] += 1.0
            per_region[region[i]] += 1.0
            n_active += 1
        else:
            weight[i] = 0.0
    return n_active


@njit(**JIT)
def active_dot(values, active):
    """Sum of ``values`` over active rows (float64 accumulator)."""
    total = 0.0
    for i in range(len(values)):
        if active[i]:
            total += values[i]
    return total


@njit(**JIT)
def categorical_kernel(u, cdf):
    """Category of each uniform: the number of CDF points at or below it (capped)."""
    out = np.empty(len(u), np.int8)
    last = len(cdf) - 1
    for i in range(len(u)):
        c = 0
        while c < last and cdf[c] <= u[i]:
            c += 1
        out[i] = c
    return out


@njit(**JIT)
def pick_within_kernel(groups_of_rows, counts, group, u):
    """Row i gets candidate ``floor(u_i k)`` (in index order) among the k of its group."""
    start = np.zeros(len(counts) + 1, np.int64)
    for g in range(len(counts)):
        start[g + 1] = start[g] + counts[g]
    fill = start[:-1].copy()
    order = np.empty(len(groups_of_rows), np.int64)
    for j in range(len(groups_of_rows)):  # stable counting sort of the candidates by group
        g = groups_of_rows[j]
        order[fill[g]] = j
        fill[g] += 1
    out = np.empty(len(group), np.int64)
    for i in range(len(group)):
        g = group[i]
        k = counts[g]
        out[i] = order[start[g] + min(np.int64(u[i] * k), k - 1)]
    return out


@njit(**JIT)
def stable_order(keys, n_keys):
    """``np.argsort(keys, kind="stable")`` for small non-negative integer keys (counting sort)."""
    start = np.zeros(n_keys + 1, np.int64)
    for j in range(len(keys)):
        start[keys[j] + 1] += 1
    for g in range(n_keys):
        start[g + 1] += start[g]
    order = np.empty(len(keys), np.int64)
    for j in range(len(keys)):
        g = keys[j]
        order[start[g]] = j
        start[g] += 1
    return order


@njit(**JIT)
def count_at_or_below(values, bands):
    """For each value, how many of the (sorted) ``bands`` are at or below it."""
    out = np.empty(len(values), np.int8)
    for i in range(len(values)):
        c = 0
        for b in bands:
            if values[i] >= b:
                c += 1
        out[i] = c
    return out
