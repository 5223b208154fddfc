"""The ``flexisim`` command: list, validate and run scenarios.

Exit status: 0 success, 2 bad input (one line per problem on stderr, nothing written).
User errors never print a Python traceback; a traceback means a bug in flexisim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flexisim import outputs
from flexisim.errors import MAX_SOURCE, InputError, UsageError, format_where, safe_text
from flexisim.scenario import ScenarioError, list_scenarios, load_scenario

EXIT_USAGE = 2

#: True while :func:`main` runs as the ``flexisim`` command, a process of its own (called
#: without an argument list); False when Python code calls it (the tests, a notebook)
_PROCESS = False

#: the files each command writes into its --out folder (all --force may replace)
RUN_FILES = ("timeseries.csv", "summary.json", "scenario.toml", "overview.png")
EXPLAIN_FILES = ("channels.csv", "replications.csv", "totals.csv", "provenance.json",
                 "scenario.toml", "waterfall.png")

#: Rows of the terminal summary: key, label, format.
SUMMARY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("performance_change_pct", "Performance vs office-only twin", "{:+.2f} %"),
    ("trust_effect_pp", "Public trust vs office-only twin at end", "{:+.2f} points"),
    ("trust_worst_effect_pp", "Public trust vs office-only twin, worst week", "{:+.2f} points"),
    ("public_trust_start", "Public trust when the policy starts (0-100)", "{:.1f}"),
    ("public_trust_end", "Public trust at end (0-100)", "{:.1f}"),
    ("trust_change_pp", "Change since the policy started (both worlds drift)",
     "{:+.2f} points"),
    ("shirking_rate", "True shirking (share of staff-days)", "{:.1%}"),
    ("detected_shirking_rate", "Detected shirking (per staff-week)", "{:.2%}"),
    ("false_accusation_rate", "False accusations (per staff-week)", "{:.2%}"),
    ("reprimanded_share", "Staff under a reprimand (flexibility withdrawn)", "{:.1%}"),
    ("discipline_rate_annual", "Formal disciplinary sanctions per staff-year", "{:.3%}"),
    ("flex_uptake", "Flexible-work uptake (share of staff)", "{:.1%}"),
    ("mean_flex_days", "Mean flexible days per week", "{:.2f}"),
    ("service_availability", "Citizens' needs served on time", "{:.1%}"),
    ("citizen_satisfaction", "Citizen satisfaction (0-1)", "{:.3f}"),
    ("attrition_rate_annual", "Attrition per year", "{:.2%}"),
    ("share_performing", "Share rated 'performing'", "{:.1%}"),
    ("share_under_35", "Share of staff under 35", "{:.1%}"),
    ("regional_performance_gap", "Java-Bali vs eastern regions gap", "{:+.2f} %"),
    ("cost_total_bn", "What the scenario cost (Rp billion, 2025 prices)", "{:,.0f}"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: same exit status, no trace
        self.print_usage(sys.stderr)
        raise UsageError([f"{self.prog}: {message}"])


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flexisim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("scenarios", help="list the scenario files with a one-line description each")

    p = sub.add_parser("validate", help="check scenario files (exit 0, or 2 with the problems)")
    p.add_argument("files", nargs="+", metavar="SCENARIO", help="scenario files or names")

    p = sub.add_parser("run", help="simulate a scenario and write its results")
    p.add_argument("scenario", nargs="?", default=None,
                   help="path or name of a file in scenarios/ (default: permenpan_4_2025)")
    p.add_argument("--steps", type=int, help="weeks to simulate (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--asn", type=int, help="number of ASN agents (leaders included)")
    p.add_argument("--out", type=Path, help="output folder (default: a new folder in results/)")
    p.add_argument("--force", action="store_true",
                   help="replace the flexisim files of an earlier result in --out (nothing else)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.add_argument("--calibration", metavar="PRESET",
                   help="coefficient overrides: a preset name (trust_oecd) or a TOML file of "
                        "name = value lines (default: flexisim/data/calibration.toml)")

    p = sub.add_parser("explain", help="decompose a scenario's effects against its office-only "
                                       "twin by channel (table and waterfall figure)")
    p.add_argument("scenario", nargs="?", default=None,
                   help="path or name of a file in scenarios/ (default: permenpan_4_2025)")
    p.add_argument("--asn", type=int, help="number of ASN agents (default: the scenario's)")
    p.add_argument("--steps", type=int, help="weeks to simulate (default: the scenario's)")
    p.add_argument("--seed", type=int, help="first seed (default: the scenario's)")
    p.add_argument("--replications", type=int, metavar="R",
                   help="seeds seed..seed+R-1; intervals over them (default 1; with "
                        "--experiment: the point's first R replications, default all)")
    p.add_argument("--orders", type=int, default=4, metavar="N",
                   help="orders of the channels per replication, an even number (default 4)")
    p.add_argument("--channels", metavar="A,B,...",
                   help="decompose over these channels only (default: all; `--channels list` "
                        "lists them)")
    p.add_argument("--set", action="append", default=[], metavar="LEVER=VALUE",
                   help="a lever for this run, e.g. --set trust_culture=0.8 (a design point "
                        "of a sweep); repeatable")
    p.add_argument("--experiment", metavar="EXP",
                   help="explain a design point of this experiment (file or name in "
                        "experiments/) instead of a scenario: its levers, horizon and seeds")
    p.add_argument("--point", type=int, metavar="P",
                   help="with --experiment: the design point (point_id of the results)")
    p.add_argument("--out", type=Path, help="output folder (default: a new folder in results/)")
    p.add_argument("--force", action="store_true",
                   help="replace the flexisim files of an earlier result in --out (nothing else)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.add_argument("--calibration", metavar="PRESET",
                   help="coefficient overrides: a preset name (trust_oecd) or a TOML file of "
                        "name = value lines (default: flexisim/data/calibration.toml)")

    from flexisim.experiment.cli import add_parsers  # sweep, analyze, compact
    from flexisim.launch import add_parser as add_dashboard  # dashboard
    from flexisim.validation.cli import add_parsers as add_validation  # validate-model, calibrate

    add_parsers(sub)
    add_validation(sub)
    add_dashboard(sub)
    return parser


# ----------------------------------------------------------------------- commands
def cmd_scenarios(args: argparse.Namespace) -> int:
    scenarios = list_scenarios()
    if not scenarios:
        print("no scenario files found", file=sys.stderr)
        return EXIT_USAGE
    # names and descriptions come from files: escape codes and huge texts are shown safely
    names = [safe_text(s.name) for s in scenarios]
    width = max(len(name) for name in names)
    for name, s in zip(names, scenarios, strict=True):
        print(f"{name:<{width}}  {safe_text(s.description, MAX_SOURCE)}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    problems: list[str] = []
    for spec in args.files:
        try:
            scenario = load_scenario(spec)
        except ScenarioError as err:
            problems.extend(err.problems)
        else:
            print(f"{spec}: OK (scenario {scenario.name}, hash {scenario.hash})")
            for note in scenario.outside_rules:
                print(f"{spec}: note: outside Permenpan RB No. 4/2025: {note}")
            if scenario.schedule:
                from flexisim.schedule import schedule_text

                for i, line in enumerate(schedule_text(scenario.schedule).split(" | "), 1):
                    # a label is the file's text: shown safely, like every name in a problem
                    print(f"{spec}: schedule[{i}]: {safe_text(line, MAX_SOURCE)}")
    if problems:
        raise UsageError(problems)
    return 0


def _default_out(name: str, seed: int) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{name}-{stamp}-seed{seed}"


def cmd_run(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in (("steps", args.steps), ("seed", args.seed),
                                    ("n_asn", args.asn)) if v is not None}
    scenario = load_scenario(args.scenario, overrides)  # ScenarioError -> exit 2
    calibration = _calibration(args)  # UsageError -> exit 2
    values = scenario.values
    out = args.out or _default_out(scenario.name, values["seed"])

    with _heavy_imports():  # once the input is valid
        # mesa first, from here: while mesa.model loads, Mesa's logging inspects the whole
        # call stack, each frame against every module loaded by then -- 0.1-0.2 s less
        # from this shallow stack before matplotlib's modules (benchmarks/README.md)
        import mesa  # noqa: F401

        from flexisim.plots import overview_figure, save_figure
        from flexisim.runs import RunSpec, execute

    # checked before the work (and after the imports: an interrupted import leaves nothing)
    tmp = outputs.prepare(out, force=args.force, kind="run", files=RUN_FILES)
    if not args.quiet:  # one line before a first run compiles the kernels (flexisim.warmup)
        from flexisim.warmup import notice_if_cold

        notice_if_cold()

    steps = values["steps"]
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=steps, unit="week", desc=scenario.name, file=sys.stderr)
    with outputs.discarded(tmp):  # an interrupted run leaves no partial folder behind
        result = execute(RunSpec(scenario=scenario, seed=values["seed"], steps=steps,
                                 calibration=calibration),
                         on_step=(lambda week, weeks: bar.update()) if bar is not None
                         else None)
    if bar is not None:
        bar.close()
    if not result.ok:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"flexisim run: the simulation failed: {result.error}", file=sys.stderr)
        return 1
    elapsed = result.wall_time_s

    ts = result.timeseries
    from flexisim.provenance import provenance

    # what made it, as a sweep's folder records it: the hashes that decide whether results
    # may be mixed, the commit, the libraries, when it ran (UTC)
    summary = result.summary | {"wall_time_s": round(elapsed, 3),
                                "calibration": args.calibration or "",
                                "calibration_overrides": calibration,
                                "started_utc": result.started_utc,
                                "ended_utc": result.ended_utc, "provenance": provenance()}
    # written into the sibling partial folder, then moved: an interrupted run leaves no half
    # folder that looks finished, and nothing flexisim did not write is touched; a full disk
    # is reported as such and the partial folder removed
    with outputs.writing(tmp, out):
        ts.to_csv(tmp / "timeseries.csv", float_format="%.6g")
        (tmp / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2) + "\n")
        (tmp / "scenario.toml").write_text(scenario.to_toml())
        save_figure(overview_figure(ts, summary, list(result.regions)), tmp / "overview.png")
        outputs.publish(tmp, out, RUN_FILES)

    if not args.quiet:
        print(summary_table(summary))
        print(f"\nResults in {out}/ (timeseries.csv, summary.json, overview.png, scenario.toml); "
              f"{steps} weeks in {elapsed:.1f} s")
    return 0


@contextmanager
def _heavy_imports() -> Iterator[None]:
    """Around the imports of a command's heavy modules (pandas, matplotlib, mesa, numba).

    In the command's own process (:data:`_PROCESS`) the cyclic garbage collector is off
    while they load (their objects live as long as the process: each of its full passes over
    a growing heap, three or four of them, found nothing to free), and what they made is
    then frozen (:func:`gc.freeze`), so that later passes do not walk it again. Called from
    Python, nothing changes.
    """
    if not _PROCESS or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.freeze()


def _calibration(args: argparse.Namespace) -> dict[str, float]:
    """The coefficient overrides of ``--calibration`` (none by default)."""
    if not getattr(args, "calibration", None):
        return {}
    from flexisim.params import calibration_preset

    return calibration_preset(args.calibration)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: write null where an output is undefined (e.g. no appraisal yet)."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def summary_table(summary: dict[str, Any]) -> str:
    """The terminal table of a run's headline outputs."""
    lines = [f"flexisim {summary['package_version']} | scenario {summary['scenario']} "
             f"({summary['scenario_hash']}) | seed {summary['seed']} | "
             f"{summary['n_asn']:,} ASN agents x {summary['steps']} weeks"
             + (f" after a {summary['warmup_weeks']}-week warm-up"
                if summary.get("warmup_weeks") else ""), ""]
    if summary.get("outside_rules"):
        lines += [f"  ! outside Permenpan RB No. 4/2025: {note}"
                  for note in summary["outside_rules"].split(" | ")] + [""]
    if summary.get("schedule"):  # the labels are the scenario file's text: shown safely
        lines += [f"  schedule: {safe_text(line, MAX_SOURCE)}"
                  for line in summary["schedule"].split(" | ")] + [""]
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    for key, label, fmt in SUMMARY_ROWS:
        value = summary.get(key)
        text = "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else fmt.format(value)
        lines.append(f"  {label:<{width}}  {text}")
    return "\n".join(lines)


