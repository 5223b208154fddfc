"""Benchmark: the default run (10,000 ASN, 104 weeks, counterfactual included) on one core.

Usage::

    .venv/bin/python benchmarks/bench_core.py [--repeats 7] [--asn 10000] [--steps 104]

Pins the process to one CPU core (``os.sched_setaffinity``), one BLAS thread and one model
thread (``FLEXISIM_THREADS=1``: the office-only twin steps in the same thread), builds the
model and runs it ``--repeats`` times, and prints the median wall time of the whole run
(construction included) and its per-mechanism breakdown for one extra run. Target (issue 2):
at most 2 s. Record results in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("FLEXISIM_THREADS", "1")  # one core: the twin steps in the same thread
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import mesa  # noqa: E402
import numpy as np  # noqa: E402

import flexisim  # noqa: E402
from flexisim import FlexiworkModel  # noqa: E402


def one_run(asn: int, steps: int, seed: int) -> float:
    start = time.perf_counter()
    FlexiworkModel(rng=seed, n_asn=asn).run(steps)
    return time.perf_counter() - start


def breakdown(asn: int, steps: int) -> dict[str, float]:
    """Seconds per step spent in each mechanism and in data collection (both worlds).

    The same instrumentation as the benchmark suite (run_all.py), run in this process so that
    it inherits the one-core pinning above.
    """
    from run_all import worker_breakdown  # benchmarks/ is on sys.path when run as a script

    parts = worker_breakdown(asn, steps)
    parts.pop("load", None)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--asn", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=104)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    one_run(args.asn, 5, 0)  # warm imports and caches
    times = [one_run(args.asn, args.steps, seed) for seed in range(args.repeats)]
    print(f"flexisim {flexisim.__version__}, mesa {mesa.__version__}, numpy {np.__version__}, "
          f"Python {platform.python_version()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores (pinned to 1)")
    print(f"default run: {args.asn} ASN x {args.steps} weeks, counterfactual included")
    print(f"  median {statistics.median(times):.3f} s  (min {min(times):.3f}, "
          f"max {max(times):.3f}, n={len(times)})")
    parts = breakdown(args.asn, args.steps)
    total = parts.pop("total")
    print(f"per step (both worlds): {1000 * total:.2f} ms")
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {name:26s} {1000 * seconds:6.3f} ms  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
