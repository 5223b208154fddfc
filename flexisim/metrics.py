"""Indicators of a run: per-step outputs, the counterfactual pairing and the run summary."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from flexisim.engine import kernel
from flexisim.params import Params
from flexisim.population import REFERENCE_REGION
from flexisim.state import Population, ViewSpec

WEEKS_PER_YEAR = 52.0

#: Outputs recorded every step: name -> (unit, description). The same list drives the
#: DataCollector, timeseries.csv and the figures.
OUTPUTS: dict[str, tuple[str, str]] = {
    "performance": ("index", "mean output x quality per working day, x100 (true, not measured)"),
    "performance_counterfactual": ("index", "performance of the same world without flexiwork"),
    "timeliness": ("share", "share of work delivered on time"),
    "shirking_rate": ("share", "share of staff-days shirked (true)"),
    "detected_shirking_rate": ("share/week",
                               "staff reprimanded for real shirking, per active staff"),
    "false_accusation_rate": ("share/week",
                              "staff reprimanded without shirking, per active staff"),
    "reprimanded_share": ("share", "active staff under a reprimand (flexibility withdrawn, "
                                   "allowance cut)"),
    "discipline_rate": ("share/week", "formal disciplinary sanctions (PP 94/2021) given this "
                                      "week, per active staff"),
    "eligible_share": ("share", "active staff eligible for flexible work"),
    "flex_uptake": ("share", "active staff using at least one flexible day"),
    "mean_flex_days": ("days/week", "mean flexible days per active staff member"),
    "service_availability": ("share", "citizens' needs served on time (counter or online)"),
    "citizen_satisfaction": ("index", "mean experience score of citizens served this week"),
    "frontline_presence": ("share", "frontline staff-days on site"),
    "public_trust": ("points", "mean citizens' trust in the civil service, 0-100"),
    "public_trust_counterfactual": ("points", "public trust in the same world without flexiwork"),
    "share_distrustful": ("share", "citizens whose trust is below the distrust threshold"),
    "scandals": ("count", "cases of misconduct that became public this week (all routes)"),
    "wellbeing": ("index", "mean well-being of active staff"),
    "attrition": ("share/week", "exits (resignations and retirements) per active staff"),
    "recruits": ("agents/week", "vacancies filled this week"),
    "recruit_ability": ("index", "mean ability of this week's recruits (1 = today's average)"),
    "active_staff": ("agents", "civil servants in post (leaders not counted)"),
    "share_under_35": ("share", "active staff younger than 35"),
    "share_performing": ("share", "staff rated 'performing' at the last appraisal"),
    "regional_performance_gap": ("%",
                                 "Java-Bali performance minus eastern regions', % of Java-Bali"),
    "regional_performance_gap_counterfactual": ("%", "the same gap without flexiwork"),
    "regional_trust_gap": ("points", "public trust in Java-Bali minus the eastern regions"),
    "regional_uptake_gap": ("share", "flexible-work uptake in Java-Bali minus the eastern regions"),
}

#: Outputs copied from the counterfactual world each step: column -> output of that world.
COUNTERFACTUAL_OF = {
    "performance_counterfactual": "performance",
    "public_trust_counterfactual": "public_trust",
    "regional_performance_gap_counterfactual": "regional_performance_gap",
}


@cache
def region_columns(region_names: tuple[str, ...]) -> tuple[str, ...]:
    """Per-region output columns (performance and trust), e.g. ``performance[Java-Bali]``."""
    return (tuple(f"performance[{r}]" for r in region_names)
            + tuple(f"public_trust[{r}]" for r in region_names))


#: what the weekly indicators read
VIEW = ViewSpec(
    "metrics",
    reads={"staff": ("active", "output", "quality", "on_time", "shirk_days", "detected",
                     "falsely_accused", "eligible", "flex_days", "wellbeing", "age",
                     "performing", "reprimand_left", "disciplined"),
           "citizens": ("region", "trust"),
           "regions": ("staff_rows",)},
    parameters=("distrust_threshold",), precision=np.float64)


class StaffTotals(NamedTuple):
    """Sums over active staff of the week (national), from ``_staff_pass``."""

    performance: float  # output x quality per working day
    on_time: float
    shirk_days: int
    eligible: int
    uptake: int  # staff using at least one flexible day
    flex_days: int
    wellbeing: float
    under_35: int
    performing: int
    detected: int
    falsely_accused: int
    reprimanded: int
    disciplined: int


@kernel
def _staff_pass(v):
    """All staff sums of the week's outputs: national totals and per-region sums.

    Region ``r`` is the rows ``staff_rows[r]:staff_rows[r + 1]`` (rows are in team order).
    Two loops per region, without branches (inactive rows add zero): the float64 sums in
    row order (a chain of dependent additions, which cannot vectorise without reordering
    the sum), then the whole-number totals in integers, which vectorise (measured: half the
    time of one fused loop). The national output is the sum of the regional ones.
    """
    s = v.staff
    rows = v.regions.staff_rows
    n_regions = len(rows) - 1
    perf_region = np.zeros(n_regions)
    uptake_region = np.zeros(n_regions)
    perf = on_time_sum = wellbeing_sum = 0.0
    shirk = eligible_n = uptake = days = young = performing_n = 0
    detected_n = 0
    false_n = 0
    reprimanded_n = 0
    disciplined_n = 0
    for r in range(n_regions):
        first, stop = np.uint64(rows[r]), np.uint64(rows[r + 1])  # see engine.compiled
        perf_run = 0.0
        for i in range(first, stop):
            on = s.active[i]
            perf_run += s.output[i] * s.quality[i] / 5.0 if on else 0.0
            on_time_sum += s.on_time[i] if on else 0.0
            wellbeing_sum += s.wellbeing[i] if on else 0.0
        perf += perf_run
        perf_region[r] = perf_run
        uptake_run = 0
        for i in range(first, stop):
            on = s.active[i]
            detected_n += s.detected[i]
            false_n += s.falsely_accused[i]
            reprimanded_n += on & (s.reprimand_left[i] > 0)
            disciplined_n += on & s.disciplined[i]
            d = np.int64(s.flex_days[i]) if on else 0
            shirk += np.int64(s.shirk_days[i]) if on else 0
            eligible_n += on & s.eligible[i]
            uptake_run += on & (d > 0)
            days += d
            young += on & (s.age[i] < 35.0)
            performing_n += on & s.performing[i]
        uptake += uptake_run
        uptake_region[r] = uptake_run
    totals = StaffTotals(perf, on_time_sum, shirk, eligible_n, uptake, days, wellbeing_sum,
                         young, performing_n, detected_n, false_n, reprimanded_n, disciplined_n)
    return totals, perf_region, uptake_region


@kernel
def _citizen_pass(v, n_regions):
    """Citizens' trust per region, headcount per region and the distrustful count."""
    region, trust = v.citizens.region, v.citizens.trust
    threshold = v.params.distrust_threshold
    trust_region = np.zeros(n_regions)
    count_region = np.zeros(n_regions)
    distrustful = 0
    current = region[0] if len(trust) else 0
    run = 0.0  # trust summed over the current run of equal region (citizens are in region order)
    count = 0
    for c in range(len(trust)):
        r = region[c]
        if r != current:
            trust_region[current] += run
            count_region[current] += count
            run = 0.0
            count = 0
            current = r
        run += trust[c]
        count += 1
        distrustful += 1 if trust[c] < threshold else 0
    if len(trust):
        trust_region[current] += run
        count_region[current] += count
    return trust_region, count_region, distrustful


