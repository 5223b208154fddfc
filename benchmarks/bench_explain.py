"""Time the channel decomposition of one replication of a default run (issue 12's target).

Runs ``flexisim.explain.explain`` on the default scenario (10,000 ASN, 104 weeks after the
104-week warm-up, all 15 channels, 4 orders) ``-n`` times in one process after one warm-up
call (numba's kernels loaded), and prints each time and the median. The target: at most
15 s for one replication.

Usage::

    .venv/bin/python benchmarks/bench_explain.py -n 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="timed decompositions (default 3)")
    parser.add_argument("--scenario", default="permenpan_4_2025")
    args = parser.parse_args()
    from flexisim.explain import explain

    explain(args.scenario, n_asn=2000, steps=4, levers={"warmup_weeks": 4})  # load kernels
    times = []
    for k in range(args.n):
        start = time.perf_counter()
        d = explain(args.scenario, seed=42 + k)
        times.append(time.perf_counter() - start)
        runs = int(d.totals["runs"].iloc[0])
        print(f"decomposition {k + 1}: {times[-1]:.2f} s ({runs} runs of one world, "
              f"load {os.getloadavg()[0]:.1f})", flush=True)
    print(f"median {statistics.median(times):.2f} s over {args.n} (target <= 15 s)")


if __name__ == "__main__":
    main()
