"""Two settings side by side, each run N times, drawn as bands.

One run is one draw of luck; a workshop should see the spread. The replications run in
worker processes of one pool per server (the page's own process stays responsive) while the
page shows progress. They go through the run core (:func:`flexisim.runs.map_runs`), like
every other run: the same specs, the same thread policy in the workers.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import solara

from flexisim.dashboard.charts import ACCENT, POLICY, clean
from flexisim.dashboard.echarts import Chart
from flexisim.dashboard.i18n import scenario_description, t
from flexisim.dashboard.markdown import Markdown
from flexisim.dashboard.state import Settings, available_scenarios
from flexisim.experiment.design import replication_seeds
from flexisim.runs import RunSpec, WorkerDied, map_runs
from flexisim.scenario import Scenario, load_scenario

#: Columns kept from each run (a worker returns only these, to keep results small).
COLUMNS = ("performance", "performance_counterfactual", "public_trust", "shirking_rate",
           "flex_uptake")
BAND = (0.05, 0.95)  # the middle 90% of runs
COMPARE_ASN_CHOICES = (1000, 2000, 5000, 10000)
MAX_REPLICATIONS = 30

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def shared_executor() -> ProcessPoolExecutor:
    """One process pool for the whole server, created on first use.

    Shared, not per session: when a room of twenty browsers presses "Run comparison" at once,
    the runs queue on the machine's CPUs instead of starting twenty pools. ``spawn`` rather
    than ``fork``: the server process has threads (uvicorn, Solara), and forking a threaded
    process can deadlock a child.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=max(1, os.cpu_count() or 1),
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_exit_with_parent, initargs=(os.getpid(),))
        return _pool


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """In each worker: exit when the server process is gone.

    A pool's workers block on a queue whose write end they hold themselves, so when the
    server is killed rather than shut down (a closed laptop lid, a second Ctrl-C, ``kill``)
    they would wait forever, each holding a few hundred MB. A daemon thread per worker
    notices that its parent changed and ends the process.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _reset_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def run_replications(configs: Mapping[str, Scenario], n: int, steps: int, seed: int, *,
                     executor: Executor | None = None,
                     on_progress: Callable[[int, int], None] | None = None,
                     cancel: threading.Event | None = None) -> dict[str, list[pd.DataFrame]]:
    """Run every configuration ``n`` times for ``steps`` weeks.

    Both configurations get the *same* ``n`` seeds (common random numbers: the difference
    between the bands is the settings, not luck). Returns ``{name: [timeseries, ...]}`` in
    seed order (the :data:`COLUMNS` of each run). ``on_progress(done, total)`` is called as
    runs finish; setting ``cancel`` stops waiting and cancels the runs not yet started
    (``InterruptedError``).
    """
    pool = executor if executor is not None else shared_executor()
    seeds = replication_seeds(seed, n)
    specs = [RunSpec(scenario=scenario, seed=s, steps=steps, timeseries=COLUMNS, key=(name, i))
             for name, scenario in configs.items() for i, s in enumerate(seeds)]
    results: dict[str, list[pd.DataFrame | None]] = {name: [None] * n for name in configs}
    total = len(specs)
    if on_progress:
        on_progress(0, total)
    for done, item in enumerate(map_runs(specs, pool, max_pending=total, cancel=cancel), 1):
        if item.error is not None:
            raise item.error
        name, i = item.spec.key
        results[name][i] = item.value.raise_for_status().timeseries
        if on_progress:
            on_progress(done, total)
    return {name: [r for r in runs if r is not None] for name, runs in results.items()}


def bands(runs: list[pd.DataFrame], column: str, scale: float = 1.0) -> pd.DataFrame:
    """Per week: the mean and the middle-90% band of ``column`` over the runs."""
    table = pd.concat([r[column] for r in runs], axis=1) * scale
    return pd.DataFrame({"lo": table.quantile(BAND[0], axis=1), "mean": table.mean(axis=1),
                         "hi": table.quantile(BAND[1], axis=1)})


def effect_summary(runs: list[pd.DataFrame]) -> dict[str, float]:
    """Performance change vs office only per run: its mean and 90% range; final trust."""
    changes = np.array([100.0 * (r["performance"].mean() - r["performance_counterfactual"].mean())
                        / r["performance_counterfactual"].mean() for r in runs])
    return {"perf": float(changes.mean()), "lo": float(np.quantile(changes, BAND[0])),
            "hi": float(np.quantile(changes, BAND[1])),
            "trust": float(np.mean([r["public_trust"].iloc[-1] for r in runs]))}


def band_option(title: str, results: Mapping[str, list[pd.DataFrame]], column: str,
                scale: float = 1.0) -> dict[str, Any]:
    """ECharts option: for each configuration, its mean line over a shaded 90% band.

    The band is drawn the usual ECharts way: an invisible lower line and the band's height
    stacked on it with an area fill.
    """
    series: list[dict[str, Any]] = []
    weeks: list[int] = []
    for (name, runs), colour in zip(results.items(), (POLICY, ACCENT), strict=False):
        b = bands(runs, column, scale)
        weeks = [int(w) for w in b.index]
        stack = f"band-{name}"
        series += [
            {"name": t("compare.band", name=name), "type": "line", "stack": stack,
             "data": clean(b["lo"]), "lineStyle": {"opacity": 0}, "showSymbol": False,
             "color": colour, "tooltip": {"show": False}},
            {"name": t("compare.band", name=name), "type": "line", "stack": stack,
             "data": clean(b["hi"] - b["lo"]), "lineStyle": {"opacity": 0}, "showSymbol": False,
             "areaStyle": {"opacity": 0.25, "color": colour}, "color": colour,
             "tooltip": {"show": False}},
            {"name": t("compare.mean", name=name), "type": "line", "data": clean(b["mean"]),
             "showSymbol": False, "color": colour, "lineStyle": {"width": 2}},
        ]
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 55, "right": 20, "top": 45, "bottom": 55},
        "xAxis": {"type": "category", "data": weeks, "name": t("axis.week"),
                  "nameLocation": "middle", "nameGap": 25},
        "yAxis": {"type": "value", "scale": True},
        "series": series,
    }


@solara.component
def ComparePanel(settings: solara.Reactive[Settings]) -> None:
    """Configuration A (the page's settings) against a scenario B, with bands and progress."""
    scenarios = available_scenarios()
    choices = list(scenarios)
    other = solara.use_reactive("trust_but_verify" if "trust_but_verify" in choices
                                else choices[0])
    n = solara.use_reactive(8)
    weeks = solara.use_reactive(52)
    n_asn = solara.use_reactive(2000)
    progress = solara.use_reactive((0, 0))
    cancel = solara.use_memo(threading.Event, [])

    def compute() -> tuple[dict[str, list[pd.DataFrame]], list[str]]:
        cancel.clear()
        a = settings.value.scenario.with_values(source="dashboard", n_asn=n_asn.value)
        b = load_scenario(other.value).with_values(source="dashboard", n_asn=n_asn.value)
        names = ["A", f"B ({other.value})"]
        configs = dict(zip(names, (a, b), strict=True))
        try:
            out = run_replications(configs, n.value, weeks.value, int(a.values["seed"]),
                                   on_progress=lambda d, tot: progress.set((d, tot)),
                                   cancel=cancel)
        except WorkerDied:
            _reset_pool()  # a worker died (e.g. out of memory): the next run gets a fresh pool
            raise
        return out, names

    task = solara.lab.use_task(compute, dependencies=None)

    with solara.Column(style={"padding": "8px", "width": "100%"}, classes=["compare-panel"]):
        Markdown(t("compare.help"))
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.Text(t("compare.a"))
            solara.Select(t("compare.b"), value=other, values=choices,
                          style={"min-width": "280px"})
            solara.Select(t("compare.asn"), value=n_asn, values=list(COMPARE_ASN_CHOICES),
                          style={"max-width": "160px"})
        english = scenarios[other.value].description if other.value in scenarios else ""
        solara.Text(scenario_description(other.value, english),
                    style={"font-style": "italic"})
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.SliderInt(t("compare.n"), value=n, min=2, max=MAX_REPLICATIONS)
            solara.SliderInt(t("compare.weeks"), value=weeks, min=4, max=260, step=4)
            solara.Button(t("compare.run"), color="primary", on_click=task,
                          disabled=task.pending, classes=["compare-run"])
            if task.pending:
                solara.Button(t("compare.cancel"), on_click=cancel.set, outlined=True)
        done, total = progress.value
        if task.pending:
            solara.ProgressLinear(value=100.0 * done / total if total else True)
            solara.Text(t("compare.progress", done=done, total=total),
                        classes=["compare-progress"])
        elif task.error and not isinstance(task.exception, InterruptedError):
            solara.Error(t("compare.failed", error=task.exception))
        elif task.finished and task.value is not None:
            results, names = task.value
            for name in names:
                solara.Text(t("compare.summary", name=name, **effect_summary(results[name])),
                            classes=["compare-summary"])
            with solara.Row(style={"flex-wrap": "wrap"}):
                for title, column, scale in (("chart.performance", "performance", 1.0),
                                             ("chart.trust", "public_trust", 1.0),
                                             ("chart.shirking", "shirking_rate", 100.0),
                                             ("chart.uptake", "flex_uptake", 100.0)):
                    with solara.Column(style={"min-width": "420px", "flex": "1 1 45%"}):
                        Chart(band_option(t(title), results, column, scale), height=300)
