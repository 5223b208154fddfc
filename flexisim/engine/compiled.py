"""Compiled building blocks of the engine (numba): counter-based uniforms, sums, constants.

The mechanisms are loops over rows compiled by numba (one fused pass per mechanism instead
of a numpy temporary per operation): the memory-lean form the national scale needs
(5.6 million civil servants in two worlds). This module imports nothing from flexisim but
the engine, so the state, the population and the mechanisms can all use it.

Loops over a group's row range (``for i in range(np.uint64(start), np.uint64(stop))``) use
unsigned row numbers: numba wraps a negative signed index around, and when the compiler
cannot prove the index non-negative (a range starting at a loaded offset) every load and
store becomes a gather or scatter and the loop does not vectorise (measured: the citizens'
kernel ran 5x slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from flexisim.engine.kernel import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = np.float32(1.0 / (1 << 24))
_TO_UNIT53 = 1.0 / float(1 << 53)


def week_key(rng: np.random.Generator) -> np.uint64:
    """The week's key of a mechanism's stream: one 64-bit draw, whatever the population size.

    Every per-agent uniform of the mechanism is then ``counter_uniform(key, row, k, K)``
    (SplitMix64 at counter ``row x K + k`` of a sequence seeded by the key): a fixed-shape
    draw (one key per week per stream), so common random numbers hold between worlds, and
    row ``i`` gets the same uniforms in both worlds of a run whatever happens to other rows.
    """
    return np.uint64(rng.integers(0, 2**63, dtype=np.int64))


@njit(inline="always")
def counter_bits(key, row, k, per_row):
    """The 64 random bits behind ``counter_uniform`` (SplitMix64 at counter ``row x K + k``)."""
    x = key + (np.uint64(row) * np.uint64(per_row) + np.uint64(k) + np.uint64(1)) * _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


@njit(inline="always")
def counter_uniform(key, row, k, per_row):
    """Uniform in [0, 1) (float32, 24 bits) for draw ``k`` of ``per_row`` of agent ``row``."""
    return np.float32(counter_bits(key, row, k, per_row) >> np.uint64(40)) * _TO_UNIT


@njit(inline="always")
def counter_index(key, row, k, per_row, n):
    """Uniform integer in ``0..n-1`` (from 53 bits, so uniform also for millions of choices)."""
    u = np.float64(counter_bits(key, row, k, per_row) >> np.uint64(11)) * _TO_UNIT53
    return min(np.int64(u * n), n - 1)


@kernel
def counter_uniforms(key, n, k, per_row):
    """``counter_uniform`` for rows ``0..n-1`` as an array (for the rare vectorised path)."""
    out = np.empty(n, np.float32)
    for i in range(n):
        out[i] = counter_uniform(key, i, k, per_row)
    return out


@kernel
def group_sums(values, active, group, n_groups):
    """Sum of ``values`` over active rows, per group (float64 accumulators).

    Summed in a register over each run of equal ``group`` and added to the group's total at
    the end of the run: rows are in team order, so each group is one run and the sums are
    exactly those of adding row by row (in any order of rows the result is correct).
    """
    out = np.zeros(n_groups)
    if len(values) == 0:
        return out
    current = group[0]
    acc = 0.0
    for i in range(len(values)):
        g = group[i]
        if g != current:
            out[current] += acc
            acc = 0.0
            current = g
        if active[i]:
            acc += values[i]
    out[current] += acc
    return out


#: float32 constants for the row kernels. The kernels compute in float32, the columns' own
#: precision: a Python literal (float64) would promote the whole expression to float64 and
#: halve the vector lanes (measured: the effort kernel takes 2.4x as long in float64). Sums
#: over rows keep float64 accumulators.
ZERO, HALF, ONE, TWO, FIVE = (np.float32(v) for v in (0.0, 0.5, 1.0, 2.0, 5.0))


@njit(inline="always")
def clip01(x):
    """``x`` clipped to [0, 1], in ``x``'s precision (float32 stays float32)."""
    return min(max(x, ZERO), ONE)


