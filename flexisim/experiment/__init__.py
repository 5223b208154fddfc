"""Batch experiments: designs, a runner over any executor, a Parquet store, analysis.

Typical use::

    from flexisim.experiment import run_experiment, analyze
    report = run_experiment("experiments/quick.toml", out="results/quick")
    analyze(report.out)

See ``docs/experiments.md`` and ``docs/cluster.md``. Names are imported on first use, so
that ``flexisim --help`` does not pay for pandas, pyarrow and SALib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "analyze": "analysis", "load_results": "analysis", "to_ema": "analysis",
    "Experiment": "definition", "load_experiment": "definition",
    "parse_experiment": "definition",
    "build_design": "design", "run_seeds": "design",
    "SequentialExecutor": "runner", "SweepReport": "runner", "run_experiment": "runner",
    "FolderError": "store", "ResultStore": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"flexisim.experiment.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'flexisim.experiment' has no attribute {name!r}")
