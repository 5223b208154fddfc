"""Face validity of the source article's argument (docs/validation.md, "Face validity").

Two paired comparisons on the same worlds (same seeds, so differences are not luck):

* **prerequisites** -- flexiwork with all four prerequisites ("full") against the same with
  one taken away; the article predicts each removal worsens performance or public trust;
* **oversight** -- "trust, but verify" against trust without verification and against
  control-heavy oversight; the article predicts it beats both on performance and trust.

Each configuration's outcomes are the run's own paired changes against its office-only twin:
``performance_change_pct`` and ``trust_effect_pp`` (``flexisim.metrics.summarize``).
"""

from __future__ import annotations

import concurrent.futures as cf
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flexisim.errors import TargetError
from flexisim.experiment.analysis import mean_ci
from flexisim.experiment.design import replication_seeds
from flexisim.runs import RunResult, RunSpec, run_all
from flexisim.scenario import ScenarioError, load_scenario
from flexisim.validation.targets import validation_dir

__all__ = ["FaceDesign", "OUTCOMES", "face_verdicts", "load_face", "outcome_spec", "outcomes",
           "run_face"]

OUTCOMES = ("performance_change_pct", "trust_effect_pp")


@dataclass(frozen=True)
class FaceDesign:
    scenario: str
    steps: int
    replications: int
    seed: int
    n_asn: int
    full: dict[str, Any]
    remove: dict[str, dict[str, Any]]
    reference: str
    alternatives: tuple[str, ...]
    oversight_levers: dict[str, dict[str, Any]]

    def configurations(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """name -> (scenario, levers) of every configuration run."""
        out = {"full": (self.scenario, dict(self.full))}
        for name, levers in self.remove.items():
            out[f"without {name}"] = (self.scenario, {**self.full, **levers})
        for name in (self.reference, *self.alternatives):
            out[f"{name} (oversight only)"] = (self.scenario, dict(self.oversight_levers[name]))
            out[f"{name} (as shipped)"] = (name, {})
        return out


def load_face(path: str | Path | None = None) -> FaceDesign:
    """The face-validity design (default ``experiments/validation/face/face_validity.toml``)."""
    path = Path(path) if path else validation_dir() / "face" / "face_validity.toml"
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    design = FaceDesign(scenario=doc["scenario"], steps=int(doc["steps"]),
                        replications=int(doc["replications"]), seed=int(doc["seed"]),
                        n_asn=int(doc["n_asn"]), full=dict(doc["full"]),
                        remove={k: dict(v) for k, v in doc["remove"].items()},
                        reference=doc["oversight"]["reference"],
                        alternatives=tuple(doc["oversight"]["alternatives"]),
                        oversight_levers={k: dict(v) for k, v in
                                          doc["oversight"]["levers"].items()})
    problems: list[str] = []
    for name, (scenario, levers) in design.configurations().items():
        try:
            load_scenario(scenario).with_values(source=f"{path}: {name}", **levers)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TargetError(problems)
    return design


def outcome_spec(scenario: str, seed: int, n_asn: int, steps: int,
                 levers: dict[str, Any] | None = None,
                 calibration: dict[str, float] | None = None, key: Any = None) -> RunSpec:
    """A run whose :data:`OUTCOMES` (paired with its own office-only twin) are wanted."""
    return RunSpec(scenario=load_scenario(scenario), seed=seed, steps=steps,
                   levers={"n_asn": n_asn, **(levers or {})}, calibration=calibration or {},
                   timeseries=False, key=key)


def outcomes(result: RunResult) -> dict[str, Any]:
    """The run's key fields and its :data:`OUTCOMES` (raises if the run failed)."""
    result.raise_for_status()
    return {**result.spec.key, **{k: float(result.summary[k]) for k in OUTCOMES}}


def run_face(design: FaceDesign, *, replications: int | None = None, n_asn: int | None = None,
             executor: cf.Executor | None = None,
             progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per (configuration, replication): the paired outcomes of each run."""
    n = replications or design.replications
    seeds = replication_seeds(design.seed, n)
    specs = [outcome_spec(scenario, seed, n_asn or design.n_asn, design.steps, levers,
                          key={"configuration": name, "replication": r, "seed": seed})
             for name, (scenario, levers) in design.configurations().items()
             for r, seed in enumerate(seeds)]
    rows = run_all(specs, executor, sink=outcomes, progress=progress)
    return pd.DataFrame(rows).sort_values(["configuration", "replication"]).reset_index(drop=True)


def _paired(runs: pd.DataFrame, a: str, b: str, outcome: str) -> tuple[float, float, float]:
    """Mean of (a - b) over replications and its 95% t-interval."""
    wide = runs.pivot(index="replication", columns="configuration", values=outcome)
    return mean_ci((wide[a] - wide[b]).to_numpy(dtype=float))


def _sign(lo: float, hi: float) -> int:
    """+1 / -1 when the interval excludes zero on that side, else 0 (no clear difference)."""
    return 1 if lo > 0 else -1 if hi < 0 else 0


def face_verdicts(design: FaceDesign, runs: pd.DataFrame) -> pd.DataFrame:
    """The article's predictions, each with the model's paired differences and a verdict."""
    rows = []
    for name in design.remove:
        row: dict[str, Any] = {"comparison": f"without {name} - full",
                               "prediction": "performance or trust worse"}
        worse = []
        for outcome in OUTCOMES:
            m, lo, hi = _paired(runs, f"without {name}", "full", outcome)
            row |= {f"{outcome}": m, f"{outcome}_low": lo, f"{outcome}_high": hi}
            worse.append(_sign(lo, hi) < 0)
        better = [_sign(row[f"{o}_low"], row[f"{o}_high"]) > 0 for o in OUTCOMES]
        row["agrees"] = any(worse)
        row["verdict"] = ("agrees" if any(worse) and not any(better) else
                          "mixed (one worse, one better)" if any(worse) else
                          "disagrees (no worse outcome)")
        rows.append(row)
    for alt, variant in ((a, v) for v in ("oversight only", "as shipped")
                         for a in design.alternatives):
        row = {"comparison": f"{design.reference} - {alt} ({variant})",
               "prediction": "trust-but-verify better on performance and trust"}
        signs = []
        for outcome in OUTCOMES:
            m, lo, hi = _paired(runs, f"{design.reference} ({variant})", f"{alt} ({variant})",
                                outcome)
            row |= {f"{outcome}": m, f"{outcome}_low": lo, f"{outcome}_high": hi}
            signs.append(_sign(lo, hi))
        row["agrees"] = all(s > 0 for s in signs)
        row["verdict"] = ("agrees (better on both)" if row["agrees"] else
                          "partly (better on one, no worse on the other)"
                          if max(signs) > 0 and min(signs) >= 0 else
                          "mixed (better on one, worse on the other)" if max(signs) > 0 else
                          "disagrees")
        rows.append(row)
    return pd.DataFrame(rows)
