"""Mechanism 8 -- appraisal: e-Kinerja ratings and the share "performing" (berkinerja)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.fast import JIT, count_at_or_below
from flexisim.population import Population

RATING_BANDS = np.array([0.6, 0.8, 1.0, 1.2])  # share of the standard at which ratings 2..5 begin
PERFORMING = 4  # "baik" or better


def rate(per_day: np.ndarray, standard: float) -> np.ndarray:
    """Rating 1-5 from measured output-quality per day and the performing standard."""
    return count_at_or_below(np.asarray(per_day), RATING_BANDS * standard) + np.int8(1)


@njit(**JIT)
def _accumulate(active, measured, cycle_measured, cycle_weeks):
    for i in range(len(active)):
        cycle_measured[i] += measured[i]
        if active[i]:
            cycle_weeks[i] += 1


@njit(**JIT)
def _rate_all(active, cycle_measured, cycle_weeks, bands, rating, performing):
    for i in range(len(active)):
        r = 0
        if active[i] and cycle_weeks[i] > 0:
            # float32 arithmetic, as the e-Kinerja accumulators are stored
            per_day = np.float32(np.float32(cycle_measured[i] / np.float32(cycle_weeks[i]))
                                 / np.float32(5.0))
            r = 1
            for b in bands:
                if per_day >= b:
                    r += 1
        rating[i] = r
        performing[i] = r >= PERFORMING
        cycle_measured[i] = 0.0
        cycle_weeks[i] = 0


def appraise(pop: Population, p: SimpleNamespace, rng: np.random.Generator, week: int) -> None:
    """Accumulate measured output; at the end of each cycle, rate everyone.

    Measured output-quality per working day over the cycle, relative to the standard, gives a
    rating from 1 to 5 (bands at 60, 80, 100 and 120% of ``performing_standard``, like the
    five e-Kinerja predicates: 1 sangat kurang, 2 kurang, 3 butuh perbaikan, 4 baik, 5 sangat
    baik). A person is "performing" at 4 or 5, i.e. when measured output reaches
    ``performing_standard`` (calibrated so that the office-only world gives the article's 40%
    baseline). Ratings are based on *measured*, not true, output: gaming and noise under low
    e-Kinerja credibility inflate or blur them.
    """
    s = pop.staff
    _accumulate(s.active, s.measured, s.cycle_measured, s.cycle_weeks)
    if (week + 1) % p.appraisal_weeks:
        return
    bands = RATING_BANDS * p.performing_standard
    _rate_all(s.active, s.cycle_measured, s.cycle_weeks, bands, s.rating, s.performing)
