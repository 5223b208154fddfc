"""Validation targets: one TOML file per published figure in ``experiments/validation/``.

A target file says which study it reproduces, how the study's setting is represented (a base
scenario, lever values, optionally a contrast world and setting-specific coefficients), what
is measured (a probe of :mod:`flexisim.validation.measures`), the published value and the
tolerance band, and whether the figure was used to calibrate a coefficient (``calibrated``,
by ``flexisim calibrate``), informed a coefficient set by hand before that procedure existed
(``hand-set``: a consistency check, only partly out of sample), is held out for checking
(``held-out``) or is itself an input of the model (``input``).

Files are validated at load time, with the scenario files' error format: every problem names
the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flexisim.errors import InputError, TargetError
from flexisim.locations import locations
from flexisim.params import calibration_defaults
from flexisim.scenario import (
    Scenario,
    did_you_mean,
    format_problem,
    load_scenario,
    read_toml_file,
)
from flexisim.validation.measures import MEASURES, make_probe

__all__ = ["ROLES", "Target", "load_target", "load_targets", "validation_dir"]

#: how a target relates to the calibration (docs/validation.md explains each)
ROLES = ("calibrated", "hand-set", "held-out", "input")

_REQUIRED = ("id", "title", "source", "setting", "outcome", "unit", "target", "band",
             "band_reason", "role", "scenario", "measure")
_OPTIONAL = {"steps": 52, "burn_in": 0, "replications": 20, "seed": 1, "fitted": [],
             "reduced_replications": 6, "reduced_n_asn": 2000, "reduced_band": None,
             "n_asn": 4000}
_TABLES = ("levers", "contrast", "setting_calibration", "measure_options")


def validation_dir() -> Path:
    """The validation targets: ``validation/`` in the first experiments folder that has one,
    in the lookup order of :mod:`flexisim.locations` (``$FLEXISIM_EXPERIMENTS``,
    ``./experiments``, the source checkout's ``experiments/``, the copy installed with the
    package); else ``./experiments/validation``."""
    for location in locations("experiments"):
        if (location.path / "validation").is_dir():
            return location.path / "validation"
    return Path.cwd() / "experiments" / "validation"


@dataclass(frozen=True)
class Target:
    """One validation experiment (see the module docstring and docs/validation.md)."""

    id: str
    title: str
    source: str
    setting: str
    outcome: str
    unit: str
    target: float
    band: tuple[float, float]
    band_reason: str
    role: str
    scenario: str
    measure: str
    steps: int = 52
    burn_in: int = 0
    replications: int = 20
    seed: int = 1
    n_asn: int = 4000
    fitted: tuple[str, ...] = ()
    reduced_replications: int = 6
    reduced_n_asn: int = 2000
    reduced_band: tuple[float, float] | None = None
    levers: dict[str, Any] = field(default_factory=dict)
    contrast: dict[str, Any] = field(default_factory=dict)
    setting_calibration: dict[str, float] = field(default_factory=dict)
    measure_options: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def base(self, n_asn: int | None = None) -> Scenario:
        """The scenario of the study's setting (at ``n_asn`` civil servants)."""
        values = {**self.levers, "n_asn": n_asn or self.n_asn}
        return load_scenario(self.scenario).with_values(source=f"target {self.id}", **values)

    def contrast_scenario(self, n_asn: int | None = None) -> Scenario | None:
        """The contrast world's scenario, or None when the reference is the office-only twin."""
        if not self.contrast:
            return None
        return self.base(n_asn).with_values(source=f"target {self.id} [contrast]",
                                            **self.contrast)

    def passes(self, value: float, band: tuple[float, float] | None = None) -> bool:
        lo, hi = band or self.band
        return math.isfinite(value) and lo <= value <= hi


def _bad(problems: list[str], shown: str, where: str, value: Any, what: str,
         allowed: str | None = None) -> None:
    problems.append(format_problem(shown, where, value, what, allowed))


