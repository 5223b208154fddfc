"""Matplotlib figures of runs, sweeps and the validation report (written to files).

The command line (``flexisim run``'s overview figure), the experiment analysis and the
validation report draw with these helpers; the dashboard draws its charts in the browser
(ECharts, flexisim/dashboard/charts.py) and does not use this module. Figures are made
with matplotlib's object-oriented API (:class:`~matplotlib.figure.Figure`), not through
pyplot: importing this module neither chooses nor changes the backend (a notebook keeps its
own), and the figures need no display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

POLICY = "#1f77b4"
COUNTERFACTUAL = "#7f7f7f"
ALERT = "#d62728"

#: the overview figure's fixed grid (figure fractions, :meth:`Figure.subplots_adjust`): room
#: for a left y label, a twin axis' right label, two rows of titles and the figure's title.
#: Fixed rather than constrained layout, which measures every tick label in an extra pass of
#: drawing: a third of ``flexisim run``'s figure time (benchmarks/README.md). That the texts
#: still fit, with long tick labels too, is checked by tests/test_plots.py.
OVERVIEW_GRID = {"left": 0.06, "right": 0.975, "bottom": 0.06, "top": 0.925, "wspace": 0.36,
                 "hspace": 0.28}


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
             constrained_layout: bool = True, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure and its axes (``Figure.subplots``), made outside pyplot.

    Keyword arguments go to :meth:`matplotlib.figure.Figure.subplots` (``squeeze``,
    ``sharex``, ``width_ratios``...).
    """
    fig = Figure(figsize=figsize, layout="constrained" if constrained_layout else None)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def colormap(name: str) -> Any:
    """A registered matplotlib colormap by name."""
    return colormaps[name]


def _weeks(ts: pd.DataFrame) -> Any:
    return ts.index.to_numpy()


