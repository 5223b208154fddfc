"""Validation of flexisim against published evidence (issue 6; docs/validation.md).

* :mod:`~flexisim.validation.targets` -- the target files in ``experiments/validation/``;
* :mod:`~flexisim.validation.measures` -- what each target measures in a run;
* :mod:`~flexisim.validation.runner` -- replications and the pass/fail table;
* :mod:`~flexisim.validation.calibrate` -- the calibration procedure;
* :mod:`~flexisim.validation.report` -- docs/validation.md and its figures.

Names are imported on first use (PEP 562), so that ``flexisim`` commands that only register
the validation subcommands do not pay for scipy and pandas at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"MEASURES": "measures", "Target": "targets", "load_target": "targets",
          "load_targets": "targets", "validation_dir": "targets", "run_targets": "runner",
          "summarize_results": "runner"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"flexisim.validation.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'flexisim.validation' has no attribute {name!r}")
