"""How flexisim's objects show themselves in a Jupyter notebook.

A notebook displays an object's ``_repr_html_()``; :class:`~flexisim.scenario.Scenario`,
:class:`~flexisim.model.FlexiworkModel`, :class:`~flexisim.experiment.analysis.Results` and
:class:`~flexisim.experiment.runner.SweepReport` delegate theirs to the functions here, so
the classes stay about what they model. Every text that comes from a file or a caller (a
scenario's name and description, a schedule's labels, a folder, an error) is escaped with
:func:`html.escape`: a description such as ``<script>`` is shown, never run.

:func:`in_jupyter_kernel` tells whether the code runs in a Jupyter kernel (the sweep's
progress shows a widget bar there, :mod:`flexisim.experiment.runner`).

Only the standard library is imported at module level: displaying an object costs nothing
until it is displayed.
"""

from __future__ import annotations

import html
import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["in_jupyter_kernel", "model_html", "report_html", "results_html",
           "scenario_html"]

#: the most design points listed in a results table (the rest are counted)
MAX_POINTS = 12
#: the most distinct values of a parameter listed (beyond: its range)
MAX_LEVELS = 8

_STYLE = ("<style>.flexisim table{border-collapse:collapse;margin:0.3em 0}"
          ".flexisim th,.flexisim td{padding:0.15em 0.6em;text-align:left;"
          "border-bottom:1px solid #ddd}.flexisim .set{font-weight:bold}"
          ".flexisim .note{color:#a33}.flexisim .muted{color:#777}</style>")


# --------------------------------------------------------------------------- environment

def in_jupyter_kernel() -> bool:
    """True when this process is a Jupyter kernel (ipykernel), not a terminal or IPython
    in a console.

    Looks only at modules already imported: ``ipykernel`` must be in :data:`sys.modules`
    and IPython's current shell must have a ``kernel`` (a ``ZMQInteractiveShell``).
    Importing nothing keeps a script or a batch job from paying for IPython.
    """
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()
    except Exception:  # noqa: BLE001 - a half-initialised IPython is not a kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


# --------------------------------------------------------------------------- helpers

def _e(value: Any) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value), quote=True)


