"""``flexisim validate-model`` and ``flexisim calibrate``."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_parsers", "calibration_target", "cmd_calibrate", "cmd_validate_model",
           "default_report"]


def default_report() -> Path:
    """Where ``validate-model`` writes its report by default: the source checkout's
    ``docs/validation.md``; from an install (which must not write into site-packages),
    ``validation/validation.md`` under the current directory."""
    from flexisim.locations import source_checkout

    root = source_checkout()
    return root / "docs" / "validation.md" if root else Path("validation") / "validation.md"


def calibration_target(out: Path | None = None) -> Path:
    """Where ``calibrate --write`` stores the fitted values: `out` if given; else the source
    checkout's ``flexisim/data/calibration.toml`` (what every run loads); from an install,
    ``calibration.toml`` under the current directory (for ``--calibration FILE``)."""
    from flexisim.locations import PACKAGE, source_checkout

    if out is not None:
        return out
    if source_checkout() is not None:
        return PACKAGE / "data" / "calibration.toml"
    return Path("calibration.toml")


_DEFAULTS = ("default: docs/validation.md in a source checkout, validation/validation.md "
             "from an install")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed (a whole number >= 1)")
    return value


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "validate-model", help="run the validation experiments against published evidence",
        description="Run every validation experiment in experiments/validation/ with its "
        "replications, print target, band, model mean with 95%% interval and pass/fail, and "
        "write docs/validation.md (from an install: validation/validation.md) with one figure "
        "per target. Exit 0 when every target passes, "
        "1 when some fail (a finding, reported in the table), 2 on bad input.")
    p.add_argument("--only", metavar="IDS", help="comma-separated target ids, e.g. E1,O5")
    p.add_argument("--targets", type=Path, metavar="DIR",
                   help="folder of target files (default experiments/validation/)")
    p.add_argument("--replications", type=_positive, metavar="N",
                   help="runs per target (default: each target's, at least 20)")
    p.add_argument("--reduced", action="store_true",
                   help="the test suite's reduced version (fewer runs, smaller population, "
                   "the targets' reduced bands)")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="worker processes (default: every core)")
    p.add_argument("--no-docs", action="store_true", help="print the table only")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help=f"report to write ({_DEFAULTS}; figures in img/validation/ beside "
                   "it)")
    p.add_argument("--skip-face", action="store_true",
                   help="leave out the face-validity experiment")
    p.add_argument("--skip-sensitivity", action="store_true",
                   help="leave out the sensitivity to coefficients no evidence pins down")
    p.add_argument("--results", type=Path, metavar="DIR", default=Path("results/validation"),
                   help="where the runs are saved as CSV (default results/validation)")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild the report from the runs saved in --results, without running")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = sub.add_parser(
        "calibrate", help="fit the calibrated coefficients to their targets",
        description="Fit each block of coefficients named by the 'calibrated' targets in "
        "experiments/validation/, in dependency order (docs/validation.md, 'Calibration'). "
        "Held-out targets are not used. Prints the fitted values; --write stores them in "
        "flexisim/data/calibration.toml in a source checkout, in ./calibration.toml from an "
        "install (use it with --calibration), or in --out FILE.")
    p.add_argument("--replications", type=_positive, default=8, metavar="N",
                   help="runs per target and evaluation (default 8)")
    p.add_argument("--max-evaluations", type=_positive, default=40, metavar="N",
                   help="cap on objective evaluations per block and round (default 40)")
    p.add_argument("--rounds", type=_positive, default=2, metavar="N",
                   help="passes over the blocks (default 2)")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="worker processes (default: every core)")
    p.add_argument("--write", action="store_true",
                   help="store the fitted values (in flexisim/data/calibration.toml in a source "
                   "checkout; in ./calibration.toml from an install)")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="with --write: the file to write instead (a complete calibration.toml "
                   "with the fitted values)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _executor(workers: int | None) -> cf.Executor:
    """The sweep's executor (a process pool, or in-process for one worker)."""
    from flexisim.runs import default_executor

    return default_executor(workers, preload=("flexisim.model", "flexisim.runs.core",
                                              "flexisim.validation.measures"))[0]


def _progress(label: str, quiet: bool) -> Any:
    if quiet:
        return None
    from flexisim.validation.runner import print_progress

    def show(done: int, total: int) -> None:
        if done == 1:
            print(f"{label}:", file=sys.stderr, flush=True)
        print_progress(done, total)
    return show


