"""Experiment files: what to vary, how to sample it, how often to repeat it.

An experiment is a TOML file in ``experiments/``::

    description = "Where is flexiwork safe?"
    scenario = "permenpan_4_2025"   # base scenario: a name in scenarios/ or a path
    steps = 104                     # weeks per run
    replications = 10               # runs per design point
    seed = 20250601                 # experiment seed: every run's seed derives from it
    seeds = "common"                # "common" (default) or "independent", see below

    [design]
    kind = "grid"                   # grid | lhs | sobol | morris
    levels = 5                      # grid: levels of each {min, max} range (default 3)
    # size = 64                     # lhs: points; sobol: base samples N; morris: trajectories

    [parameters]                    # one entry per varied lever (keyword of FlexiworkModel)
    trust_culture = { min = 0.1, max = 0.9 }        # a numeric range
    verification_rate = [0.0, 0.1, 0.2, 0.4]        # a list of values
    [parameters.infrastructure]                     # a named factor: each level sets
    poor = { device_access = 0.55, internet_quality = 0.5 }   # several levers together
    good = { device_access = 0.95, internet_quality = 0.95 }

    [fixed]                         # optional: levers set for every run
    n_asn = 5000

    [analysis]                      # optional: how `flexisim analyze` reads the results
    performance_threshold_pct = -5.0
    trust_drop_pp = 10.0

Seeds
-----
With ``seeds = "common"`` replication *r* uses the same seed at every design point
(common random numbers across points, as the model already does between a run and its
office-only counterfactual), so differences between points are not sampling noise. With
``"independent"`` every (point, replication) gets its own seed. Either way the seeds come
from ``numpy.random.SeedSequence(seed).spawn(...)`` and are recorded with every run.

Errors
------
Every problem is collected and raised together as one
:class:`~flexisim.errors.ExperimentError`, one line each, in the format of scenario files:
``FILE: field: value: what is wrong (allowed: ...)``.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flexisim.errors import ExperimentError, format_where, safe_text
from flexisim.locations import data_folder, find_file, named_files
from flexisim.scenario import (
    LEVERS,
    Lever,
    Scenario,
    ScenarioError,
    convert_value,
    did_you_mean,
    display_path,
    format_problem,
    is_file,
    load_scenario,
    looked_in,
    parse_toml,
    read_toml_file,
)

__all__ = [
    "DESIGNS",
    "Experiment",
    "Parameter",
    "experiments_dir",
    "load_experiment",
    "parse_experiment",
]

#: Design kinds and the library that samples them.
DESIGNS = ("grid", "lhs", "sobol", "morris")

#: Levers an experiment sets itself (top-level ``steps`` and ``seed``), so they may not vary.
_RESERVED = ("steps", "seed")

_TOP = ("description", "scenario", "steps", "replications", "seed", "seeds",
        "design", "parameters", "fixed", "analysis")
_DESIGN_KEYS = ("kind", "size", "levels", "second_order")
_RANGE_KEYS = ("min", "max", "levels")
_SEED_MODES = ("common", "independent")
_MAX_RUNS = 2_000_000  # a typo guard: more runs than any machine here could finish
_MAX_SEED = 2**63 - 1

#: Defaults of the ``[analysis]`` table (see :mod:`flexisim.experiment.analysis`).
ANALYSIS_DEFAULTS: dict[str, Any] = {
    "performance_threshold_pct": -5.0,  # risk 1: performance change below this
    "trust_drop_pp": 10.0,              # risk 2: public trust falls by more than this
    # which trust outcome the second risk reads: the worst weekly gap to the office-only
    # twin (the default: the policy's effect, free of the drift both worlds share), the
    # end-of-horizon gap, or the fall since the policy started, worst or at the end
    "trust_outcome": "trust_worst_effect_pp",
    "heatmap_x": "trust_culture",
    "heatmap_y": "verification_rate",
    "heatmap_panels": "",               # "" = the one remaining grid parameter, if any
    "bands_by": "",                     # "" = the first parameter
    "outcomes": ["performance_change_pct", "trust_effect_pp", "trust_change_pp"],
    "bootstrap": 1000,                  # resamples for the sensitivity intervals
}
TRUST_OUTCOMES = ("trust_worst_effect_pp", "trust_effect_pp", "trust_worst_change_pp",
                  "trust_change_pp")


@dataclass(frozen=True)
class Parameter:
    """One varied dimension of an experiment.

    Attributes
    ----------
    name : str
        A lever keyword (``"trust_culture"``) or, for a factor, its own name
        (``"infrastructure"``).
    kind : str
        ``"range"`` (numeric ``min``..``max``), ``"values"`` (an explicit list) or
        ``"factor"`` (named levels, each setting several levers).
    lever_type : str
        The lever's type (``"float"``, ``"int"``, ``"bool"``, ``"str"``, ``"list[str]"``),
        or ``"factor"``.
    low, high : float or None
        Bounds of a range.
    levels : int or None
        Grid levels of a range (``None`` = the design's default).
    values : tuple
        The list of a ``"values"`` parameter, or the level names of a factor.
    sets : dict
        Factor level name -> {lever keyword: value}.
    """

    name: str
    kind: str
    lever_type: str
    low: float | None = None
    high: float | None = None
    levels: int | None = None
    values: tuple[Any, ...] = ()
    sets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def discrete(self) -> bool:
        """True when the parameter takes one of a finite list of values (or an int range)."""
        return self.kind != "range" or self.lever_type == "int"

    def bounds(self) -> tuple[float, float]:
        """Bounds of the parameter on the scale SALib samples (see :meth:`from_coordinate`)."""
        if self.kind == "range" and self.lever_type == "float":
            return float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.kind == "range":  # int: [low, high + 1), floored
            return float(self.low), float(self.high) + 1.0  # type: ignore[arg-type]
        return 0.0, float(len(self.values))

    def from_coordinate(self, x: float) -> Any:
        """Map a coordinate in :meth:`bounds` to a parameter value.

        Discrete parameters cut their interval into equal bins (one per value), so
        continuous samplers (LHS, Sobol, Morris) pick every value equally often.
        """
        lo, hi = self.bounds()
        if self.kind == "range" and self.lever_type == "float":
            return float(min(max(x, lo), hi))
        index = min(max(int(math.floor(x)), int(lo)), int(hi) - 1)
        if self.kind == "range":
            return int(index)
        return self.values[index - int(lo)]

    def coordinate(self, value: Any) -> float:
        """Inverse of :meth:`from_coordinate` for grid points (the bin's lower edge)."""
        if self.kind == "range":
            return float(value)
        return float(self.values.index(value))

    def grid_size(self, default_levels: int) -> int:
        """How many values :meth:`grid` gives, without building them."""
        if self.kind != "range":
            return len(self.values)
        n = self.levels or default_levels
        if self.lever_type == "int":  # evenly spaced points rounded: at most one per integer
            return min(n, int(self.high) - int(self.low) + 1)  # type: ignore[arg-type]
        return n

    def grid(self, default_levels: int) -> list[Any]:
        """The values a grid design takes for this parameter."""
        if self.kind != "range":
            return list(self.values)
        n = self.levels or default_levels
        lo, hi = float(self.low), float(self.high)  # type: ignore[arg-type]
        points = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        if self.lever_type == "int":
            return sorted({round(p) for p in points})
        # round away binary noise (0.30000000000000004) so tables read like the file
        return [round(p, 12) for p in points]

    def levers(self, value: Any) -> dict[str, Any]:
        """Lever keyword -> value that this parameter's `value` sets."""
        if self.kind == "factor":
            return dict(self.sets[value])
        return {self.name: list(value) if isinstance(value, tuple) else value}

    @classmethod
    def from_spec(cls, name: str, spec: Mapping[str, Any]) -> Parameter:
        """Rebuild a parameter from :meth:`spec` (as stored in a results folder)."""
        kind = spec["kind"]
        if kind == "range":
            return cls(name=name, kind=kind, lever_type=spec["type"], low=spec["min"],
                       high=spec["max"], levels=spec.get("levels"))
        if kind == "values":
            values = tuple(tuple(v) if isinstance(v, list) else v for v in spec["values"])
            return cls(name=name, kind=kind, lever_type=spec["type"], values=values)
        # level order from "order": JSON files are written with sorted keys
        sets = {k: dict(spec["sets"][k]) for k in spec["order"]}
        return cls(name=name, kind=kind, lever_type="factor", values=tuple(sets), sets=sets)

    def spec(self) -> dict[str, Any]:
        """JSON-able description (part of the experiment hash)."""
        out: dict[str, Any] = {"kind": self.kind, "type": self.lever_type}
        if self.kind == "range":
            out |= {"min": self.low, "max": self.high, "levels": self.levels}
        elif self.kind == "values":
            out["values"] = [list(v) if isinstance(v, tuple) else v for v in self.values]
        else:
            out["sets"] = self.sets
            out["order"] = list(self.values)
        return out


@dataclass(frozen=True)
class Experiment:
    """A validated experiment definition.

    Attributes
    ----------
    name : str
        File stem, e.g. ``"risk_map"``.
    description : str
        One line describing the question.
    base : Scenario
        The base scenario with ``steps`` and the ``[fixed]`` levers applied.
    parameters : tuple of Parameter
        The varied dimensions, in file order.
    design : str
        ``"grid"``, ``"lhs"``, ``"sobol"`` or ``"morris"``.
    size : int or None
        LHS points, Sobol base samples (N) or Morris trajectories.
    levels : int
        Grid levels of ranges without their own; Morris grid levels.
    second_order : bool
        Sobol designs: also sample for second-order indices.
    replications, steps, seed : int
        Runs per point, weeks per run, experiment seed.
    seeds : str
        ``"common"`` or ``"independent"`` (see the module docstring).
    fixed : dict
        Levers set for every run (already applied to `base`).
    analysis : dict
        Settings of the analysis (:data:`ANALYSIS_DEFAULTS` completed by the file).
    path : Path or None
        The file read.
    """

    name: str
    description: str
    base: Scenario
    parameters: tuple[Parameter, ...]
    design: str
    size: int | None
    levels: int
    second_order: bool
    replications: int
    steps: int
    seed: int
    seeds: str
    fixed: dict[str, Any]
    analysis: dict[str, Any]
    path: Path | None = None

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def spec(self) -> dict[str, Any]:
        """Everything that decides which runs exist and what they compute, as JSON-able data.

        The description and the ``[analysis]`` table are left out: changing them does not
        change a single run, so a results folder stays valid.
        """
        return {
            "base_values": {k: v for k, v in self.base.values.items() if k != "seed"},
            "parameters": {p.name: p.spec() for p in self.parameters},
            "design": {"kind": self.design, "size": self.size, "levels": self.levels,
                       "second_order": self.second_order},
            "replications": self.replications,
            "steps": self.steps,
            "seed": self.seed,
            "seeds": self.seeds,
        }

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of :meth:`spec` as canonical JSON."""
        text = json.dumps(self.spec(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- parsing


def experiments_dir() -> Path:
    """Folder of the named experiments: ``$FLEXISIM_EXPERIMENTS`` if set and non-empty; else
    the first existing of ``./experiments``, the repository's folder beside the package (a
    source checkout) and the copy installed with the package; else ``./experiments`` (see
    :mod:`flexisim.locations`)."""
    return data_folder("experiments").path


def _locate(spec: str | Path) -> Path | None:
    path = Path(spec)
    if is_file(path):
        return path
    text = str(spec)
    if "/" in text:
        return None
    # file by file: a ./experiments of one's own adds to the shipped experiments
    return find_file("experiments", text if text.endswith(".toml") else text + ".toml")


def load_experiment(spec: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    spec : str or Path
        A path, or the name of a file in ``experiments/`` (``"quick"``).

    Returns
    -------
    Experiment

    Raises
    ------
    ExperimentError
        With every problem found, one line each.
    """
    path = _locate(spec)
    if path is None:
        names = list(named_files("experiments"))
        hint = did_you_mean(Path(str(spec)).stem, names)  # a typo of a shipped name
        raise ExperimentError([format_where(str(spec), None, f"file not found{hint} (available "
                                            f"experiments: {', '.join(names) or 'none'}; "
                                            f"looked in {looked_in('experiments')})")])
    shown = str(spec) if is_file(Path(spec)) else display_path(path)
    problems: list[str] = []
    doc = read_toml_file(path, shown, problems)
    if doc is None:
        raise ExperimentError(problems)
    return parse_experiment(doc, shown, name=path.stem, folder=path.parent, path=path)


def parse_experiment(doc: Mapping[str, Any] | str, source: str = "<experiment>", *,
                     name: str = "experiment", folder: Path | None = None,
                     path: Path | None = None) -> Experiment:
    """Validate an experiment given as parsed TOML (or TOML text).

    Parameters
    ----------
    doc : Mapping or str
        The parsed document, or its TOML text.
    source : str
        Names the document in error messages.
    name : str
        Name of the experiment (results folders are named after it).
    folder : Path, optional
        Folder relative to which a ``scenario`` path is resolved.
    path : Path, optional
        Recorded as :attr:`Experiment.path`.

    Raises
    ------
    ExperimentError
        With every problem found, one line each.
    """
    problems: list[str] = []
    if isinstance(doc, str):
        parsed = parse_toml(doc, source, problems)
        if parsed is None:
            raise ExperimentError(problems)
        doc = parsed

    def bad(where: str, value: Any, what: str, allowed: str | None = None) -> None:
        problems.append(format_problem(source, where, value, what, allowed))

    for key, value in doc.items():
        if key not in _TOP:
            bad(key, value, "unknown field" + did_you_mean(key, _TOP), None)

    description = doc.get("description", "")
    if not isinstance(description, str):
        bad("description", description, "expected a string", "any text")
        description = ""

    # steps: the base scenario's unless the experiment sets them (filled in below)
    steps = _integer(doc, "steps", 1, 5200, 0, bad)
    replications = _integer(doc, "replications", 1, 100_000, 1, bad)
    seed = _integer(doc, "seed", 0, _MAX_SEED, None, bad)
    seeds = doc.get("seeds", "common")
    if seeds not in _SEED_MODES:
        bad("seeds", seeds, "not one of the choices", "one of " + ", ".join(map(repr, _SEED_MODES)))
        seeds = "common"

    # base scenario
    base: Scenario | None = None
    scen = doc.get("scenario")
    if scen is None:
        bad("scenario", "", "missing: name the base scenario", "a name in scenarios/ or a path")
    elif not isinstance(scen, str) or not scen:
        bad("scenario", scen, "expected a scenario name or path", "a name in scenarios/ or a path")
    else:
        spec: str | Path = scen
        if ("/" in scen or scen.endswith(".toml")) and folder is not None and \
                not Path(scen).is_absolute():
            spec = folder / scen  # a path is relative to the experiment file, like `extends`
        try:
            base = load_scenario(spec)
        except ScenarioError as err:
            problems.extend(format_where(source, "scenario", p) for p in err.problems)

    # fixed levers
    fixed: dict[str, Any] = {}
    fixed_doc = _table(doc, "fixed", bad)
    for key, value in fixed_doc.items():
        where = f"fixed.{key}"
        lever = LEVERS.get(key)
        if key in _RESERVED:
            bad(where, value, f"set '{key}' at the top of the file, not in [fixed]")
        elif lever is None:
            bad(where, value, "unknown lever" + _lever_hint(key))
        else:
            checked, wrong = convert_value(lever, value)
            for w in wrong:
                bad(where, value, w, lever.allowed())
            if not wrong:
                fixed[key] = checked

    # design
    design_doc = _table(doc, "design", bad)
    for key, value in design_doc.items():
        if key not in _DESIGN_KEYS:
            bad(f"design.{key}", value, "unknown field" + did_you_mean(key, _DESIGN_KEYS))
    kind = design_doc.get("kind", "grid")
    if kind not in DESIGNS:
        bad("design.kind", kind, "not one of the choices" + did_you_mean(str(kind), DESIGNS),
            "one of " + ", ".join(map(repr, DESIGNS)))
        kind = None
    size = _integer(design_doc, "size", 1, 1_000_000, None, bad, prefix="design.")
    levels = _integer(design_doc, "levels", 2, 1000, 4 if kind == "morris" else 3, bad,
                      prefix="design.")
    second_order = design_doc.get("second_order", False)
    if not isinstance(second_order, bool):
        bad("design.second_order", second_order, "expected true or false", "true or false")
        second_order = False
    if kind == "grid" and "size" in design_doc:
        bad("design.size", design_doc["size"], "a grid has no size: its points are every "
            "combination of the parameters' values", "set levels, or list the values")
    if kind in ("lhs", "sobol", "morris") and "size" not in design_doc:
        bad("design.size", "", f"missing: a {kind} design needs a size",
            {"lhs": "the number of points", "sobol": "the base sample count N (a power of 2)",
             "morris": "the number of trajectories"}[kind])
    if kind == "sobol" and size is not None and size & (size - 1):
        bad("design.size", size, "not a power of 2 (Sobol sequences lose their balance)",
            "1, 2, 4, 8, ...")
    if kind == "morris" and levels is not None and levels % 2:
        bad("design.levels", levels, "Morris designs need an even number of levels",
            "an even integer of at least 2")
    if "second_order" in design_doc and kind != "sobol":
        bad("design.second_order", second_order, "only for sobol designs")

    # parameters
    params_doc = _table(doc, "parameters", bad)
    # behavioural coefficients vary as `calibration.<name>` (TOML reads the dotted key as a
    # table "calibration" of coefficients)
    coefficients = params_doc.pop(CALIBRATION, None)
    if coefficients is not None:
        if isinstance(coefficients, Mapping):
            params_doc |= {f"{CALIBRATION}.{k}": v for k, v in coefficients.items()}
        else:
            bad(f"parameters.{CALIBRATION}", coefficients,
                "expected a table of coefficients", "calibration.NAME = { min = .., max = .. }")
    parameters: list[Parameter] = []
    for key, spec_value in params_doc.items():
        param = _parameter(key, spec_value, bad, fixed)
        if param is not None:
            parameters.append(param)
    if not params_doc:
        bad("parameters", "", "missing: list at least one varied lever",
            "a [parameters] table")
    owners: dict[str, str] = {}  # lever -> the parameter that varies it
    for param in parameters:
        for lever in (param.sets[param.values[0]] if param.kind == "factor" else [param.name]):
            if lever in owners:
                bad(f"parameters.{param.name}", lever, "lever already varied by parameters."
                    f"{safe_text(owners[lever])}: each lever may vary in one parameter only")
            owners[lever] = param.name
    if kind in ("sobol", "morris") and len(params_doc) < 2:
        bad("parameters", len(params_doc), f"a {kind} design needs at least 2 parameters")

    # analysis settings
    analysis = _analysis(_table(doc, "analysis", bad), [p.name for p in parameters], bad)

    if problems:
        raise ExperimentError(problems)

    assert base is not None and kind is not None and steps is not None  # for the type checker
    assert replications is not None and seed is not None and levels is not None
    steps = steps or int(base.values["steps"])
    try:
        base = base.with_values(source=source, **fixed, steps=steps)
    except ScenarioError as err:  # cannot happen: each value was checked above
        raise ExperimentError(err.problems) from None
    experiment = Experiment(
        name=name, description=description, base=base, parameters=tuple(parameters),
        design=kind, size=size, levels=levels, second_order=second_order,
        replications=replications, steps=steps, seed=seed, seeds=seeds, fixed=fixed,
        analysis=analysis, path=path)
    n_points = _count_points(experiment)
    if n_points * replications > _MAX_RUNS:
        raise ExperimentError([format_problem(
            source, "design", f"{n_points} points x {replications} replications",
            "too many runs", f"at most {_MAX_RUNS:,} runs")])
    return experiment


# --------------------------------------------------------------------------- pieces


def _integer(doc: Mapping[str, Any], key: str, lo: int, hi: int, default: int | None,
             bad: Any, prefix: str = "") -> int | None:
    """An integer field in [lo, hi]; None when missing without default (reported) or wrong."""
    allowed = f"an integer from {lo} to {hi}"
    if key not in doc:
        if default is None and not prefix:
            bad(key, "", "missing", allowed)
        return default
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        bad(prefix + key, value, "expected an integer", allowed)
        return None
    if not lo <= value <= hi:
        bad(prefix + key, value, "below the minimum" if value < lo else "above the maximum",
            allowed)
        return None
    return int(value)


def _table(doc: Mapping[str, Any], key: str, bad: Any) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        bad(key, value, "expected a table", f"a [{key}] table")
        return {}
    return dict(value)


def _lever_hint(name: str) -> str:
    hint = did_you_mean(name, LEVERS)
    if hint:
        return hint
    by_field = [lv.kwarg for lv in LEVERS.values() if lv.field == name or lv.key == name]
    return f" (did you mean {by_field[0]!r}?)" if by_field else ""


#: prefix of a varied behavioural coefficient: ``calibration.grant_signal``
CALIBRATION = "calibration"


def coefficient_lever(key: str) -> Lever | None:
    """A varied coefficient (``calibration.<name>``) described as a float lever, for the
    same checks as a lever's; ``None`` if ``key`` is not a known coefficient."""
    from flexisim.params import SIGNED_COEFFICIENTS, calibration_defaults

    prefix, _, name = key.partition(".")
    defaults = calibration_defaults()
    if prefix != CALIBRATION or name not in defaults:
        return None
    return Lever(key=key, table=CALIBRATION, field=name, kwarg=key, type="float",
                 default=float(defaults[name]),
                 min=None if name in SIGNED_COEFFICIENTS else 0.0,
                 unit="coefficient", source="flexisim/data/calibration.toml")


def split_calibration(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """Lever values and coefficient overrides of a design point (``calibration.<name>``)."""
    levers = {k: v for k, v in values.items() if not k.startswith(CALIBRATION + ".")}
    cal = {k.partition(".")[2]: float(v) for k, v in values.items()
           if k.startswith(CALIBRATION + ".")}
    return levers, cal


def _parameter(key: str, spec: Any, bad: Any, fixed: Mapping[str, Any]) -> Parameter | None:
    where = f"parameters.{key}"
    lever = LEVERS.get(key) or coefficient_lever(key)
    if lever is None and key.startswith(CALIBRATION + "."):
        from flexisim.params import coefficient_names

        bad(where, spec, "unknown coefficient" + did_you_mean(key.partition(".")[2],
                                                              coefficient_names()),
            "a name in flexisim/data/calibration.toml")
        return None
    if key in _RESERVED:
        bad(where, spec, f"'{key}' is set by the experiment itself and cannot vary")
        return None
    if key in fixed:
        bad(where, spec, "also set in [fixed]: a lever is either fixed or varied")
        return None
    if lever is None:
        # not a lever: a factor, i.e. a table whose every value is a table of levers
        if isinstance(spec, Mapping) and spec and all(isinstance(v, Mapping)
                                                      for v in spec.values()):
            return _factor(key, spec, bad, fixed)
        bad(where, spec, "unknown lever" + _lever_hint(key)
            + " (a factor of several levers is a table of named levels)")
        return None
    if isinstance(spec, list):
        return _values(key, lever, spec, bad)
    if isinstance(spec, Mapping):
        return _range(key, lever, spec, bad)
    bad(where, spec, "expected a list of values or a {min, max} table",
        f"[v1, v2, ...] or {{ min = ..., max = ... }}, values {lever.allowed()}")
    return None


def _values(key: str, lever: Lever, spec: list[Any], bad: Any) -> Parameter | None:
    where = f"parameters.{key}"
    if not spec:
        bad(where, spec, "empty list", "at least one value")
        return None
    values: list[Any] = []
    ok = True
    for item in spec:
        checked, wrong = convert_value(lever, item)
        for w in wrong:
            bad(where, item, w, lever.allowed())
            ok = False
        if not wrong:
            canonical = tuple(checked) if isinstance(checked, list) else checked
            if canonical in values:
                bad(where, item, "appears more than once", "each value once")
                ok = False
            else:
                values.append(canonical)
    if not ok:
        return None
    return Parameter(name=key, kind="values", lever_type=lever.type, values=tuple(values))


def _range(key: str, lever: Lever, spec: Mapping[str, Any], bad: Any) -> Parameter | None:
    where = f"parameters.{key}"
    if lever.type not in ("int", "float"):
        bad(where, spec, f"a range needs a numeric lever; this one is {lever.type}",
            "a list of values: " + lever.allowed())
        return None
    ok = True
    for k, v in spec.items():
        if k not in _RANGE_KEYS:
            bad(f"{where}.{k}", v, "unknown field" + did_you_mean(k, _RANGE_KEYS))
            ok = False
    bounds: dict[str, float] = {}
    for k in ("min", "max"):
        if k not in spec:
            bad(f"{where}.{k}", "", "missing", lever.allowed())
            ok = False
            continue
        checked, wrong = convert_value(lever, spec[k])
        for w in wrong:
            bad(f"{where}.{k}", spec[k], w, lever.allowed())
            ok = False
        if not wrong:
            bounds[k] = checked
    levels = None
    if "levels" in spec:
        levels = spec["levels"]
        if (isinstance(levels, bool) or not isinstance(levels, int) or levels < 2
                or levels > 1000):
            # the same bound as the design's levels: checked before any grid is built
            bad(f"{where}.levels", levels, "expected an integer from 2 to 1000",
                "an integer from 2 to 1000")
            ok = False
    if ok and bounds["min"] >= bounds["max"]:
        bad(where, spec, "min must be below max", lever.allowed())
        ok = False
    if not ok:
        return None
    return Parameter(name=key, kind="range", lever_type=lever.type, low=bounds["min"],
                     high=bounds["max"], levels=levels)


def _factor(key: str, spec: Mapping[str, Any], bad: Any,
            fixed: Mapping[str, Any]) -> Parameter | None:
    where = f"parameters.{key}"
    sets: dict[str, dict[str, Any]] = {}
    ok = True
    keys_seen: set[frozenset[str]] = set()
    for level, levers in spec.items():
        checked_levers: dict[str, Any] = {}
        if not levers:
            bad(f"{where}.{level}", levers, "empty level: set at least one lever")
            ok = False
        for name, value in levers.items():
            w = f"{where}.{level}.{name}"
            lever = LEVERS.get(name)
            if name in _RESERVED:
                bad(w, value, f"'{name}' is set by the experiment itself and cannot vary")
                ok = False
            elif lever is None:
                bad(w, value, "unknown lever" + _lever_hint(name))
                ok = False
            elif name in fixed:
                bad(w, value, "also set in [fixed]: a lever is either fixed or varied")
                ok = False
            else:
                checked, wrong = convert_value(lever, value)
                for msg in wrong:
                    bad(w, value, msg, lever.allowed())
                    ok = False
                if not wrong:
                    checked_levers[name] = checked
        keys_seen.add(frozenset(levers))
        sets[level] = checked_levers
    if ok and len(keys_seen) > 1:
        # a level that left a lever out would run with the base scenario's value for it,
        # which is rarely what the author meant
        bad(where, list(spec), "every level must set the same levers")
        ok = False
    if not ok:
        return None
    return Parameter(name=key, kind="factor", lever_type="factor", values=tuple(sets),
                     sets=sets)


def _analysis(doc: Mapping[str, Any], names: list[str], bad: Any) -> dict[str, Any]:
    from flexisim.experiment.analysis import known_outcomes

    out = dict(ANALYSIS_DEFAULTS)
    for key, value in doc.items():
        where = f"analysis.{key}"
        if key not in ANALYSIS_DEFAULTS:
            bad(where, value, "unknown field" + did_you_mean(key, ANALYSIS_DEFAULTS))
        elif key in ("performance_threshold_pct", "trust_drop_pp"):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                    not math.isfinite(value):
                bad(where, value, "expected a number", "a finite number")
            elif key == "trust_drop_pp" and value <= 0:
                bad(where, value, "must be positive (points of trust lost)", "a number above 0")
            else:
                out[key] = float(value)
        elif key == "trust_outcome":
            if value not in TRUST_OUTCOMES:
                bad(where, value, "not one of the choices",
                    "one of " + ", ".join(map(repr, TRUST_OUTCOMES)))
            else:
                out[key] = value
        elif key in ("heatmap_x", "heatmap_y", "heatmap_panels", "bands_by"):
            if not isinstance(value, str) or (value and value not in names):
                bad(where, value, "not a parameter of this experiment"
                    + did_you_mean(str(value), names), "one of " + ", ".join(map(repr, names)))
            else:
                out[key] = value
        elif key == "outcomes":
            known = known_outcomes()
            if not isinstance(value, list) or not value:
                bad(where, value, "expected a non-empty list of outcome names",
                    "names from " + ", ".join(known))
                continue
            wrong = [v for v in value if v not in known]
            for v in wrong:
                bad(where, v, "unknown outcome" + did_you_mean(str(v), known),
                    "one of " + ", ".join(known))
            if not wrong:
                out[key] = list(value)
        elif key == "bootstrap":
            if isinstance(value, bool) or not isinstance(value, int) or not \
                    10 <= value <= 100_000:
                bad(where, value, "expected an integer from 10 to 100000",
                    "an integer from 10 to 100000")
            else:
                out[key] = value
    return out


def _count_points(experiment: Experiment) -> int:
    from flexisim.experiment.design import count_points

    return count_points(experiment)