def _lever_settings(items: Sequence[str]) -> dict[str, Any]:
    """``LEVER=VALUE`` strings -> {lever: value}; the value is read as TOML (0.8, true,
    "proactive", ["frontline"]) or else as a string (which the lever's check then refuses
    if it wants another type: so is a value nested too deep to read)."""
    from flexisim.scenario import parse_toml

    out: dict[str, Any] = {}
    problems = []
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            problems.append(format_where(f"--set {item}", None, "expected LEVER=VALUE"))
            continue
        doc = parse_toml(f"v = {text.strip()}", "--set", [])
        out[name.strip()] = text.strip() if doc is None else doc["v"]
    if problems:
        raise UsageError(problems)
    return out


def cmd_explain(args: argparse.Namespace) -> int:
    from flexisim.channels import CHANNELS

    if args.channels == "list":
        width = max(len(c) for c in CHANNELS)
        for name, ch in CHANNELS.items():
            print(f"{name:<{width}}  [{ch.mechanism}] {ch.description}")
        return 0
    channels = ([c.strip() for c in args.channels.split(",") if c.strip()]
                if args.channels else None)
    overrides = {k: v for k, v in (("steps", args.steps), ("seed", args.seed),
                                    ("n_asn", args.asn)) if v is not None}
    overrides |= _lever_settings(args.set)
    if (args.experiment is None) != (args.point is None):
        raise UsageError(["flexisim explain: --experiment and --point go together"])
    if args.experiment is not None:
        if args.scenario is not None or overrides:
            raise UsageError(["flexisim explain: with --experiment the point's own scenario, "
                              "levers, horizon and seeds are used (no SCENARIO, --asn, "
                              "--steps, --seed or --set)"])
        from flexisim.experiment.definition import load_experiment

        experiment = load_experiment(args.experiment)  # ExperimentError -> exit 2
        name = f"{experiment.name}-point{args.point}"
    else:
        scenario = load_scenario(args.scenario, overrides)  # ScenarioError -> exit 2
        name = scenario.name
    calibration = _calibration(args)  # UsageError -> exit 2
    out = args.out or Path("results") / (f"explain-{name}-"
                                         f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}")

    from flexisim.explain import explain
    from flexisim.plots import save_figure, waterfall_figure

    # checked before the work (and after the imports: an interrupted import leaves nothing)
    tmp = outputs.prepare(out, force=args.force, kind="explain", files=EXPLAIN_FILES)

    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="run", desc=f"explain {name}", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    with outputs.discarded(tmp):  # bad input found late, or interrupted: nothing left
        if args.experiment is not None:
            from flexisim.explain import explain_point

            result = explain_point(experiment, args.point, orders=args.orders,
                                   channels=channels, replications=args.replications,
                                   calibration=calibration or None, progress=progress)
        else:
            result = explain(scenario, replications=args.replications or 1,
                             orders=args.orders, channels=channels,
                             calibration=calibration or None, progress=progress)
    if bar is not None:
        bar.close()
    table = result.table()
    provenance = result.provenance()
    with outputs.writing(tmp, out):  # a full disk: reported, the partial folder removed
        table.to_csv(tmp / "channels.csv", index=False, float_format="%.6g")
        result.values.to_csv(tmp / "replications.csv", index=False, float_format="%.6g")
        result.totals.to_csv(tmp / "totals.csv", index=False, float_format="%.6g")
        (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
        (tmp / "scenario.toml").write_text(result.scenario.to_toml())
        save_figure(waterfall_figure(table, provenance), tmp / "waterfall.png")
        outputs.publish(tmp, out, EXPLAIN_FILES)
    if not args.quiet:
        print(explain_table(table, provenance))
        print(f"\nResults in {out}/ (channels.csv, replications.csv, totals.csv, waterfall.png, "
              f"provenance.json, scenario.toml); {result.wall_time_s:.1f} s")
    return 0


def explain_table(table: Any, provenance: dict[str, Any]) -> str:
    """The terminal table of a decomposition: each channel's share of each effect."""
    from flexisim.explain import OUTCOMES

    n = len(provenance["seeds"])
    what = provenance["scenario"] + (f", {provenance['design_point']}"
                                     if provenance.get("design_point") else "")
    lines = [f"flexisim {provenance['package_version']} | explain {what} "
             f"({provenance['scenario_hash']}) | {provenance['n_asn']:,} ASN x "
             f"{provenance['steps']} weeks after a {provenance['warmup_weeks']}-week warm-up | "
             f"{n} replication{'s' if n > 1 else ''} x {provenance['orders']} orders", "",
             "Effects against the office-only twin, by channel (Shapley values; "
             + ("95% interval over replications" if n > 1 else "± approximation error over orders")
             + ")", ""]
    width = max(len(str(x)) for x in table["label"])
    short = {"performance_change_pct": "performance", "trust_effect_pp": "trust, end",
             "trust_worst_effect_pp": "trust, worst week"}
    head = "".join(f"{short.get(o, o) + f' ({unit})':>34}" for o, (_, unit) in OUTCOMES.items())
    lines.append(f"  {'channel':<{width}}{head}")
    for _, row in table.iterrows():
        cells = []
        for o in OUTCOMES:
            if n > 1:
                cells.append(f"{row[o]:+9.3f} [{row[o + '_low']:+.3f}, {row[o + '_high']:+.3f}]")
            else:
                cells.append(f"{row[o]:+9.3f} ± {row[o + '_se']:.3f}")
        if row["channel"] == "total":
            lines.append("  " + "-" * (width + 34 * len(OUTCOMES)))
        lines.append(f"  {row['label']:<{width}}" + "".join(f"{c:>34}" for c in cells))
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    from flexisim.experiment.cli import cmd_sweep as sweep

    return sweep(args)


def cmd_analyze(args: argparse.Namespace) -> int:
    from flexisim.experiment.cli import cmd_analyze as analyze

    return analyze(args)


def cmd_compact(args: argparse.Namespace) -> int:
    from flexisim.experiment.cli import cmd_compact as compact

    return compact(args)


def cmd_validate_model(args: argparse.Namespace) -> int:
    from flexisim.validation.cli import cmd_validate_model as validate_model

    # the places it may write, checked before the hours of runs: the report named by --out
    # (with its figures' folder beside it) and the folder of saved runs
    if args.out is not None and not args.no_docs:
        outputs.check_location(args.out, folder=False)
    if not args.report_only:
        outputs.check_location(args.results, folder=True)
    with outputs.disk_full_reported(args.out or args.results):
        return validate_model(args)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from flexisim.validation.cli import calibration_target
    from flexisim.validation.cli import cmd_calibrate as calibrate

    target = calibration_target(args.out)
    if args.write:  # where --write stores the fitted values, checked before the fit
        outputs.check_location(target, folder=False)
    with outputs.disk_full_reported(target):
        return calibrate(args)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from flexisim.launch import cmd_dashboard as dashboard

    return dashboard(args)


COMMANDS = {"scenarios": cmd_scenarios, "validate": cmd_validate, "run": cmd_run,
            "explain": cmd_explain,
            "sweep": cmd_sweep, "analyze": cmd_analyze, "compact": cmd_compact,
            "validate-model": cmd_validate_model, "calibrate": cmd_calibrate,
            "dashboard": cmd_dashboard}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flexisim`` command; returns the exit status."""
    global _PROCESS
    _PROCESS = argv is None
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except InputError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``flexisim scenarios | head``): not an error of ours. Point
        # stdout at /dev/null so that Python's flush at exit does not raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command cut off so
    except Exception as err:
        # validate-model, calibrate: a run's process died (a crash, the out-of-memory killer).
        # The run core is looked up, not imported: importing it would slow every command
        runs = sys.modules.get("flexisim.runs")
        if runs is None or not isinstance(err, (runs.WorkerDied, runs.WorkerCrashed)):
            raise
        print(f"a worker process died: {err}", file=sys.stderr)
        return 1
    finally:
        if _PROCESS:
            # the process ends next: its heap need not be walked by the collector's last
            # passes at exit (a third of a second after a run, for nothing to free; what
            # must be closed is closed by then, and atexit handlers still run)
            gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
