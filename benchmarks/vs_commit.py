"""Time a command in this tree and at another commit, alternately, and report the ratios.

The machine's speed drifts by up to 25% over minutes, so a speed claim compares runs made
back to back: this script runs the command with this checkout's ``.venv`` (A) and with a
checkout of ``--base`` (B, default the previous commit) in turn, A B A B ..., after one
warm-up run of each, and prints wall time, CPU time and peak memory per run, the ratio A/B
of each pair, and the medians. With ``--summary FILE`` it also reads ``wall_time_s`` from the
JSON file the command writes (``flexisim run --out DIR`` writes ``DIR/summary.json``).

Usage::

    .venv/bin/python benchmarks/vs_commit.py -n 3 --summary /tmp/bench/summary.json -- \\
        flexisim run --quiet --force --out /tmp/bench
    .venv/bin/python benchmarks/vs_commit.py -n 3 --summary /tmp/bench/summary.json -- \\
        flexisim run --asn 5600000 --steps 52 --quiet --force --out /tmp/bench

The base checkout is a git worktree under ``.bench-base/<commit>`` (git-ignored) with its own
``.venv``, made on first use (a few minutes: it installs flexisim) and reused afterwards.
The command's first word is looked up in each tree's ``.venv/bin``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def base_tree(rev: str) -> Path:
    """A worktree of ``rev`` with an installed ``.venv`` (made once, then reused)."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = REPO / ".bench-base" / commit[:12]
    if not (tree / ".git").exists():
        tree.parent.mkdir(exist_ok=True)
        print(f"making a worktree of {commit[:12]} in {tree}", file=sys.stderr)
        git("worktree", "add", "--detach", str(tree), commit)
    if not (tree / ".venv" / "bin" / "python").exists() or \
            not (tree / ".venv" / ".flexisim-installed").exists():
        print(f"installing flexisim into {tree / '.venv'} (first use only)", file=sys.stderr)
        subprocess.run(["bash", "-c", 'source tools/venv.sh && ensure_venv ""'], cwd=tree,
                       check=True)
    return tree


def timed(argv: list[str], cwd: Path, summary: Path | None,
          clean: list[Path] = ()) -> dict[str, float]:
    """One run: wall, user + sys CPU and peak RSS of the process (and its children)."""
    for folder in clean:
        shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{err[-2000:]}")
    out = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
           "peak_mb": usage.ru_maxrss / 1024}
    if summary is not None:
        out["wall_time_s"] = float(json.loads(summary.read_text())["wall_time_s"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="commit to compare with (HEAD~1)")
    parser.add_argument("-n", type=int, default=3, help="counted pairs (3)")
    parser.add_argument("--summary", type=Path, help="JSON file with wall_time_s to read")
    parser.add_argument("--clean", type=Path, action="append", default=[],
                        help="a folder to delete before each run (e.g. a sweep's --out, which "
                             "would otherwise resume); may be repeated")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    tree = base_tree(args.base)
    trees = {"A": REPO, "B": tree}
    argvs = {k: [str(t / ".venv" / "bin" / command[0]), *command[1:]] for k, t in trees.items()}
    print(f"A: {git('rev-parse', '--short', 'HEAD')} (this tree"
          f"{', with changes' if git('status', '--porcelain') else ''}), "
          f"B: {git('rev-parse', '--short', 'HEAD', cwd=tree)} ({args.base}); "
          f"command: {' '.join(command)}; {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    for k in ("A", "B"):  # warm-up: caches, compiled kernels
        timed(argvs[k], trees[k], args.summary, args.clean)
    rows: list[dict[str, dict[str, float]]] = []
    for i in range(args.n):
        pair = {k: timed(argvs[k], trees[k], args.summary, args.clean) for k in ("A", "B")}
        rows.append(pair)
        a, b = pair["A"], pair["B"]
        extra = (f"; wall_time_s A {a['wall_time_s']:.2f} B {b['wall_time_s']:.2f} "
                 f"A/B {a['wall_time_s'] / b['wall_time_s']:.3f}" if "wall_time_s" in a else "")
        print(f"pair {i + 1}: wall A {a['wall']:.2f} s B {b['wall']:.2f} s A/B "
              f"{a['wall'] / b['wall']:.3f}; CPU A {a['cpu']:.1f} B {b['cpu']:.1f}; peak A "
              f"{a['peak_mb']:.0f} MB B {b['peak_mb']:.0f} MB{extra}", flush=True)
    print("median:")
    for key, unit in (("wall", "s"), ("cpu", "s"), ("peak_mb", "MB"), ("wall_time_s", "s")):
        if key not in rows[0]["A"]:
            continue
        a = statistics.median(r["A"][key] for r in rows)
        b = statistics.median(r["B"][key] for r in rows)
        ratio = statistics.median(r["A"][key] / r["B"][key] for r in rows)
        print(f"  {key}: A {a:.2f} {unit}, B {b:.2f} {unit}, A/B (median of pairs) {ratio:.3f}")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
