"""Live charts of a running model, as ECharts options.

ECharts rather than matplotlib or Altair: its JavaScript ships in ``solara-assets`` (so it
works offline), it draws in the browser (a step costs a small JSON update, not a PNG render
per panel), and it has tooltips for the office floor. Each chart is a pure function
``model/timeseries -> option dict`` so the tests can check the content without a browser;
:func:`LiveCharts` is the SolaraViz component around the six live ones (SolaraViz re-renders
it after every step) and :mod:`flexisim.dashboard.echarts` the widget that draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import solara

from flexisim.dashboard.echarts import Charts, caption
from flexisim.dashboard.headline import CSS as HEADLINE_CSS
from flexisim.dashboard.headline import headline, headline_html
from flexisim.dashboard.i18n import region_label, t
from flexisim.metrics import WEEKS_PER_YEAR
from flexisim.model import FlexiworkModel

POLICY = "#1f77b4"
COUNTERFACTUAL = "#7f7f7f"
ALERT = "#d62728"
GOOD = "#2ca02c"
ACCENT = "#ff7f0e"
PREVIOUS = "#6baed6"  # the run before Reset: a lighter blue, dotted
REGION_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#d62728")
CHART_HEIGHT = 290  # px


def clean(values: Iterable[Any], scale: float = 1.0, digits: int = 3) -> list[float | None]:
    """Numbers for JSON: NaN and infinities become None (a gap in ECharts), rounded."""
    a = np.asarray(list(values) if not hasattr(values, "__array__") else values,
                   dtype=float) * scale
    out: list[float | None] = np.round(a, digits).tolist()
    finite = np.isfinite(a)
    if not finite.all():
        out = [v if ok else None for v, ok in zip(out, finite.tolist(), strict=True)]
    return out


def timeseries(model: FlexiworkModel) -> pd.DataFrame:
    """The model's timeseries, built once per step however many charts ask for it."""
    cached = getattr(model, "_dashboard_ts", None)
    if cached is not None and cached[0] == model.steps:
        return cached[1]
    ts = model.timeseries() if model.steps else pd.DataFrame()
    model._dashboard_ts = (model.steps, ts)  # type: ignore[attr-defined]
    return ts


def line(name: str, data: list[float | None], colour: str, *, dashed: bool = False,
         axis: int = 0, width: float = 2.0) -> dict[str, Any]:
    return {"name": name, "type": "line", "data": data, "yAxisIndex": axis, "showSymbol": False,
            "color": colour, "lineStyle": {"width": width, "type": "dashed" if dashed else "solid"}}


#: (week, label, colour) of an event marked on the week axis
Event = tuple[int, str, str]


def events(model: FlexiworkModel, ts: pd.DataFrame) -> list[Event]:
    """What the room should see marked: the weeks a change of the schedule applied from
    (a rollout, a rule tightened, a lever moved during the run) and the weeks a misconduct
    case reached the press (the route that moves public trust most, ODD 7.4)."""
    marks: list[Event] = [(w, t("change.marker"), POLICY) for w in model.change_weeks()]
    if "scandals_press" in ts:
        marks += [(int(w), t("scandal.marker"), ALERT)
                  for w in ts.index[ts["scandals_press"].to_numpy() > 0]]
    return marks


def mark_events(series: list[dict[str, Any]], weeks: Sequence[int],
                marks: Sequence[Event]) -> list[dict[str, Any]]:
    """Vertical lines at the events' weeks, carried by the first series (ECharts markLine;
    on a category axis a line is placed by the category's position)."""
    position = {int(w): i for i, w in enumerate(weeks)}
    lines = [{"xAxis": position[w], "label": {"formatter": label, "color": colour},
              "lineStyle": {"color": colour}} for w, label, colour in marks if w in position]
    if lines and series:
        series[0] = {**series[0], "markLine": {
            "silent": True, "symbol": "none", "animation": False, "data": lines,
            "label": {"position": "insideEndTop", "fontSize": 10},
            "lineStyle": {"type": "dotted", "width": 1.5}}}
    return series


def line_chart(title: str, weeks: Sequence[int], series: list[dict[str, Any]],
               y_names: Sequence[str], *, y_min: float | None = None,
               marks: Sequence[Event] = ()) -> dict[str, Any]:
    """A week-by-week line chart with one or two y axes, events marked."""
    series = mark_events(series, weeks, marks)
    axes = []
    for i, name in enumerate(y_names):
        # axis names run inwards from their axis (a right axis's name would be cut at the
        # chart's edge otherwise)
        axis: dict[str, Any] = {"type": "value", "name": name, "scale": y_min is None,
                                "splitLine": {"show": i == 0},
                                "nameTextStyle": {"align": "right" if i else "left"}}
        if y_min is not None:
            axis["min"] = y_min
        axes.append(axis)
    return {
        "animation": False,  # a step must redraw at once; animation also blurs screenshots
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14},
                  "subtext": "" if len(weeks) else t("no_data"), "subtextStyle": {"fontSize": 12}},
        "tooltip": {"trigger": "axis"},
        # a legend that wraps (every series' name readable in a narrow column), with room
        # for a second line below the axis
        "legend": {"bottom": 0},
        "grid": {"left": 55, "right": 55 if len(y_names) > 1 else 20, "top": 55,
                 "bottom": 55 + (18 if len(series) > 2 else 0)},
        "xAxis": {"type": "category", "data": [int(w) for w in weeks], "name": t("axis.week"),
                  "nameLocation": "middle", "nameGap": 25},
        "yAxis": axes,
        "series": series,
    }


