"""``flexisim sweep``, ``analyze`` and ``compact``: the experiment commands of the CLI.

Registered by :mod:`flexisim.cli`; heavy modules (pandas, the model, Dask) are imported
only once the input is known to be valid, so bad input fails fast and writes nothing.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

from flexisim.experiment.definition import TRUST_OUTCOMES

__all__ = ["add_parsers", "cmd_analyze", "cmd_compact", "cmd_sweep", "dask_executor"]


def add_parsers(sub: Any) -> None:
    """Add the ``sweep``, ``analyze`` and ``compact`` subcommands to the ``flexisim`` parser."""
    p = sub.add_parser("sweep", help="run an experiment (many runs) into a results folder",
                       description="Run every missing run of an experiment. Running the "
                       "same command again resumes an interrupted sweep.")
    p.add_argument("experiment", metavar="EXPERIMENT",
                   help="experiment file, or the name of one in experiments/")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes on this machine (default: every core)")
    where.add_argument("--dask", metavar="local[:N]|tcp://HOST:PORT",
                       help="run on Dask: a LocalCluster of N workers, or a running scheduler")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="results folder (default: results/<experiment name>)")
    p.add_argument("--retry-failed", action="store_true",
                   help="also re-run runs recorded as failed")
    p.add_argument("--shard", metavar="K/N",
                   help="run only shard K of N (e.g. a job array's task K of N sharing one "
                   "--out): runs are dealt out in turn and claimed before they run, so "
                   "shards and reruns may overlap safely")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = sub.add_parser("analyze", help="tables and figures of a results folder into DIR/analysis",
                       description="Per-point means with 95%% confidence intervals, risk "
                       "probabilities with Wilson intervals, sensitivity indices, figures.")
    p.add_argument("folder", type=Path, metavar="DIR", help="a results folder of `sweep`")
    p.add_argument("--performance-threshold", type=float, metavar="PCT",
                   help="risk of decline: performance change below PCT %% (default -5)")
    p.add_argument("--trust-drop", type=float, metavar="POINTS",
                   help="risk to trust: public trust falls by more than POINTS (default 10)")
    p.add_argument("--trust-outcome", choices=TRUST_OUTCOMES,
                   help="what 'falls' means: the worst weekly gap to the office-only twin "
                   "(default), that gap at the end, or the fall since the policy started "
                   "(worst week or end; these include the drift both worlds share)")

    p = sub.add_parser("compact", help="write a results folder's datasets as one file each "
                       "into DIR/compact (with units and a data dictionary)",
                       description="Compact the part files of a results folder into "
                       "DIR/compact/: one Parquet file per dataset with units and descriptions, "
                       "the regional outputs as a long table, a data dictionary. A sweep does "
                       "this itself when its last run is recorded; use this after "
                       "--retry-failed, parts deleted by hand, or for a sweep still unfinished. "
                       "The parts stay: they are the journal a resume reads.")
    p.add_argument("folder", type=Path, metavar="DIR", help="a results folder of `sweep`")


def _parse_dask(spec: str) -> tuple[str, int | None]:
    """``"local"``, ``"local:N"`` or ``"tcp://host:port"`` -> (kind, workers or None)."""
    from flexisim.errors import UsageError

    allowed = "local, local:N (N >= 1) or tcp://HOST:PORT"
    if spec == "local":
        return "local", None
    if spec.startswith("local:"):
        n = spec.partition(":")[2]
        if not n.isdigit() or int(n) < 1:
            raise UsageError([f"--dask: {spec}: not a worker count (allowed: {allowed})"])
        return "local", int(n)
    if spec.startswith("tcp://") and ":" in spec[len("tcp://"):]:
        return "remote", None
    raise UsageError([f"--dask: {spec}: unknown cluster (allowed: {allowed})"])


def dask_executor(spec: str) -> tuple[Any, Any, int]:
    """Start (``local[:N]``) or join (``tcp://...``) a Dask cluster.

    Returns
    -------
    executor, client, threads
        ``client.get_executor()``, the client (close it when done; it closes a local
        cluster too) and the number of worker threads.
    """
    from flexisim.errors import UsageError

    kind, n = _parse_dask(spec)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(["--dask: Dask is not installed: pip install 'flexisim[cluster]'"]
                         ) from None
    if kind == "local":
        # one single-threaded worker process per core: a run holds the GIL in its Python
        # glue between the compiled kernels, so threads would not add much throughput
        workers = n or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        # the workers may still be registering with the scheduler (slow on a loaded
        # machine): wait, so the thread count and the first scheduling see all of them
        try:
            client.wait_for_workers(workers, timeout=300)
        except TimeoutError:
            started = len(client.nthreads())
            client.close()
            raise UsageError([f"--dask: {spec}: only {started} of {workers} workers started "
                              "within 300 s"]) from None
    else:
        try:
            client = Client(spec, timeout="15s")
        except OSError as exc:
            raise UsageError([f"--dask: {spec}: cannot reach the scheduler ({exc})"]) from None
    threads = sum(client.nthreads().values()) or 1
    return client.get_executor(), client, threads


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with ``1 <= K <= N``; None -> ``(1, 1)``."""
    from flexisim.errors import UsageError

    if text is None:
        return 1, 1
    k, sep, n = text.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise UsageError([f"--shard: {text[:40]!r}: not K/N with 1 <= K <= N (e.g. 3/10)"])
    return int(k), int(n)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep; exit 0 when every run is recorded, 1 otherwise."""
    from flexisim.errors import UsageError
    from flexisim.experiment.definition import load_experiment
    from flexisim.runs import WorkerDied

    if args.workers is not None and args.workers < 1:
        raise UsageError([f"--workers: {args.workers}: must be at least 1"])
    shard = parse_shard(args.shard)
    if args.dask is not None:
        _parse_dask(args.dask)  # check the spelling before anything starts
    experiment = load_experiment(args.experiment)  # ExperimentError -> exit 2, nothing written
    out = args.out or Path("results") / experiment.name

    from flexisim.experiment.design import build_design
    from flexisim.experiment.runner import points_hash, run_experiment
    from flexisim.experiment.store import FolderError, ResultStore

    try:  # refuse a foreign folder before starting any worker
        ResultStore(out).check(experiment, points_hash(build_design(experiment)))
    except FolderError as err:
        raise UsageError(err.problems) from None

    client = None
    executor = None
    max_pending = None
    n_workers = args.workers or os.cpu_count() or 1
    where = "this process (1 worker)" if n_workers == 1 else f"{n_workers} worker processes"
    if args.dask is not None:
        executor, client, threads = dask_executor(args.dask)
        max_pending = 4 * threads
        where = f"Dask ({args.dask}, {threads} worker threads)"
    quiet = args.quiet
    part = f", shard {shard[0]} of {shard[1]}" if shard != (1, 1) else ""
    if not quiet:
        print(f"sweep {experiment.name}: {experiment.design} design, "
              f"{experiment.replications} replications, {experiment.steps} weeks, on {where}"
              f"{part}; results in {out}/", file=sys.stderr)
    try:
        report = run_experiment(experiment, executor=executor, out=out, workers=args.workers,
                                progress=not quiet, retry_failed=args.retry_failed,
                                max_pending=max_pending, shard=shard)
    except FolderError as err:
        raise UsageError(err.problems) from None
    except WorkerDied as err:
        print(f"{out}: {err}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.close()
    minutes = report.wall_time_s / 60
    scope = "in the experiment" if shard == (1, 1) else "in this shard"
    print(f"{report.done} runs done ({report.failed} failed), {report.skipped} already done, "
          f"{report.total} {scope}; {report.wall_time_s:.1f} s "
          f"({minutes:.1f} min). Results in {report.out}", file=sys.stderr)
    for line in report.errors[:5]:
        print(f"  {line}", file=sys.stderr)
    if report.failed:
        print(f"  {report.failed} failed runs are recorded with their error in runs/; "
              "--retry-failed runs them again", file=sys.stderr)
    if report.busy:
        print(f"{report.busy} runs were being run by another sweep on this folder (they are "
              "recorded when it finishes them, or taken over by a rerun if it has stopped)",
              file=sys.stderr)
    if not report.complete:
        print(f"{report.total - report.skipped - report.done} runs not recorded: run the same "
              "command again to finish them", file=sys.stderr)
        return 1
    if not quiet:
        print(f"next: flexisim analyze {out}", file=sys.stderr)
    return 0


def _not_a_results_folder(folder: Path) -> list[str]:
    """The problem of a folder that `analyze` or `compact` cannot read (none: [])."""
    if (folder / "experiment.json").is_file():
        return []
    return [f"{folder}: not a flexisim results folder (no experiment.json; run `flexisim "
            "sweep` first)"]


def cmd_analyze(args: argparse.Namespace) -> int:
    """Write the analysis of a results folder into DIR/analysis/."""
    from flexisim.errors import UsageError

    problems = []
    for name, value in (("--performance-threshold", args.performance_threshold),
                        ("--trust-drop", args.trust_drop)):
        if value is not None and not math.isfinite(value):
            problems.append(f"{name}: {value}: not a finite number")
    if args.trust_drop is not None and args.trust_drop <= 0:
        problems.append(f"--trust-drop: {args.trust_drop:g}: must be positive "
                        "(points of trust lost)")
    folder: Path = args.folder
    problems += _not_a_results_folder(folder)
    if problems:
        raise UsageError(problems)

    from flexisim.experiment.analysis import analyze

    try:
        written = analyze(folder, performance_threshold_pct=args.performance_threshold,
                          trust_drop_pp=args.trust_drop, trust_outcome=args.trust_outcome)
    except FileNotFoundError as exc:
        raise UsageError([str(exc)]) from None
    print(written[0].read_text(), end="")
    print(f"written to {written[0].parent}/")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """Compact a results folder's parts into DIR/compact/ (exit 0; 2 on a bad folder)."""
    from flexisim.errors import UsageError
    from flexisim.experiment.compact import COMPACT, compact, is_compacted
    from flexisim.experiment.store import ResultStore, write_error_reason

    folder: Path = args.folder
    if problems := _not_a_results_folder(folder):
        raise UsageError(problems)
    store = ResultStore(folder)
    recorded = len(store.finished())
    if recorded == 0:
        raise UsageError([f"{folder}: no run is recorded yet: nothing to compact"])
    identity = store.identity() or {}
    replications = identity.get("spec", {}).get("replications")
    try:
        total = len(store.points()) * int(replications)
    except (OSError, TypeError, ValueError):  # an older folder: the count is unknown
        total = None
    of = f" of {total}" if total is not None else ""
    out = folder / COMPACT
    if is_compacted(folder):
        print(f"{out}/ is current: it holds the {recorded}{of} recorded runs", file=sys.stderr)
        return 0
    try:
        compact(folder)
    except OSError as exc:  # a full disk, a read-only folder: the parts are never touched
        raise UsageError([f"{out}: cannot write: {write_error_reason(exc)} ({exc}); "
                          "the parts are unchanged and still read"]) from None
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file()) / 1e6
    print(f"compacted {recorded}{of} recorded runs into {out}/ ({size:.1f} MB); the parts "
          "stay as the journal", file=sys.stderr)
    if total is not None and recorded < total:
        print(f"  the sweep is not complete ({total - recorded} runs missing): these files "
              "are read until a run is added, and the sweep's last run compacts again",
              file=sys.stderr)
    return 0
