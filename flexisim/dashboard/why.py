"""Why the effect: the channel waterfall of the page's settings.

Every difference between the policy world and its office-only twin enters through a channel
(:mod:`flexisim.channels`); :func:`flexisim.explain.explain` splits the effect into the
channels' Shapley values, which add up to it. Here the page's settings are decomposed at a
workshop size in a worker of the comparison's process pool (the server stays responsive),
with progress read from a small file the worker writes, and drawn as two waterfalls
(performance, public trust) that start at the office-only world and end at the effect.

Like the comparisons, the result is kept per session (a module-level Solara task), so it
survives a tab or language switch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd
import solara

from flexisim.channels import CHANNELS
from flexisim.dashboard import memory
from flexisim.dashboard.charts import ALERT, COUNTERFACTUAL, GOOD, clean
from flexisim.dashboard.compare import admit_runs, shared_executor
from flexisim.dashboard.echarts import Chart, caption
from flexisim.dashboard.i18n import language, memory_text, number, settings_title, signed, t
from flexisim.dashboard.markdown import Markdown
from flexisim.dashboard.state import Settings
from flexisim.scenario import Scenario

#: Sizes offered (ASN agents) and the default: at 2,000 ASN x 52 weeks a decomposition is
#: about 50 runs of one world, some seconds on a laptop.
WHY_ASN_CHOICES = (1000, 2000, 5000)
ORDERS = 2  # one antithetic pair of channel orders: the values add up exactly whatever it is
OUTCOME_UNITS = {"performance_change_pct": "compare.unit.percent_vs_office",
                 "trust_effect_pp": "compare.unit.points_vs_office"}
OUTCOME_TITLES = {"performance_change_pct": "why.chart.performance",
                  "trust_effect_pp": "why.chart.trust"}


def _explain_in_worker(scenario: Scenario, progress_file: str) -> pd.DataFrame:
    """In a pool worker: the decomposition's table; progress as "done total" in a file."""
    from flexisim.explain import explain

    def progress(done: int, total: int) -> None:
        Path(progress_file).write_text(f"{done} {total}")

    return explain(scenario, orders=ORDERS, threads=1, progress=progress).table()


def decompose(scenario: Scenario, *, on_progress: Any = None,
              submit: Any = None, poll: float = 0.3) -> pd.DataFrame:
    """The channel table of ``scenario`` (``Decomposition.table()``), computed in a worker.

    ``submit(fn, *args) -> Future`` defaults to the shared process pool's.
    """
    submit = submit or shared_executor().submit
    with tempfile.TemporaryDirectory(prefix="flexisim-why-") as folder:
        progress_file = str(Path(folder) / "progress")
        future: Future[pd.DataFrame] = submit(_explain_in_worker, scenario, progress_file)
        while True:
            try:
                return future.result(timeout=poll)
            except TimeoutError:
                if on_progress is not None and Path(progress_file).exists():
                    text = Path(progress_file).read_text().split()
                    if len(text) == 2:
                        on_progress(int(text[0]), int(text[1]))


def channel_label(channel: str, lang: str | None = None) -> str:
    c = CHANNELS[channel]
    return c.id if (lang or language.value) == "id" else c.en


def waterfall_option(table: pd.DataFrame, outcome: str, *, top: int = 8) -> dict[str, Any]:
    """ECharts option: the largest channels' contributions as a waterfall, the rest summed.

    Bars run top to bottom from the office-only world (0) to the effect (the last bar): each
    channel's bar starts where the previous ended (an invisible stacked base), blue-green when
    it raises the outcome, red when it lowers it.
    """
    rows = table[table["channel"] != "total"]
    total = float(table.loc[table["channel"] == "total", outcome].iloc[0])
    order = rows.reindex(rows[outcome].abs().sort_values(ascending=False).index)
    shown = order.head(top)
    rest = float(order[outcome].iloc[top:].sum()) if len(order) > top else None
    items = [(channel_label(c), float(v)) for c, v in zip(shown["channel"], shown[outcome],
                                                          strict=True)]
    if rest is not None:
        items.append((t("why.rest", n=len(order) - top), rest))
    labels, base, size, colours = [], [], [], []
    start = 0.0
    for label, value in items:
        labels.append(label)
        base.append(min(start, start + value))
        size.append(abs(value))
        colours.append(GOOD if value >= 0 else ALERT)
        start += value
    labels.append(t("why.total"))
    base.append(min(0.0, total))
    size.append(abs(total))
    colours.append("#444444")
    unit = t(OUTCOME_UNITS[outcome])
    values = [v for _, v in items] + [total]
    # enough decimals that the largest contributions do not all read 0.00
    digits = 2 if max(abs(v) for v in values) >= 0.5 else 3
    return {
        "animation": False,
        "title": {"text": t(OUTCOME_TITLES[outcome], effect=signed(total, None, digits)),
                  "left": "center", "textStyle": {"fontSize": 14}},
        "legend": {"show": False},
        "tooltip": {"show": False},
        "grid": {"left": 10, "right": 40, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "value", "name": unit, "nameLocation": "middle", "nameGap": 25},
        "yAxis": {"type": "category", "data": labels, "inverse": True,
                  "axisLabel": {"width": 230, "overflow": "break"}},
        "series": [
            {"type": "bar", "stack": "w", "stackStrategy": "all", "silent": True,
             "data": clean(base, digits=4), "itemStyle": {"color": "transparent"}},
            {"type": "bar", "stack": "w", "stackStrategy": "all", "silent": True,
             "csvName": unit, "csvValues": clean(values, digits=6),
             "data": [{"value": v, "itemStyle": {"color": c},
                       "label": {"formatter": signed(x, None, digits)}}
                      for v, c, x in zip(clean(size, digits=4), colours, values, strict=True)],
             "label": {"show": True, "position": "right", "fontSize": 11},
             # the office-only world: where the waterfall starts
             "markLine": {"silent": True, "symbol": "none", "animation": False,
                          "data": [{"xAxis": 0}], "label": {"show": False},
                          "lineStyle": {"color": COUNTERFACTUAL, "type": "dashed"}}},
        ],
    }