def step_metrics(pop: Population, p: Params, stats: Mapping[str, Any]) -> dict[str, float]:
    """Indicators of the week just simulated (everything except the counterfactual columns).

    ``stats`` holds what the mechanisms reported this week, by name (the citizens' service
    statistics, the workforce's exits and hires, and any output a mechanism declares).
    Two compiled passes -- one over the staff, one over the citizens -- collect every sum the
    indicators need (data collection must stay a small share of the step at every scale).
    """
    c = pop.citizens
    n_active = max(pop.n_active, 1)
    v = pop.views(VIEW, p)
    totals, perf_sum, uptake_sum = _staff_pass(v)
    trust_sum, citizens_region, distrustful = _citizen_pass(v, len(pop.regions))
    # six regions: plain Python floats (numpy calls on arrays this small cost more than the
    # arithmetic; data collection must stay a small share of the step even at 10,000 ASN)
    weights = pop.regions.headcount.tolist()
    perf_region = [x / w if w > 0 else 0.0
                   for x, w in zip(perf_sum.tolist(), weights, strict=True)]
    uptake_region = [x / w if w > 0 else 0.0
                     for x, w in zip(uptake_sum.tolist(), weights, strict=True)]
    citizens_region = citizens_region.tolist()
    trust_sum = trust_sum.tolist()
    trust_region = [x / max(n, 1.0) for x, n in zip(trust_sum, citizens_region, strict=True)]
    ref, east = _region_rows(pop.region_names, pop.regions.eastern.tobytes())

    def east_mean(values: list[float], w: list[float]) -> float:
        return sum(values[r] * w[r] for r in east) / max(sum(w[r] for r in east), 1)

    east_perf = east_mean(perf_region, weights)
    east_trust = east_mean(trust_region, citizens_region)
    east_uptake = east_mean(uptake_region, weights)
    jb = perf_region[ref]
    out = {
        "performance": 100.0 * (totals.performance / n_active),
        "timeliness": totals.on_time / n_active,
        "shirking_rate": float(totals.shirk_days) / n_active / 5.0,
        "detected_shirking_rate": float(totals.detected) / n_active,
        "false_accusation_rate": float(totals.falsely_accused) / n_active,
        "reprimanded_share": float(totals.reprimanded) / n_active,
        "discipline_rate": float(totals.disciplined) / n_active,
        "eligible_share": float(totals.eligible) / n_active,
        "flex_uptake": float(totals.uptake) / n_active,
        "mean_flex_days": float(totals.flex_days) / n_active,
        "service_availability": stats["on_time"] / max(stats["needs"], 1.0),
        "citizen_satisfaction": stats["satisfaction"] if stats["needs"] else np.nan,
        "frontline_presence": stats["presence_overall"],
        "public_trust": 100.0 * sum(trust_sum) / len(c),
        "share_distrustful": float(distrustful) / len(c),
        "scandals": float(stats.get("scandals", 0.0)),
        "wellbeing": totals.wellbeing / n_active,
        "attrition": stats["exits"] / n_active,
        "recruits": float(stats["hires"]),
        "recruit_ability": stats["recruit_ability"],
        "active_staff": float(pop.n_active),
        "share_under_35": float(totals.under_35) / n_active,
        "share_performing": float(totals.performing) / n_active,
        "regional_performance_gap": 100.0 * (jb - east_perf) / jb if jb > 0 else 0.0,
        "regional_trust_gap": 100.0 * (trust_region[ref] - east_trust),
        "regional_uptake_gap": float(uptake_region[ref] - east_uptake),
    }
    out = {k: float(v) for k, v in out.items()}
    for name, value in zip(region_columns(pop.region_names),
                           [100.0 * x for x in perf_region + trust_region], strict=True):
        out[name] = value
    return out