def _number(problems: list[str], shown: str, where: str, value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _bad(problems, shown, where, value, "not a finite number")
        return None
    return float(value)


def _band(problems: list[str], shown: str, where: str, value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) != 2:
        _bad(problems, shown, where, value, "not a [low, high] pair")
        return None
    lo, hi = (_number(problems, shown, f"{where}[{k}]", v) for k, v in enumerate(value))
    if lo is None or hi is None:
        return None
    if lo > hi:
        _bad(problems, shown, where, value, "low end above high end")
        return None
    return lo, hi


def _int(problems: list[str], shown: str, where: str, value: Any, low: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        _bad(problems, shown, where, value, f"not a whole number >= {low}")
        return None
    return value


def parse_target(doc: Mapping[str, Any], shown: str, path: Path | None = None) -> Target:
    """A :class:`Target` from a parsed TOML document; raises ``TargetError`` listing every
    problem."""
    problems: list[str] = []
    known = set(_REQUIRED) | set(_OPTIONAL) | set(_TABLES)
    for key, value in doc.items():
        if key not in known:
            _bad(problems, shown, key, value, "unknown field" + did_you_mean(key, known))
    for key in _REQUIRED:
        if key not in doc:
            problems.append(f"{shown}: {key}: missing (required)")
    if problems:
        raise TargetError(problems)
    out: dict[str, Any] = {k: doc[k] for k in _REQUIRED}
    for key in ("id", "title", "source", "setting", "outcome", "unit", "band_reason",
                "scenario", "measure"):
        if not isinstance(doc[key], str) or not doc[key].strip():
            _bad(problems, shown, key, doc[key], "not a non-empty string")
    out["target"] = _number(problems, shown, "target", doc["target"])
    out["band"] = _band(problems, shown, "band", doc["band"])
    if doc["role"] not in ROLES:
        _bad(problems, shown, "role", doc["role"], "not one of the choices", ", ".join(ROLES))
    if doc["measure"] not in MEASURES:
        _bad(problems, shown, "measure", doc["measure"],
             "unknown measure" + did_you_mean(str(doc["measure"]), MEASURES),
             ", ".join(MEASURES))
    for key, default in _OPTIONAL.items():
        value = doc.get(key, default)
        if key in ("steps", "replications", "reduced_replications", "seed"):
            value = _int(problems, shown, key, value, 0 if key == "seed" else 1)
        elif key in ("n_asn", "reduced_n_asn"):
            value = _int(problems, shown, key, value, 200)
        elif key == "burn_in":
            value = _int(problems, shown, key, value, 0)
        elif key == "fitted":
            coefficients = calibration_defaults()
            if not isinstance(value, list) or any(v not in coefficients for v in value):
                _bad(problems, shown, key, value, "not a list of calibration coefficients",
                     "names in flexisim/data/calibration.toml")
                value = []
            value = tuple(value)
        elif key == "reduced_band" and value is not None:
            value = _band(problems, shown, key, value)
        out[key] = value
    if (isinstance(out.get("burn_in"), int) and isinstance(out.get("steps"), int)
            and out["burn_in"] >= out["steps"]):
        _bad(problems, shown, "burn_in", out["burn_in"], f"not below steps ({out['steps']})")
    if out.get("role") in ("calibrated", "hand-set") and not out.get("fitted"):
        _bad(problems, shown, "fitted", [], f"a {out['role']} target names the coefficients "
             "fitted or set by hand to it")
    if out.get("role") in ("held-out", "input") and out.get("fitted"):
        _bad(problems, shown, "fitted", list(out["fitted"]), f"a {out['role']} target fits "
             "no coefficient (use role 'calibrated' or 'hand-set')")
    for table in _TABLES:
        value = doc.get(table, {})
        if not isinstance(value, dict):
            _bad(problems, shown, table, value, "not a table")
            value = {}
        out[table] = dict(value)
    coefficients = calibration_defaults()
    for key, value in out["setting_calibration"].items():
        if key not in coefficients:
            _bad(problems, shown, f"setting_calibration.{key}", value,
                 "unknown coefficient" + did_you_mean(key, coefficients))
        else:
            _number(problems, shown, f"setting_calibration.{key}", value)
    if problems:
        raise TargetError(problems)
    target = Target(**out, path=path)
    # the scenario, its levers, the contrast and the measure's options, checked by their owners
    try:
        target.base()
        target.contrast_scenario()
    except InputError as exc:
        problems.extend(f"{shown}: {line}" for line in exc.problems)
    try:
        probe = make_probe(target.measure, target.measure_options)
        if probe.PAIRED and not target.contrast and not target.base().values[
                "flexiwork_enabled"]:
            _bad(problems, shown, "measure", target.measure,
                 "compares with the office-only twin, but flexiwork is off in this setting: "
                 "add a [contrast] world")
    except (ValueError, TypeError) as exc:
        _bad(problems, shown, "measure_options", target.measure_options, str(exc))
    if problems:
        raise TargetError(problems)
    return target


def load_target(path: str | Path) -> Target:
    """Load and check one target file."""
    path = Path(path)
    problems: list[str] = []
    doc = read_toml_file(path, str(path), problems)
    if doc is None:
        raise TargetError(problems)
    return parse_target(doc, str(path), path)


def load_targets(folder: str | Path | None = None, only: list[str] | None = None
                 ) -> list[Target]:
    """Every target in ``folder`` (default ``experiments/validation/``), in file-name order;
    ``only`` keeps the given ids (unknown ids are an error)."""
    folder = Path(folder) if folder is not None else validation_dir()
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise TargetError([f"{folder}: no validation target files (*.toml)"])
    problems: list[str] = []
    targets: list[Target] = []
    for file in files:
        try:
            targets.append(load_target(file))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TargetError(problems)
    ids = [t.id for t in targets]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise TargetError([f"{folder}: target id(s) used twice: {duplicated}"])
    if only:
        unknown = [i for i in only if i not in ids]
        if unknown:
            raise TargetError([f"--only: unknown target id(s) {unknown} (allowed: "
                                 f"{', '.join(ids)})"])
        targets = [t for t in targets if t.id in only]
    return targets
