"""Settings side by side, each run N times, drawn as bands of their effects.

One run is one draw of luck; a workshop should see the spread. The replications run in
worker processes of one pool per server (the page's own process stays responsive) while the
page shows progress. They go through the run core (:func:`flexisim.runs.map_runs`), like
every other run: the same specs, the same thread policy in the workers.

What is plotted is the *effect* of each setting against its own office-only twin (the same
world without flexiwork, after the warm-up), week by week: the quantity the model is about.
Two settings' absolute levels can differ by more than either's effect (B's performance index
at 52 against A's at 44 reads as +18 % although each is within 2 % of its office-only twin),
so levels are an option, not the default.

Every comparison run in a session is kept (:data:`saved_runs`, a per-session reactive), so
switching tab or language, which re-mounts the panel, loses nothing, and any number of runs
can be laid over each other; they run as a module-level Solara task, also per session, so a
comparison keeps running while the facilitator looks at another tab.

A comparison *is* an experiment (:func:`comparison_experiment`): one factor whose levels are
the settings and ``seeds = "common"`` (replication r has the same seed in every setting,
the seeds :func:`replication_seeds` gives). So it runs through
:func:`flexisim.experiment.run_experiment` into a results folder of the session's own (a
temporary folder, deleted with the last saved run that uses it), and "Download results
folder" zips those folders as they are (:func:`results_zip`): the runs the room saw, in the
store's format with their provenance, for ``flexisim analyze``. A setting with a schedule
(levers changed during the run) cannot be a factor level: such a comparison runs without a
folder, and the download says which runs it leaves out.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import multiprocessing
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import solara

from flexisim.dashboard import memory
from flexisim.dashboard.charts import clean
from flexisim.dashboard.echarts import Chart, caption
from flexisim.dashboard.headline import BAND, performance_effect, run_effects, trust_effect
from flexisim.dashboard.i18n import (
    memory_text,
    number,
    scenario_description,
    scenario_title,
    settings_title,
    signed,
    t,
)
from flexisim.dashboard.markdown import Markdown
from flexisim.dashboard.state import Settings, available_scenarios, population
from flexisim.experiment.design import replication_seeds
from flexisim.runs import RunSpec, WorkerDied, map_runs
from flexisim.runs.pool import exit_with_parent
from flexisim.scenario import Scenario, load_scenario

#: Columns kept from each run (a worker returns only these, to keep results small).
COLUMNS = ("performance", "performance_counterfactual", "public_trust",
           "public_trust_counterfactual", "shirking_rate", "flex_uptake")
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
            _pool = ProcessPoolExecutor(max_workers=pool_workers(),
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=exit_with_parent, initargs=(os.getpid(),))
        return _pool


def pool_workers() -> int:
    """Worker processes of the shared pool: one per CPU."""
    return max(1, os.cpu_count() or 1)


def admit_runs(scenarios: Sequence[Scenario], runs: int) -> memory.Reservation:
    """Reserve the memory of ``runs`` runs of these scenarios in the shared pool, or refuse.

    The pool holds one model per worker at a time, however many replications wait in its
    queue: the memory is that of ``min(runs, workers)`` models of the largest scenario, plus
    the interpreter of each worker the runs would start (a worker stays once started).

    Raises
    ------
    memory.MemoryCapExceeded
        When that does not fit the memory the dashboard may use.
    """
    at_once = min(runs, pool_workers())
    with _pool_lock:
        # the pool starts its workers as runs arrive (CPython keeps them in ``_processes``)
        started = len(getattr(_pool, "_processes", None) or ()) if _pool is not None else 0
    sizes = [population(s) for s in scenarios]
    return memory.admit(max(n for n, _ in sizes), max(c for _, c in sizes), models=at_once,
                        new_processes=max(0, at_once - started), in_workers=True)


def _reset_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


#: The base scenario of a comparison's experiment. Any would do: each setting's level sets
#: every lever in which some setting differs from it. The workshop's default, shipped with
#: flexisim, so that the experiment file in a downloaded folder reads anywhere.
EXPERIMENT_BASE = "permenpan_4_2025"
#: The experiment's factor: its levels are the compared settings.
FACTOR = "setting"
#: Levers an experiment sets itself (never a factor's)
_OWN_LEVERS = ("seed", "steps")


class NotAnExperiment(ValueError):
    """A setting an experiment file cannot describe (it has a ``[[schedule]]``)."""


def level_name(key: str) -> str:
    """A setting's name as the factor's level (letters, digits, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", key).strip("_") or "setting"


def comparison_experiment(configs: Mapping[str, Scenario], n: int, steps: int, seed: int,
                          description: str = "") -> str:
    """The comparison of ``configs`` (``n`` runs of ``steps`` weeks each, seed ``seed``) as
    the text of an experiment file.

    A grid over one factor, :data:`FACTOR`, whose levels (:func:`level_name` of each key,
    in order) set every lever in which any setting differs from :data:`EXPERIMENT_BASE`;
    ``n_asn`` is fixed when the settings share it. ``seeds = "common"``: replication r
    runs with seed ``replication_seeds(seed, n)[r]`` in every setting, as the comparison's.

    Raises
    ------
    NotAnExperiment
        If a setting has a schedule (levers changed during the run).
    """
    from flexisim.scenario import _toml_string, _toml_value

    timed = [key for key, c in configs.items() if c.schedule]
    if timed:
        raise NotAnExperiment(f"{', '.join(timed)}: a schedule cannot be a factor's level")
    levels = [level_name(key) for key in configs]
    if len(set(levels)) != len(levels):
        raise ValueError(f"settings {list(configs)}: their level names {levels} repeat")
    base = load_scenario(EXPERIMENT_BASE).values
    asn = {c.values["n_asn"] for c in configs.values()}
    fixed = {"n_asn": asn.pop()} if len(asn) == 1 else {}
    varied = [k for k in base if k not in _OWN_LEVERS and k not in fixed
              and any(c.values[k] != base[k] for c in configs.values())]
    # a level sets at least one lever; when every setting is the base, one that it keeps
    varied = varied or [next(k for k in base if k not in (*_OWN_LEVERS, *fixed))]
    lines = [f"description = {_toml_string(description or 'dashboard comparison')}",
             f"scenario = {_toml_string(EXPERIMENT_BASE)}",
             f"steps = {steps}", f"replications = {n}", f"seed = {seed}",
             'seeds = "common"', "", "[design]", 'kind = "grid"', "", "[fixed]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in fixed.items()]
    lines += ["", "[analysis]", f'bands_by = "{FACTOR}"', "", f"[parameters.{FACTOR}]"]
    for level, config in zip(levels, configs.values(), strict=True):
        inner = ", ".join(f"{k} = {_toml_value(config.values[k])}" for k in varied)
        lines.append(f"{level} = {{ {inner} }}")
    return "\n".join(lines) + "\n"


class _Watched(Executor):
    """The shared pool as :func:`run_experiment` sees it: counts the finished tasks (the
    page's progress) and, once :meth:`stop` is called, cancels the tasks not started and
    accepts no more (``InterruptedError``)."""

    def __init__(self, pool: Executor) -> None:
        self.pool, self.done, self.stopped = pool, 0, False
        self._futures: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self.stopped:
                raise InterruptedError("cancelled")
            future = self.pool.submit(fn, *args, **kwargs)
            self._futures.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)
            self.done += not future.cancelled()

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            waiting = list(self._futures)
        for future in waiting:
            future.cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass  # the shared pool outlives a comparison


def _run_into(out: Path, configs: Mapping[str, Scenario], n: int, steps: int, seed: int,
              pool: Executor, on_progress: Callable[[int, int], None] | None,
              cancel: threading.Event | None) -> dict[str, list[pd.DataFrame]]:
    """:func:`run_replications` through :func:`run_experiment` into the results folder
    ``out``; the weekly results read back from it."""
    from flexisim.experiment import parse_experiment, run_experiment
    from flexisim.experiment.compact import read_dataset

    definition = out.parent / f"{out.name}.toml"
    definition.write_text(comparison_experiment(
        configs, n, steps, seed, "dashboard comparison: " + ", ".join(configs)))
    experiment = parse_experiment(definition.read_text(), str(definition),
                                  name="comparison", path=definition)
    watched = _Watched(pool)
    total = len(configs) * n
    if on_progress:
        on_progress(0, total)
    # the driver in a thread of its own; this one (the session's) reports and cancels
    with ThreadPoolExecutor(1, thread_name_prefix="flexisim-compare") as driver:
        report = driver.submit(run_experiment, experiment, executor=watched, out=out,
                               progress=False)
        while True:
            try:
                result = report.result(timeout=0.1)
                break
            except TimeoutError:
                if cancel is not None and cancel.is_set():
                    watched.stop()
                if on_progress:
                    on_progress(min(watched.done, total), total)
    if watched.stopped or result.lost:
        raise InterruptedError("cancelled")
    if result.failed:
        raise RuntimeError(result.errors[0] if result.errors else "a run failed")
    if on_progress:
        on_progress(total, total)
    points = pd.read_parquet(out / "points.parquet", columns=["point_id", FACTOR])
    keys = {level_name(key): key for key in configs}
    names = {point: keys[level] for point, level in zip(points["point_id"], points[FACTOR],
                                                        strict=True)}
    ts = read_dataset(out, "timeseries", ["point_id", "replication", "step", *COLUMNS])
    results: dict[str, list[pd.DataFrame]] = {name: [] for name in configs}
    for (point, _), run in ts.sort_values(["point_id", "replication", "step"]).groupby(
            ["point_id", "replication"], sort=True):
        table = run[list(COLUMNS)].reset_index(drop=True)
        table.index = pd.RangeIndex(1, len(table) + 1, name="step")
        results[names[point]].append(table)
    return results


def run_replications(configs: Mapping[str, Scenario], n: int, steps: int, seed: int, *,
                     executor: Executor | None = None,
                     on_progress: Callable[[int, int], None] | None = None,
                     cancel: threading.Event | None = None,
                     out: Path | None = None) -> dict[str, list[pd.DataFrame]]:
    """Run every configuration ``n`` times for ``steps`` weeks.

    Both configurations get the *same* ``n`` seeds (common random numbers: the difference
    between the bands is the settings, not luck). Returns ``{name: [timeseries, ...]}`` in
    seed order (the :data:`COLUMNS` of each run). ``on_progress(done, total)`` is called as
    runs finish; setting ``cancel`` stops waiting and cancels the runs not yet started
    (``InterruptedError``).

    With ``out`` (a folder that does not exist yet; its parent does), the runs are the
    experiment :func:`comparison_experiment`, run by :func:`run_experiment` into the
    results folder ``out`` (the definition beside it, ``out.toml``); the same seeds, the
    same results. A cancelled or failed comparison leaves an incomplete folder.
    """
    pool = executor if executor is not None else shared_executor()
    if out is not None:
        return _run_into(out, configs, n, steps, seed, pool, on_progress, cancel)
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


class ResultsFolder:
    """The results folder of one comparison (one "Run" press), in a temporary folder of its
    own that is deleted when no saved run holds this object any more.

    ``indices`` are the saved runs it holds (all the settings of the press, in order).
    """

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="flexisim-compare-")
        self.path = Path(self._tmp.name) / "results"
        self.indices: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """The folder's name in a download: which runs it holds (``runs_1-2``)."""
        return "runs_" + "-".join(map(str, self.indices))