@cache
def _region_rows(names: tuple[str, ...], eastern: bytes) -> tuple[int, tuple[int, ...]]:
    """The row of the region the gaps compare with (``population.REFERENCE_REGION``) and
    the rows of the eastern regions (``eastern``: the regions' flags as bytes)."""
    return names.index(REFERENCE_REGION), tuple(r for r, e in enumerate(eastern) if e)


def effects(performance: np.ndarray, performance_counterfactual: np.ndarray,
            trust: np.ndarray, trust_counterfactual: np.ndarray) -> dict[str, float]:
    """The policy's effects against its twin from the weekly series of both worlds.

    ``performance_change_pct``: mean performance over the horizon against the twin's, in %;
    ``trust_effect_pp``: the trust gap in the last week; ``trust_worst_effect_pp``: the
    lowest weekly trust gap (points). Used by :func:`summarize` and :mod:`flexisim.explain`.
    """
    perf, cf = float(np.mean(performance)), float(np.mean(performance_counterfactual))
    gap = np.asarray(trust, dtype=float) - np.asarray(trust_counterfactual, dtype=float)
    return {"performance_change_pct": 100.0 * (perf - cf) / cf if cf else 0.0,
            "trust_effect_pp": float(gap[-1]), "trust_worst_effect_pp": float(gap.min())}