# ---------------------------------------------------------------------------- option builders


def previous_line(previous: pd.DataFrame | None, column: str,
                  weeks: Sequence[int]) -> list[dict[str, Any]]:
    """The run before the last Reset, over the weeks shown (none when there is none): the
    room sees where the last setting stood at the same week."""
    if previous is None or column not in previous or not len(weeks):
        return []
    data = clean(previous[column].reindex(weeks))
    return [{**line(t("series.previous"), data, PREVIOUS, width=1.5),
             "lineStyle": {"width": 1.5, "type": "dotted"}}]


def performance_option(ts: pd.DataFrame, marks: Sequence[Event] = (),
                       previous: pd.DataFrame | None = None) -> dict[str, Any]:
    weeks = list(ts.index)
    return line_chart(t("chart.performance"), weeks, [
        line(t("series.policy"), clean(ts.get("performance", [])), POLICY),
        line(t("series.office_only"), clean(ts.get("performance_counterfactual", [])),
             COUNTERFACTUAL, dashed=True),
        *previous_line(previous, "performance", weeks),
    ], [t("axis.index")], marks=marks)


def trust_option(ts: pd.DataFrame, marks: Sequence[Event] = (),
                 previous: pd.DataFrame | None = None) -> dict[str, Any]:
    weeks = list(ts.index)
    return line_chart(t("chart.trust"), weeks, [
        line(t("series.trust"), clean(ts.get("public_trust", [])), POLICY),
        line(t("series.trust_cf"), clean(ts.get("public_trust_counterfactual", [])),
             COUNTERFACTUAL, dashed=True),
        line(t("series.distrustful"), clean(ts.get("share_distrustful", []), 100), ALERT,
             axis=1, width=1.2),
        *previous_line(previous, "public_trust", weeks),
    ], ["0-100", t("series.distrustful")], marks=marks)


def shirking_option(ts: pd.DataFrame, marks: Sequence[Event] = ()) -> dict[str, Any]:
    weeks = list(ts.index)
    return line_chart(t("chart.shirking"), weeks, [
        line(t("series.shirking"), clean(ts.get("shirking_rate", []), 100), ALERT),
        line(t("series.detected"), clean(ts.get("detected_shirking_rate", []), 100), POLICY),
        line(t("series.false"), clean(ts.get("false_accusation_rate", []), 100), ACCENT,
             dashed=True),
    ], [t("axis.percent")], y_min=0, marks=marks)


def uptake_option(ts: pd.DataFrame, marks: Sequence[Event] = ()) -> dict[str, Any]:
    weeks = list(ts.index)
    return line_chart(t("chart.uptake"), weeks, [
        line(t("series.uptake"), clean(ts.get("flex_uptake", []), 100), POLICY),
        line(t("series.eligible"), clean(ts.get("eligible_share", []), 100), COUNTERFACTUAL,
             dashed=True),
        line(t("series.flex_days"), clean(ts.get("mean_flex_days", [])), GOOD, axis=1,
             width=1.2),
    ], [t("axis.percent"), t("series.flex_days")], y_min=0, marks=marks)


def workforce_option(ts: pd.DataFrame, marks: Sequence[Event] = ()) -> dict[str, Any]:
    """Exits and hires as yearly rates in % of the active staff (the week's rate x 52): the
    unit of the CLI's "Attrition per year", and one axis for both flows."""
    weeks = list(ts.index)
    yearly = 100.0 * WEEKS_PER_YEAR
    if len(ts):
        exits = ts["attrition"] * yearly
        hires = ts["recruits"] / ts["active_staff"].where(ts["active_staff"] > 0) * yearly
    else:
        exits = hires = pd.Series(dtype=float)
    return line_chart(t("chart.workforce"), weeks, [
        line(t("series.attrition"), clean(exits, digits=3), ALERT),
        line(t("series.recruits"), clean(hires, digits=3), GOOD),
    ], [t("axis.percent_staff_year")], y_min=0, marks=marks)


