"""Compare the model's results in this tree with those at another commit, bit for bit.

For a change that must not move results (a restructuring, a speed pass), this runs the same
set of runs with this checkout's ``.venv`` and with a checkout of ``--base`` (a worktree with
its own ``.venv``, as ``benchmarks/vs_commit.py`` makes), and compares:

* the full timeseries and summary of ten configurations (every scenario family, the quota and
  frontline floor rationing, investment, calibration overrides, 3,000-20,000 ASN);
* with ``--validation``: every run value of the reduced validation targets, the
  face-validity runs and a sensitivity slice (the validation code paths, contrast worlds
  included);
* with ``--sweep``: the ``quick`` experiment's runs, summary and timeseries datasets.

Usage::

    .venv/bin/python benchmarks/results_vs_commit.py --base 3c841b7 --validation --sweep

Exit status 0 when everything is bit-identical, 1 otherwise (each difference is printed).
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from vs_commit import base_tree  # noqa: E402

#: (scenario, seed, n_asn, weeks, levers, calibration)
CONFIGS = [
    ("permenpan_4_2025", 11, 6000, 40, {}, None),
    ("trust_but_verify", 12, 6000, 40, {}, None),
    ("office_only", 13, 3000, 30, {}, None),
    ("control_heavy", 14, 4000, 30, {}, None),
    ("digital_divide", 15, 4000, 30, {}, None),
    ("trust_without_verify", 16, 4000, 30, {}, None),
    ("inspired_new_zealand_open_reporting", 17, 3000, 30, {}, None),
    ("inspired_uk_smart_working", 18, 3000, 27, {"agency_quota": 0.05,
                                                 "min_onsite_frontline": 0.9}, None),
    ("permenpan_4_2025", 19, 3000, 30, {"require_performing": True, "max_flex_days": 4,
                                        "approval_review_weeks": 1},
     {"effort_reciprocity": 0.3}),
    ("inspired_finland_trust", 20, 20000, 20, {}, None),
]

#: run in each tree's own Python: uses only the public API both versions have
WORKER = r'''
import pickle, sys
from flexisim import FlexiworkModel
configs, validation, out = pickle.load(open(sys.argv[1], "rb"))
result = {"runs": {}}
for name, seed, n, steps, levers, cal in configs:
    m = FlexiworkModel(scenario=name, rng=seed, n_asn=n, calibration=cal, **levers)
    ts = m.run(steps)
    summary = m.summary()
    summary.pop("package_version", None)
    result["runs"][(name, seed)] = (ts, summary)
if validation:
    from flexisim.validation import load_targets
    from flexisim.validation.face import load_face, run_face
    from flexisim.validation.runner import run_targets
    from flexisim.validation.sensitivity import run_unpinned
    result["targets"] = run_targets(load_targets(), reduced=True).drop(columns=["wall_time_s"])
    result["face"] = run_face(load_face(), replications=3, n_asn=1500)
    result["sensitivity"] = run_unpinned(replications=2, n_asn=1200, steps=30,
                                         coefficients=("visibility_penalty", "trust_anchor"))
pickle.dump(result, open(out, "wb"))
'''


def results(tree: Path, validation: bool, work: Path, label: str) -> dict:
    task, out = work / f"{label}-task.pkl", work / f"{label}-out.pkl"
    task.write_bytes(pickle.dumps((CONFIGS, validation, str(out))))
    subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", WORKER, str(task)],
                   cwd=tree, check=True)
    return pickle.loads(out.read_bytes())


def sweep(tree: Path, out: Path) -> Path:
    subprocess.run([str(tree / ".venv" / "bin" / "flexisim"), "sweep", "quick", "--out",
                    str(out), "--workers", "1", "--quiet"], cwd=tree, check=True)
    return out


def _same_frame(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> bool:
    keys = [k for k in keys if k in a.columns]
    a = a.sort_values(keys).reset_index(drop=True) if keys else a.reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True) if keys else b.reset_index(drop=True)
    return a.equals(b)


def compare(a: dict, b: dict) -> list[str]:
    problems = []
    for key, (ts_a, sum_a) in a["runs"].items():
        ts_b, sum_b = b["runs"][key]
        if list(ts_a.columns) != list(ts_b.columns):
            problems.append(f"{key}: timeseries columns differ")
        elif not np.array_equal(ts_a.to_numpy(), ts_b.to_numpy(), equal_nan=True):
            problems.append(f"{key}: timeseries differ (max abs "
                            f"{np.nanmax(np.abs(ts_a.to_numpy() - ts_b.to_numpy())):.3g})")
        moved = [k for k in sum_a if not (sum_a[k] == sum_b.get(k) or (
            isinstance(sum_a[k], float) and np.isnan(sum_a[k]) and np.isnan(sum_b.get(k))))]
        if moved:
            problems.append(f"{key}: summary differs in {moved}")
    for name, keys in (("targets", ["id", "replication"]),
                       ("face", ["configuration", "replication"]),
                       ("sensitivity", ["scenario", "coefficient", "level", "replication"])):
        if name in a and not _same_frame(a[name], b[name], keys):
            problems.append(f"{name}: run values differ")
    return problems


def compare_sweeps(a: Path, b: Path) -> list[str]:
    problems = []
    for dataset, keys in (("summary", ["run_id"]), ("timeseries", ["run_id", "step"])):
        if not _same_frame(pd.read_parquet(a / dataset), pd.read_parquet(b / dataset), keys):
            problems.append(f"sweep quick: {dataset} differs")
    ra, rb = pd.read_parquet(a / "runs"), pd.read_parquet(b / "runs")
    cols = [c for c in ra.columns if c not in ("wall_time_s", "worker", "package_version")]
    if not _same_frame(ra[cols], rb[cols], ["run_id"]):
        problems.append("sweep quick: runs differ")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="commit to compare with (HEAD~1)")
    parser.add_argument("--validation", action="store_true",
                        help="also the reduced validation, face validity and sensitivity runs")
    parser.add_argument("--sweep", action="store_true", help="also the quick experiment")
    args = parser.parse_args(argv)
    tree = base_tree(args.base)
    with tempfile.TemporaryDirectory(prefix="flexisim-results-") as tmp:
        work = Path(tmp)
        here = results(REPO, args.validation, work, "here")
        there = results(tree, args.validation, work, "base")
        problems = compare(here, there)
        if args.sweep:
            problems += compare_sweeps(sweep(REPO, work / "sweep-here"),
                                       sweep(tree, work / "sweep-base"))
    checked = f"{len(CONFIGS)} configurations" + (", validation" if args.validation else "") \
        + (", the quick sweep" if args.sweep else "")
    if problems:
        print(f"results differ from {args.base} ({checked}):")
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"bit-identical to {args.base}: {checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
