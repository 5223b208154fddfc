"""Shared numpy helpers of the mechanisms: Poisson draws from uniforms, grouped capacity limits,
and what people first think of someone new."""

from __future__ import annotations

import numpy as np

#: unit costs are in million rupiah, budgets and costs in billion rupiah (investment,
#: leadership training)
MILLION_IN_BILLION = 1000.0

#: a leader's belief in someone whose work they have not yet seen (a recruit, or the team of
#: a new leader), and that person's trust in the leader to begin with (assumptions)
FIRST_BELIEF = 0.5
FIRST_TRUST_IN_LEADER = 0.7

#: hours a day a counter is open, and the shared core of a working day, without time
#: flexibility: the legal working week of 37.5 hours over five days (Perpres 21/2023) plus
#: the break
OFFICE_HOURS = 8.0


def off_core_share(off_core_hours: float) -> float:
    """Share of a shift or dynamic-hours worker's day outside the shared core hours (ODD
    §7.10): ``off_core_hours / OFFICE_HOURS``, at most 1. The same quantity staffs extended
    counter hours and costs the team shared time."""
    return min(max(off_core_hours, 0.0) / OFFICE_HOURS, 1.0)


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray, kmax: int = 50) -> np.ndarray:
    """Poisson counts by inverting the CDF at ``u``.

    One uniform per count keeps the streams aligned.
    """
    k = np.arange(kmax + 1)
    log_pmf = k[None, :] * np.log(np.maximum(mean, 1e-300))[:, None] - mean[:, None] - np.cumsum(
        np.log(np.maximum(k, 1)))[None, :]
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    return (u[:, None] > cdf).sum(axis=1).astype(np.float64)


def cap_within_groups(values: np.ndarray, group: np.ndarray, priority: np.ndarray,
                      capacity: np.ndarray) -> np.ndarray:
    """Keep, inside each group, the rows of highest priority whose values fit the capacity.

    Row j is kept when the cumulative ``values`` of its group's rows, taken in decreasing
    priority up to and including j, stays within ``capacity[group]`` (a priority queue:
    once the capacity is reached, lower-priority requests wait).
    Rows with ``values == 0`` are always kept. Returns a boolean mask.
    Vectorised: one lexsort and one cumulative sum, no loop over groups.
    """
    totals = np.bincount(group, weights=values, minlength=len(capacity))
    if np.all(totals <= capacity + 1e-9):  # the usual case: nothing to ration, skip the sort
        return np.ones(len(values), bool)
    order = np.lexsort((-priority, group))
    v = values[order].astype(np.float64)
    g = group[order]
    csum = np.cumsum(v)
    start = np.searchsorted(g, g, side="left")  # first row of each row's group (g is sorted)
    before = np.where(start > 0, csum[start - 1], 0.0)
    within = csum - before
    keep_sorted = within <= capacity[g] + 1e-9
    keep = np.empty(len(values), bool)
    keep[order] = keep_sorted
    return keep | (values == 0)