def summarize(timeseries: pd.DataFrame, *, public_trust_start: float,
              public_trust_start_counterfactual: float) -> dict[str, Any]:
    """Scalar outcomes of one run from its timeseries (one row per step).

    ``performance_change_pct`` compares the mean performance over the horizon with the
    office-only counterfactual of the same run (common random numbers), so the difference is
    the policy's effect and not luck.
    """
    ts = timeseries
    years = len(ts) / WEEKS_PER_YEAR
    perf, cf = ts["performance"].mean(), ts["performance_counterfactual"].mean()
    appraised = ts["share_performing"][ts["share_performing"] > 0]
    end = float(ts["public_trust"].iloc[-1])
    end_cf = float(ts["public_trust_counterfactual"].iloc[-1])
    effect = effects(ts["performance"].to_numpy(), ts["performance_counterfactual"].to_numpy(),
                     ts["public_trust"].to_numpy(), ts["public_trust_counterfactual"].to_numpy())
    return {
        "performance_change_pct": effect["performance_change_pct"],
        "performance_mean": float(perf),
        "performance_counterfactual_mean": float(cf),
        "public_trust_start": public_trust_start,
        "public_trust_end": end,
        "trust_change_pp": end - public_trust_start,
        "public_trust_end_counterfactual": end_cf,
        "trust_change_counterfactual_pp": end_cf - public_trust_start_counterfactual,
        "trust_effect_pp": effect["trust_effect_pp"],
        "trust_worst_effect_pp": effect["trust_worst_effect_pp"],
        "trust_worst_change_pp": float(ts["public_trust"].min()) - public_trust_start,
        "share_distrustful_end": float(ts["share_distrustful"].iloc[-1]),
        "shirking_rate": float(ts["shirking_rate"].mean()),
        "detected_shirking_rate": float(ts["detected_shirking_rate"].mean()),
        "false_accusation_rate": float(ts["false_accusation_rate"].mean()),
        "reprimanded_share": float(ts["reprimanded_share"].mean()),
        "discipline_rate_annual": float(ts["discipline_rate"].mean() * WEEKS_PER_YEAR),
        "flex_uptake": float(ts["flex_uptake"].mean()),
        "mean_flex_days": float(ts["mean_flex_days"].mean()),
        "service_availability": float(ts["service_availability"].mean()),
        "citizen_satisfaction": float(ts["citizen_satisfaction"].mean()),
        "timeliness": float(ts["timeliness"].mean()),
        "wellbeing": float(ts["wellbeing"].mean()),
        "attrition_rate_annual": float(ts["attrition"].sum() / years) if years else 0.0,
        "recruit_ability": float(ts["recruit_ability"].mean()),
        "share_performing": float(appraised.iloc[-1]) if len(appraised) else float("nan"),
        "share_under_35": float(ts["share_under_35"].iloc[-1]),
        "regional_performance_gap": float(ts["regional_performance_gap"].mean()),
        "regional_gap_change_pp": float(ts["regional_performance_gap"].mean()
                                        - ts["regional_performance_gap_counterfactual"].mean()),
        # outputs of mechanisms (NaN for a registry without them)
        "backoffice_delay_weeks": _mean_of(ts, "backoffice_delay"),
        "digital_users_end": _last_of(ts, "digital_users"),
        "perception_end": _last_of(ts, "perception"),
        "scandals_records_annual": _mean_of(ts, "scandals_records") * WEEKS_PER_YEAR,
        "scandals_observed_annual": _mean_of(ts, "scandals_observed") * WEEKS_PER_YEAR,
        "scandals_press_annual": _mean_of(ts, "scandals_press") * WEEKS_PER_YEAR,
        **costs(ts),
    }