def _show(value: Any) -> str:
    """A lever value or outcome in words (unescaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _plain(value: Any) -> Any:
    """A lever value comparable with its default (lists and tuples alike)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _signed(value: Any, unit: str) -> str:
    """An effect with its sign and unit, e.g. ``-1.23 %`` (unescaped)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(number):
        return "–"
    return f"{number:+.2f} {unit}"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]],
           classes: Sequence[str] | None = None) -> str:
    """An HTML table; every cell escaped. ``classes``: a CSS class per row ("" for none)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes is not None and classes[i] else ""
        attr = f' class="{_e(cls)}"' if cls else ""
        body.append(f"<tr{attr}>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _box(title: str, *parts: str) -> str:
    """The parts (already HTML) under a bold title (escaped)."""
    return (f'{_STYLE}<div class="flexisim"><p><strong>{_e(title)}</strong></p>'
            + "".join(parts) + "</div>")


def _notes(notes: Iterable[str]) -> str:
    items = "".join(f"<li>{_e(n)}</li>" for n in notes)
    return f'<ul class="note">{items}</ul>' if items else ""


# --------------------------------------------------------------------------- scenario

def scenario_html(scenario: Any) -> str:
    """A :class:`~flexisim.scenario.Scenario` as HTML: its name, description and file, the
    levers it sets (those that differ from levers.toml's defaults), its schedule, how it
    departs from Permenpan RB No. 4/2025, and every lever in a folded table."""
    from flexisim.scenario import LEVERS

    values = scenario.values
    lead = [f"<p>{_e(scenario.description)}</p>" if scenario.description else ""]
    where = f"file <code>{_e(scenario.path)}</code>, " if scenario.path is not None else ""
    valid = all(k in values for k in LEVERS)
    lead.append(f'<p class="muted">{where}hash <code>{_e(scenario.hash)}</code></p>'
                if valid else '<p class="note">invalid scenario: no lever values</p>')
    rows, classes, changed = [], [], []
    for kwarg, lever in LEVERS.items():
        if kwarg not in values:
            continue
        value, default = values[kwarg], lever.default
        differs = _plain(value) != _plain(default)
        row = (lever.key, _show(value), lever.unit, _show(default))
        rows.append(row)
        classes.append("set" if differs else "")
        if differs:
            changed.append(row)
    header = ("lever", "value", "unit", "default")
    parts = lead
    if changed:
        parts.append(f"<p>{len(changed)} of {len(LEVERS)} levers set by this scenario "
                     "(the others at their defaults):</p>" + _table(header, changed))
    elif valid:
        parts.append(f"<p>every one of the {len(LEVERS)} levers at its default</p>")
    if scenario.schedule:
        from flexisim.schedule import schedule_text

        steps = schedule_text(scenario.schedule).split(" | ")
        parts.append("<p>schedule:</p><ol>" + "".join(f"<li>{_e(s)}</li>" for s in steps)
                     + "</ol>")
    if valid:
        parts.append(_notes(f"outside Permenpan RB No. 4/2025: {n}"
                            for n in scenario.outside_rules))
    if rows:
        parts.append(f"<details><summary>all {len(rows)} levers (set ones in bold)</summary>"
                     + _table(header, rows, classes) + "</details>")
    return _box(f"Scenario {scenario.name}", *parts)


# --------------------------------------------------------------------------- model

def model_html(model: Any) -> str:
    """A :class:`~flexisim.model.FlexiworkModel` as HTML: scenario, seed and size, "week n
    of N" (N: the scenario's ``[run] steps``), and once it has run, the outcomes so far
    against its reference world with the effect."""
    values = model.config.values
    week, planned = int(model.steps), int(values["steps"])
    twin = model.counterfactual
    if twin is None:
        twin_text = "no reference world (the scenario has no flexiwork, or counterfactual=False)"
    elif twin.config.name == model.config.name:
        twin_text = "paired with its office-only twin (same seed, same people, same draws)"
    else:
        twin_text = f"paired with the reference world {twin.config.name}"
    parts = [
        f"<p>scenario <code>{_e(model.config.name)}</code>, seed {_e(model.seed)}, "
        f"{model.n_asn:,} ASN, {len(model.pop.citizens):,} citizens; {_e(twin_text)}</p>",
        f"<p><strong>week {week} of {planned}</strong> <span class=\"muted\">(after "
        f"{int(values['warmup_weeks'])} warm-up weeks of office-only institutions)</span></p>",
    ]
    if week == 0:
        parts.append('<p class="muted">not run yet: <code>model.run()</code> runs the '
                     f"scenario's {planned} weeks, <code>model.step()</code> one</p>")
    else:
        s = model.summary()
        other = "office-only twin" if twin is None or twin.config.name == \
            model.config.name else "reference"
        header = ("outcome", "policy world", other, "effect") if twin is not None else (
            "outcome", "policy world")
        rows = [("performance (mean so far)", _show(s["performance_mean"]),
                 _show(s["performance_counterfactual_mean"]),
                 _signed(s["performance_change_pct"], "%")),
                ("public trust (now, points)", _show(s["public_trust_end"]),
                 _show(s["public_trust_end_counterfactual"]),
                 _signed(s["trust_effect_pp"], "pp")),
                ("largest weekly trust gap", "", "",
                 _signed(s["trust_worst_effect_pp"], "pp")),
                ("flexible uptake (mean share)", _show(s["flex_uptake"]), "", ""),
                ("shirking rate (mean)", _show(s["shirking_rate"]), "", "")]
        if twin is None:
            rows = [r[:2] for r in rows if r[1]]
        parts.append(_table(header, rows))
    parts.append(_notes(f"outside Permenpan RB No. 4/2025: {n}"
                        for n in model.config.outside_rules))
    if model.config.schedule:
        from flexisim.schedule import schedule_text

        steps = schedule_text(model.config.schedule, model.world.fired).split(" | ")
        parts.append("<p>schedule:</p><ol>" + "".join(f"<li>{_e(s)}</li>" for s in steps)
                     + "</ol>")
    return _box("FlexiworkModel", *parts)


# --------------------------------------------------------------------------- results

def _levels(values: Any) -> str:
    """A parameter's values in words: the list, or its range when there are many."""
    unique = list(dict.fromkeys(values))
    if len(unique) <= MAX_LEVELS:
        return ", ".join(_show(v) for v in unique)
    try:
        return f"{len(unique)} values from {_show(min(unique))} to {_show(max(unique))}"
    except TypeError:
        return f"{len(unique)} values"


def results_html(results: Any) -> str:
    """A :class:`~flexisim.experiment.analysis.Results` as HTML: the experiment, its design
    and runs, the varied parameters, and the mean effects per design point."""
    ident = results.identity
    spec = ident.get("spec", {})
    reps = int(spec.get("replications", 1))
    total = len(results.points) * reps
    n_runs, n_ok = len(results.runs), len(results.data)
    parts = [f"<p>{_e(ident.get('description', ''))}</p>" if ident.get("description") else "",
             f'<p class="muted">folder <code>{_e(results.folder)}</code>, hash '
             f"<code>{_e(ident.get('hash', ''))}</code></p>",
             f"<p>{_e(results.design)} design: {len(results.points)} points x {reps} "
             f"replications; {n_runs} of {total} runs recorded, {n_ok} ok, "
             f"{n_runs - n_ok} failed</p>"]
    params = results.parameters
    if params:
        order = {p: results.levels(p) for p in params}
        parts.append(_table(("parameter", "values"),
                            [(p, _levels(order[p])) for p in params]))
    outcomes = [o for o in ("performance_change_pct", "trust_effect_pp",
                            "trust_worst_effect_pp") if o in results.data.columns]
    if n_ok and outcomes:
        means = results.data.groupby("point_id")[outcomes].mean()
        table = results.points[["point_id", *params]].join(means, on="point_id", how="inner")
        shown = table.head(MAX_POINTS)
        units = {"performance_change_pct": "%", "trust_effect_pp": "pp",
                 "trust_worst_effect_pp": "pp"}
        rows = [[int(r["point_id"]), *(_show(r[p]) for p in params),
                 *(_signed(r[o], units[o]) for o in outcomes)]
                for _, r in shown.iterrows()]
        parts.append("<p>mean effect against the office-only twin, per design point:</p>"
                     + _table(("point", *params, *outcomes), rows))
        if len(table) > MAX_POINTS:
            parts.append(f'<p class="muted">... and {len(table) - MAX_POINTS} more points '
                         "(<code>flexisim.experiment.analysis.point_means(results)</code>)</p>")
    return _box(f"Results of experiment {ident.get('name', '?')}", *parts)


def report_html(report: Any) -> str:
    """A :class:`~flexisim.experiment.runner.SweepReport` as HTML: what one call of
    ``run_experiment`` did, its errors, and where the results are."""
    k, n = report.shard
    state = "complete" if report.complete else "incomplete: run the same call again to finish"
    rows = [("runs in the experiment" + (f" (shard {k} of {n})" if n > 1 else ""),
             report.total),
            ("done by this call", report.done), ("of which failed", report.failed),
            ("already recorded (skipped)", report.skipped)]
    rows += [(label, v) for label, v in (("lost (run again next time)", report.lost),
                                         ("running under another driver", report.busy)) if v]
    rows.append(("wall time", f"{report.wall_time_s:.1f} s"))
    parts = [f"<p>folder <code>{_e(report.out)}</code>: {_e(state)}</p>",
             _table(("", "runs"), rows)]
    if report.errors:
        shown = report.errors[:5]
        more = len(report.errors) - len(shown)
        parts.append(_notes([*shown, *([f"... {more} more"] if more else [])]))
    parts.append('<p class="muted">next: <code>load_results(report.out)</code>, '
                 "<code>analyze(report.out)</code></p>")
    return _box("Sweep report", *parts)