def overview_figure(ts: pd.DataFrame, summary: dict[str, Any], regions: list[str] | None = None
                    ) -> Figure:
    """One slide-ready figure of a run: six panels against the office-only counterfactual.

    Parameters
    ----------
    ts : DataFrame
        The run's timeseries (one row per week), as from ``FlexiworkModel.timeseries()``.
    summary : dict
        The run's summary (``FlexiworkModel.summary()``), used for the title and annotations.
    regions : list of str, optional
        Region names for the regional panel (columns ``performance[REGION]``).
    """
    fig, axes = subplots(2, 3, figsize=(15, 8.2), constrained_layout=False,
                         gridspec_kw=OVERVIEW_GRID)
    x = _weeks(ts)

    ax = axes[0, 0]
    ax.plot(x, ts["performance"], color=POLICY, label="with flexiwork")
    ax.plot(x, ts["performance_counterfactual"], color=COUNTERFACTUAL, ls="--",
            label="office only (same world)")
    ax.set_title(f"Performance: {summary['performance_change_pct']:+.1f}% vs office only")
    ax.set_ylabel("output x quality per day (index)")
    ax.legend(loc="lower left", fontsize=8)

    ax = axes[0, 1]
    ax.plot(x, ts["public_trust"], color=POLICY, label="public trust")
    ax.plot(x, ts["public_trust_counterfactual"], color=COUNTERFACTUAL, ls="--",
            label="office only")
    ax2 = ax.twinx()
    ax2.plot(x, 100 * ts["share_distrustful"], color=ALERT, lw=0.8, alpha=0.7)
    ax2.set_ylabel("% distrustful", color=ALERT)
    ax.set_title(f"Public trust: {summary['trust_effect_pp']:+.1f} points vs office only "
                 "at the end")
    ax.set_ylabel("mean trust (0-100)")
    ax.legend(loc="lower left", fontsize=8)

    ax = axes[0, 2]
    ax.plot(x, 100 * ts["shirking_rate"], color=ALERT, label="true shirking (% of days)")
    ax.plot(x, 100 * ts["detected_shirking_rate"], color="#ff7f0e",
            label="detected (% of staff / week)")
    ax.plot(x, 100 * ts["false_accusation_rate"], color="#9467bd",
            label="false accusations (% / week)")
    ax.set_title("Shirking: true vs detected")
    ax.set_ylabel("%")
    ax.legend(loc="center right", fontsize=8)  # between the true and detected rates

    ax = axes[1, 0]
    ax.plot(x, 100 * ts["flex_uptake"], color=POLICY, label="uptake (% of staff)")
    ax.plot(x, 100 * ts["eligible_share"], color=POLICY, ls=":", label="eligible (% of staff)")
    ax2 = ax.twinx()
    ax2.plot(x, ts["mean_flex_days"], color="#2ca02c", lw=1)
    ax2.set_ylabel("mean flexible days / week", color="#2ca02c")
    ax.set_title(f"Flexible work: {100 * summary['flex_uptake']:.0f}% use it")
    ax.set_ylabel("%")
    ax.legend(loc="center right", fontsize=8)  # below eligibility, above uptake

    ax = axes[1, 1]
    per_year = 52.0
    ax.plot(x, 100 * ts["attrition"].rolling(13, min_periods=1).mean() * per_year,
            color=ALERT, label="exits (% / year, 13-week mean)")
    ax.plot(x, 100 * ts["recruits"].rolling(13, min_periods=1).mean() * per_year
            / ts["active_staff"], color="#2ca02c", label="recruits (% / year)")
    ax.plot(x, 100 * ts["share_under_35"], color=POLICY, ls=":", label="% under 35")
    ax.set_title(f"Workforce: attrition {100 * summary['attrition_rate_annual']:.1f}% / year")
    ax.set_ylabel("%")
    ax.legend(loc="best", fontsize=8)

    ax = axes[1, 2]
    for region in regions or []:
        col = f"performance[{region}]"
        if col in ts:
            ax.plot(x, ts[col], lw=1, label=region)
    ax.set_title(f"Regions: Java-Bali vs east gap {summary['regional_performance_gap']:+.1f}%")
    ax.set_ylabel("performance index")
    ax.legend(loc="lower left", fontsize=7, ncol=2)

    # the weeks the scenario's schedule changed levers (flexisim.schedule)
    starts = [int(w) for w in str(summary.get("schedule_weeks") or "").split() if w != "-"]
    for ax in fig.axes:  # twins too: no "+1.234e3" offset above an axis, into the fixed title
        ax.ticklabel_format(axis="y", useOffset=False)
    for ax in axes.flat:
        # the title where matplotlib would put it (no axis has ticks on top): fixed, so that
        # drawing skips the search of every axis' extent for it (a seventh of the drawing)
        ax.set_title(ax.get_title(), y=1.0)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        for week in sorted(set(starts)):
            ax.axvline(week, color="#555555", lw=0.8, ls="-.", alpha=0.7)
    if starts:
        axes[0, 0].annotate("dash-dot lines: the schedule changes levers", (0.01, 0.98),
                            xycoords="axes fraction", va="top", fontsize=7, color="#555555")
    fig.suptitle(f"flexisim - scenario '{summary['scenario']}' - {summary['n_asn']:,} ASN agents, "
                 f"{summary['steps']} weeks after a {summary.get('warmup_weeks', 0)}-week "
                 f"warm-up, seed {summary['seed']} "
                 f"(v{summary['package_version']}, scenario {summary['scenario_hash']})",
                 fontsize=11)
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write a figure to ``path`` (its format from the suffix)."""
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def waterfall_figure(table: pd.DataFrame, provenance: dict[str, Any]) -> Figure:
    """The channel decomposition of a run's effects as two waterfalls (performance, trust).

    Parameters
    ----------
    table : DataFrame
        ``Decomposition.table()``: one row per channel and a last row ``total``, with each
        outcome's mean and its 95% interval over replications (``_low``, ``_high``).
    provenance : dict
        ``Decomposition.provenance()`` (title and footnote).
    """
    from flexisim.explain import OUTCOMES

    channels = table[table["channel"] != "total"]
    total = table[table["channel"] == "total"].iloc[0]
    fig, axes = subplots(1, len(OUTCOMES), figsize=(7.2 * len(OUTCOMES), 0.42 * len(table) + 2.2),
                         sharey=True)
    labels = [*channels["label"], "Total"]
    y = list(range(len(labels)))[::-1]
    for ax, (outcome, (title, unit)) in zip(axes, OUTCOMES.items(), strict=True):
        start = 0.0
        for k, (_, row) in enumerate(channels.iterrows()):
            value = float(row[outcome])
            color = POLICY if value >= 0 else ALERT
            ax.barh(y[k], value, left=start, color=color, height=0.6)
            low, high = float(row[f"{outcome}_low"]), float(row[f"{outcome}_high"])
            if high > low:
                ax.errorbar(start + value, y[k], xerr=[[value - low], [high - value]],
                            color="black", lw=0.8, capsize=2)
            start += value
        value = float(total[outcome])
        ax.barh(y[-1], value, color="#444444", height=0.6)
        low, high = float(total[f"{outcome}_low"]), float(total[f"{outcome}_high"])
        if high > low:
            ax.errorbar(value, y[-1], xerr=[[value - low], [high - value]], color="black",
                        lw=0.8, capsize=2)
        ax.axvline(0.0, color=COUNTERFACTUAL, lw=0.8)
        ax.set_title(f"{title}: {value:+.2f} {unit}", fontsize=10)
        ax.set_xlabel(f"contribution ({unit}); bars start where the previous channel ended")
        ax.set_yticks(y, labels, fontsize=8)
    n = len(provenance["seeds"])
    fig.suptitle(f"Why: {provenance['scenario']} by channel (Shapley values), "
                 f"{provenance['n_asn']:,} ASN x {provenance['steps']} weeks, "
                 f"{n} replication{'s' if n > 1 else ''}, {provenance['orders']} orders each",
                 fontsize=11)
    return fig
