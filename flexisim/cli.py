"""The ``flexisim`` command: list, validate and run scenarios.

Exit status: 0 success, 2 bad input (one line per problem on stderr, nothing written).
User errors never print a Python traceback; a traceback means a bug in flexisim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flexisim.errors import InputError, UsageError
from flexisim.scenario import ScenarioError, list_scenarios, load_scenario

EXIT_USAGE = 2

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
    ("flex_uptake", "Flexible-work uptake (share of staff)", "{:.1%}"),
    ("mean_flex_days", "Mean flexible days per week", "{:.2f}"),
    ("service_availability", "Citizens' needs served on time", "{:.1%}"),
    ("citizen_satisfaction", "Citizen satisfaction (0-1)", "{:.3f}"),
    ("attrition_rate_annual", "Attrition per year", "{:.2%}"),
    ("share_performing", "Share rated 'performing'", "{:.1%}"),
    ("share_under_35", "Share of staff under 35", "{:.1%}"),
    ("regional_performance_gap", "Java-Bali vs eastern regions gap", "{:+.2f} %"),
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
    p.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")

    from flexisim.experiment.cli import add_parsers  # sweep, analyze
    from flexisim.validation.cli import add_parsers as add_validation  # validate-model, calibrate

    add_parsers(sub)
    add_validation(sub)
    return parser


# ----------------------------------------------------------------------- commands
def cmd_scenarios(args: argparse.Namespace) -> int:
    scenarios = list_scenarios()
    if not scenarios:
        print("no scenario files found", file=sys.stderr)
        return EXIT_USAGE
    width = max(len(s.name) for s in scenarios)
    for s in scenarios:
        print(f"{s.name:<{width}}  {s.description}")
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
    values = scenario.values
    out = args.out or _default_out(scenario.name, values["seed"])
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not args.force)):
        raise UsageError([f"{out}: output folder exists and is not empty "
                          "(choose another --out, or add --force to overwrite)"])

    from flexisim.plots import overview_figure, save_figure  # heavy imports once input is valid
    from flexisim.runs import RunSpec, execute

    steps = values["steps"]
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=steps, unit="week", desc=scenario.name, file=sys.stderr)
    result = execute(RunSpec(scenario=scenario, seed=values["seed"], steps=steps),
                     on_step=(lambda week, weeks: bar.update()) if bar is not None else None)
    if bar is not None:
        bar.close()
    if not result.ok:
        print(f"flexisim run: the simulation failed: {result.error}", file=sys.stderr)
        return 1
    elapsed = result.wall_time_s

    ts = result.timeseries
    summary = result.summary | {"wall_time_s": round(elapsed, 3)}
    # write into a sibling temporary folder, then move: an interrupted run leaves no half
    # folder that looks finished
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    ts.to_csv(tmp / "timeseries.csv", float_format="%.6g")
    (tmp / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2) + "\n")
    (tmp / "scenario.toml").write_text(scenario.to_toml())
    save_figure(overview_figure(ts, summary, list(result.regions)), tmp / "overview.png")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)

    if not args.quiet:
        print(summary_table(summary))
        print(f"\nResults in {out}/ (timeseries.csv, summary.json, overview.png, scenario.toml); "
              f"{steps} weeks in {elapsed:.1f} s")
    return 0


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: write null where an output is undefined (e.g. no appraisal yet)."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def summary_table(summary: dict[str, Any]) -> str:
    """The terminal table of a run's headline outputs."""
    lines = [f"flexisim {summary['package_version']} | scenario {summary['scenario']} "
             f"({summary['scenario_hash']}) | seed {summary['seed']} | "
             f"{summary['n_asn']:,} ASN agents x {summary['steps']} weeks", ""]
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    for key, label, fmt in SUMMARY_ROWS:
        value = summary.get(key)
        text = "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else fmt.format(value)
        lines.append(f"  {label:<{width}}  {text}")
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    from flexisim.experiment.cli import cmd_sweep as sweep

    return sweep(args)


def cmd_analyze(args: argparse.Namespace) -> int:
    from flexisim.experiment.cli import cmd_analyze as analyze

    return analyze(args)


def cmd_validate_model(args: argparse.Namespace) -> int:
    from flexisim.validation.cli import cmd_validate_model as validate_model

    return validate_model(args)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from flexisim.validation.cli import cmd_calibrate as calibrate

    return calibrate(args)


COMMANDS = {"scenarios": cmd_scenarios, "validate": cmd_validate, "run": cmd_run,
            "sweep": cmd_sweep, "analyze": cmd_analyze,
            "validate-model": cmd_validate_model, "calibrate": cmd_calibrate}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flexisim`` command; returns the exit status."""
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


if __name__ == "__main__":
    sys.exit(main())
