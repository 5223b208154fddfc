"""Design points of an experiment and the seeds of its runs.

The samplers are library code, not hand-written: full factorial grids with
:func:`itertools.product`, Latin hypercubes with :class:`scipy.stats.qmc.LatinHypercube`,
Sobol (Saltelli) samples with :func:`SALib.sample.sobol.sample` and Morris trajectories
with :func:`SALib.sample.morris.sample`. Every design is a pure function of the experiment
definition (its seed included), so a resumed sweep rebuilds exactly the same points.

Coordinates
-----------
Besides the parameter values, each point keeps its *coordinates* on the scale SALib
samples (:meth:`Parameter.bounds`): the value itself for a float range, and a bin of
``[0, k)`` for a parameter with ``k`` discrete values. Morris analysis needs them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flexisim.experiment.definition import Experiment

__all__ = ["Design", "build_design", "count_points", "run_seeds", "salib_problem"]


@dataclass(frozen=True)
class Design:
    """The points of an experiment.

    Attributes
    ----------
    values : list of dict
        One dict per point: parameter name -> value (factor level name for factors).
    coords : ndarray, shape (n_points, n_parameters)
        The points on SALib's scale (see the module docstring).
    problem : dict
        SALib's problem description (``num_vars``, ``names``, ``bounds``).
    """

    values: list[dict[str, Any]]
    coords: np.ndarray
    problem: dict[str, Any]

    def __len__(self) -> int:
        return len(self.values)

    def levers(self, experiment: Experiment, point: int) -> dict[str, Any]:
        """Lever keyword -> value for one point (factors expanded into their levers)."""
        out: dict[str, Any] = {}
        for param in experiment.parameters:
            out |= param.levers(self.values[point][param.name])
        return out

    def table(self, experiment: Experiment) -> pd.DataFrame:
        """One row per point: ``point_id``, the parameter values and ``x:<name>`` coordinates."""
        df = pd.DataFrame(self.values, columns=experiment.parameter_names)
        for col, param in zip(df.columns, experiment.parameters, strict=True):
            if param.lever_type == "list[str]":
                df[col] = df[col].map(",".join)
        df.insert(0, "point_id", np.arange(len(self.values), dtype=np.int32))
        for j, name in enumerate(experiment.parameter_names):
            df[f"x:{name}"] = self.coords[:, j]
        return df


def salib_problem(experiment: Experiment) -> dict[str, Any]:
    """SALib's problem dictionary for the experiment's parameters."""
    return {
        "num_vars": len(experiment.parameters),
        "names": experiment.parameter_names,
        "bounds": [list(p.bounds()) for p in experiment.parameters],
    }


def count_points(experiment: Experiment) -> int:
    """Number of design points, without building them (for validation)."""
    d = len(experiment.parameters)
    size = experiment.size or 0
    if experiment.design == "grid":
        return math.prod(p.grid_size(experiment.levels) for p in experiment.parameters)
    if experiment.design == "lhs":
        return size
    if experiment.design == "sobol":
        return size * (2 * d + 2 if experiment.second_order else d + 2)
    return size * (d + 1)  # morris: one trajectory visits d + 1 points


def build_design(experiment: Experiment) -> Design:
    """Sample the design points of `experiment`.

    Returns
    -------
    Design
        Points in a fixed order: grid points with the first parameter varying slowest;
        LHS points in the sampler's order; Sobol and Morris points in SALib's order (which
        its analysers require).
    """
    params = experiment.parameters
    problem = salib_problem(experiment)
    if experiment.design == "grid":
        axes = [p.grid(experiment.levels) for p in params]
        combos = list(itertools.product(*axes))
        coords = np.array([[p.coordinate(v) for p, v in zip(params, c, strict=True)]
                           for c in combos], dtype=float).reshape(len(combos), len(params))
        values = [dict(zip(experiment.parameter_names, c, strict=True)) for c in combos]
        return Design(values=values, coords=coords, problem=problem)

    if experiment.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(experiment.seed)
                                  ).random(experiment.size)
        lo = np.array([b[0] for b in problem["bounds"]])
        hi = np.array([b[1] for b in problem["bounds"]])
        coords = lo + unit * (hi - lo)
    elif experiment.design == "sobol":
        from SALib.sample import sobol

        coords = sobol.sample(problem, experiment.size, calc_second_order=experiment.second_order,
                              seed=experiment.seed)
    else:
        from SALib.sample import morris

        coords = morris.sample(problem, experiment.size, num_levels=experiment.levels,
                               seed=experiment.seed)
    coords = np.asarray(coords, dtype=float)
    values = [{p.name: p.from_coordinate(x) for p, x in zip(params, row, strict=True)}
              for row in coords]
    return Design(values=values, coords=coords, problem=problem)


def replication_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 32-bit seeds derived from ``seed`` (``SeedSequence(seed).spawn(n)``):
    the same whoever asks, in whatever order the runs are made."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(n)]


def run_seeds(experiment: Experiment, n_points: int) -> np.ndarray:
    """The seed of every run, shape ``(n_points, replications)``.

    Seeds are 32-bit integers (the model's ``seed`` lever range) drawn from children of
    ``SeedSequence(experiment.seed)``: one child per replication when ``seeds = "common"``
    (the same seed for replication *r* at every point), one per run otherwise.
    """
    reps = experiment.replications
    n_children = reps if experiment.seeds == "common" else n_points * reps
    seeds = np.array(replication_seeds(experiment.seed, n_children), dtype=np.int64)
    if experiment.seeds == "common":
        return np.broadcast_to(seeds, (n_points, reps)).copy()
    return seeds.reshape(n_points, reps)