def regions_option(ts: pd.DataFrame, regions: Sequence[str]) -> dict[str, Any]:
    """Two stacked panels: performance per region (top), public trust per region (bottom)."""
    weeks = [int(w) for w in ts.index]
    series = []
    for i, region in enumerate(regions):
        colour = REGION_COLOURS[i % len(REGION_COLOURS)]
        for grid, column in ((0, f"performance[{region}]"), (1, f"public_trust[{region}]")):
            series.append({"name": region_label(region), "type": "line", "showSymbol": False,
                           "color": colour,
                           "xAxisIndex": grid, "yAxisIndex": grid,
                           "data": clean(ts[column]) if column in ts else []})
    return {
        "animation": False,
        "title": {"text": t("chart.regions"), "left": "center", "textStyle": {"fontSize": 14},
                  "subtext": "" if weeks else t("no_data")},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},  # wraps: six regions stay readable in a narrow column
        # the axis names run along their axes (above them, the lower panel's would sit on
        # the upper panel's labels)
        "grid": [{"left": 62, "right": 20, "top": 50, "height": "26%"},
                 {"left": 62, "right": 20, "bottom": 73, "height": "26%"}],
        "xAxis": [{"type": "category", "data": weeks, "gridIndex": 0,
                   "axisLabel": {"show": False}},
                  {"type": "category", "data": weeks, "gridIndex": 1}],
        "yAxis": [{"type": "value", "scale": True, "gridIndex": 0, "name": t("axis.index"),
                   "nameLocation": "middle", "nameGap": 44},
                  {"type": "value", "scale": True, "gridIndex": 1,
                   "name": t("axis.trust_short"), "nameLocation": "middle", "nameGap": 44}],
        "series": series,
    }


def citizens_option(model: FlexiworkModel) -> dict[str, Any]:
    """Mean citizens' trust and the share distrustful per region, from the citizen agents."""
    pop = model.pop
    c = pop.citizens
    n_regions = len(pop.region_names)
    counts = np.maximum(np.bincount(c.region, minlength=n_regions), 1)
    mean_trust = 100.0 * np.bincount(c.region, weights=c.trust, minlength=n_regions) / counts
    distrustful = np.bincount(c.region, weights=(c.trust < model.p.distrust_threshold),
                              minlength=n_regions) / counts
    return {
        "animation": False,
        "title": {"text": t("chart.citizens"), "left": "center", "textStyle": {"fontSize": 14},
                  "subtext": t("week", n=model.steps)},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 55, "right": 55, "top": 60, "bottom": 70},
        "xAxis": {"type": "category", "data": [region_label(r) for r in pop.region_names],
                  "axisLabel": {"interval": 0, "fontSize": 10}},
        "yAxis": [{"type": "value", "min": 0, "max": 100, "name": "0-100"},
                  {"type": "value", "min": 0, "name": t("citizens.distrustful"),
                   "splitLine": {"show": False}}],
        "series": [
            {"name": t("series.mean_trust"), "type": "bar", "data": clean(mean_trust, digits=1),
             "color": POLICY},
            {"name": t("citizens.distrustful"), "type": "bar", "yAxisIndex": 1,
             "data": clean(distrustful, 100, digits=1), "color": ALERT},
        ],
    }


# ---------------------------------------------------------------------------- SolaraViz components


def live_options(model: FlexiworkModel,
                 previous: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The options of the six live charts, in page order (``previous``: the timeseries of
    the run before the last Reset, overlaid on performance and trust)."""
    ts = timeseries(model)
    marks = events(model, ts) if len(ts) else []
    return [performance_option(ts, marks, previous), trust_option(ts, marks, previous),
            shirking_option(ts, marks), uptake_option(ts, marks), workforce_option(ts, marks),
            regions_option(ts, model.pop.region_names)]


def LiveCharts(model: FlexiworkModel, previous: pd.DataFrame | None = None) -> Any:  # noqa: N802
    """The six live charts: one SolaraViz component, one widget.

    One component, not six: Mesa re-renders each SolaraViz component in its own pass after a
    step (measured: ~180 ms per step at 5,000 ASN against ~60 ms as one). One widget, not six:
    a step then sends one message, and the browser paints the six charts in one frame.
    """
    config = model.config
    made = caption(f"{config.name} ({config.hash[:12]})",
                   f"{int(config.values['n_asn']):,} ASN", f"seed {config.values['seed']}",
                   f"week {model.steps}")
    return Charts(live_options(model, previous), height=CHART_HEIGHT, classes=["live-charts"],
                  caption=made)


def LiveView(model: FlexiworkModel, previous: pd.DataFrame | None = None) -> Any:  # noqa: N802
    """The live tab: the headline cards and the six charts."""
    horizon = int(getattr(model, "horizon", model.config.values["steps"]))
    cards = headline_html(headline(timeseries(model), horizon))
    with solara.Column(gap="0px", style={"width": "100%"}) as view:
        solara.Style(HEADLINE_CSS)
        solara.HTML(tag="div", unsafe_innerHTML=cards, classes=["headline"])
        LiveCharts(model, previous)
    return view
