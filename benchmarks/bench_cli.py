"""The whole ``flexisim run`` command as a process: wall, simulation and overhead (issue 17).

The overhead of the command is what its process costs beyond the simulation: the process's
wall time minus the simulation's own seconds, which the command records as ``wall_time_s``
in ``OUT/summary.json`` (from building the worlds to the summary; imports, loading the
compiled kernels, writing the files and the figure, and the interpreter's start and exit
are outside it). The target: at most 2 s for the default scenario.

Runs the command ``-n`` times after one warm-up run (numba's cache, the OS's file cache);
with ``--base REV`` it alternates with a checkout of REV, A B A B ..., and prints the ratio
of each pair (the machine's speed drifts: only paired figures compare two commits).

Usage::

    .venv/bin/python benchmarks/bench_cli.py -n 10
    .venv/bin/python benchmarks/bench_cli.py -n 10 --base HEAD~1
    .venv/bin/python benchmarks/bench_cli.py -n 5 -- --asn 20000   # extra arguments to run

The base checkout is made as in ``vs_commit.py`` (a worktree under ``.bench-base/``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from vs_commit import REPO, base_tree, git, timed  # noqa: E402

FIGURES = (("wall", "process wall"), ("wall_time_s", "simulation"), ("overhead", "overhead"))


def one_run(tree: Path, out: Path, extra: list[str]) -> dict[str, float]:
    """One ``flexisim run`` of the tree's ``.venv``: its figures, overhead included."""
    argv = [str(tree / ".venv" / "bin" / "flexisim"), "run", *extra, "--out", str(out),
            "--force", "--quiet"]
    row = timed(argv, tree, out / "summary.json")
    row["overhead"] = row["wall"] - row["wall_time_s"]
    return row


def spread(values: list[float]) -> str:
    return (f"min {min(values):.2f}  median {statistics.median(values):.2f}  "
            f"max {max(values):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="counted runs (of each tree) (5)")
    parser.add_argument("--base", help="a commit to alternate with (e.g. HEAD~1)")
    parser.add_argument("extra", nargs=argparse.REMAINDER,
                        help="-- further arguments of flexisim run (default scenario)")
    args = parser.parse_args(argv)
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    trees = {"A": REPO}
    if args.base:
        trees["B"] = base_tree(args.base)
    print(f"A: {git('rev-parse', '--short', 'HEAD')} (this tree"
          f"{', with changes' if git('status', '--porcelain') else ''})"
          + (f", B: {git('rev-parse', '--short', 'HEAD', cwd=trees['B'])} ({args.base})"
             if args.base else "")
          + f"; flexisim run {' '.join(extra)}; {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    with tempfile.TemporaryDirectory(prefix="bench_cli-") as tmp:
        outs = {k: Path(tmp) / k for k in trees}
        for k, tree in trees.items():  # warm-up
            one_run(tree, outs[k], extra)
        for i in range(args.n):
            for k, tree in trees.items():
                row = one_run(tree, outs[k], extra)
                rows[k].append(row)
                print(f"run {i + 1} {k}: wall {row['wall']:.2f} s, simulation "
                      f"{row['wall_time_s']:.2f} s, overhead {row['overhead']:.2f} s",
                      flush=True)
    for k in trees:
        print(f"{k} ({args.n} runs):")
        for key, label in FIGURES:
            print(f"  {label:<13} {spread([r[key] for r in rows[k]])} s")
    if args.base:
        print("A/B, pair by pair:")
        for key, label in FIGURES:
            ratios = [a[key] / b[key] for a, b in zip(rows["A"], rows["B"], strict=True)]
            print(f"  {label:<13} {spread(ratios)}")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