#: the unit and description of each outcome of :func:`summarize` that is not a model output
#: of the same name (those, e.g. ``shirking_rate``, are the mean over the reported weeks of
#: the output in :data:`OUTPUTS` or a mechanism's; the effects against the twin are described
#: in :data:`flexisim.explain.OUTCOMES`). The data dictionary of a compacted sweep reads it;
#: a test fails when a new outcome has neither.
SUMMARY_OUTPUTS: dict[str, tuple[str, str]] = {
    "performance_mean": ("index", "mean performance over the reported weeks"),
    "performance_counterfactual_mean": ("index", "the office-only twin's mean performance"),
    "public_trust_start": ("points", "public trust (0-100) when the policy starts, after the "
                           "warm-up"),
    "public_trust_end": ("points", "public trust (0-100) in the last week"),
    "trust_change_pp": ("points", "public trust in the last week minus at the start"),
    "public_trust_end_counterfactual": ("points", "the twin's public trust in the last week"),
    "trust_change_counterfactual_pp": ("points", "the twin's public trust change, last week "
                                       "minus the start"),
    "trust_worst_change_pp": ("points", "the lowest weekly public trust minus the trust at "
                              "the start"),
    "share_distrustful_end": ("share", "citizens below the distrust threshold in the last "
                              "week"),
    "discipline_rate_annual": ("share/year", "formal disciplinary sanctions a year, per "
                               "active staff"),
    "attrition_rate_annual": ("share/year", "exits a year, per active staff"),
    "regional_gap_change_pp": ("percentage points", "the Java-Bali vs eastern performance gap "
                               "minus the twin's"),
    "backoffice_delay_weeks": ("weeks", "mean back-office casework waiting"),
    "digital_users_end": ("share", "connected citizens who use the digital channel, last week"),
    "perception_end": ("index", "the public's image of an absent, idle civil service 0-1, "
                       "last week"),
    "scandals_records_annual": ("count/year", "public cases a year from verification "
                                "records"),
    "scandals_observed_annual": ("count/year", "public cases a year from citizens' own "
                                 "observation"),
    "scandals_press_annual": ("count/year", "public cases a year found by the press"),
    "cost_digital_bn": ("Rp billion", "spent on staff devices, connections and platform seats "
                        "over the reported weeks (prices of cost_price_year)"),
    "cost_citizen_access_bn": ("Rp billion", "spent on citizens' internet access"),
    "cost_measurement_bn": ("Rp billion", "spent on e-Kinerja integration"),
    "cost_training_bn": ("Rp billion", "spent on leadership training"),
    "cost_total_bn": ("Rp billion", "the four categories' spending together"),
    "investment_budget_bn": ("Rp billion", "the three investment budgets in force over the "
                             "reported weeks"),
    "investment_unspent_bn": ("Rp billion", "investment budget not spent (delivery lags the "
                              "budget; a gap closed leaves the rest)"),
    "cost_price_year": ("year", "the year of the prices of every cost"),
}


#: what a run's spending is reported as: summary key -> the weekly output it adds up
COST_OUTPUTS = {"cost_digital_bn": "cost_digital",
                "cost_citizen_access_bn": "cost_citizen_access",
                "cost_measurement_bn": "cost_measurement",
                "cost_training_bn": "cost_training"}


def costs(ts: pd.DataFrame) -> dict[str, float]:
    """What the scenario cost over the reported weeks, in billion rupiah at the prices of
    :data:`~flexisim.mechanisms.investment.PRICE_YEAR`: each category's spending, their
    total, the investment budgets in force and what of them was not spent (delivery lags the
    budget; a gap closed leaves the rest). Training has no budget lever: its seats
    (``training_capacity``) are its budget. NaN for a registry without these outputs."""
    from flexisim.mechanisms.investment import PRICE_YEAR

    out = {key: float(ts[column].sum()) if column in ts else float("nan")
           for key, column in COST_OUTPUTS.items()}
    out["cost_total_bn"] = float(np.nansum(list(out.values()))) if any(
        c in ts for c in COST_OUTPUTS.values()) else float("nan")
    budget = float(ts["investment_budget"].sum()) if "investment_budget" in ts else float("nan")
    out["investment_budget_bn"] = budget
    out["investment_unspent_bn"] = budget - float(np.nansum(
        [out["cost_digital_bn"], out["cost_citizen_access_bn"], out["cost_measurement_bn"]]))
    out["cost_price_year"] = float(PRICE_YEAR)
    return out


def _mean_of(ts: pd.DataFrame, column: str) -> float:
    return float(ts[column].mean()) if column in ts else float("nan")


def _last_of(ts: pd.DataFrame, column: str) -> float:
    return float(ts[column].iloc[-1]) if column in ts else float("nan")