#: (done, total) runs of the session's decomposition
progress: solara.Reactive[tuple[int, int]] = solara.reactive((0, 0))
#: the session's last decomposition: (what was explained, in words; its table)
result: solara.Reactive[tuple[dict[str, Any], pd.DataFrame] | None] = solara.reactive(None)


@solara.lab.task
def explanation(scenario: Scenario, what: dict[str, Any],
                admitted: memory.Reservation | None = None) -> None:
    """The session's decomposition (a Solara task: per session, survives re-mounts); the
    memory ``admitted`` for it is released when it ends."""
    try:
        progress.set((0, 0))
        table = decompose(scenario, on_progress=lambda d, n: progress.set((d, n)))
        result.set((what, table))
    finally:
        if admitted is not None:
            admitted.release()


def describe(what: dict[str, Any], lang: str | None = None) -> str:
    # the title is made here, not when the run started: it follows the language
    return t("why.what", lang, name=settings_title(what["origin"], what["modified"], lang),
             asn=number(what["n_asn"], lang, 0), weeks=what["weeks"])


@solara.component
def WhyPanel(settings: solara.Reactive[Settings]) -> None:
    """Decompose the page's settings by channel and draw the two waterfalls."""
    n_asn = solara.use_reactive(2000)
    weeks = solara.use_reactive(52)
    refused = solara.use_reactive(None)  # the estimate of a run that did not fit the memory

    def start() -> None:
        current = settings.value
        scenario = current.next_scenario().with_values(source="dashboard", n_asn=n_asn.value,
                                                       steps=weeks.value)
        what = {"origin": current.origin, "modified": current.modified,
                "n_asn": n_asn.value, "weeks": weeks.value}
        try:  # one worker runs the decomposition's runs one after the other
            admitted = admit_runs([scenario], 1)
        except memory.MemoryCapExceeded as exc:
            refused.set(exc.estimate)
            return
        refused.set(None)
        explanation(scenario, what, admitted)

    flexiwork = bool(settings.value.shown()["flexiwork_enabled"])
    with solara.Column(style={"padding": "8px", "width": "100%"}, classes=["why-panel"]):
        Markdown(t("why.help"))
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center",
                               "margin-top": "26px"}):
            solara.v.Select(label=t("compare.asn"), v_model=n_asn.value,
                            items=[{"text": number(c, None, 0), "value": c}
                                   for c in WHY_ASN_CHOICES],
                            on_v_model=n_asn.set, style_="max-width: 180px", dense=True)
            solara.SliderInt(t("compare.weeks"), value=weeks, min=4, max=156, step=4,
                             thumb_label="always")
            solara.Button(t("why.run"), color="primary", on_click=start,
                          disabled=explanation.pending or not flexiwork,
                          classes=["why-run"])
        if not flexiwork:
            solara.Info(t("why.no_flexiwork"), dense=True)
        done, total = progress.value
        if explanation.pending:
            solara.ProgressLinear(value=100.0 * done / total if total else True)
            solara.Text(t("compare.progress", done=done, total=total) if total
                        else t("why.starting"), classes=["why-progress"])
        elif explanation.error:
            solara.Error(t("compare.failed", error=explanation.exception))
        if refused.value is not None:
            solara.Error(memory_text(refused.value), dense=True, classes=["memory-refused"])
        if result.value is not None:
            what, table = result.value
            solara.Text(describe(what), classes=["why-summary"])
            WhyCharts(table, ("performance_change_pct", "trust_effect_pp"),
                      caption(describe(what, "en"), "Shapley values over channels"))


def WhyCharts(table: pd.DataFrame, outcomes: Sequence[str], made: str) -> Any:  # noqa: N802
    with solara.Row(style={"flex-wrap": "wrap"}) as row:
        for outcome in outcomes:
            with solara.Column(style={"min-width": "420px", "flex": "1 1 45%"}):
                Chart(waterfall_option(table, outcome), height=420, caption=made)
    return row
