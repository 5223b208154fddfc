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

Prints Markdown to paste under "Workshop dashboard" in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from playwright.sync_api import sync_playwright

from flexisim.dashboard import testing as bt
from flexisim.dashboard.state import WORKSHOP_N_ASN


def measure(steps: int, loads: int) -> tuple[list[float], list[float]]:
    """One fresh server: ``loads`` page loads (s), then ``steps`` steps on the first (ms)."""
    with bt.serve() as url, sync_playwright() as p:
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
    args = parser.parse_args()

    runs = []
    for _ in range(args.repeat):
        before = os.getloadavg()[0]
        loads, steps = measure(args.steps, args.loads)
        runs.append((before, os.getloadavg()[0], loads, steps))

    def row(name: str, values: list[float], unit: str) -> str:
        return (f"| {name} | {statistics.median(values):.0f} {unit} | "
                f"{max(values):.0f} {unit} | {len(values)} |")

    renderer = "fast" if os.environ.get("REACTON_FAST", "1") == "1" else "default"
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; population {WORKSHOP_N_ASN:,} ASN (both worlds); "
          f"reacton renderer: {renderer}\n")
    print("| measure | median | worst | n |\n|---|---|---|---|")
    print(row("time to interactive (page open -> Step button and 6 charts drawn)",
              [1000 * x for _, _, loads, _ in runs for x in loads], "ms"))
    print(row("one step + chart update (click -> all 6 charts painted the new week)",
              [x for _, _, _, steps in runs for x in steps], "ms"))
    if args.repeat > 1:
        print("\n| run | load avg before -> after | interactive, each load | step (median) |")
        print("|---|---|---|---|")
        for i, (before, after, loads, steps) in enumerate(runs, 1):
            each = ", ".join(f"{1000 * x:.0f}" for x in loads)
            print(f"| {i} | {before:.1f} -> {after:.1f} | {each} ms | "
                  f"{statistics.median(steps):.0f} ms |")


if __name__ == "__main__":
    main()