@dataclasses.dataclass(frozen=True)
class SavedRun:
    """One setting run ``replications`` times in the comparison tab, kept for the session.

    ``index`` (1, 2, ...) and the scenario's name make its :meth:`label` in legends and
    summaries ("2. Trust, but verify"), in the language of the moment; ``runs`` are the
    replications' weekly results (:data:`COLUMNS`), in seed order.
    """

    index: int
    scenario: str
    runs: tuple[pd.DataFrame, ...]
    replications: int
    weeks: int
    n_asn: int
    seed: int
    modified: bool = False  # the page's settings changed from the scenario's
    #: the results folder holding these runs (None: a setting with a schedule, which an
    #: experiment cannot describe)
    folder: ResultsFolder | None = dataclasses.field(default=None, compare=False)

    def label(self, lang: str | None = None) -> str:
        return f"{self.index}. {settings_title(self.scenario, self.modified, lang)}"


@dataclasses.dataclass(frozen=True)
class Measure:
    """A weekly quantity of one run, as a comparison chart plots it."""

    title: str  # i18n key of the chart title
    unit: str  # i18n key of the y axis name
    values: Callable[[pd.DataFrame], pd.Series]


def _level(column: str, scale: float = 1.0) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda ts: ts[column] * scale


#: What the charts show, in page order: effects against the office-only world (the default),
#: or levels. Shirking and uptake have no office-only counterpart (the twin has no flexible
#: days, and its shirking is not recorded), so they are levels in both views -- said so on
#: their axes.
MEASURES: dict[str, tuple[Measure, ...]] = {
    "effects": (
        Measure("compare.chart.performance_effect", "compare.unit.percent_vs_office",
                performance_effect),
        Measure("compare.chart.trust_effect", "compare.unit.points_vs_office", trust_effect),
        Measure("chart.shirking_level", "compare.unit.percent_workdays",
                _level("shirking_rate", 100.0)),
        Measure("chart.uptake", "compare.unit.percent_staff", _level("flex_uptake", 100.0)),
    ),
    "levels": (
        Measure("compare.chart.performance_level", "compare.unit.index",
                _level("performance")),
        Measure("compare.chart.trust_level", "compare.unit.trust", _level("public_trust")),
        Measure("chart.shirking_level", "compare.unit.percent_workdays",
                _level("shirking_rate", 100.0)),
        Measure("chart.uptake", "compare.unit.percent_staff", _level("flex_uptake", 100.0)),
    ),
}