def cmd_validate_model(args: argparse.Namespace) -> int:
    from flexisim.params import calibration_defaults
    from flexisim.validation import load_targets
    from flexisim.validation.report import summary_text, write_report
    from flexisim.validation.runner import run_targets, summarize_results

    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None
    targets = load_targets(args.targets, only=only)  # TargetError -> exit 2, nothing run
    if args.replications is not None and args.replications < 2:
        from flexisim.errors import UsageError

        raise UsageError(["--replications: at least 2 are needed for an interval"])
    start = time.perf_counter()
    face = unpinned = None
    # only a complete validation (every target, >= 20 runs each) replaces docs/validation.md
    full = not (only or args.reduced or args.no_docs or args.targets
                or (args.replications is not None and args.replications < 20))
    saved = args.results
    if args.report_only:
        runs, face, unpinned = _load_saved(saved, targets)
        summary = summarize_results(targets, runs, reduced=args.reduced)
        print(summary_text(summary))
    else:
        with _executor(args.workers) as pool:
            runs = run_targets(targets, replications=args.replications, reduced=args.reduced,
                               executor=pool,
                               progress=_progress("validation targets", args.quiet))
            summary = summarize_results(targets, runs, reduced=args.reduced)
            print(summary_text(summary))
            if full and not args.skip_face:
                from flexisim.validation.face import face_verdicts, load_face, run_face

                design = load_face()
                face_runs = run_face(design, executor=pool,
                                     progress=_progress("face validity", args.quiet))
                face = (design, face_runs, face_verdicts(design, face_runs))
            if full and not args.skip_sensitivity:
                from flexisim.validation.sensitivity import run_unpinned, unpinned_table

                unpinned = unpinned_table(run_unpinned(
                    executor=pool, progress=_progress("unpinned coefficients", args.quiet)))
        if full:
            _save(saved, runs, face, unpinned, time.perf_counter() - start)
    if face is not None:
        print()
        print(face[2][["comparison", "performance_change_pct", "trust_effect_pp",
                       "verdict"]].round(3).to_string(index=False))
    wall = time.perf_counter() - start
    if not args.no_docs:
        out = args.out or default_report()
        if not full:
            if args.out is None:
                print("(a partial validation -- some targets, fewer than 20 runs, --reduced "
                      f"or --targets -- does not overwrite {out}; give --out FILE "
                      "to write a report)", file=sys.stderr)
                out = None
        if out is not None:
            version = None
            if args.report_only:
                wall = _saved_wall(saved)
                version = _saved_version(saved)
            write_report(targets, runs, summary, out=Path(out),
                         command="flexisim validate-model",
                         calibration=calibration_defaults(), face=face, unpinned=unpinned,
                         wall_time_s=wall, version=version)
            print(f"\nreport: {out}")
    took = f" ({wall:.0f} s)" if wall is not None and not args.report_only else ""
    print(f"{int(summary['pass'].sum())} of {len(summary)} targets inside their band{took}")
    return 0 if bool(summary["pass"].all()) else 1


def _save(folder: Path, runs: Any, face: Any, unpinned: Any, wall: float) -> None:
    """Keep the raw runs, so the report can be rebuilt (--report-only) without re-running."""
    from flexisim.validation.report import code_version

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wall_time_s.txt").write_text(f"{wall:.1f}\n")
    (folder / "code_version.txt").write_text(code_version() + "\n")
    runs.to_csv(folder / "targets.csv", index=False)
    if face is not None:
        face[1].to_csv(folder / "face.csv", index=False)
    if unpinned is not None:
        unpinned.to_csv(folder / "unpinned.csv", index=False)


def _saved_wall(folder: Path) -> float | None:
    try:
        return float((folder / "wall_time_s.txt").read_text())
    except (OSError, ValueError):
        return None


def _saved_version(folder: Path) -> str | None:
    try:
        return (folder / "code_version.txt").read_text().strip() or None
    except OSError:
        return None


def _load_saved(folder: Path, targets: Any) -> tuple[Any, Any, Any]:
    import pandas as pd

    from flexisim.errors import UsageError
    from flexisim.validation.face import face_verdicts, load_face

    if not (folder / "targets.csv").exists():
        raise UsageError([f"{folder}: no saved validation runs (targets.csv); run "
                          "`flexisim validate-model` first"])
    runs = pd.read_csv(folder / "targets.csv")
    missing = sorted({t.id for t in targets} - set(runs["id"]))
    if missing:
        raise UsageError([f"{folder}/targets.csv: no runs of {missing}; run "
                          "`flexisim validate-model` again"])
    face = None
    if (folder / "face.csv").exists():
        design = load_face()
        face_runs = pd.read_csv(folder / "face.csv")
        face = (design, face_runs, face_verdicts(design, face_runs))
    unpinned = pd.read_csv(folder / "unpinned.csv") if (folder / "unpinned.csv").exists() \
        else None
    return runs, face, unpinned


def cmd_calibrate(args: argparse.Namespace) -> int:
    from flexisim.validation import load_targets
    from flexisim.validation.calibrate import calibrate, write_calibration

    targets = load_targets()
    log = (lambda s: None) if args.quiet else (lambda s: print(s, flush=True))
    with _executor(args.workers) as pool:
        result = calibrate(targets, replications=args.replications, executor=pool,
                           max_evaluations=args.max_evaluations, rounds=args.rounds, log=log)
    print("\ncoefficient            before    fitted   targets   objective before -> after")
    for row in result.table():
        print(f"{row['coefficient']:<22} {row['before']:>7.4g}  {row['fitted']:>8.4g}   "
              f"{row['targets']:<9} {row['objective before']:.3f} -> {row['objective after']:.3f}")
    print(f"({result.wall_time_s:.0f} s)")
    if args.write:
        targets_of = {n: ", ".join(t.id for t in b.targets) for b in result.blocks
                      for n in b.coefficients}
        from importlib import resources

        from flexisim.locations import source_checkout

        path = calibration_target(args.out)
        installed = resources.files("flexisim.data").joinpath("calibration.toml")
        base = path if path.exists() else Path(str(installed))
        path = write_calibration(result.values, targets_of, path=path, base=base)
        print(f"written: {path}")
        if source_checkout() is None or args.out is not None:
            print(f"(runs use it with --calibration {path}; the installed calibration is "
                  "unchanged)")
    return 0
