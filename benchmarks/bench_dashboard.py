"""Dashboard speed, measured in the browser: time to interactive and one step + chart update.

    .venv/bin/python benchmarks/bench_dashboard.py [--steps 30]

Starts ``solara run app.py`` on a free localhost port, opens it in headless Chromium
(Playwright, Debian's /usr/bin/chromium) and measures:

* time to interactive: from navigation start until the Step button is there and all six live
  charts have drawn (non-blank canvases);
* step + chart update: from clicking Step until every live chart in the browser shows the
  new week and one more frame has painted (so: the model step, the page re-render on the
  server, the websocket round trip, and ECharts drawing), at the workshop default population.

Prints a Markdown table to paste under "Workshop dashboard" in benchmarks/README.md.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()

    with bt.serve() as url, sync_playwright() as p:
        browser = bt.launch(p)
        loads, steps = [], []
        for _ in range(args.loads):
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            page.get_by_role("button", name="Langkah").wait_for(timeout=60_000)
            page.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 6", timeout=60_000)
            loads.append(time.perf_counter() - t0)
            if not steps:
                for week in range(1, args.steps + 1):
                    steps.append(page.evaluate(bt.STEP_JS, ["Langkah", week]))
            page.close()
        browser.close()

    def row(name: str, values: list[float], unit: str) -> str:
        return (f"| {name} | {statistics.median(values):.0f} {unit} | "
                f"{max(values):.0f} {unit} | {len(values)} |")

    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; population {WORKSHOP_N_ASN:,} ASN (both worlds)\n")
    print("| measure | median | worst | n |\n|---|---|---|---|")
    print(row("time to interactive (page open -> Step button and 6 charts drawn)",
              [1000 * x for x in loads], "ms"))
    print(row("one step + chart update (click -> all 6 charts painted the new week)",
              steps, "ms"))


if __name__ == "__main__":
    main()