#: Colours of saved runs, in order (cycled beyond eight)
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22")


def bands(runs: Sequence[pd.DataFrame], values: Callable[[pd.DataFrame], pd.Series] | str,
          scale: float = 1.0) -> pd.DataFrame:
    """Per week: the mean and the middle-90% band of a quantity over the runs.

    ``values`` is a column name or a function of one run's table (a :class:`Measure`'s).
    """
    get = _level(values, scale) if isinstance(values, str) else values
    table = pd.concat([get(r) for r in runs], axis=1)
    return pd.DataFrame({"lo": table.quantile(BAND[0], axis=1), "mean": table.mean(axis=1),
                         "hi": table.quantile(BAND[1], axis=1)})


def effect_summary(runs: Sequence[pd.DataFrame]) -> dict[str, float]:
    """Per run, performance against office only over the run (%) and public trust against
    office only at the end (points): their means and middle-90% ranges over the runs."""
    each = [run_effects(r) for r in runs]
    perf = np.array([e["performance_change_pct"] for e in each])
    trust = np.array([e["trust_effect_pp"] for e in each])
    return {"perf": float(perf.mean()), "lo": float(np.quantile(perf, BAND[0])),
            "hi": float(np.quantile(perf, BAND[1])),
            "trust": float(np.mean([r["public_trust"].iloc[-1] for r in runs])),
            "trust_effect": float(trust.mean()), "trust_lo": float(np.quantile(trust, BAND[0])),
            "trust_hi": float(np.quantile(trust, BAND[1]))}


