"""Dashboard speed, measured in the browser: time to interactive and one step + chart update.

    .venv/bin/python benchmarks/bench_dashboard.py [--steps 30] [--loads 3] [--repeat 1]

Starts ``solara run app.py`` on a free localhost port, opens it in headless Chromium
(Playwright, Debian's /usr/bin/chromium) and measures:

* time to interactive: from navigation start until the Step button is there and all six live
  charts have drawn (non-blank canvases); every load is a new browser context (empty cache),
  as for each laptop in a room;
* step + chart update: from clicking Step until every live chart in the browser shows the
  new week and one more frame has painted (so: the model step, the page re-render on the
  server, the websocket round trip, and ECharts drawing), at the workshop default population.

``--repeat N`` does all of it N times, each with a fresh server, and reports the median over
all of them with each run's medians and the machine's load average (1 min) before and after:
on a shared machine the load moves the numbers more than most code changes do.

``--base COMMIT`` measures that commit's dashboard too, alternately with this tree's (A B A B
..., one fresh server each), and reports the ratios A/B of the medians: a speed claim
compares runs made back to back (the machine drifts by 25 % over minutes). The other commit
is served from a git worktree with its own ``.venv`` (``benchmarks/vs_commit.py``'s, made on
first use). For example ``--base HEAD~1 --repeat 3``.

Prints Markdown to paste under "Workshop dashboard" in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from flexisim.dashboard import testing as bt
from flexisim.dashboard.state import WORKSHOP_N_ASN


def measure(steps: int, loads: int, tree: Path = bt.REPO) -> tuple[list[float], list[float]]:
    """One fresh server: ``loads`` page loads (s), then ``steps`` steps on the first (ms)."""
    with bt.serve(tree=tree) as url, sync_playwright() as p:
        browser = bt.launch(p)
        load_times: list[float] = []
        step_times: list[float] = []
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            page.get_by_role("button", name="Langkah").wait_for(timeout=60_000)
            page.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 6", timeout=60_000)
            load_times.append(time.perf_counter() - t0)
            if not step_times:
                for week in range(1, steps + 1):
                    step_times.append(page.evaluate(bt.STEP_JS, ["Langkah", week]))
            page.close()
        browser.close()
    return load_times, step_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--base", help="also measure this commit, alternately, and give A/B")
    args = parser.parse_args()

    trees = {"A": bt.REPO}
    if args.base:
        sys.path.insert(0, str(Path(__file__).parent))
        from vs_commit import base_tree, git

        trees["B"] = base_tree(args.base)
        dirty = git("status", "--porcelain", "--untracked-files=no")
        print(f"A: this tree ({git('rev-parse', '--short', 'HEAD')}"
              f"{', with changes' if dirty else ''}), "
              f"B: {args.base} ({git('rev-parse', '--short', args.base)})\n")
    runs: dict[str, list[tuple[float, float, list[float], list[float]]]] = {k: [] for k in trees}
    for _ in range(args.repeat):
        for name, tree in trees.items():
            before = os.getloadavg()[0]
            loads, steps = measure(args.steps, args.loads, tree)
            runs[name].append((before, os.getloadavg()[0], loads, steps))

    def row(name: str, values: list[float], unit: str) -> str:
        return (f"| {name} | {statistics.median(values):.0f} {unit} | "
                f"{max(values):.0f} {unit} | {len(values)} |")

    def interactive(r: list[Any]) -> list[float]:
        return [1000 * x for _, _, loads, _ in r for x in loads]

    def stepping(r: list[Any]) -> list[float]:
        return [x for _, _, _, steps in r for x in steps]

    renderer = "fast" if os.environ.get("REACTON_FAST", "1") == "1" else "default"
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; population {WORKSHOP_N_ASN:,} ASN (both worlds); "
          f"reacton renderer: {renderer}\n")
    for name, r in runs.items():
        if len(runs) > 1:
            print(f"**{name}**\n")
        print("| measure | median | worst | n |\n|---|---|---|---|")
        print(row("time to interactive (page open -> Step button and 6 charts drawn)",
                  interactive(r), "ms"))
        print(row("one step + chart update (click -> all 6 charts painted the new week)",
                  stepping(r), "ms"))
        if args.repeat > 1:
            print("\n| run | load avg before -> after | interactive, each load | step (median) |")
            print("|---|---|---|---|")
            for i, (before, after, loads, steps) in enumerate(r, 1):
                each = ", ".join(f"{1000 * x:.0f}" for x in loads)
                print(f"| {i} | {before:.1f} -> {after:.1f} | {each} ms | "
                      f"{statistics.median(steps):.0f} ms |")
        print()
    if len(runs) > 1:
        a, b = runs["A"], runs["B"]
        print("| A/B (medians) | time to interactive | step |\n|---|---|---|")
        tti = statistics.median(interactive(a)) / statistics.median(interactive(b))
        step = statistics.median(stepping(a)) / statistics.median(stepping(b))
        print(f"| all runs | {tti:.3f} | {step:.3f} |")
        for i, (ra, rb) in enumerate(zip(a, b, strict=True), 1):
            print(f"| pair {i} | {statistics.median(ra[2]) / statistics.median(rb[2]):.3f} | "
                  f"{statistics.median(ra[3]) / statistics.median(rb[3]):.3f} |")


if __name__ == "__main__":
    main()
