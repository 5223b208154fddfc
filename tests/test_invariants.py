"""Property tests: invariants of a run that must hold for every valid scenario.

Hypothesis draws lever values anywhere in their declared ranges (flexisim.scenario.LEVERS,
extremes included), a seed and a small population, runs a few weeks and checks, week by week,
that shares stay shares, nothing turns NaN, the caps on flexible days hold and head counts
add up (agents are slots: exits and hires change who is active, never how many rows exist).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexisim.model import FlexiworkModel
from flexisim.population import FRONTLINE, OFFSITE
from flexisim.scenario import LEVERS

#: Levers drawn separately (run length, seed, population size) rather than over their range.
_RUN_LEVERS = ("steps", "seed", "n_asn")

#: Outputs that are shares or 0..1 indices of the week (timeseries columns).
SHARE_OUTPUTS = (
    "timeliness", "shirking_rate", "detected_shirking_rate", "false_accusation_rate",
    "eligible_share", "flex_uptake", "service_availability", "citizen_satisfaction",
    "frontline_presence", "share_distrustful", "wellbeing", "attrition", "share_under_35",
    "share_performing",
)
#: Staff columns that are shares / 0..1 indices of each person.
UNIT_COLUMNS = ("effort", "effort_office", "effort_remote", "quality", "belief", "wellbeing",
                "motivation", "on_time", "intent_to_leave", "verification", "internet", "skill")


def _lever_strategy(lever) -> st.SearchStrategy:
    if lever.type == "bool":
        return st.booleans()
    if lever.type == "int":
        return st.integers(int(lever.min), int(lever.max))
    if lever.type == "float":
        return st.floats(lever.min, lever.max, allow_nan=False, allow_infinity=False)
    if lever.type == "str":
        return st.sampled_from(lever.choices)
    if lever.type == "list[str]":
        return st.lists(st.sampled_from(lever.choices), unique=True)
    raise AssertionError(f"unknown lever type {lever.type}")


levers_st = st.fixed_dictionaries({kw: _lever_strategy(lever) for kw, lever in LEVERS.items()
                                   if kw not in _RUN_LEVERS})
run_st = st.fixed_dictionaries({
    "n_asn": st.integers(600, 1500),
    "steps": st.integers(3, 8),
    "seed": st.integers(0, 2**32 - 1),
    "counterfactual": st.booleans(),
})


def _check_staff(m: FlexiworkModel) -> None:
    s, p = m.pop.staff, m.p
    for name in UNIT_COLUMNS:
        col = np.asarray(getattr(s, name), dtype=float)
        assert not np.isnan(col).any(), f"NaN in staff.{name}"
        assert col.min() >= 0.0 and col.max() <= 1.0, (
            f"staff.{name} outside [0, 1]: {col.min()}..{col.max()}")
    for name in ("output", "measured", "shortfall", "coordination", "ability"):
        col = np.asarray(getattr(s, name), dtype=float)
        assert np.isfinite(col).all() and col.min() >= 0.0, f"staff.{name} negative or NaN"
    days = s.flex_days.astype(int)
    offsite = s.job == OFFSITE
    assert days.min() >= 0 and days.max() <= 5
    assert np.all(days[~offsite] <= p.max_flex_days), "cap on flexible days exceeded"
    assert not days[~s.active].any(), "an empty post works flexibly"
    if not p.flexiwork_enabled:
        assert not days.any() and not s.approved.any()
    assert not (s.approved & ~s.eligible).any(), "approved without being eligible"
    assert np.all((s.shirk_days >= 0) & (s.shirk_days <= 5))
    assert np.all(s.reprimand_left >= 0)


def _check_citizens(m: FlexiworkModel) -> None:
    trust = np.asarray(m.pop.citizens.trust, dtype=float)
    assert not np.isnan(trust).any()
    assert trust.min() >= 0.0 and trust.max() <= 1.0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(levers=levers_st, run=run_st)
def test_run_invariants(levers, run):
    m = FlexiworkModel(rng=run["seed"], n_asn=run["n_asn"], counterfactual=run["counterfactual"],
                       **levers)
    pop = m.pop
    n_staff, n_leaders, n_citizens = len(pop.staff), len(pop.leaders), len(pop.citizens)
    hires_total = pop.staff.hires.sum()
    active = int(pop.staff.active.sum())
    needs = []
    for _ in range(run["steps"]):
        m.step()
        # slots, leaders and citizens are fixed; only who is active changes
        assert len(pop.staff) == n_staff
        assert len(pop.leaders) == n_leaders
        assert len(pop.citizens) == n_citizens
        for column in ("active", "flex_days", "belief", "effort", "hires"):
            assert len(getattr(pop.staff, column)) == n_staff
        assert len(pop.citizens.trust) == n_citizens
        now = int(pop.staff.active.sum())
        assert pop.n_active == now  # counts refreshed after exits and hires
        mt = m.metrics
        hires, exits = mt["recruits"], mt["attrition"] * mt["active_staff"]
        assert mt["active_staff"] == now
        assert now - active == round(hires) - round(exits), "head count does not add up"
        assert abs(exits - round(exits)) < 1e-6
        assert pop.staff.hires.sum() - hires_total == round(hires)  # every hire fills a slot
        hires_total, active = pop.staff.hires.sum(), now
        needs.append(bool(pop.citizens.needed.any()))
        _check_staff(m)
        _check_citizens(m)

    ts = m.timeseries()
    assert len(ts) == run["steps"]
    for name in SHARE_OUTPUTS:
        col = ts[name]
        if name == "citizen_satisfaction":
            assert np.array_equal(col.isna().to_numpy(), ~np.array(needs)), (
                "citizen_satisfaction is NaN although citizens had a need (or vice versa)")
            col = col.dropna()
        assert col.between(0.0, 1.0).all(), f"{name} outside [0, 1]: {col.tolist()}"
    no_recruits = ts["recruits"] == 0
    assert ts.loc[~no_recruits, "recruit_ability"].notna().all()
    assert ts.loc[no_recruits, "recruit_ability"].isna().all()
    others = ts.drop(columns=["recruit_ability", "citizen_satisfaction"])
    nan_columns = others.columns[others.isna().any()].tolist()
    assert not nan_columns, f"NaN in {nan_columns}"
    trust_columns = [c for c in ts.columns if c.startswith("public_trust")]
    assert trust_columns
    for name in trust_columns:
        assert ts[name].between(0.0, 100.0).all(), name
    assert ts["mean_flex_days"].between(0.0, 5.0).all()
    assert (ts["performance"] >= 0).all()
    assert (ts["scandals"] >= 0).all()
    if not levers["flexiwork_enabled"]:
        assert (ts["flex_uptake"] == 0).all() and (ts["eligible_share"] == 0).all()
    if run["counterfactual"] and levers["flexiwork_enabled"]:
        assert m.counterfactual is not None
        assert not m.counterfactual.p.flexiwork_enabled
        assert not m.counterfactual.pop.staff.flex_days.any()
        # the twin world has the same people and slots
        assert len(m.counterfactual.pop.staff) == n_staff
        assert np.array_equal(m.counterfactual.pop.staff.job, pop.staff.job)
    else:
        assert np.allclose(ts["performance_counterfactual"], ts["performance"])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_asn=st.integers(600, 1500),
       levers=levers_st)
def test_same_seed_same_run(seed, n_asn, levers):
    """A run is a pure function of its scenario and seed."""
    runs = [FlexiworkModel(rng=seed, n_asn=n_asn, counterfactual=False, **levers).run(3)
            for _ in range(2)]
    a, b = (r.to_numpy(dtype=float) for r in runs)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(np.nan_to_num(a), np.nan_to_num(b))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_asn=st.integers(600, 1500),
       cap=st.integers(0, 5), quota=st.floats(0.0, 1.0), floor=st.floats(0.0, 1.0))
def test_flexible_day_limits_hold_per_agency(seed, n_asn, cap, quota, floor):
    """The cap, the agency quota and the frontline floor hold every week in every agency."""
    m = FlexiworkModel(rng=seed, n_asn=n_asn, counterfactual=False, max_flex_days=cap,
                       agency_quota=quota, min_onsite_frontline=floor, trust_culture=0.9)
    pop = m.pop
    s = pop.staff
    n_ag = len(pop.agencies)
    for _ in range(4):
        # the limits bind on the staff in post when the days are chosen (before this week's
        # exits; leavers' days are reset to zero and recruits start with none)
        counted = np.bincount(s.agency, weights=s.active & (s.job != OFFSITE), minlength=n_ag)
        front = np.bincount(s.agency, weights=s.active & (s.job == FRONTLINE), minlength=n_ag)
        m.step()
        days = s.flex_days.astype(float)
        used = np.bincount(s.agency, weights=days * (s.job != OFFSITE), minlength=n_ag)
        assert np.all(used <= quota * 5 * counted + 1e-9), "agency quota exceeded"
        away = np.bincount(s.agency, weights=days * (s.job == FRONTLINE), minlength=n_ag)
        assert np.all(away <= (1 - floor) * 5 * front + 1e-9), "frontline floor broken"
        assert days[s.job != OFFSITE].max(initial=0) <= cap
        assert math.isfinite(m.metrics["performance"])
