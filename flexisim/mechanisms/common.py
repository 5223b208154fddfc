"""Shared pieces of the mechanisms: parameters, per-row context, grouped capacity limits."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from types import SimpleNamespace
from typing import Any

import numpy as np

from flexisim.fast import (  # noqa: F401  (re-exported for the mechanisms)
    FIVE,
    HALF,
    JIT,
    JIT_DISJOINT,
    ONE,
    TWO,
    ZERO,
    clip01,
    counter_uniform,
    counter_uniforms,
    exp_arith32,
    group_sums,
    sigmoid1,
    week_key,
)
from flexisim.mechanisms.appraisal import PERFORMING, rate
from flexisim.population import F, Population, tables


@cache
def calibration_defaults() -> dict[str, float]:
    """Behavioural coefficients from ``flexisim/data/calibration.toml``."""
    with resources.files("flexisim.data").joinpath("calibration.toml").open("rb") as fh:
        return tomllib.load(fh)


SIGNED_COEFFICIENTS = frozenset({"day_base"})


def make_params(levers: dict[str, Any], calibration: dict[str, float] | None = None
                ) -> SimpleNamespace:
    """One namespace of levers and calibration coefficients, read by every mechanism.

    Unknown calibration names are an error here: a typo must not silently do nothing.
    """
    cal = dict(calibration_defaults())
    for key, value in (calibration or {}).items():
        if key not in cal:
            raise KeyError(f"unknown calibration coefficient {key!r}")
        value = float(value)
        # every coefficient is a weight, rate or share; only logit intercepts may be negative
        if not np.isfinite(value) or (value < 0 and key not in SIGNED_COEFFICIENTS):
            raise ValueError(f"calibration coefficient {key!r}: {value} is not allowed "
                             "(a finite number >= 0)")
        cal[key] = value
    return SimpleNamespace(**cal, **levers)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def uniform_noise(rng: np.random.Generator, shape: int | tuple[int, ...], sd: float) -> np.ndarray:
    """Zero-mean noise with standard deviation ``sd`` (uniform, so bounded and cheap to draw).

    A normal draw costs several times a uniform one; where only the spread matters (weekly
    effort swings, task luck, measurement noise) the uniform law serves.
    """
    half_width = np.float32(sd * np.sqrt(3.0))
    return (rng.random(shape, dtype=np.float32) * 2.0 - 1.0) * half_width


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


def apply_levers(pop: Population, p: SimpleNamespace, year: float = 0.0) -> None:
    """Map the population's latent draws to attributes under the current levers.

    Called at set-up and whenever infrastructure investment moves the levels. The same latent
    draw gives the same person a device in both the policy world and its counterfactual.
    """
    t = tables()
    s, L, A = pop.staff, pop.leaders, pop.agencies
    # leadership: style = trust culture + a uniform spread of width 0.5 around it, clipped to
    # [0, 1] (so at extreme cultures the mean moves slightly toward the middle)
    spread = (L.style_latent - 0.5) * 0.5
    L.style = np.clip(p.trust_culture + spread, 0.0, 1.0).astype(F)
    L.trained = L.training_latent < p.training_share
    L.results_based = L.mode_latent < p.results_based_share
    # measurement credibility per agency: the lever plus agency heterogeneity, raised by
    # integration with e-planning / e-budgeting (source article: prerequisite 1)
    base = np.clip(p.measurement_credibility + 0.08 * A.credibility_latent, 0.0, 1.0)
    p.credibility = np.clip(base + 0.3 * p.planning_integration * (1.0 - base), 0, 1).astype(F)
    infrastructure_levels(pop, p, year)
    # per-staff view of their leader and agency (static within a run)
    p.lead_style = L.style[s.leader]
    p.lead_trained = L.trained[s.leader]
    p.lead_results = L.results_based[s.leader]
    # training in (digital) adaptive leadership also raises digital literacy (Singapore-style
    # programmes train digital leadership for all officials; assumption: +0.25)
    literacy = np.clip(L.digital_literacy + F(0.25) * L.trained, 0.0, 1.0).astype(F)
    p.lead_literacy = literacy[s.leader]
    p.staff_credibility = p.credibility[s.agency]
    # last appraisal before the run: what today's e-Kinerja would have said of each person
    # at their usual effort (so "performing only" eligibility works from week 1)
    usual = s.ability * s.motivation * (p.quality_base + (1 - p.quality_base) * s.motivation)
    s.rating = rate(usual, p.performing_standard)
    s.performing = s.rating >= PERFORMING
    # staff expect this week's checks at the announced rate until leaders' targeting shows
    s.verification[:] = p.verification_rate
    p.eastern = t["eastern"]


def infrastructure_levels(pop: Population, p: SimpleNamespace, year: float,
                          rows: np.ndarray | None = None) -> None:
    """Regional device access, internet quality and platform quality after ``year`` of investment.

    ``rows`` limits the update of individual staff attributes to those rows (new recruits);
    ``None`` updates everyone, citizens included.
    """
    t = tables()
    s = pop.staff
    closed = 1.0 - (1.0 - p.investment_per_year) ** year  # share of the gap closed so far
    gap = np.clip(p.regional_gap * t["digital_gap"], 0.0, 1.0) * (1.0 - closed)
    device = p.device_access + (1.0 - p.device_access) * closed
    internet = p.internet_quality + (1.0 - p.internet_quality) * closed
    p.region_device = (device * (1.0 - gap)).astype(F)
    p.region_internet = (internet * (1.0 - gap)).astype(F)
    p.platform = F(p.platform_quality + (1.0 - p.platform_quality) * closed)
    idx = slice(None) if rows is None else rows
    region = s.region[idx]
    s.device[idx] = s.device_latent[idx] < p.region_device[region]
    s.internet[idx] = np.clip(p.region_internet[region] + 0.1 * s.internet_latent[idx], 0, 1)
    s.skill[idx] = np.clip(s.skill_base[idx] - 0.5 * gap[region], 0, 1)
    if rows is not None:
        return
    c = pop.citizens
    p.citizen_online = c.access_latent < (t["citizen_internet"] * (1.0 - closed) + closed)[c.region]
