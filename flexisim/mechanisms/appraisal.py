"""Mechanism 8 -- appraisal: e-Kinerja ratings and the share "performing" (berkinerja)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.population import Population


RATING_BANDS = np.array([0.6, 0.8, 1.0, 1.2])  # share of the standard at which ratings 2..5 begin
PERFORMING = 4  # "baik" or better


def rate(per_day: np.ndarray, standard: float) -> np.ndarray:
    """Rating 1-5 from measured output-quality per day and the performing standard."""
    return (np.searchsorted(RATING_BANDS * standard, per_day, side="right") + 1).astype(np.int8)


def appraise(pop: Population, p: SimpleNamespace, rng: np.random.Generator, week: int) -> None:
    """Accumulate measured output; at the end of each cycle, rate everyone.

    Measured output-quality per working day over the cycle, relative to the standard, gives a
    rating from 1 to 5 (bands at 60, 80, 100 and 120% of ``performing_standard``, like the
    five e-Kinerja predicates: 1 sangat kurang, 2 kurang, 3 butuh perbaikan, 4 baik, 5 sangat
    baik). A person is "performing" at 4 or 5, i.e. when measured output reaches
    ``performing_standard``
    (calibrated so that the office-only world gives the article's 40% baseline). Ratings are based on *measured*, not true, output: gaming and noise
    under low e-Kinerja credibility inflate or blur them.
    """
    s = pop.staff
    s.cycle_measured += s.measured
    s.cycle_weeks += s.active
    if (week + 1) % p.appraisal_weeks:
        return
    rated = s.active & (s.cycle_weeks > 0)
    per_day = s.cycle_measured / np.maximum(s.cycle_weeks, 1) / 5.0
    s.rating = np.where(rated, rate(per_day, p.performing_standard), 0).astype(np.int8)
    s.performing = s.rating >= PERFORMING
    s.cycle_measured[:] = 0.0
    s.cycle_weeks[:] = 0
