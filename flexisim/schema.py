"""JSON Schemas of scenario and experiment files, generated from ``flexisim/data/levers.toml``.

Editors validate and complete TOML against a JSON Schema (VS Code's *Even Better TOML*, any
editor with taplo): every lever's title, help text (English and Bahasa Indonesia), unit,
range, choices and default come from levers.toml, as the validator's do, so the two cannot
drift. Attach one with a first line ``#:schema ../schemas/scenario.schema.json`` (README,
"Scenario files"), or once for the checkout with ``.taplo.toml``.

    python -m flexisim.schema --write     # rewrite schemas/*.schema.json (and the packaged copy)
    python -m flexisim.schema --check     # exit 1 if a committed schema is out of date

The validator (:mod:`flexisim.scenario`, :mod:`flexisim.schedule`,
:mod:`flexisim.experiment.definition`) stays the authority: it also checks what a schema
cannot say -- files that must exist (``extends``, ``scenario``), a range's min below its max,
a lever fixed and varied at once, factor levels setting the same levers, an analysis setting
naming a parameter of the same file, NaN (JSON has none), 52.0 where an integer is wanted (one
number type in JSON), nesting depth and size limits. tests/test_schema.py lists them
(``BEYOND_THE_SCHEMA``) and checks that schema and validator agree on everything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_FILES", "experiment_schema", "lever_schema", "main", "scenario_schema",
           "schemas"]

DRAFT = "http://json-schema.org/draft-07/schema#"
#: file name -> generator; written to schemas/ at the top of the checkout and into the package
SCHEMA_FILES = {"scenario.schema.json": "scenario_schema",
                "experiment.schema.json": "experiment_schema"}
ROOT = Path(__file__).resolve().parents[1]


def _describe(lever: Any) -> str:
    parts = [lever.en]
    if lever.id:
        parts.append(f"(id) {lever.id}")
    unit = f" {lever.unit}" if lever.unit not in ("-", "") else ""
    parts.append(f"Allowed: {lever.allowed()}{unit}. Default: {_json_default(lever)!r}.")
    if lever.scope == "agency":
        parts.append("Agency lever: a [[schedule]] entry with `agencies` may set it.")
    if lever.source:
        parts.append(f"Source: {lever.source}")
    return "\n\n".join(parts)


def _json_default(lever: Any) -> Any:
    return list(lever.default) if isinstance(lever.default, tuple) else lever.default


def lever_schema(lever: Any, *, annotate: bool = True) -> dict[str, Any]:
    """The schema of one lever's value (type, range, choices), with title and description."""
    kind = lever.type
    out: dict[str, Any] = {}
    if annotate:
        out["title"] = f"{lever.en} [{lever.unit}]" if lever.unit not in ("-", "") else lever.en
        out["description"] = _describe(lever)
        out["default"] = _json_default(lever)
    if kind == "bool":
        out["type"] = "boolean"
    elif kind in ("int", "float"):
        out["type"] = "integer" if kind == "int" else "number"
        if lever.min is not None:
            out["minimum"] = int(lever.min) if kind == "int" else lever.min
        if lever.max is not None:
            out["maximum"] = int(lever.max) if kind == "int" else lever.max
    elif kind == "str":
        out["type"] = "string"
        if lever.choices is not None:
            out["enum"] = list(lever.choices)
    else:  # list[str]
        out["type"] = "array"
        out["items"] = ({"type": "string", "enum": list(lever.choices)}
                        if lever.choices is not None else {"type": "string"})
        out["uniqueItems"] = True
    return out


def _tables(levers: dict[str, Any], *, keep: Any = lambda lever: True) -> dict[str, Any]:
    """{table: schema of the table} for the levers `keep` accepts."""
    tables: dict[str, dict[str, Any]] = {}
    for lever in levers.values():
        if keep(lever):
            tables.setdefault(lever.table, {})[lever.field] = lever_schema(lever)
    return {name: {"type": "object", "title": f"[{name}]",
                   "description": f"Levers of [{name}] (flexisim/data/levers.toml).",
                   "properties": fields, "additionalProperties": False}
            for name, fields in tables.items()}


