"""The engine's benchmark suite: one command, a table for benchmarks/README.md.

Usage::

    .venv/bin/python benchmarks/run_all.py                 # 10k, 100k, 1M, 5.6M + reference
    .venv/bin/python benchmarks/run_all.py --quick         # 10k and 100k only
    .venv/bin/python benchmarks/run_all.py --scales 10000 1000000 --repeats 3

For every scale it runs, in a fresh subprocess each time (so peak memory is the run's own):
construction of the model (policy world + office-only twin), then ``--steps`` weeks, and
records wall and CPU time of the construction and per step, and the peak resident memory.
Then, at each scale, one extra run with the twin stepped in the same thread
(``FLEXISIM_THREADS=1``) gives the time per step by mechanism and by data collection (both
worlds summed). The plain-Mesa reference (benchmarks/reference_mesa) is timed at 10k and 100k
ASN against the columnar engine (both worlds, per step). ``--profile`` adds a cProfile of a
national run (top functions by own time). Medians over ``--repeats`` runs; the machine's load
average is printed beside every number, because the 2 cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# ----------------------------------------------------------------- worker (in a subprocess)
def worker_scale(asn: int, steps: int) -> dict:
    import resource

    from flexisim import FlexiworkModel

    t0, c0 = time.perf_counter(), time.process_time()
    model = FlexiworkModel(rng=1, n_asn=asn)
    build = (time.perf_counter() - t0, time.process_time() - c0)
    walls, cpus = _time_steps(model, steps)
    return {"asn": asn, "citizens": len(model.pop.citizens), "leaders": len(model.pop.leaders),
            "build_wall": build[0], "build_cpu": build[1],
            "step_wall": statistics.median(walls), "step_cpu": statistics.median(cpus),
            "total_wall": build[0] + sum(walls),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "load": os.getloadavg()[0]}


def _time_steps(model, steps: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``steps`` model steps."""
    walls, cpus = [], []
    for _ in range(steps):
        t, c = time.perf_counter(), time.process_time()
        model.step()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return walls, cpus


def worker_breakdown(asn: int, steps: int) -> dict:
    """Seconds per step in each mechanism of the registry and in data collection (both
    worlds; ``World.timings``), the twin stepped in the same thread."""
    from flexisim import FlexiworkModel

    model = FlexiworkModel(rng=1, n_asn=asn)
    model.step()  # warm
    spent: dict[str, float] = {}
    for world in (model.world, model.counterfactual):
        world.timings = spent  # both worlds add to the same clock
        collect = model.datacollector.collect
    start_collect = [0.0]

    def timed_collect(m):
        t = time.perf_counter()
        collect(m)
        start_collect[0] += time.perf_counter() - t

    model.datacollector.collect = timed_collect
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    spent["total"] = time.perf_counter() - start
    spent["data collection"] = spent.get("data collection", 0.0) + start_collect[0]
    memory = model.pop.memory()
    return ({k: v / steps for k, v in spent.items()} | {"load": os.getloadavg()[0]}
            | {"memory": memory})


def worker_reference(asn: int, steps: int) -> dict:
    sys.path.insert(0, str(HERE))
    from reference_mesa import ReferenceModel

    t0 = time.perf_counter()
    model = ReferenceModel(rng=1, n_asn=asn)
    build = time.perf_counter() - t0
    walls, cpus = _time_steps(model, steps)
    return {"asn": asn, "build_wall": build, "step_wall": statistics.median(walls),
            "step_cpu": statistics.median(cpus), "load": os.getloadavg()[0]}


def worker_profile(asn: int, steps: int) -> dict:
    import cProfile
    import io
    import pstats

    from flexisim import FlexiworkModel

    profile = cProfile.Profile()
    profile.enable()
    model = FlexiworkModel(rng=1, n_asn=asn)
    for _ in range(steps):
        model.step()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    return {"profile": out.getvalue()}


WORKERS = {"scale": worker_scale, "breakdown": worker_breakdown, "reference": worker_reference,
           "profile": worker_profile}


# ----------------------------------------------------------------- driver
def run(kind: str, asn: int, steps: int, threads: bool = True) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if not threads:
        env["FLEXISIM_THREADS"] = "1"
    out = subprocess.run([sys.executable, __file__, "--worker", kind, str(asn), str(steps)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="*",
                        default=[10_000, 100_000, 1_000_000, 5_600_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--profile", action="store_true", help="cProfile a national run")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, asn, steps = args.worker
        print(json.dumps(WORKERS[kind](int(asn), int(steps))))
        return
    import mesa
    import numba
    import numpy as np

    import flexisim

    scales = [10_000, 100_000] if args.quick else args.scales
    print(f"flexisim {flexisim.__version__}, mesa {mesa.__version__}, numpy {np.__version__}, "
          f"numba {numba.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    run("scale", 2_000, 2)  # compile / load the numba cache once
    engine_step = {}
    print("\n| ASN | citizens | build s | step s (wall, median) | step s (CPU) | "
          "run s (52 wk, est.) | peak MB | load |")
    print("|---|---|---|---|---|---|---|---|")
    for asn in scales:
        steps = 52 if asn >= 5_000_000 else (10 if asn >= 1_000_000 else 20)
        repeats = 1 if asn >= 5_000_000 else args.repeats
        results = [run("scale", asn, steps) for _ in range(repeats)]
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        engine_step[asn] = med["step_wall"]
        est = med["build_wall"] + 52 * med["step_wall"]
        print(f"| {asn:,} | {int(med['citizens']):,} | {med['build_wall']:.2f} | "
              f"{med['step_wall']:.4f} | {med['step_cpu']:.4f} | {est:.1f} | "
              f"{med['peak_mb']:.0f} | {med['load']:.1f} |", flush=True)

    print("\nTime per step by mechanism (both worlds, twin in the same thread), share of step:")
    for asn in scales:
        steps = 5 if asn >= 1_000_000 else 20
        parts = run("breakdown", asn, steps, threads=False)
        total = parts.pop("total")
        load = parts.pop("load")
        memory = parts.pop("memory")
        cells = ", ".join(f"{k} {1000 * v:.1f} ms ({100 * v / total:.0f}%)"
                          for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))
        print(f"- {asn:,} ASN: {1000 * total:.1f} ms/step (load {load:.1f}): {cells}", flush=True)
        static = sum(t["static"] for t in memory.values())
        own = sum(v for t in memory.values() for k, v in t.items() if k != "static")
        print(f"  columns (from their declarations): {static / 1e6:.0f} MB static, shared by "
              f"the two worlds, and {own / 1e6:.0f} MB per world", flush=True)

    print("\n| ASN | plain Mesa s/step | columnar s/step | speed-up | load |")
    print("|---|---|---|---|---|")
    for asn in (10_000, 100_000):
        ref = run("reference", asn, 3 if asn <= 10_000 else 2)
        col = engine_step.get(asn) or run("scale", asn, 10)["step_wall"]
        print(f"| {asn:,} | {ref['step_wall']:.2f} | {col:.4f} | {ref['step_wall'] / col:.0f}x | "
              f"{ref['load']:.1f} |", flush=True)

    if args.profile:
        print(run("profile", 5_600_000, 3)["profile"])


if __name__ == "__main__":
    main()