def summary_text(saved: SavedRun, lang: str | None = None) -> str:
    """One saved run in words, numbers written as the reader writes them."""
    s = effect_summary(saved.runs)
    return t("compare.summary", lang, name=saved.label(lang), n=saved.replications,
             weeks=saved.weeks, asn=number(saved.n_asn, lang, 0),
             perf=signed(s["perf"], lang), lo=signed(s["lo"], lang), hi=signed(s["hi"], lang),
             trust=signed(s["trust_effect"], lang), trust_lo=signed(s["trust_lo"], lang),
             trust_hi=signed(s["trust_hi"], lang), level=number(s["trust"], lang, 1))


def band_option(measure: Measure, saved: Sequence[SavedRun]) -> dict[str, Any]:
    """ECharts option: for each saved run, its mean line over a shaded 90% band.

    The band is drawn the usual ECharts way: an invisible lower line and the band's height
    stacked on it with an area fill (``stackStrategy: "all"``: by default ECharts stacks only
    values of the same sign, which breaks a band below zero). Runs of different lengths
    share the week axis.
    """
    series: list[dict[str, Any]] = []
    weeks = list(range(1, max((s.weeks for s in saved), default=0) + 1))
    for i, entry in enumerate(saved):
        colour = COLOURS[i % len(COLOURS)]
        b = bands(entry.runs, measure.values).reindex(weeks)
        stack, name = f"band-{i}", entry.label()
        series += [
            {"name": t("compare.band", name=name), "type": "line", "stack": stack,
             "stackStrategy": "all", "data": clean(b["lo"]), "lineStyle": {"opacity": 0},
             "csvName": t("compare.csv.lo", name=name),
             "showSymbol": False, "color": colour, "tooltip": {"show": False}},
            {"name": t("compare.band", name=name), "type": "line", "stack": stack,
             "stackStrategy": "all", "data": clean(b["hi"] - b["lo"]),
             "csvName": t("compare.csv.hi", name=name),
             "lineStyle": {"opacity": 0}, "showSymbol": False,
             "areaStyle": {"opacity": 0.2, "color": colour}, "color": colour,
             "tooltip": {"show": False}},
            {"name": t("compare.mean", name=name), "type": "line",
             "data": clean(b["mean"]), "showSymbol": False, "color": colour,
             "lineStyle": {"width": 2}},
        ]
    zero = measure.unit in ("compare.unit.percent_vs_office", "compare.unit.points_vs_office")
    if zero and series:  # the office-only world is the zero line of an effect
        series[-1] = {**series[-1], "markLine": {
            "silent": True, "symbol": "none", "animation": False,
            "data": [{"yAxis": 0, "label": {"formatter": t("series.office_only")}}],
            "lineStyle": {"color": "#7f7f7f", "type": "dashed", "width": 1},
            "label": {"position": "insideEndTop", "fontSize": 10, "color": "#555"}}}
    return {
        "animation": False,
        "title": {"text": t(measure.title), "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},  # a plain legend wraps: every run's name stays readable
        "grid": {"left": 60, "right": 20, "top": 50, "bottom": 40 + 20 * len(saved),
                 "containLabel": True},
        "xAxis": {"type": "category", "data": weeks, "name": t("axis.week"),
                  "nameLocation": "middle", "nameGap": 25},
        # an effect's axis keeps its zero (the office-only world) in view
        "yAxis": {"type": "value", "scale": not zero, "name": t(measure.unit),
                  "nameTextStyle": {"align": "left"}},
        "series": series,
    }


#: The session's comparison runs, oldest first (per browser session: solara.reactive).
saved_runs: solara.Reactive[tuple[SavedRun, ...]] = solara.reactive(())
#: (runs done, runs in all) of the comparison running in this session
progress: solara.Reactive[tuple[int, int]] = solara.reactive((0, 0))
#: the running comparison's cancel flag (made per comparison: a default shared by sessions
#: would let one room member cancel another's)
_cancel: solara.Reactive[threading.Event | None] = solara.reactive(None)


#: one setting to compare: (scenario name, changed on the page?, the scenario to run)
Entry = tuple[str, bool, Scenario]


def run_and_save(entries: Sequence[Entry], n: int, weeks: int, seed: int, *,
                 executor: Executor | None = None,
                 cancel: threading.Event | None = None) -> tuple[SavedRun, ...]:
    """Run each entry ``n`` times for ``weeks`` weeks (the same seeds for all) and append
    them to the session's :data:`saved_runs`, numbered after the ones there.

    The runs go into a :class:`ResultsFolder` of their own, unless a setting has a schedule
    (then they are kept in memory only, and :func:`results_zip` leaves them out)."""
    first = max((s.index for s in saved_runs.value), default=0) + 1
    indices = tuple(range(first, first + len(entries)))
    # the keys are the experiment's level names: "1_permenpan_4_2025"
    configs = {level_name(f"{i}_{name}"): scenario
               for i, (name, _, scenario) in zip(indices, entries, strict=True)}
    folder = None if any(e[2].schedule for e in entries) else ResultsFolder()
    if folder is not None:
        folder.indices = indices
    try:
        out = run_replications(configs, n, weeks, seed, executor=executor, cancel=cancel,
                               on_progress=lambda d, tot: progress.set((d, tot)),
                               out=folder.path if folder is not None else None)
    except WorkerDied:
        _reset_pool()  # a worker died (e.g. out of memory): the next run gets a fresh pool
        raise
    new = tuple(SavedRun(index=i, scenario=name, runs=tuple(out[key]), replications=n,
                         weeks=weeks, n_asn=int(scenario.values["n_asn"]), seed=seed,
                         modified=modified, folder=folder)
                for i, key, (name, modified, scenario) in zip(indices, configs, entries,
                                                               strict=True))
    saved_runs.set(saved_runs.value + new)
    return new


def exported(saved: Sequence[SavedRun]) -> tuple[list[ResultsFolder], list[SavedRun]]:
    """The results folders of these saved runs (each once, oldest first), and the saved
    runs that have none (a setting with a schedule)."""
    folders: dict[int, ResultsFolder] = {}
    for entry in saved:
        if entry.folder is not None:
            folders.setdefault(id(entry.folder), entry.folder)
    return list(folders.values()), [e for e in saved if e.folder is None]


def results_zip(saved: Sequence[SavedRun]) -> bytes:
    """A zip of the results folders of these saved runs, one per comparison ("Run" press),
    each named after the runs it holds (``runs_1-2/``): unzipped, ``flexisim analyze
    runs_1-2`` reads it. A folder holds every setting of its press, also one removed from
    the page since; saved runs without a folder are left out (see :func:`exported`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in exported(saved)[0]:
            for path in sorted(folder.path.rglob("*")):
                rel = path.relative_to(folder.path)
                if path.is_file() and rel.parts[0] not in ("drivers", "claims"):
                    archive.write(path, f"{folder.name}/{rel.as_posix()}")
    return buffer.getvalue()


@solara.lab.task
def comparison(entries: Sequence[Entry], n: int, weeks: int, seed: int,
               admitted: memory.Reservation | None = None) -> tuple[SavedRun, ...]:
    """The session's running comparison (a Solara task: per session, survives re-mounts);
    the memory ``admitted`` for it is released when it ends."""
    try:
        return run_and_save(entries, n, weeks, seed, cancel=_cancel.value)
    finally:
        if admitted is not None:
            admitted.release()


def _cancel_comparison() -> None:
    if _cancel.value is not None:
        _cancel.value.set()


@solara.component
def ComparePanel(settings: solara.Reactive[Settings]) -> None:
    """The page's settings (A) and a scenario (B) run N times; every run of the session
    kept and drawn, as effects against the office-only world or as levels."""
    scenarios = available_scenarios()
    choices = list(scenarios)
    other = solara.use_reactive("trust_but_verify" if "trust_but_verify" in choices
                                else choices[0])
    include_a = solara.use_reactive(True)
    n = solara.use_reactive(8)
    weeks = solara.use_reactive(52)
    n_asn = solara.use_reactive(2000)
    view = solara.use_reactive("effects")
    refused = solara.use_reactive(None)  # the estimate of runs that did not fit the memory
    saved = saved_runs.value

    def start() -> None:
        current = settings.value
        a = current.next_scenario().with_values(source="dashboard", n_asn=n_asn.value)
        b = load_scenario(other.value).with_values(source="dashboard", n_asn=n_asn.value)
        entries: list[Entry] = [(current.origin, current.modified, a)] if include_a.value \
            else []
        entries.append((other.value, False, b))
        try:
            admitted = admit_runs([e[2] for e in entries], n.value * len(entries))
        except memory.MemoryCapExceeded as exc:
            refused.set(exc.estimate)
            return
        refused.set(None)
        _cancel.set(threading.Event())
        progress.set((0, n.value * len(entries)))
        comparison(entries, n.value, weeks.value, int(a.values["seed"]), admitted)

    with solara.Column(style={"padding": "8px", "width": "100%"}, classes=["compare-panel"]):
        Markdown(t("compare.help"))
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.Checkbox(label=t("compare.a"), value=include_a)
            solara.v.Select(label=t("compare.b"), v_model=other.value,
                            items=[{"text": scenario_title(c), "value": c} for c in choices],
                            on_v_model=other.set, style_="min-width: 280px", dense=True)
            solara.v.Select(label=t("compare.asn"), v_model=n_asn.value,
                            items=[{"text": number(c, None, 0), "value": c}
                                   for c in COMPARE_ASN_CHOICES],
                            on_v_model=n_asn.set, style_="max-width: 180px", dense=True)
        english = scenarios[other.value].description if other.value in scenarios else ""
        solara.Text(scenario_description(other.value, english),
                    style={"font-style": "italic"})
        # (room above the sliders for the values on their thumbs)
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center",
                               "margin-top": "26px"}):
            # the value always on the thumb: a room reads it from the screen
            solara.SliderInt(t("compare.n"), value=n, min=2, max=MAX_REPLICATIONS,
                             thumb_label="always")
            solara.SliderInt(t("compare.weeks"), value=weeks, min=4, max=260, step=4,
                             thumb_label="always")
            solara.Button(t("compare.run"), color="primary", on_click=start,
                          disabled=comparison.pending, classes=["compare-run"])
            if comparison.pending:
                solara.Button(t("compare.cancel"), on_click=_cancel_comparison, outlined=True)
        done, total = progress.value
        # the status in a column of its own that is always there: the elements after it
        # keep their place when it changes (a comparison ending), so the saved runs' charts
        # and download button are not mounted anew -- a click on "download" at that moment
        # would be lost with the old button's state
        with solara.Column(classes=["compare-status"]):
            if comparison.pending:
                solara.ProgressLinear(value=100.0 * done / total if total else True)
                solara.Text(t("compare.progress", done=done, total=total),
                            classes=["compare-progress"])
            elif comparison.error and not isinstance(comparison.exception, InterruptedError):
                solara.Error(t("compare.failed", error=comparison.exception))
            if refused.value is not None:
                solara.Error(memory_text(refused.value), dense=True,
                             classes=["memory-refused"])
        if saved:
            SavedRuns(saved, view)


@solara.component
def SavedRuns(saved: tuple[SavedRun, ...], view: solara.Reactive[str]) -> None:
    """The session's comparison runs: summaries, remove / clear, and the charts."""

    def remove(i: int) -> None:
        saved_runs.set(tuple(s for j, s in enumerate(saved_runs.value) if j != i))

    for i, entry in enumerate(saved):
        with solara.Row(style={"align-items": "center"}):
            solara.Text(summary_text(entry), classes=["compare-summary"],
                        style={"border-left": f"4px solid {COLOURS[i % len(COLOURS)]}",
                               "padding-left": "6px"})
            solara.Button(icon_name="mdi-close", icon=True, small=True,
                          on_click=lambda i=i: remove(i), classes=["compare-remove"])
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        with solara.ToggleButtonsSingle(value=view, classes=["compare-view"]):
            solara.Button(t("compare.view.effects"), value="effects")
            solara.Button(t("compare.view.levels"), value="levels")
        solara.Button(t("compare.clear"), on_click=lambda: saved_runs.set(()), text=True,
                      classes=["compare-clear"])
    ResultsDownload(saved)
    with solara.Row(style={"flex-wrap": "wrap"}):
        for measure in MEASURES[view.value]:
            with solara.Column(style={"min-width": "420px", "flex": "1 1 45%"}):
                Chart(band_option(measure, saved), height=300 + 20 * len(saved),
                      caption=caption(*(f"{e.label('en')}: {e.replications} runs x {e.weeks} "
                                        f"weeks, {e.n_asn:,} ASN, seed {e.seed}"
                                        for e in saved)))


#: the name of the downloaded zip
ZIP_NAME = "flexisim-comparison-results.zip"


@solara.component
def ResultsDownload(saved: tuple[SavedRun, ...]) -> None:
    """"Download results folder": the saved runs' results folders as a zip (made when the
    button is pressed), and which runs it leaves out (a setting with a schedule)."""
    folders, left_out = exported(saved)
    # one callable while the runs are the same: FileDownload starts over when its data
    # changes (the ids are those of runs the memo keeps alive)
    data = solara.use_memo(lambda: functools.partial(results_zip, saved),
                           [tuple(id(e) for e in saved)])
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"},
                    classes=["compare-download"]):
        if folders:
            solara.FileDownload(data, filename=ZIP_NAME,
                                label=t("compare.download"), mime_type="application/zip")
            solara.Text(t("compare.download_help", folder=folders[0].name),
                        style={"font-size": "0.8em", "color": "#666"})
    if left_out:
        runs = ", ".join(str(e.index) for e in left_out)
        solara.Warning(t("compare.not_exported", runs=runs), dense=True,
                       classes=["compare-not-exported"])