def _schedule_entry() -> dict[str, Any]:
    from flexisim.scenario import LEVERS
    from flexisim.schedule import (
        _GOVERNMENT,
        _MAX_WEEK,
        AGENCY_LEVERS,
        FIXED_TABLES,
        _outputs,
        _region_names,
    )

    tables = _tables(LEVERS, keep=lambda lv: lv.table not in FIXED_TABLES)
    national = {}  # with `agencies`: the national levers may not be set
    for lever in LEVERS.values():
        if lever.table not in FIXED_TABLES and lever.kwarg not in AGENCY_LEVERS:
            national.setdefault(lever.table, {})[lever.field] = False
    outputs = _outputs()
    entry: dict[str, Any] = {
        "type": "object",
        "title": "A change of levers (docs: README, 'Changes over time and by agency')",
        "properties": {
            "label": {"type": "string", "description": "A name for the change, shown in "
                      "the results"},
            "from_week": {"type": "integer", "minimum": 1, "maximum": _MAX_WEEK,
                          "default": 1, "description": "First week the change is in force "
                          "(week 1 is the first policy week)"},
            "agencies": {
                "type": "object", "additionalProperties": False,
                "description": "Which agencies the change acts on: all conditions given "
                               "must hold. Only agency levers may then be set.",
                "properties": {
                    "government": {"enum": list(_GOVERNMENT)},
                    "regions": {"type": "array", "minItems": 1, "uniqueItems": True,
                                "items": {"type": "string", "enum": _region_names()}},
                    "frontline_share": {"type": "array", "minItems": 2, "maxItems": 2,
                                        "items": {"type": "number", "minimum": 0,
                                                  "maximum": 1},
                                        "description": "[low, high], 0 <= low <= high <= 1"},
                    "share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                              "description": "Share of the matching agencies kept (a pilot)"},
                },
            },
            "when": {
                "type": "object", "additionalProperties": False,
                "description": "A trigger: the change comes into force when a weekly output "
                               "is above or below a value for some weeks",
                "properties": {
                    "output": {"type": "string", "enum": sorted(outputs),
                               "description": "A weekly output of the timeseries"},
                    "above": {"type": "number"},
                    "below": {"type": "number"},
                    "weeks": {"type": "integer", "minimum": 1, "maximum": 520},
                },
                "required": ["output"],
                "oneOf": [{"required": ["above"], "not": {"required": ["below"]}},
                          {"required": ["below"], "not": {"required": ["above"]}}],
            },
            **tables,
        },
        "additionalProperties": False,
        # an entry sets at least one lever
        "anyOf": [{"required": [name], "properties": {name: {"minProperties": 1}}}
                  for name in tables],
        "if": {"required": ["agencies"]},
        "then": {"properties": {name: {"properties": fields}
                                for name, fields in national.items()}},
    }
    return entry


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (scenarios/*.toml)."""
    from flexisim.scenario import LEVERS
    from flexisim.schedule import MAX_CHANGES

    return {
        "$schema": DRAFT,
        "$id": "https://flexisim/schemas/scenario.schema.json",
        "title": "flexisim scenario",
        "description": "A flexisim scenario file: policy levers by table (generated from "
                       "flexisim/data/levers.toml by python -m flexisim.schema --write; "
                       "`flexisim validate FILE` checks everything).",
        "type": "object",
        "properties": {
            "description": {"type": "string", "description": "One line shown by "
                            "`flexisim scenarios`"},
            "extends": {"type": "string", "pattern": "\\S",
                        "description": "A parent scenario: a name in scenarios/ or a path "
                                       "relative to this file"},
            "schedule": {"type": "array", "maxItems": MAX_CHANGES,
                         "description": "[[schedule]]: levers set for groups of agencies "
                                        "and over time",
                         "items": {"$ref": "#/definitions/change"}},
            **_tables(LEVERS),
        },
        "additionalProperties": False,
        "definitions": {"change": _schedule_entry()},
    }


def _parameter_value(lever: Any) -> dict[str, Any]:
    """A varied lever: a list of values, or (numbers) a {min, max, levels} range."""
    one = lever_schema(lever, annotate=False)
    # each value once, as the validator asks (1 and 1.0 are one value to both)
    listed = {"type": "array", "minItems": 1, "uniqueItems": True, "items": one,
              "description": "The values"}
    options: list[dict[str, Any]] = [listed]
    if lever.type in ("int", "float"):
        options.append({"type": "object", "additionalProperties": False,
                        "required": ["min", "max"], "description": "A range (min below max)",
                        "properties": {"min": one, "max": one,
                                       "levels": {"type": "integer", "minimum": 2,
                                                  "maximum": 1000}}})
    return {"title": lever.en, "description": _describe(lever), "anyOf": options}


def experiment_schema() -> dict[str, Any]:
    """The JSON Schema of an experiment file (experiments/*.toml)."""
    from flexisim.experiment.analysis import known_outcomes
    from flexisim.experiment.definition import (
        _MAX_SEED,
        _RESERVED,
        _SEED_MODES,
        ANALYSIS_DEFAULTS,
        CALIBRATION,
        DESIGNS,
        TRUST_OUTCOMES,
        coefficient_lever,
    )
    from flexisim.params import coefficient_names
    from flexisim.scenario import LEVERS

    varied = {k: _parameter_value(lv) for k, lv in LEVERS.items() if k not in _RESERVED}
    coefficients = {name: _parameter_value(coefficient_lever(f"{CALIBRATION}.{name}"))
                    for name in coefficient_names()}
    fixed = {k: lever_schema(lv) for k, lv in LEVERS.items() if k not in _RESERVED}
    factor_level = {"type": "object", "minProperties": 1, "additionalProperties": False,
                    "properties": {k: lever_schema(lv, annotate=False)
                                   for k, lv in LEVERS.items() if k not in _RESERVED}}
    number = {"type": "number"}
    outcome_names = list(known_outcomes())
    powers_of_two = [2 ** i for i in range(20)]  # sobol sizes up to the 1,000,000 bound
    return {
        "$schema": DRAFT,
        "$id": "https://flexisim/schemas/experiment.schema.json",
        "title": "flexisim experiment",
        "description": "A flexisim experiment file: a base scenario, the levers varied, the "
                       "design and the replications (generated from flexisim/data/levers.toml"
                       " by python -m flexisim.schema --write; `flexisim sweep` checks "
                       "everything).",
        "type": "object",
        "required": ["scenario", "seed", "parameters"],
        "properties": {
            "description": {"type": "string"},
            "scenario": {"type": "string", "minLength": 1,
                         "description": "The base scenario: a name in scenarios/ or a path"},
            "steps": {"type": "integer", "minimum": 1, "maximum": 5200,
                      "description": "Weeks per run (default: the base scenario's)"},
            "replications": {"type": "integer", "minimum": 1, "maximum": 100_000,
                             "default": 1, "description": "Runs per design point"},
            "seed": {"type": "integer", "minimum": 0, "maximum": _MAX_SEED,
                     "description": "Experiment seed: every run's seed derives from it"},
            "seeds": {"enum": list(_SEED_MODES), "default": "common"},
            "design": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "kind": {"enum": list(DESIGNS), "default": "grid"},
                    "size": {"type": "integer", "minimum": 1, "maximum": 1_000_000,
                             "description": "lhs: points; sobol: base samples N (a power of "
                                            "2); morris: trajectories; a grid has none"},
                    "levels": {"type": "integer", "minimum": 2, "maximum": 1000},
                    "second_order": {"type": "boolean", "description": "sobol only"},
                },
                "allOf": [
                    {"if": {"not": {"required": ["kind"]}},
                     "then": {"not": {"anyOf": [{"required": ["size"]},
                                                {"required": ["second_order"]}]}}},
                    {"if": {"required": ["kind"], "properties": {"kind": {"const": "grid"}}},
                     "then": {"not": {"required": ["size"]}}},
                    {"if": {"required": ["kind"],
                            "properties": {"kind": {"enum": ["lhs", "sobol", "morris"]}}},
                     "then": {"required": ["size"]}},
                    {"if": {"required": ["kind"], "properties": {"kind": {"const": "sobol"}}},
                     "then": {"properties": {"size": {"enum": powers_of_two}}},
                     "else": {"not": {"required": ["second_order"]}}},
                    {"if": {"required": ["kind"], "properties": {"kind": {"const": "morris"}}},
                     "then": {"properties": {"levels": {"multipleOf": 2}}}},
                ],
            },
            "parameters": {
                "type": "object", "minProperties": 1,
                "description": "One entry per varied lever (keyword of FlexiworkModel), "
                               "calibration.NAME for a coefficient, or a named factor (a "
                               "table of levels, each a table of levers)",
                "properties": {
                    **varied,
                    CALIBRATION: {"type": "object", "minProperties": 1,
                                  "additionalProperties": False, "properties": coefficients},
                    **{k: False for k in _RESERVED},
                },
                "additionalProperties": {"type": "object", "minProperties": 1,
                                         "additionalProperties": factor_level},
            },
            "fixed": {"type": "object", "additionalProperties": False,
                      "properties": {**fixed, **{k: False for k in _RESERVED}}},
            "analysis": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "performance_threshold_pct": number,
                    "trust_drop_pp": {"type": "number", "exclusiveMinimum": 0},
                    "trust_outcome": {"enum": list(TRUST_OUTCOMES)},
                    **{k: {"type": "string"} for k in ("heatmap_x", "heatmap_y",
                                                       "heatmap_panels", "bands_by")},
                    "outcomes": {"type": "array", "minItems": 1,
                                 "items": {"enum": outcome_names}},
                    "bootstrap": {"type": "integer", "minimum": 10, "maximum": 100_000},
                },
                "default": {k: v for k, v in ANALYSIS_DEFAULTS.items()},
            },
        },
        "additionalProperties": False,
        # sobol and morris designs need at least 2 parameters
        "if": {"required": ["design"], "properties": {"design": {
            "required": ["kind"], "properties": {"kind": {"enum": ["sobol", "morris"]}}}}},
        "then": {"properties": {"parameters": {"minProperties": 2}}},
    }


def schemas() -> dict[str, dict[str, Any]]:
    """{file name: schema} of every schema file."""
    return {name: globals()[maker]() for name, maker in SCHEMA_FILES.items()}


def render(schema: dict[str, Any]) -> str:
    """The text of a schema file (sorted neither: the order is the files' order)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _targets() -> list[Path]:
    return [ROOT / "schemas", Path(__file__).resolve().parent / "data" / "schemas"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flexisim.schema", description=__doc__
                                     .split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="write schemas/*.schema.json "
                       "and flexisim/data/schemas/ (the packaged copy)")
    group.add_argument("--check", action="store_true", help="exit 1 if a written schema "
                       "differs from the generated one")
    args = parser.parse_args(argv)
    texts = {name: render(schema) for name, schema in schemas().items()}
    if not (args.write or args.check):
        sys.stdout.write(texts["scenario.schema.json"])
        return 0
    stale = []
    for folder in _targets():
        for name, text in texts.items():
            path = folder / name
            if args.write:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path}", file=sys.stderr)
            elif not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
    for path in stale:
        print(f"{path}: out of date (python -m flexisim.schema --write)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
