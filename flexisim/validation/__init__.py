"""Validation of flexisim against published evidence (issue 6; docs/validation.md).

* :mod:`~flexisim.validation.targets` -- the target files in ``experiments/validation/``;
* :mod:`~flexisim.validation.measures` -- what each target measures in a run;
* :mod:`~flexisim.validation.runner` -- replications and the pass/fail table;
* :mod:`~flexisim.validation.calibrate` -- the calibration procedure;
* :mod:`~flexisim.validation.report` -- docs/validation.md and its figures.
"""

from flexisim.validation.measures import MEASURES
from flexisim.validation.runner import run_targets, summarize_results
from flexisim.validation.targets import Target, load_target, load_targets, validation_dir

__all__ = ["MEASURES", "Target", "load_target", "load_targets", "run_targets",
           "summarize_results", "validation_dir"]