@njit(inline="always")
def exp_arith(x):
    """``exp(x)`` in plain arithmetic, so that loops calling it vectorise (LLVM has no vector
    ``exp`` here): ``exp(x / 1024)`` by its Taylor series to degree 8, squared ten times.
    Relative error below 1e-12 for ``|x| <= 100`` (the quit hazard uses ``|x| <= 4``)."""
    y = x * (1.0 / 1024.0)
    p = 1.0 + y * (1.0 + y * (1.0 / 2.0 + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (
        1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0 + y * (1.0 / 40320.0))))))))
    for _ in range(10):
        p = p * p
    return p


@njit(inline="always")
def exp_arith32(x):
    """``exp(x)`` for a float32 ``x`` in float32 arithmetic (vectorises 8 lanes wide):
    ``exp(x / 128)`` by its Taylor series to degree 7, squared seven times. Relative error
    below 2e-5 for ``|x| <= 30`` (measured; each squaring doubles the rounding error), ample
    for a weekly hazard (the quit hazard uses ``|x| <= 4`` at the calibrated elasticity)."""
    y = x * np.float32(1.0 / 128.0)
    p = ONE + y * (ONE + y * (HALF + y * (np.float32(1.0 / 6.0) + y * (
        np.float32(1.0 / 24.0) + y * (np.float32(1.0 / 120.0) + y * (
            np.float32(1.0 / 720.0) + y * np.float32(1.0 / 5040.0)))))))
    for _ in range(7):
        p = p * p
    return p


@njit(inline="always")
def sigmoid1(x):
    return 1.0 / (1.0 + exp_arith(-x))


@kernel
def active_sum_count(values, active):
    """Sum of ``values`` over active rows (float64) and the number of active rows."""
    total = 0.0
    count = 0
    for i in range(len(values)):
        if active[i]:
            total += values[i]
            count += 1
    return total, count


@kernel
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


@kernel
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


@kernel
def local_ties_kernel(key, region, region_rows, spec, out):
    """``spec.k`` word-of-mouth ties per citizen, written as CSR column indices.

    With probability ``spec.within`` a tie stays in the citizen's region: a citizen of the
    rows ``spec.window`` either side of their own (rows are in agency order, so these are the
    neighbourhoods served by the same and the adjacent agencies), wrapping around inside the
    region; the whole region when it has at most ``2 window + 1`` citizens. Otherwise the
    tie is anyone in the country. Three counter-based draws per tie. Each row lists its
    neighbourhood ties first (``out.near[c]`` of them, into ``out.indices``), then the ties
    to anyone. Region ``r`` is the rows ``region_rows[r]:region_rows[r + 1]``.
    """
    k, within, window = spec.k, spec.within, spec.window
    indices, near = out.indices, out.near
    n = len(region)
    span = 2 * window + 1
    per_row = 3 * k
    for c in range(n):
        r = region[c]
        lo = region_rows[r]
        size = region_rows[r + 1] - lo
        first = c * k
        last = first + k - 1
        n_near = 0
        for j in range(k):
            if counter_uniform(key, c, 3 * j, per_row) < within:
                if size <= span:
                    dst = lo + counter_index(key, c, 3 * j + 1, per_row, size)
                else:
                    # wrap around inside the region: |offset| <= window < size, so one
                    # correction does what % does, without an integer division per tie
                    pos = c - lo + counter_index(key, c, 3 * j + 1, per_row, span) - window
                    pos = pos + size if pos < 0 else (pos - size if pos >= size else pos)
                    dst = lo + pos
                indices[first + n_near] = dst
                n_near += 1
            else:
                indices[last - (j - n_near)] = counter_index(key, c, 3 * j + 2, per_row, n)
        near[c] = n_near


@kernel
def far_ties(indptr, indices, near, n_far):
    """Split the ties for the word-of-mouth pass (rows list their ``near`` ties first).

    Returns the targets of the other ("far") ties in row order, and for every tie its slot
    in the array the pass reads: the target row for a neighbourhood tie, ``n + m`` for the
    ``m``-th far tie (whose trust is gathered there first, in one tight loop).
    """
    n = len(near)
    far = np.empty(n_far, np.int32)
    slot = indices.astype(np.int32)
    m = 0
    for c in range(n):
        for j in range(indptr[c] + near[c], indptr[c + 1]):
            far[m] = indices[j]
            slot[j] = n + m
            m += 1
    return far, slot
