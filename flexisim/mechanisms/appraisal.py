"""Mechanism 8 -- appraisal: e-Kinerja ratings and the share "performing" (berkinerja)."""

from __future__ import annotations

import numpy as np
from numba import njit

from flexisim.engine import kernel
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import Population, ViewSpec

RATING_BANDS = np.array([0.6, 0.8, 1.0, 1.2])  # share of the standard at which ratings 2..5 begin
PERFORMING = 4  # "baik" or better

VIEW = ViewSpec(
    "appraisal",
    reads={"staff": ("active", "measured")},
    writes={"staff": ("cycle_measured", "cycle_weeks", "rating", "performing")},
    parameters=("appraisal_weeks", "performing_standard"))


@njit(inline="always")
def _rating(per_day, bands):
    """The e-Kinerja rating 1-5 of a measured output-quality per day: 1 plus the number of
    bands (shares of the standard) it reaches."""
    r = 1
    for b in bands:
        if per_day >= b:
            r += 1
    return r


@kernel
def _rate_values(values, bands, out):
    for i in range(len(values)):
        out[i] = _rating(values[i], bands)


def rate(per_day: np.ndarray, standard: float) -> np.ndarray:
    """Rating 1-5 from measured output-quality per day and the performing standard."""
    out = np.empty(len(per_day), np.int8)
    _rate_values(np.asarray(per_day), RATING_BANDS * standard, out)
    return out


@kernel
def _accumulate(v):
    s = v.staff
    for i in range(len(s.active)):
        s.cycle_measured[i] += s.measured[i]
        if s.active[i]:
            s.cycle_weeks[i] += 1


@kernel
def _rate_all(v, bands):
    s = v.staff
    for i in range(len(s.active)):
        r = 0
        if s.active[i] and s.cycle_weeks[i] > 0:
            # float32 arithmetic, as the e-Kinerja accumulators are stored
            per_day = np.float32(np.float32(s.cycle_measured[i] / np.float32(s.cycle_weeks[i]))
                                 / np.float32(5.0))
            r = _rating(per_day, bands)
        s.rating[i] = r
        s.performing[i] = r >= PERFORMING
        s.cycle_measured[i] = 0.0
        s.cycle_weeks[i] = 0


def appraise(pop: Population, p: Params, rng: None, week: int) -> None:
    """Accumulate measured output; at the end of each cycle, rate everyone.

    Measured output-quality per working day over the cycle, relative to the standard, gives a
    rating from 1 to 5 (bands at 60, 80, 100 and 120% of ``performing_standard``, like the
    five e-Kinerja predicates: 1 sangat kurang, 2 kurang, 3 butuh perbaikan, 4 baik, 5 sangat
    baik). A person is "performing" at 4 or 5, i.e. when measured output reaches
    ``performing_standard`` (calibrated so that the office-only world gives the article's 40%
    baseline). Ratings are based on *measured*, not true, output: gaming and noise under low
    e-Kinerja credibility inflate or blur them.
    """
    v = pop.views(VIEW, p)
    _accumulate(v)
    if (week + 1) % p.appraisal_weeks:
        return
    _rate_all(v, RATING_BANDS * p.performing_standard)


MECHANISM = Mechanism(VIEW, appraise, stream=False)
