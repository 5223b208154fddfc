"""Mechanism 8 -- appraisal: e-Kinerja ratings and the share "performing" (berkinerja)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.population import Population


def appraise(pop: Population, p: SimpleNamespace, rng: np.random.Generator, week: int) -> None:
    """Accumulate measured output; at the end of each cycle, rate everyone.

    A person is rated "performing" when their measured output-quality per working day over the
    cycle reaches ``performing_standard`` (calibrated so that the office-only world gives the
    article's 40% baseline). Ratings are based on *measured*, not true, output: gaming and noise
    under low e-Kinerja credibility inflate or blur them.
    """
    s = pop.staff
    s.cycle_measured += s.measured
    s.cycle_weeks += s.active
    if (week + 1) % p.appraisal_weeks:
        return
    rated = s.cycle_weeks > 0
    per_day = s.cycle_measured / np.maximum(s.cycle_weeks, 1) / 5.0
    s.performing = rated & s.active & (per_day >= p.performing_standard)
    s.cycle_measured[:] = 0.0
    s.cycle_weeks[:] = 0
