"""Where ``flexisim run``'s seconds go, phase by phase, in one process (issue 17).

The command's steps (flexisim/cli.py ``cmd_run``) with a timestamp around each: importing
the command line, mesa and the run core, matplotlib, the simulation, the files, the overview
figure's artists and its ``savefig``. The collector is off during the imports and the heap
frozen after them, as in the command. The whole process (with the interpreter's start and
exit) is what ``bench_cli.py`` measures; this says which part of it to work on.

Usage::

    .venv/bin/python benchmarks/cli_phases.py -n 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

ONE_RUN = r"""
import time; t = [time.perf_counter()]
import gc, tempfile
from pathlib import Path
import flexisim.cli
t.append(time.perf_counter())
gc.disable()
import mesa
from flexisim.runs import RunSpec, execute
t.append(time.perf_counter())
from flexisim.plots import overview_figure, save_figure
t.append(time.perf_counter())
gc.enable(); gc.freeze()
from flexisim.scenario import load_scenario
scenario = load_scenario("permenpan_4_2025")
result = execute(RunSpec(scenario=scenario, seed=scenario.values["seed"],
                         steps=scenario.values["steps"], calibration={}))
t.append(time.perf_counter())
out = Path(tempfile.mkdtemp())
result.timeseries.to_csv(out / "timeseries.csv", float_format="%.6g")
t.append(time.perf_counter())
figure = overview_figure(result.timeseries, result.summary, list(result.regions))
t.append(time.perf_counter())
save_figure(figure, out / "overview.png")
t.append(time.perf_counter())
print(" ".join(f"{b - a:.3f}" for a, b in zip(t, t[1:])), f"{result.wall_time_s:.3f}")
"""

PHASES = ("import flexisim.cli", "mesa and the run core", "matplotlib (flexisim.plots)",
          "simulation (execute)", "timeseries.csv", "figure artists", "savefig")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="runs, each a new process (3)")
    args = parser.parse_args(argv)
    rows = []
    for _ in range(args.n):
        start = time.perf_counter()
        # -P: the interpreter's own install of flexisim, not a checkout in the folder it
        # is started from (another tree's .venv/bin/python times that tree)
        out = subprocess.run([sys.executable, "-P", "-c", ONE_RUN], check=True,
                             capture_output=True, text=True).stdout.split()
        rows.append([float(v) for v in out] + [time.perf_counter() - start])
    names = (*PHASES, "of which wall_time_s", "the whole process")
    width = max(map(len, names))
    for i, name in enumerate(names):
        values = sorted(row[i] for row in rows)
        print(f"{name:<{width}}  {values[0]:.3f}-{values[-1]:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
