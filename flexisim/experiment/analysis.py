"""Analysis of a results folder: means, risks, sensitivity indices, figures.

``flexisim analyze DIR`` calls :func:`analyze`, which writes into ``DIR/analysis/``:

``points.csv``
    Per design point: runs, failures, and for each outcome the mean over replications with
    its 95% confidence interval (Student t).
``risk.csv``
    Per design point: the probability that performance falls below the threshold
    (``performance_change_pct < -5`` by default) and that public trust falls by more than
    the threshold (10 points by default), each with its 95% Wilson interval; and the
    expected shortfall of the performance change (mean of the worst 10% of runs).
``heatmap_*.png`` + ``.csv``
    Risk heatmaps: trust culture x verification rate, one panel per level of the third
    parameter (infrastructure), for grid designs that have those parameters.
``sensitivity_*.png`` + ``.csv``
    Sobol first/total-order indices or Morris mu*/sigma with bootstrap intervals (SALib).
``effects_*.png`` + ``.csv``
    Two-level factorial designs: main effects and two-way interactions with 95% intervals.
``bands.png`` + ``.csv``
    Outcomes over time: mean and 5-95% band across runs, grouped by one parameter.

Every figure has a CSV beside it with the numbers drawn. :func:`to_ema` exports a results
folder to EMA Workbench's ``(experiments, outcomes)`` form.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flexisim.experiment.compact import describe, read_dataset

__all__ = [
    "Results",
    "analyze",
    "factorial_effects",
    "known_outcomes",
    "load_results",
    "point_means",
    "risk_table",
    "sensitivity_indices",
    "to_ema",
    "wilson_interval",
]

#: Outcomes tabulated per point (when present).
MAIN_OUTCOMES = ("performance_change_pct", "trust_worst_effect_pp", "trust_effect_pp",
                 "trust_change_pp", "trust_worst_change_pp", "public_trust_end", "shirking_rate",
                 "service_availability", "flex_uptake", "wellbeing", "attrition_rate_annual")
_PROVENANCE = ("scenario", "scenario_hash", "package_version", "seed", "steps")


# --------------------------------------------------------------------------- outcomes

@functools.cache
def _summary_keys() -> tuple[str, ...]:
    """Numeric keys of ``metrics.summarize`` (computed on a dummy timeseries, no model run)."""
    from flexisim.metrics import OUTPUTS, summarize

    ts = pd.DataFrame({name: [1.0, 1.0] for name in OUTPUTS})
    keys = summarize(ts, public_trust_start=50.0, public_trust_start_counterfactual=50.0)
    return tuple(k for k in keys if k not in _PROVENANCE)


def known_outcomes() -> list[str]:
    """Scalar outcomes stored in the ``summary`` dataset, in a fixed order.

    The model's summary (:func:`flexisim.metrics.summarize`) plus
    ``n_asn``/``n_citizens``/``scale_factor``.
    """
    return [*_summary_keys(), "n_asn", "n_citizens", "scale_factor"]


# --------------------------------------------------------------------------- loading

@dataclass
class Results:
    """A results folder read into memory (summary-level data only).

    Attributes
    ----------
    folder : Path
    identity : dict
        ``experiment.json``: name, hash, spec (parameters, design...), analysis settings.
    runs : DataFrame
        The ``runs`` dataset.
    data : DataFrame
        Successful runs: ``runs`` columns joined with their ``summary`` outcomes.
    points : DataFrame
        Design points (``point_id``, parameter values, ``x:<name>`` coordinates).
    """

    folder: Path
    identity: dict[str, Any]
    runs: pd.DataFrame
    data: pd.DataFrame
    points: pd.DataFrame

    @property
    def parameters(self) -> list[str]:
        """Parameter names in design order.

        Taken from the points table's ``x:`` columns, not from ``experiment.json``, whose
        keys are sorted: Sobol indices depend on the order of the design's columns.
        """
        return [c[2:] for c in self.points.columns if c.startswith("x:")]

    @property
    def design(self) -> str:
        return self.identity["spec"]["design"]["kind"]

    @property
    def settings(self) -> dict[str, Any]:
        from flexisim.experiment.definition import ANALYSIS_DEFAULTS

        return ANALYSIS_DEFAULTS | dict(self.identity.get("analysis") or {})

    def parameter_objects(self) -> list[Any]:
        from flexisim.experiment.definition import Parameter

        specs = self.identity["spec"]["parameters"]
        return [Parameter.from_spec(n, specs[n]) for n in self.parameters]

    def _repr_html_(self) -> str:
        """How a notebook shows the results (:func:`flexisim.display.results_html`)."""
        from flexisim.display import results_html

        return results_html(self)

    def levels(self, name: str) -> list[Any]:
        """The values of a parameter in design order (factor levels in file order)."""
        spec = self.identity["spec"]["parameters"][name]
        if spec["kind"] == "factor":
            return list(spec["order"])
        return sorted(self.points[name].unique())


def load_results(folder: str | Path) -> Results:
    """Read a results folder written by :func:`~flexisim.experiment.runner.run_experiment`.

    Raises
    ------
    FileNotFoundError
        If `folder` has no ``experiment.json`` or no finished runs.
    """
    folder = Path(folder)
    ident = folder / "experiment.json"
    if not ident.is_file():
        raise FileNotFoundError(f"{folder}: not a flexisim results folder (no experiment.json)")
    identity = json.loads(ident.read_text())
    if not any((folder / "runs").glob("part-*.parquet")):
        raise FileNotFoundError(f"{folder}: no finished runs yet (run `flexisim sweep` first)")
    runs = read_dataset(folder, "runs").sort_values("run_id").reset_index(drop=True)
    points = pd.read_parquet(folder / "points.parquet")
    ok = runs[runs["status"] == "ok"]
    if any((folder / "summary").glob("part-*.parquet")):
        summary = read_dataset(folder, "summary").drop(columns=["point_id", "replication"])
        data = ok.merge(summary, on="run_id", how="inner")
    else:
        data = ok.iloc[0:0].copy()
    return Results(folder=folder, identity=identity, runs=runs, data=data, points=points)


# --------------------------------------------------------------------------- statistics

def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``scipy.stats.binomtest``).

    Returns ``(nan, nan)`` for ``n == 0``.
    """
    if n == 0:
        return math.nan, math.nan
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def mean_ci(values: np.ndarray, confidence: float = 0.95,
            bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """Mean of the finite ``values`` and its t-interval (NaN bounds for fewer than two).

    ``bounds``: the values the quantity can take (:func:`outcome_bounds`); the interval is
    cut at them, so that a share's interval over a few replications never reaches below 0.
    """
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n == 1:
        return mean, math.nan, math.nan
    from scipy.stats import t

    half = float(t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, max(mean - half, bounds[0]), min(mean + half, bounds[1])


def outcome_bounds(name: str) -> tuple[float, float]:
    """The values an outcome can take, from its unit in the data dictionary
    (:func:`flexisim.experiment.compact.describe`): 0 to 1 for a share, 0 upwards for a rate
    (``share/year``...), 0 to 100 for public trust, unbounded for an effect or a change."""
    unit = describe(name)[0]
    if unit == "share":
        return 0.0, 1.0
    if unit.startswith("share/"):
        return 0.0, math.inf
    if unit == "points" and name.startswith("public_trust"):  # the 0-100 scale, not a gap
        return 0.0, 100.0
    return -math.inf, math.inf


def outcome_label(name: str) -> str:
    """A figure's words for an outcome: its description and unit in the data dictionary
    ("performance vs office-only twin (%)" for ``performance_change_pct``), else its name
    with spaces."""
    unit, description = describe(name)
    if not description:
        return name.replace("_", " ")
    return f"{description} ({unit})" if unit else description


def point_means(results: Results, outcomes: Sequence[str] = MAIN_OUTCOMES) -> pd.DataFrame:
    """Per design point: parameter values, runs ok/failed, mean and 95% CI of each outcome."""
    params = results.parameters
    outcomes = [o for o in outcomes if o in results.data.columns]
    counts = results.runs.groupby("point_id")["status"].agg(
        runs="size", failed=lambda s: int((s != "ok").sum()))
    bounds = {o: outcome_bounds(o) for o in outcomes}
    rows = []
    for point, group in results.data.groupby("point_id", sort=True):
        row: dict[str, Any] = {"point_id": point}
        for o in outcomes:
            mean, lo, hi = mean_ci(group[o].to_numpy(dtype=float), bounds=bounds[o])
            row |= {o: mean, f"{o}_ci_low": lo, f"{o}_ci_high": hi}
        rows.append(row)
    table = pd.DataFrame(rows, columns=["point_id"] + [c for o in outcomes for c in
                                                       (o, f"{o}_ci_low", f"{o}_ci_high")])
    base = results.points[["point_id", *params]].merge(counts, on="point_id", how="left")
    return base.merge(table, on="point_id", how="left")


def risk_table(results: Results, performance_threshold_pct: float | None = None,
               trust_drop_pp: float | None = None, trust_outcome: str | None = None,
               shortfall_share: float = 0.1) -> pd.DataFrame:
    """Per design point: risk probabilities with 95% Wilson intervals.

    Parameters
    ----------
    results : Results
    performance_threshold_pct : float, optional
        Risk of decline: ``performance_change_pct < threshold`` (default from the
        experiment's ``[analysis]``, else -5).
    trust_drop_pp : float, optional
        Risk to trust: the trust outcome ``< -trust_drop_pp`` (default 10 points).
    trust_outcome : str, optional
        ``"trust_worst_effect_pp"`` (default: the worst weekly gap to the office-only
        twin), ``"trust_effect_pp"`` (that gap at the end), ``"trust_worst_change_pp"``
        (the worst fall at any week since the policy started) or ``"trust_change_pp"``
        (the fall by the end); the last two include the drift both worlds share.
    shortfall_share : float
        Expected shortfall: mean performance change of the worst `shortfall_share` of runs.

    Returns
    -------
    DataFrame
        ``point_id``, parameters, ``n``, then for ``perf`` and ``trust``: ``_k`` (runs at
        risk), ``_p`` (share), ``_low``/``_high`` (Wilson interval); ``perf_es``.
    """
    s = results.settings
    thr = s["performance_threshold_pct"] if performance_threshold_pct is None \
        else performance_threshold_pct
    drop = s["trust_drop_pp"] if trust_drop_pp is None else trust_drop_pp
    trust_col = trust_outcome or s["trust_outcome"]
    rows = []
    for point, group in results.data.groupby("point_id", sort=True):
        perf = group["performance_change_pct"].to_numpy(dtype=float)
        trust = group[trust_col].to_numpy(dtype=float)
        n = len(group)
        k_perf = int((perf < thr).sum())
        k_trust = int((trust < -drop).sum())
        worst = np.sort(perf)[: max(1, math.ceil(shortfall_share * n))]
        rows.append({"point_id": point, "n": n,
                     "perf_k": k_perf, "perf_p": k_perf / n,
                     **dict(zip(("perf_low", "perf_high"), wilson_interval(k_perf, n),
                                strict=True)),
                     "trust_k": k_trust, "trust_p": k_trust / n,
                     **dict(zip(("trust_low", "trust_high"), wilson_interval(k_trust, n),
                                strict=True)),
                     "perf_es": float(worst.mean())})
    table = pd.DataFrame(rows)
    out = results.points[["point_id", *results.parameters]].merge(table, on="point_id",
                                                                   how="inner")
    out.attrs |= {"performance_threshold_pct": thr, "trust_drop_pp": drop,
                  "trust_outcome": trust_col}
    return out


def _point_outcome(results: Results, outcome: str) -> np.ndarray:
    """Mean of an outcome over replications, per point in design order (NaN if no run)."""
    means = results.data.groupby("point_id")[outcome].mean()
    return means.reindex(range(len(results.points))).to_numpy(dtype=float)


def sensitivity_indices(results: Results, outcome: str, bootstrap: int | None = None,
                        ) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices of one outcome, with bootstrap intervals.

    The model output at a design point is the mean over its replications (so the indices
    describe the levers' effect on the expected outcome, with replication noise averaged).

    Returns
    -------
    DataFrame
        Sobol: ``parameter, S1, S1_low, S1_high, ST, ST_low, ST_high``; Morris:
        ``parameter, mu_star, mu_star_low, mu_star_high, mu, sigma``.

    Raises
    ------
    ValueError
        For other designs, or when a point has no successful run (SALib needs every point).
    """
    n_boot = bootstrap or int(results.settings["bootstrap"])
    y = _point_outcome(results, outcome)
    if not np.isfinite(y).all():
        missing = int((~np.isfinite(y)).sum())
        raise ValueError(f"{missing} design points have no successful run: sensitivity "
                         "indices need every point (run the sweep to completion)")
    params = results.parameter_objects()
    problem = {"num_vars": len(params), "names": [p.name for p in params],
               "bounds": [list(p.bounds()) for p in params]}
    seed = int(results.identity["spec"]["seed"]) % (2**32)
    design = results.identity["spec"]["design"]
    if results.design == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, y, calc_second_order=bool(design["second_order"]),
                           num_resamples=n_boot, conf_level=0.95, seed=seed)
        table = pd.DataFrame({"parameter": problem["names"], "S1": si["S1"],
                              "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]})
        for k in ("S1", "ST"):
            table[f"{k}_low"] = table[k] - table[f"{k}_conf"]
            table[f"{k}_high"] = table[k] + table[f"{k}_conf"]
        return table[["parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]]
    if results.design == "morris":
        from SALib.analyze import morris

        x = results.points[[f"x:{p.name}" for p in params]].to_numpy(dtype=float)
        si = morris.analyze(problem, x, y, num_resamples=n_boot, conf_level=0.95,
                            num_levels=int(design["levels"]), seed=seed)
        table = pd.DataFrame({"parameter": problem["names"], "mu_star": si["mu_star"],
                              "mu_star_conf": si["mu_star_conf"], "mu": si["mu"],
                              "sigma": si["sigma"]})
        table["mu_star_low"] = table["mu_star"] - table["mu_star_conf"]
        table["mu_star_high"] = table["mu_star"] + table["mu_star_conf"]
        return table[["parameter", "mu_star", "mu_star_low", "mu_star_high", "mu", "sigma"]]
    raise ValueError(f"sensitivity indices need a sobol or morris design, not {results.design}")


def factorial_effects(results: Results, outcome: str, interactions: bool = True,
                      ) -> pd.DataFrame:
    """Main effects and two-way interactions of a two-level factorial design, with 95% CIs.

    Each parameter with exactly two values is coded -1 (low) / +1 (high); an ordinary
    least-squares fit over the runs (not the point means, so replication noise enters the
    intervals) of ``outcome ~ mains + two-way interactions`` gives each effect as twice its
    coefficient: the classical "mean at high minus mean at low". With common random numbers
    the replications are blocks (same seed at every point), so a block term per replication
    removes the seed-to-seed variation from the residual.

    Returns
    -------
    DataFrame
        ``term`` (``"a"`` or ``"a x b"``), ``effect``, ``ci_low``, ``ci_high``, ``p_value``,
        sorted by absolute effect.
    """
    from scipy import stats

    df = results.data
    two_level = [p for p in results.parameters if df[p].nunique() == 2]
    if not two_level:
        raise ValueError("no parameter with exactly two levels")
    coded = {}
    for p in two_level:
        levels = results.levels(p)
        low, high = levels[0], levels[-1]
        coded[p] = np.where(df[p] == high, 1.0, np.where(df[p] == low, -1.0, np.nan))
    names = list(two_level)
    cols = [coded[p] for p in two_level]
    if interactions:
        for i, a in enumerate(two_level):
            for b in two_level[i + 1:]:
                names.append(f"{a} x {b}")
                cols.append(coded[a] * coded[b])
    x = np.column_stack([np.ones(len(df)), *cols])
    if results.identity["spec"].get("seeds") == "common" and df["replication"].nunique() > 1:
        reps = df["replication"].to_numpy()
        blocks = [np.where(reps == r, 1.0, 0.0) for r in sorted(set(reps))[1:]]
        x = np.column_stack([x, *blocks])
    y = df[outcome].to_numpy(dtype=float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - np.linalg.matrix_rank(x)
    resid = y - x @ beta
    sigma2 = float(resid @ resid / dof) if dof > 0 else math.nan
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    se = np.sqrt(np.diag(cov))[1:1 + len(names)]
    coef = beta[1:1 + len(names)]
    tq = stats.t.ppf(0.975, dof) if dof > 0 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        pval = 2 * stats.t.sf(np.abs(coef / se), dof) if dof > 0 else np.full(len(names), np.nan)
    table = pd.DataFrame({"term": names, "effect": 2 * coef, "ci_low": 2 * (coef - tq * se),
                          "ci_high": 2 * (coef + tq * se), "p_value": pval})
    table["outcome"] = outcome
    order = table["effect"].abs().sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)


def time_bands(folder: Path, results: Results, by: str | None,
               quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """Per group (a value of `by`, or all runs) and step: mean and quantile band of the
    weekly performance change against the counterfactual (%) and of public trust."""
    ts = read_dataset(folder, "timeseries", columns=[
        "run_id", "step", "performance", "performance_counterfactual", "public_trust",
        "public_trust_counterfactual"])
    ts["performance_change_pct"] = 100.0 * (ts["performance"] / ts["performance_counterfactual"]
                                            - 1.0)
    ts["trust_effect_pp"] = ts["public_trust"] - ts["public_trust_counterfactual"]
    if by:
        ts = ts.merge(results.data[["run_id", by]], on="run_id", how="inner")
        keys = [by, "step"]
    else:
        ts = ts[ts["run_id"].isin(results.data["run_id"])]
        keys = ["step"]
    rows = []
    for key, group in ts.groupby(keys, sort=True):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row["runs"] = len(group)
        for col in ("performance_change_pct", "public_trust", "trust_effect_pp"):
            v = group[col].to_numpy(dtype=float)
            row |= {f"{col}_mean": v.mean(), f"{col}_q{int(quantiles[0] * 100):02d}":
                    np.quantile(v, quantiles[0]),
                    f"{col}_q{int(quantiles[1] * 100):02d}": np.quantile(v, quantiles[1])}
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures

def _save(fig: Any, table: pd.DataFrame, path: Path) -> list[Path]:
    """Save a figure as PNG with the CSV of its numbers beside it."""
    fig.savefig(path, dpi=130, bbox_inches="tight")
    csv = path.with_suffix(".csv")
    table.to_csv(csv, index=False, float_format="%.6g")
    return [path, csv]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def heatmap_figure(risk: pd.DataFrame, results: Results, column: str, title: str,
                   x: str, y: str, panels: str | None) -> Any:
    """Risk heatmap: `x` across, `y` up, one panel per value of `panels`."""
    from flexisim.plots import subplots

    panel_values = results.levels(panels) if panels else [None]
    xs, ys = results.levels(x), results.levels(y)
    fig, axes = subplots(1, len(panel_values), figsize=(3.6 * len(panel_values) + 1.2, 3.6),
                         squeeze=False)
    image = None
    for ax, pv in zip(axes[0], panel_values, strict=True):
        sub = risk if pv is None else risk[risk[panels] == pv]
        grid = (sub.groupby([y, x])[column].mean().unstack(x)
                .reindex(index=ys, columns=xs))
        image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", cmap="Reds", vmin=0,
                          vmax=1, aspect="auto")
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = grid.iloc[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.1f}" if v not in (0, 1) else f"{v:.0f}", ha="center",
                            va="center", fontsize=7, color="white" if v > 0.6 else "black")
        ax.set_xticks(range(len(xs)), [_fmt(v) for v in xs], fontsize=7)
        ax.set_yticks(range(len(ys)), [_fmt(v) for v in ys], fontsize=7)
        ax.set_xlabel(x.replace("_", " "))
        ax.set_title(f"{panels.replace('_', ' ')} = {_fmt(pv)}" if panels else "", fontsize=9)
    axes[0][0].set_ylabel(y.replace("_", " "))
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.85, label="probability")
    fig.suptitle(title, fontsize=10)
    return fig


def sensitivity_figure(tables: dict[str, pd.DataFrame], design: str) -> Any:
    """Bar chart of sensitivity indices with their bootstrap intervals, one panel per outcome."""
    from flexisim.plots import subplots

    n = len(tables)
    first = next(iter(tables.values()))
    height = 0.5 + 0.35 * len(first)
    fig, axes = subplots(1, n, figsize=(4.2 * n, height + 1), squeeze=False,
                         constrained_layout=True)
    keys = ("S1", "ST") if design == "sobol" else ("mu_star",)
    for ax, (outcome, table) in zip(axes[0], tables.items(), strict=True):
        table = table.sort_values(keys[-1])
        pos = np.arange(len(table))
        width = 0.8 / len(keys)
        for i, k in enumerate(keys):
            err = np.vstack([table[k] - table[f"{k}_low"], table[f"{k}_high"] - table[k]])
            ax.barh(pos + (i - (len(keys) - 1) / 2) * width, table[k], height=width,
                    xerr=np.clip(err, 0, None), capsize=2, label=k)
        ax.set_yticks(pos, [p.replace("_", " ") for p in table["parameter"]], fontsize=8)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.set_xlabel("index" if design == "sobol" else "mu* (outcome units)")
        if len(keys) > 1:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(("Sobol indices (S1 first order, ST total)" if design == "sobol" else
                  "Morris screening (mu*)") + " with 95% bootstrap intervals", fontsize=10)
    return fig


#: what value for money is measured on: the policy world's level (investment lifts both
#: worlds), flexiwork's effect against the twin, and the same two for public trust
VALUE_OUTCOMES = ("performance_mean", "performance_change_pct", "public_trust_end",
                  "trust_effect_pp")


def value_for_money(results: Results, outcomes: Sequence[str] = VALUE_OUTCOMES,
                    ) -> pd.DataFrame:
    """Each design point's outcomes against its cheapest neighbour's, per trillion rupiah spent.

    A point's reference is the point of lowest mean ``cost_total_bn`` among those that differ
    from it in at most one parameter (in a grid of programmes x exposures: the programme
    that buys nothing under the same exposure); a point that is its own reference is left
    out. Differences are paired by replication (with common seeds each replication
    is the same world at every point), with a 95% t-interval over the pairs; ``per_trillion``
    divides the mean difference by the point's mean extra spending in trillion rupiah
    (``cost_total_bn / 1000``; 2025 prices). Points that cost no more than the reference get
    NaN per trillion.

    Returns
    -------
    DataFrame
        One row per (point, outcome): ``point_id``, the parameters, ``reference`` (the
        point compared with), ``outcome``,
        ``cost_trillion``, ``difference``, ``ci_low``, ``ci_high``, ``per_trillion``,
        ``per_trillion_low``, ``per_trillion_high``.
    """
    data, params = results.data, results.parameters
    costs = data.groupby("point_id")["cost_total_bn"].mean()
    levels = results.points.set_index("point_id").loc[costs.index, list(params)].astype(str)
    codes = np.column_stack([pd.factorize(levels[c])[0] for c in params]) if params else \
        np.zeros((len(costs), 0), int)
    # neighbours: points at most one parameter apart (a grid's points x points, once)
    near = (codes[:, None, :] != codes[None, :, :]).sum(axis=2) <= 1
    # each point's cheapest neighbour (ties: the lowest point id, costs' index is sorted)
    cheapest = np.where(near, costs.to_numpy()[None, :], np.inf).argmin(axis=1)
    rows = []
    for i, (point, group) in enumerate(data.groupby("point_id", sort=True)):
        reference = costs.index[cheapest[i]]
        if reference == point or costs[reference] >= costs[point]:
            continue
        base = data[data["point_id"] == reference].set_index("replication")
        group = group.set_index("replication")
        pairs = group.index.intersection(base.index)
        extra = (float(group.loc[pairs, "cost_total_bn"].mean())
                 - float(base.loc[pairs, "cost_total_bn"].mean())) / 1000.0
        for o in outcomes:
            if o not in data:
                continue
            diff = group.loc[pairs, o].to_numpy(float) - base.loc[pairs, o].to_numpy(float)
            mean, lo, hi = mean_ci(diff)
            scale = 1.0 / extra if extra > 0 else np.nan
            rows.append({"point_id": point, "reference": reference, "outcome": o,
                         "cost_trillion": extra,
                         "difference": mean, "ci_low": lo, "ci_high": hi,
                         "per_trillion": mean * scale, "per_trillion_low": lo * scale,
                         "per_trillion_high": hi * scale})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return results.points[["point_id", *params]].merge(table, on="point_id")


def value_figure(table: pd.DataFrame, params: Sequence[str]) -> Any:
    """Outcome gained per trillion rupiah for each point, one panel per outcome."""
    from flexisim.plots import subplots

    outcomes = list(dict.fromkeys(table["outcome"]))
    labels = table.drop_duplicates("point_id").set_index("point_id")[list(params)]
    names = {pid: ", ".join(_fmt(v) for v in row) for pid, row in labels.iterrows()}
    fig, axes = subplots(1, len(outcomes), figsize=(3.9 * len(outcomes), 0.45 * len(names) + 1.6),
                         squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        sub = table[table["outcome"] == outcome]
        pos = np.arange(len(sub))
        err = np.vstack([sub["per_trillion"] - sub["per_trillion_low"],
                         sub["per_trillion_high"] - sub["per_trillion"]])
        ax.barh(pos, sub["per_trillion"], xerr=np.abs(err), color="tab:green", capsize=2)
        ax.set_yticks(pos, [names[p] for p in sub["point_id"]], fontsize=8)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.set_xlabel("change per Rp trillion (2025 prices)")
    fig.suptitle("Value for money: change against the cheapest neighbouring point (one "
                 "parameter apart) per trillion rupiah spent, 95% intervals", fontsize=10)
    return fig


def effects_figure(table: pd.DataFrame, top: int = 10) -> Any:
    """Factorial effects with 95% intervals, one panel per outcome, largest effects first."""
    from flexisim.plots import subplots

    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = subplots(1, len(outcomes), figsize=(4.6 * len(outcomes), 0.4 * top + 1.2),
                         squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        sub = table[table["outcome"] == outcome].head(top).iloc[::-1]
        pos = np.arange(len(sub))
        colors = ["tab:blue" if " x " not in t else "tab:orange" for t in sub["term"]]
        err = np.vstack([sub["effect"] - sub["ci_low"], sub["ci_high"] - sub["effect"]])
        ax.barh(pos, sub["effect"], xerr=err, color=colors, capsize=2)
        ax.set_yticks(pos, [t.replace("_", " ") for t in sub["term"]], fontsize=8)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.set_xlabel("effect: high minus low")
    fig.suptitle("Main effects (blue) and two-way interactions (orange), 95% intervals",
                 fontsize=10)
    return fig


def bands_figure(bands: pd.DataFrame, by: str | None, labels: list[Any] | None) -> Any:
    """Outcomes over time: mean line and 5-95% band per group."""
    from flexisim.plots import colormap, subplots

    cols = [("performance_change_pct", "performance vs office-only (%)"),
            ("trust_effect_pp", "public trust vs office-only (points)"),
            ("public_trust", "public trust (0-100)")]
    fig, axes = subplots(1, len(cols), figsize=(13, 3.6))
    groups = labels if by else [None]
    cmap = colormap("viridis")
    for g_i, g in enumerate(groups):
        sub = bands if g is None else bands[bands[by] == g]
        color = cmap(g_i / max(len(groups) - 1, 1))
        for ax, (col, label) in zip(axes, cols, strict=True):
            ax.plot(sub["step"], sub[f"{col}_mean"], color=color,
                    label=None if g is None else f"{by} = {_fmt(g)}")
            ax.fill_between(sub["step"], sub[f"{col}_q05"], sub[f"{col}_q95"], color=color,
                            alpha=0.15, lw=0)
            ax.set_title(label, fontsize=9)
            ax.set_xlabel("week")
    for ax in axes[:2]:
        ax.axhline(0, color="grey", lw=0.6)
    if by:
        axes[0].legend(fontsize=7)
    fig.suptitle("Outcomes over time: mean and 5-95% band across runs", fontsize=10)
    return fig


# --------------------------------------------------------------------------- driver

def analyze(folder: str | Path, performance_threshold_pct: float | None = None,
            trust_drop_pp: float | None = None, trust_outcome: str | None = None,
            out: str | Path | None = None) -> list[Path]:
    """Write the tables and figures of a results folder into ``DIR/analysis/``.

    Parameters
    ----------
    folder : str or Path
        A results folder (complete or not: unfinished points are left out, and sensitivity
        indices are skipped until every point has a run).
    performance_threshold_pct, trust_drop_pp : float, optional
        Risk thresholds overriding the experiment's ``[analysis]`` settings.
    trust_outcome : str, optional
        Overrides ``[analysis] trust_outcome`` (see :func:`risk_table`).
    out : str or Path, optional
        Where to write (default ``folder/analysis``).

    Returns
    -------
    list of Path
        The files written (``summary.txt`` first, which lists them with notes).
    """
    results = load_results(folder)
    target = Path(out) if out is not None else results.folder / "analysis"
    target.mkdir(parents=True, exist_ok=True)
    s = results.settings
    thr = s["performance_threshold_pct"] if performance_threshold_pct is None \
        else float(performance_threshold_pct)
    drop = s["trust_drop_pp"] if trust_drop_pp is None else float(trust_drop_pp)
    written: list[Path] = []
    notes: list[str] = []
    params = results.parameters
    n_ok, n_all = len(results.data), len(results.runs)
    total = len(results.points) * int(results.identity["spec"]["replications"])
    notes.append(f"experiment {results.identity['name']} ({results.identity['hash']}): "
                 f"{n_all}/{total} runs recorded, {n_ok} ok, {n_all - n_ok} failed")
    if results.data.empty:
        notes.append("no successful run: nothing to analyse")
        return _finish(target, notes, written)

    means = point_means(results)
    means.to_csv(target / "points.csv", index=False, float_format="%.6g")
    written.append(target / "points.csv")
    risk = risk_table(results, thr, drop, trust_outcome)
    risk.to_csv(target / "risk.csv", index=False, float_format="%.6g")
    written.append(target / "risk.csv")
    notes.append(f"risk: P(performance_change_pct < {thr:g}) and "
                 f"P({risk.attrs['trust_outcome']} < -{drop:g}), 95% Wilson intervals")
    notes.append(f"  share of points with any performance risk: "
                 f"{(risk['perf_p'] > 0).mean():.0%}; with any trust risk: "
                 f"{(risk['trust_p'] > 0).mean():.0%}")

    # risk heatmaps (grid designs with the two axes)
    x, y = s["heatmap_x"], s["heatmap_y"]
    if results.design == "grid" and x in params and y in params:
        rest = [p for p in params if p not in (x, y)]
        panels = s["heatmap_panels"] or (rest[0] if len(rest) == 1 else None)
        if len(rest) <= 1 or s["heatmap_panels"]:
            for col, name, title in (
                    ("perf_p", "heatmap_performance_risk",
                     f"P(performance change < {thr:g}%)"),
                    ("trust_p", "heatmap_trust_risk",
                     f"P({risk.attrs['trust_outcome']} < -{drop:g} points)")):
                fig = heatmap_figure(risk, results, col, title, x, y, panels)
                cols = ["point_id", *params, "n", col.replace("_p", "_k"), col,
                        col.replace("_p", "_low"), col.replace("_p", "_high")]
                written += _save(fig, risk[cols], target / f"{name}.png")
            # the means behind the risks, on the same axes
            fig = _mean_heatmap(means, results, x, y, panels)
            written += _save(fig, means[["point_id", *params, "performance_change_pct",
                                         "performance_change_pct_ci_low",
                                         "performance_change_pct_ci_high"]],
                             target / "heatmap_performance_mean.png")

    # sensitivity indices
    if results.design in ("sobol", "morris"):
        tables: dict[str, pd.DataFrame] = {}
        for outcome in s["outcomes"]:
            try:
                tables[outcome] = sensitivity_indices(results, outcome)
            except ValueError as exc:
                notes.append(f"sensitivity of {outcome}: skipped ({exc})")
        if tables:
            fig = sensitivity_figure(tables, results.design)
            long = pd.concat([t.assign(outcome=o) for o, t in tables.items()], ignore_index=True)
            written += _save(fig, long, target / f"sensitivity_{results.design}.png")

    # factorial effects (two-level grids)
    if results.design == "grid" and all(results.points[p].nunique() == 2 for p in params):
        effects = pd.concat([factorial_effects(results, o) for o in s["outcomes"]
                             if o in results.data], ignore_index=True)
        written += _save(effects_figure(effects), effects, target / "effects.png")

    # value for money: where the points of a grid differ in what they cost (neighbours one
    # parameter apart have no meaning in a sampled design)
    if results.design == "grid" and "cost_total_bn" in results.data and results.data.groupby(
            "point_id")["cost_total_bn"].mean().nunique() > 1:
        value = value_for_money(results)
        if not value.empty:
            written += _save(value_figure(value, params), value, target / "per_rupiah.png")
            notes.append("per_rupiah: each point against its cheapest neighbour (one "
                         "parameter apart), per trillion rupiah spent (2025 prices), paired "
                         "by replication")

    # outcome bands over time
    by = s["bands_by"] or (s["heatmap_panels"] if s["heatmap_panels"] else None)
    if by is None and results.design in ("grid",) and params:
        by = params[0]
    if results.design != "grid" and not s["bands_by"]:
        by = None  # continuous designs: one band over all runs
    if any((results.folder / "timeseries").glob("part-*.parquet")):
        bands = time_bands(results.folder, results, by)
        labels = results.levels(by) if by else None
        written += _save(bands_figure(bands, by, labels), bands, target / "bands.png")
    return _finish(target, notes, written)


def _mean_heatmap(means: pd.DataFrame, results: Results, x: str, y: str,
                  panels: str | None) -> Any:
    from flexisim.plots import subplots

    panel_values = results.levels(panels) if panels else [None]
    xs, ys = results.levels(x), results.levels(y)
    vals = means["performance_change_pct"].to_numpy(dtype=float)
    lim = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    fig, axes = subplots(1, len(panel_values), figsize=(3.6 * len(panel_values) + 1.2, 3.6),
                         squeeze=False)
    image = None
    for ax, pv in zip(axes[0], panel_values, strict=True):
        sub = means if pv is None else means[means[panels] == pv]
        grid = sub.groupby([y, x])["performance_change_pct"].mean().unstack(x).reindex(
            index=ys, columns=xs)
        image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", cmap="RdBu",
                          vmin=-lim, vmax=lim, aspect="auto")
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = grid.iloc[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(xs)), [_fmt(v) for v in xs], fontsize=7)
        ax.set_yticks(range(len(ys)), [_fmt(v) for v in ys], fontsize=7)
        ax.set_xlabel(x.replace("_", " "))
        ax.set_title(f"{panels.replace('_', ' ')} = {_fmt(pv)}" if panels else "", fontsize=9)
    axes[0][0].set_ylabel(y.replace("_", " "))
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.85, label="% vs office-only")
    fig.suptitle("Mean performance change vs office-only counterfactual (%)", fontsize=10)
    return fig


def _finish(target: Path, notes: list[str], written: list[Path]) -> list[Path]:
    lines = [*notes, "", "files:"] + [f"  {p.name}" for p in written]
    path = target / "summary.txt"
    path.write_text("\n".join(lines) + "\n")
    return [path, *written]


# --------------------------------------------------------------------------- EMA Workbench

def to_ema(folder: str | Path, outcomes: Sequence[str] | None = None,
           timeseries: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A results folder in EMA Workbench's ``(experiments, outcomes)`` form.

    Use it to run EMA Workbench's analyses (PRIM scenario discovery, CART, feature scoring,
    ``save_results``) on a flexisim sweep; EMA Workbench itself is not needed to call this.
    When it is installed, the outcomes are registered with it (``ScalarOutcome``,
    ``ArrayOutcome``), as its ``save_results`` requires.

    Parameters
    ----------
    folder : str or Path
        A results folder.
    outcomes : sequence of str, optional
        Scalar outcomes to export (default: every outcome of the ``summary`` dataset that
        is defined in every run; one NaN in some run, which EMA's analyses cannot take, is
        left out with a warning naming it).
    timeseries : sequence of str
        Weekly outputs to export as ``(runs, steps)`` arrays, e.g. ``["public_trust"]``.

    Returns
    -------
    experiments : DataFrame
        One row per successful run, in run-id order: the varied parameters (a factor's level
        name, and the numeric levers it sets, included) -- EMA's uncertainties -- then
        ``scenario`` (the point id), ``policy`` (the experiment's name) and ``model``
        (``"flexisim"``). Text columns are ``category`` (EMA's CART and plots need it). The
        run's seed, replication and bookkeeping are left out (feature scoring would rank them
        as drivers): they are in ``load_results(folder).data``, in the same order.
    outcomes : dict of str -> ndarray
        Each scalar outcome as a ``(runs,)`` array; each timeseries as ``(runs, steps)``.

    Examples
    --------
    >>> experiments, outcomes = to_ema("results/risk_map")            # doctest: +SKIP
    >>> from ema_workbench.analysis import prim                        # doctest: +SKIP
    >>> x = experiments.drop(columns=["scenario", "policy", "model"])  # doctest: +SKIP
    >>> y = outcomes["performance_change_pct"] < -2                    # doctest: +SKIP
    >>> box = prim.Prim(x, y).find_box()                               # doctest: +SKIP
    """
    from flexisim.experiment.store import RUN_TAIL

    results = load_results(folder)
    data = results.data.sort_values("run_id").reset_index(drop=True)
    bookkeeping = {"run_id", "point_id", "replication", "seed", *(n for n, _ in RUN_TAIL)}
    experiments = data[[c for c in results.runs.columns if c not in bookkeeping]].copy()
    experiments["scenario"] = data["point_id"].to_numpy()
    experiments["policy"] = results.identity["name"]
    experiments["model"] = "flexisim"
    for column in experiments.columns:
        if column == "scenario" or not pd.api.types.is_numeric_dtype(experiments[column]):
            experiments[column] = experiments[column].astype("category")
    names = list(outcomes) if outcomes is not None else [
        c for c in known_outcomes() if c in data.columns]
    if outcomes is None:
        # EMA's analyses fail on a NaN: by default, outcomes undefined in some run (no
        # recruits, hence no recruit_ability, in a short run) are left out, and said so
        undefined = {n: int(data[n].isna().sum()) for n in names if data[n].isna().any()}
        if undefined:
            import warnings

            warnings.warn("to_ema: left out outcomes undefined (NaN) in some runs: "
                          + ", ".join(f"{n} ({k} of {len(data)} runs)"
                                      for n, k in undefined.items())
                          + "; name them in outcomes= to have them anyway", stacklevel=2)
            names = [n for n in names if n not in undefined]
    out: dict[str, np.ndarray] = {n: data[n].to_numpy(dtype=float) for n in names}
    if timeseries:
        ts = read_dataset(results.folder, "timeseries", columns=["run_id", "step", *timeseries])
        ts = ts[ts["run_id"].isin(data["run_id"])]
        for name in timeseries:
            wide = ts.pivot(index="run_id", columns="step", values=name).reindex(data["run_id"])
            out[name] = wide.to_numpy(dtype=float)
    _register_with_ema(names, timeseries)
    return experiments, out


def _register_with_ema(scalars: Sequence[str], arrays: Sequence[str]) -> None:
    """Declare the outcomes to EMA Workbench, if installed: its ``save_results`` looks each
    one up in its register (a KeyError otherwise); declaring one creates the entry."""
    try:
        import warnings

        with warnings.catch_warnings():  # "ipyparallel not installed" and the like
            warnings.simplefilter("ignore")
            from ema_workbench import ArrayOutcome, ScalarOutcome
    except ImportError:
        return
    for name in scalars:
        ScalarOutcome(name)
    for name in arrays:
        ArrayOutcome(name)
