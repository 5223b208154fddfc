"""Policy scenarios: the lever schema, scenario files, validation and hashing.

Every policy lever of the model is declared once, in ``flexisim/data/levers.toml``
(type, default, range or choices, unit, source, help text in English and Bahasa
Indonesia). This module loads that schema into :data:`LEVERS` and uses it to read,
validate, combine and write *scenarios*: complete sets of lever values.

A scenario file is TOML::

    description = "one line shown by `flexisim scenarios`"
    extends = "permenpan_4_2025"      # optional
    [oversight]
    verification_rate = 0.4

Rules
-----
* ``description`` is optional (default ``""``); it is inherited from the parent
  only when the child does not set it.
* ``extends`` names a parent scenario: ``"name"`` or ``"name.toml"`` is looked up
  beside the file first, then in :func:`scenarios_dir`; a value containing a
  ``/`` is a path relative to the file's folder. Child tables override the
  parent's fields field by field; chains are allowed, cycles are an error.
* Every field not set anywhere in the chain takes its default from levers.toml.
* Values are checked strictly: a boolean is not an integer, an integer is
  accepted (and converted) for a float field, numbers must lie in
  ``[min, max]``, strings and list elements must be among the choices, lists
  may not repeat an element. Lists are stored in the order of the choices, so
  that the same set written in another order gives the same scenario and hash.

Errors
------
All problems found (in the file and in every file it extends) are collected and
raised together as one :class:`ScenarioError`; each problem is one line of the
form ``FILE: table.field: value: what is wrong (allowed: ...)``, e.g.::

    s.toml: oversight.verfication_rate: 0.3: unknown field (did you mean 'verification_rate'?)

Flat keyword mappings (``FlexiworkModel(**levers)``, command-line overrides) are
validated by :func:`validate_values`; their problems name the keyword instead of
``table.field``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import math
import numbers
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from flexisim.errors import MAX_SHOWN, MAX_SOURCE, ScenarioError, format_where, safe_text
from flexisim.locations import data_folder, find_file, locations, named_files, search_path

__all__ = [
    "DEFAULTS",
    "DEFAULT_SCENARIO",
    "LEVERS",
    "MAX_UPLOAD_BYTES",
    "Lever",
    "Scenario",
    "ScenarioError",
    "hash_values",
    "outside_rules",
    "list_scenarios",
    "load_scenario",
    "parse_scenario_text",
    "scenarios_dir",
    "validate_values",
]

#: Scenario used when none is named: Permenpan RB No. 4/2025 as it stands.
DEFAULT_SCENARIO = "permenpan_4_2025"

#: Largest scenario text accepted by :func:`parse_scenario_text` (dashboard uploads).
MAX_UPLOAD_BYTES = 256 * 1024

_TYPES = ("bool", "int", "float", "str", "list[str]")
_TOP_LEVEL_KEYS = ("description", "extends", "schedule")
_SCOPES = ("national", "agency")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# --------------------------------------------------------------------------- errors


# --------------------------------------------------------------------------- levers


@dataclass(frozen=True)
class Lever:
    """One policy lever: an entry of ``flexisim/data/levers.toml``.

    Attributes
    ----------
    key : str
        ``"table.field"`` as written in a scenario file, e.g. ``"oversight.verification_rate"``.
    table, field : str
        The two halves of `key`.
    kwarg : str
        Keyword of ``FlexiworkModel(...)``; defaults to `field`.
    type : str
        ``"bool"``, ``"int"``, ``"float"``, ``"str"`` or ``"list[str]"``.
    default : Any
        Value used when no scenario sets the lever (a tuple for ``list[str]``).
    min, max : float or None
        Inclusive range for numbers.
    choices : tuple of str or None
        Allowed values of ``str`` levers and allowed elements of ``list[str]`` levers.
    unit, source : str
        Unit of the value and the source of the default.
    en, id : str
        Help text in English and Bahasa Indonesia.
    scope : {"national", "agency"}
        ``"agency"``: each agency may set its own value (a ``[[schedule]]`` entry with
        ``agencies``, :mod:`flexisim.schedule`); ``"national"``: one value for the country.
    """

    key: str
    table: str
    field: str
    kwarg: str
    type: str
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    unit: str = "-"
    source: str = ""
    en: str = ""
    id: str = ""
    scope: str = "national"

    def allowed(self) -> str:
        """Describe the allowed values in words.

        Returns
        -------
        str
            E.g. ``"a number from 0.0 to 1.0"``, ``"an integer from 1 to 5200"``,
            ``"one of 'silent', 'reactive', 'proactive'"``, ``"true or false"``,
            ``"a list drawn from ['a', 'b'], each at most once"``.
        """
        if self.type == "bool":
            return "true or false"
        if self.type in ("int", "float"):
            noun = "an integer" if self.type == "int" else "a number"
            lo, hi = self.min, self.max
            if lo is not None and hi is not None:
                return f"{noun} from {lo!r} to {hi!r}"
            if lo is not None:
                return f"{noun} of at least {lo!r}"
            if hi is not None:
                return f"{noun} of at most {hi!r}"
            return "any integer" if self.type == "int" else "any number"
        if self.type == "str":
            if self.choices is None:
                return "any text"
            return "one of " + ", ".join(repr(c) for c in self.choices)
        # list[str]
        if self.choices is None:
            return "a list of texts, each at most once"
        return f"a list drawn from {list(self.choices)!r}, each at most once"


def _load_levers() -> dict[str, Lever]:
    """Read levers.toml from the package data; fail loudly if it is malformed."""
    ref = resources.files(__package__ or "flexisim").joinpath("data", "levers.toml")
    doc = tomllib.loads(ref.read_text(encoding="utf-8"))
    levers: dict[str, Lever] = {}
    bad: list[str] = []
    for key, spec in doc.items():
        table, dot, field = key.partition(".")
        where = f"levers.toml: [{key!r}]"
        if not (dot and _BARE_KEY.match(table) and _BARE_KEY.match(field)):
            bad.append(f"{where}: key must be 'table.field'")
            continue
        if not isinstance(spec, dict) or spec.get("type") not in _TYPES:
            bad.append(f"{where}: type must be one of {', '.join(_TYPES)}")
            continue
        if "default" not in spec:
            bad.append(f"{where}: no default")
            continue
        kind = spec["type"]
        lo, hi = spec.get("min"), spec.get("max")
        if kind == "float":
            lo = None if lo is None else float(lo)
            hi = None if hi is None else float(hi)
        choices = spec.get("choices")
        default = spec["default"]
        if kind == "list[str]":
            default = tuple(default)
        lever = Lever(
            key=key,
            table=table,
            field=field,
            kwarg=spec.get("kwarg", field),
            type=kind,
            default=default,
            min=lo,
            max=hi,
            choices=None if choices is None else tuple(choices),
            unit=spec.get("unit", "-"),
            source=spec.get("source", ""),
            en=spec.get("en", ""),
            id=spec.get("id", ""),
            scope=spec.get("scope", "national"),
        )
        if lever.scope not in _SCOPES or (lever.scope == "agency"
                                          and table in ("run", "population")):
            bad.append(f"{where}: scope must be 'national' or 'agency' (not for [run] or "
                       "[population])")
            continue
        if lever.kwarg in levers:
            bad.append(f"{where}: kwarg {lever.kwarg!r} used twice")
            continue
        checked, problems = convert_value(lever, lever.default)
        bad.extend(f"{where}: default {lever.default!r}: {p}" for p in problems)
        if kind == "list[str]" and not problems:
            lever = dataclasses.replace(lever, default=tuple(checked))
        levers[lever.kwarg] = lever
    if bad:
        raise RuntimeError("flexisim/data/levers.toml is malformed:\n" + "\n".join(bad))
    return levers


# --------------------------------------------------------------------------- values


def _kind(value: Any) -> str:
    """Name the kind of a value the way a TOML user thinks of it."""
    if isinstance(value, bool | np.bool_):
        return "a boolean"
    if isinstance(value, numbers.Integral):
        return "an integer"
    if isinstance(value, numbers.Real):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def _toml_string(text: str) -> str:
    """Quote `text` as a TOML basic string."""
    escapes = {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
    }
    out = []
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    """Write a validated lever value (or a description) as a TOML value."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"cannot write the non-finite number {number!r}")
        return repr(number)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {_kind(value)} as a TOML value")


def _show(value: Any, limit: int = MAX_SHOWN) -> str:
    """Render any value for an error message: TOML syntax where possible, at most `limit`
    characters (cut with an ellipsis). Only what can be shown is rendered, so a list of a
    million elements or a megabyte string costs no more than a short one."""
    try:
        if isinstance(value, Mapping):
            text = _joined("{", (f"{safe_text(k, limit)} = {_show(v, limit)}"
                                 for k, v in value.items()), "}", limit)
        elif isinstance(value, list | tuple):
            text = _joined("[", (_show(v, limit) for v in value), "]", limit)
        elif isinstance(value, str) and len(value) > limit:  # cut, and its length said
            note = f"… ({len(value):,} characters)"
            room = max(limit - len(note), 2)
            return _toml_string(value[:room])[:room] + note
        elif isinstance(value, str):
            text = _toml_string(value)
        elif isinstance(value, float) and not math.isfinite(value):
            text = repr(value)
        elif isinstance(value, dt.date | dt.time):
            text = value.isoformat()
        else:
            text = _toml_value(value)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _joined(opening: str, parts: Iterable[str], closing: str, limit: int) -> str:
    """``opening`` + the parts joined by commas + ``closing``, stopping (with an ellipsis) once
    more than ``limit`` characters are written."""
    text = opening
    for i, part in enumerate(parts):
        if len(text) > limit:
            return text + ", …" + closing
        text += (", " if i else "") + part
    return text + closing


def _suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Closest candidate to a mistyped `name`, or None."""
    cands = list(candidates)
    lowered = {c.lower(): c for c in cands}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return lowered[close[0]]
    if len(name) >= 3:
        prefixed = [c for c in cands if c.lower().startswith(name.lower())]
        if len(prefixed) == 1:
            return prefixed[0]
    return None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    hit = _suggest(name, candidates)
    return "" if hit is None else f" (did you mean {hit!r}?)"


def convert_value(lever: Lever, value: Any) -> tuple[Any, list[str]]:
    """Check `value` against `lever`.

    Returns
    -------
    value, problems
        The canonical value (float for float levers, a list in choice order for
        list levers) and an empty list, or None and the problems (each "what is
        wrong", without location or allowed range).
    """
    kind = lever.type
    if kind == "bool":
        if isinstance(value, bool | np.bool_):
            return bool(value), []
        return None, [f"expected true or false, got {_kind(value)}"]
    if kind in ("int", "float"):
        if isinstance(value, bool | np.bool_):
            return None, [
                f"expected {'an integer' if kind == 'int' else 'a number'}, got a boolean"
            ]
        if kind == "int":
            if not isinstance(value, numbers.Integral):
                return None, [f"expected an integer, got {_kind(value)}"]
            number: int | float = int(value)
        else:
            if not isinstance(value, numbers.Real):
                return None, [f"expected a number, got {_kind(value)}"]
            number = float(value)
            if not math.isfinite(number):
                return None, ["not a finite number"]
            number += 0.0  # -0.0 -> 0.0, so equal values hash equally
        if lever.min is not None and number < lever.min:
            return None, ["below the minimum"]
        if lever.max is not None and number > lever.max:
            return None, ["above the maximum"]
        return number, []
    if kind == "str":
        if not isinstance(value, str):
            return None, [f"expected a string, got {_kind(value)}"]
        if lever.choices is not None and value not in lever.choices:
            return None, ["not one of the choices" + did_you_mean(value, lever.choices)]
        return value, []
    # list[str]
    if not isinstance(value, list | tuple):
        return None, [f"expected a list, got {_kind(value)}"]
    problems: list[str] = []
    seen: set[str] = set()
    for element in value:
        if not isinstance(element, str):
            problems.append(f"element {_show(element)} is {_kind(element)}, not a string")
        elif lever.choices is not None and element not in lever.choices:
            problems.append(
                f"element {_show(element)} is not a choice" + did_you_mean(element, lever.choices)
            )
        elif element in seen:
            problems.append(f"element {_show(element)} appears more than once")
        else:
            seen.add(element)
    if problems:
        return None, problems
    if lever.choices is None:
        return list(value), []
    return [c for c in lever.choices if c in seen], []


def format_problem(source: str, where: str, value: Any, what: str, allowed: str | None) -> str:
    """One problem as one line, ``SOURCE: where: value: what (allowed: ...)``: the line of
    :func:`flexisim.errors.format_where` with the offending `value` (rendered by
    :func:`_show`, then made safe to print by :func:`flexisim.errors.safe_text`)."""
    return format_where(source, where, f"{safe_text(_show(value))}: {what}", allowed)


def _fresh_defaults() -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}


def _copy_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in values.items()}


def _suggest_kwarg(name: str) -> str:
    """Did-you-mean text for an unknown keyword (also maps table.field and field names)."""
    if name in _BY_KEY:
        return f" (did you mean {_BY_KEY[name].kwarg!r}?)"
    by_field = [lv.kwarg for lv in LEVERS.values() if lv.field == name]
    if len(by_field) == 1:
        return f" (did you mean {by_field[0]!r}?)"
    return did_you_mean(name, LEVERS)


def _validate_partial(values: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """Validate a flat kwarg -> value mapping without filling defaults."""
    result: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in values.items():
        lever = LEVERS.get(name) if isinstance(name, str) else None
        if lever is None:
            hint = _suggest_kwarg(str(name))
            allowed = None if hint else ", ".join(LEVERS)
            problems.append(format_problem(source, str(name), value,
                                           "unknown parameter" + hint, allowed))
            continue
        checked, wrong = convert_value(lever, value)
        problems.extend(format_problem(source, name, value, w, lever.allowed()) for w in wrong)
        if not wrong:
            result[name] = checked
    return result, problems


def validate_values(values: Mapping[str, Any], source: str = "<arguments>") -> dict[str, Any]:
    """Validate a flat ``kwarg -> value`` mapping and fill in the defaults.

    Parameters
    ----------
    values : Mapping
        Lever keywords (see :data:`LEVERS`) and values, e.g. the keyword
        arguments of ``FlexiworkModel``.
    source : str
        Names the origin of the values in error messages.

    Returns
    -------
    dict
        Every lever keyword, in :data:`LEVERS` order, with its validated
        (canonical) value; levers not given take their defaults.

    Raises
    ------
    ScenarioError
        Listing every unknown keyword (with a did-you-mean suggestion), wrong
        type, out-of-range value or invalid choice, one line each.
    """
    checked, problems = _validate_partial(values, source)
    if problems:
        raise ScenarioError(problems)
    result = _fresh_defaults()
    result.update(checked)
    return result


def hash_values(values: Mapping[str, Any]) -> str:
    """Identity of a set of lever values, independent of the seed.

    Parameters
    ----------
    values : Mapping
        Validated lever values (as in :attr:`Scenario.values`).

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of the canonical JSON (sorted
        keys, no spaces) of `values` without ``"seed"``.
    """
    payload = {k: v for k, v in values.items() if k != "seed"}
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


# --------------------------------------------------------------------------- the rules

#: Permenpan RB No. 4/2025: at most this many flexible-location days a week (inherently
#: off-site work exempt)
LEGAL_CAP_DAYS = 2

#: What a scenario outside today's rules is told, in English and Bahasa Indonesia
RULE_NOTES = {
    "cap": {"en": "a cap of {days} flexible days a week (the rule allows {legal})",
            "id": "batas {days} hari kerja fleksibel per minggu (aturan membolehkan {legal})"},
    "decree": {"en": "flexible days assigned by decree in {share:.0%} of agencies (the rule: "
                     "on request, 'not a right'; as in the 2020 pandemic circulars)",
               "id": "hari kerja fleksibel ditetapkan secara wajib di {share:.0%} instansi "
                     "(aturan: atas permohonan, 'bukan hak'; seperti surat edaran pandemi "
                     "2020)"},
}


def outside_rules(values: Mapping[str, Any], lang: str = "en") -> list[str]:
    """How a scenario departs from Permenpan RB No. 4/2025, one sentence each (none: inside).

    Parameters
    ----------
    values : Mapping
        Validated lever values (as in :attr:`Scenario.values`).
    lang : {"en", "id"}
        English or Bahasa Indonesia.

    Returns
    -------
    list of str
        Empty when flexiwork is off or within the rules; otherwise a note for a cap above
        :data:`LEGAL_CAP_DAYS` and for flexible days assigned by decree.
    """
    if not values.get("flexiwork_enabled", True):
        return []
    notes = []
    if values.get("max_flex_days", 0) > LEGAL_CAP_DAYS:
        notes.append(RULE_NOTES["cap"][lang].format(days=values["max_flex_days"],
                                                    legal=LEGAL_CAP_DAYS))
    if values.get("mandated_share", 0.0) > 0.0:
        notes.append(RULE_NOTES["decree"][lang].format(share=values["mandated_share"]))
    return notes


# --------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Scenario:
    """A complete, validated set of lever values.

    Attributes
    ----------
    name : str
        File stem (``"trust_but_verify"``), or ``"custom"`` for uploaded text.
    description : str
        One line from the file's top-level ``description`` (possibly inherited).
    values : dict
        Every lever keyword -> validated value, defaults filled in. Treat as
        read-only; derive variants with :meth:`with_values`.
    path : Path or None
        The file the scenario was loaded from.
    schedule : tuple of flexisim.schedule.Change
        Levers set for groups of agencies and over time (the file's ``[[schedule]]``
        entries after its parents'; :mod:`flexisim.schedule`). Empty: the values hold
        everywhere for the whole run.

    Notes
    -----
    Scenarios returned by :func:`list_scenarios` for broken files have empty
    `values` and a description starting with ``"INVALID: "``.
    """

    name: str
    description: str
    values: dict[str, Any]
    path: Path | None = None
    schedule: tuple[Any, ...] = ()

    @property
    def hash(self) -> str:
        """Identity of the values and the schedule, seed excluded (:func:`hash_values`)."""
        if not self.schedule:
            return hash_values(self.values)
        return hash_values({**self.values,
                            "schedule": [c.to_dict() for c in self.schedule]})

    @property
    def outside_rules(self) -> list[str]:
        """How the scenario departs from Permenpan RB No. 4/2025 (:func:`outside_rules`),
        its schedule's changes included."""
        notes = outside_rules(self.values)
        for change in self.schedule:
            own = {k: v for k, v in change.values.items()
                   if k in ("max_flex_days", "mandated_share")}
            notes += [n for n in outside_rules({"flexiwork_enabled": True, **own})
                      if n not in notes]
        return notes

    def _repr_html_(self) -> str:
        """How a notebook shows the scenario (:func:`flexisim.display.scenario_html`)."""
        from flexisim.display import scenario_html

        return scenario_html(self)

    def with_change(self, change: Any) -> Scenario:
        """A copy with one more entry at the end of its schedule (a
        :class:`flexisim.schedule.Change`, e.g. a lever moved mid-run on the dashboard)."""
        return dataclasses.replace(self, schedule=(*self.schedule, change))

    def with_values(self, source: str = "<overrides>", **kwargs: Any) -> Scenario:
        """Return a copy with some levers changed.

        Parameters
        ----------
        source : str
            Names the origin of the overrides in error messages.
        **kwargs
            Lever keywords and their new values.

        Returns
        -------
        Scenario
            Same name, description and path; validated new values.

        Raises
        ------
        ScenarioError
            If any keyword is unknown or any value invalid.
        """
        checked, problems = _validate_partial(kwargs, source)
        if problems:
            raise ScenarioError(problems)
        values = _copy_values(self.values)
        values.update(checked)
        return dataclasses.replace(self, values=values)

    def to_toml(self) -> str:
        """Write the scenario as a complete, commented, stand-alone TOML file.

        Every table and every field is written (no ``extends``), each field with
        a comment giving its help text, unit, allowed values, default and
        source. :func:`load_scenario` and :func:`parse_scenario_text` read the
        result back to identical values.

        Returns
        -------
        str
            The TOML text.

        Raises
        ------
        ScenarioError
            If the scenario's values are incomplete (an invalid scenario).
        """
        missing = [k for k in LEVERS if k not in self.values]
        if missing:
            raise ScenarioError([f"{self.name}: values missing for {', '.join(missing)}"])

        def one_line(text: str) -> str:
            return " ".join(text.split())

        lines = [
            f"# flexisim scenario: {one_line(self.name)}",
            "#",
            "# Written by flexisim.scenario.Scenario.to_toml(). Every lever is set explicitly,",
            "# so this file stands alone (no `extends`) and reproduces the scenario exactly.",
            f"# Scenario hash (all values except the seed): {self.hash}",
            "",
            f"description = {_toml_string(self.description)}",
        ]
        for table, levers in _TABLES.items():
            lines += ["", f"[{table}]"]
            for lever in levers:
                lines += [
                    f"# {one_line(lever.en)} / {one_line(lever.id)}",
                    f"# unit: {one_line(lever.unit)}; allowed: {lever.allowed()}; "
                    f"default: {_toml_value(lever.default)}",
                    f"# source: {one_line(lever.source)}",
                    f"{lever.field} = {_toml_value(self.values[lever.kwarg])}",
                ]
        for change in self.schedule:
            lines += ["", "[[schedule]]"]
            for key, value in change.to_dict().items():
                if isinstance(value, dict):
                    inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
                    lines.append(f"{key} = {{ {inner} }}")
                else:
                    lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- files


def scenarios_dir() -> Path:
    """Folder of the named scenarios.

    Returns
    -------
    Path
        ``$FLEXISIM_SCENARIOS`` if set and non-empty; else the first existing of
        ``./scenarios`` under the current directory, the repository's ``scenarios/``
        folder beside the package (a source checkout) and the copy installed with the
        package; else ``./scenarios`` (see :mod:`flexisim.locations`).
    """
    return data_folder("scenarios").path


def is_file(path: Path) -> bool:
    """Whether `path` names an existing file; False, not an error, for a name no file can
    have (too long for the filesystem, a NUL byte in it): such a name comes from an input."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def display_path(path: Path) -> str:
    """A path as short as possible: relative to the current directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _available() -> str:
    names = list(named_files("scenarios"))
    if not names:
        return f"no scenario files in {display_path(scenarios_dir())}"
    return "available scenarios: " + ", ".join(names)


def _in_search_path(path: Path) -> bool:
    """Whether `path` (resolved: a symbolic link counts where it points) lies in a folder of
    named scenarios: where an uploaded file's ``extends`` may reach."""
    target = path.resolve()
    return any(target.is_relative_to(loc.path.resolve()) for loc in search_path("scenarios"))


def looked_in(kind: str) -> str:
    """The folders a name was looked up in, with where each came from (for messages)."""
    return "; ".join(f"{display_path(loc.path)} ({loc.source})"
                     for loc in (search_path(kind) or locations(kind)))


def _not_found(spec: str) -> str:
    """The message for a scenario name that is no file: a close name (a typo), what exists,
    and where it looked."""
    names = list(named_files("scenarios"))
    if not names:
        return f"file not found (no scenario files; looked in {looked_in('scenarios')})"
    return (f"file not found{did_you_mean(Path(spec).stem, names)} (available scenarios: "
            f"{', '.join(names)}; looked in {looked_in('scenarios')})")


#: deepest nesting of tables and arrays a scenario or experiment file may use (real files
#: use at most 4: a schedule entry's agencies' regions; tomllib recurses once per array or
#: inline table, and the validators once per table, so a hostile file must stop here)
MAX_NESTING = 32
#: longest ``extends`` chain (the shipped scenarios use at most 2)
MAX_EXTENDS = 32


def _nesting(text: str) -> tuple[int, int]:
    """Deepest bracket nesting of ``[`` and ``{`` outside strings and comments (an upper
    bound of TOML's nesting of arrays and inline tables; table headers count 1 or 2), and
    the offset in `text` where it is first reached."""
    depth = deepest = where = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote in ('"', '"""'):
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, i
        elif ch in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return deepest, where


def _too_deep(doc: Mapping[str, Any]) -> str | None:
    """The key of the first value nested more than :data:`MAX_NESTING` tables and arrays
    deep in a parsed document (dotted keys and table headers nest tables without a
    bracket each, ``a.b.c.d = 1``), or None. Walked with a stack: no recursion."""
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(doc, 0, ())]
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_NESTING:
            return ".".join(path)
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1, (*path, str(k))) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, (*path, f"[{j}]")) for j, v in enumerate(node))
    return None


def parse_toml(text: str, shown: str, problems: list[str]) -> dict[str, Any] | None:
    """Parse TOML text; on error add one problem with line and column.

    Nesting deeper than :data:`MAX_NESTING` levels is a problem too, found before the text
    is parsed (arrays and inline tables) or right after (tables of dotted keys), so neither
    the parser nor a validator can end in a RecursionError.
    """
    deepest, offset = _nesting(text)
    limit = f"at most {MAX_NESTING} levels"
    if deepest > MAX_NESTING:
        line = text.count("\n", 0, offset) + 1
        problems.append(format_where(shown, f"line {line}", "arrays or inline tables nested "
                                     f"more than {MAX_NESTING} levels deep", limit))
        return None
    try:
        doc = tomllib.loads(text)
    except RecursionError:  # the bound above should make this unreachable; kept as a net
        problems.append(format_where(shown, None, "nested too deeply to read", limit))
        return None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if match:
            line, column = int(match[1]), int(match[2])
            message = message[: match.start()]
        else:
            end = re.search(r"\s*\(at end of document\)$", message)
            if end:
                message = message[: end.start()]
            line = text.count("\n") + 1
            column = len(text) - (text.rfind("\n") + 1) + 1
        problems.append(format_where(shown, f"line {line}, column {column}",
                                     f"invalid TOML: {message}"))
        return None
    key = _too_deep(doc)
    if key is not None:
        problems.append(format_where(shown, key, f"tables nested more than {MAX_NESTING} "
                                     "levels deep", limit))
        return None
    return doc


def read_toml_file(path: Path, shown: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(format_where(shown, None, f"file not found ({_available()})"))
        return None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        problems.append(format_where(shown, None, "cannot read the file: "
                                     f"{getattr(exc, 'strerror', None) or exc}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(format_where(shown, None,
                                     f"not UTF-8 text (bad byte at offset {exc.start})"))
        return None
    return parse_toml(text, shown, problems)


def _read_tables(
    doc: Mapping[str, Any], shown: str, problems: list[str]
) -> tuple[dict[str, Any], str | None, str | None, list[Any]]:
    """Validate one parsed file's own content.

    Returns
    -------
    settings, description, extends, schedule
        kwarg -> value for the fields the file sets (valid ones only), the
        top-level description and extends (None when absent or invalid), and the
        file's own ``[[schedule]]`` entries (:func:`flexisim.schedule.parse_schedule`).
    """
    settings: dict[str, Any] = {}
    description: str | None = None
    extends: str | None = None
    schedule: list[Any] = []
    for name, value in doc.items():
        if name == "schedule":
            from flexisim.schedule import parse_schedule

            schedule = parse_schedule(value, shown, problems)
        elif name == "description":
            if isinstance(value, str):
                description = value
            else:
                problems.append(
                    format_problem(
                        shown,
                        name,
                        value,
                        f"expected a string, got {_kind(value)}",
                        "one line of text in quotes",
                    )
                )
        elif name == "extends":
            if isinstance(value, str) and value.strip():
                extends = value.strip()
            else:
                problems.append(
                    format_problem(
                        shown,
                        name,
                        value,
                        "expected the name of a scenario",
                        "a scenario name in quotes; " + _available(),
                    )
                )
        elif name in _TABLES:
            if not isinstance(value, dict):
                fields = ", ".join(lv.field for lv in _TABLES[name])
                problems.append(
                    format_problem(
                        shown,
                        name,
                        value,
                        f"expected a table [{name}], got {_kind(value)}",
                        f"a table with the fields {fields}",
                    )
                )
                continue
            for field, field_value in value.items():
                lever = _BY_KEY.get(f"{name}.{field}")
                if lever is None:
                    problems.append(_unknown_field(shown, name, field, field_value))
                    continue
                checked, wrong = convert_value(lever, field_value)
                problems.extend(
                    format_problem(shown, lever.key, field_value, w, lever.allowed()) for w in wrong
                )
                if not wrong:
                    settings[lever.kwarg] = checked
        else:
            problems.append(_unknown_top_level(shown, name, value))
    return settings, description, extends, schedule


def _unknown_field(shown: str, table: str, field: str, value: Any) -> str:
    where = f"{table}.{field}"
    own = [lv.field for lv in _TABLES[table]]
    hit = _suggest(field, own)
    if hit is not None:
        return format_problem(shown, where, value, f"unknown field (did you mean {hit!r}?)", None)
    elsewhere = [lv.key for lv in LEVERS.values() if lv.field == field]
    if elsewhere:
        other = _BY_KEY[elsewhere[0]].table
        return format_problem(
            shown,
            where,
            value,
            f"unknown field (did you mean {elsewhere[0]!r}? it belongs under [{other}])",
            None,
        )
    if field in _TOP_LEVEL_KEYS:
        return format_problem(
            shown,
            where,
            value,
            f"unknown field ({field} is a top-level key: write it before the first [table])",
            None,
        )
    return format_problem(shown, where, value, "unknown field", ", ".join(own))


def _unknown_top_level(shown: str, name: str, value: Any) -> str:
    if isinstance(value, dict):
        hint = did_you_mean(name, _TABLES)
        return format_where(shown, name, "unknown table" + hint,
                            None if hint else ", ".join(_TABLES))
    keys = [lv.key for lv in LEVERS.values() if lv.field == name]
    if keys:
        table = _BY_KEY[keys[0]].table
        return format_problem(
            shown,
            name,
            value,
            f"unknown top-level key (did you mean {keys[0]!r}? it belongs under [{table}])",
            None,
        )
    hit = _suggest(name, list(_TOP_LEVEL_KEYS) + list(_TABLES))
    if hit is not None:
        return format_problem(shown, name, value,
                              f"unknown top-level key (did you mean {hit!r}?)", None)
    return format_problem(
        shown,
        name,
        value,
        "unknown top-level key",
        "description, extends, and the tables " + ", ".join(_TABLES),
    )


def _locate_extends(
    value: str, shown: str, folder: Path | None, confined: Path | None, problems: list[str]
) -> Path | None:
    """Find the parent file named by `extends`; add a problem and return None if absent."""
    has_sep = "/" in value or "\\" in value
    if confined is not None and (has_sep or value.startswith(".")):
        problems.append(
            format_problem(
                shown,
                "extends",
                value,
                "may only name a scenario file, not a path",
                "the name of a scenario; " + _available(),
            )
        )
        return None
    file_name = value if value.endswith(".toml") else value + ".toml"
    if has_sep:
        candidates = [(folder or Path.cwd()) / file_name]
    else:
        candidates = [] if folder is None else [folder / file_name]
        named = find_file("scenarios", file_name)  # ./scenarios, the checkout's, the shipped
        if named is not None:
            candidates.append(named)
    for candidate in candidates:
        if is_file(candidate):
            if confined is not None and not _in_search_path(candidate):
                problems.append(
                    format_problem(
                        shown,
                        "extends",
                        value,
                        f"outside {display_path(confined)}",
                        "the name of a scenario; " + _available(),
                    )
                )
                return None
            return candidate
    problems.append(format_problem(shown, "extends", value, f"file not found ({_available()})",
                                   None))
    return None


def _resolve(
    doc: Mapping[str, Any],
    shown: str,
    folder: Path | None,
    confined: Path | None,
    chain: list[tuple[Path, str]],
    problems: list[str],
) -> tuple[dict[str, Any], str | None, list[Any]]:
    """Settings, description and schedule of a parsed file merged over its extends chain
    (the schedule: the parents' entries first)."""
    own, description, extends, own_schedule = _read_tables(doc, shown, problems)
    settings: dict[str, Any] = {}
    schedule: list[Any] = []
    if extends is not None:
        target = _locate_extends(extends, shown, folder, confined, problems)
        if target is not None:
            resolved = target.resolve()
            seen = [p for p, _ in chain]
            target_shown = display_path(target)
            if len(chain) >= MAX_EXTENDS:
                problems.append(format_problem(
                    shown, "extends", extends, f"extends chain longer than {MAX_EXTENDS} files"
                    + (f" (from {safe_text(chain[0][1], MAX_SOURCE)})" if chain else ""),
                    f"at most {MAX_EXTENDS} files, each extending the next"))
            elif resolved in seen:
                cycle = [safe_text(s, MAX_SOURCE) for s in
                         [*(s for _, s in chain[seen.index(resolved) :]), target_shown]]
                problems.append(
                    format_problem(
                        shown, "extends", extends, "circular extends: " + " -> ".join(cycle), None
                    )
                )
            else:
                parent = read_toml_file(target, target_shown, problems)
                if parent is not None:
                    settings, inherited, schedule = _resolve(
                        parent,
                        target_shown,
                        target.parent,
                        confined,
                        [*chain, (resolved, target_shown)],
                        problems,
                    )
                    if description is None:
                        description = inherited
    settings.update(own)
    return settings, description, [*schedule, *own_schedule]


def _locate(spec: str | Path) -> Path | None:
    """An existing file named by `spec`: a path, or a name looked up file by file in the
    folders of :mod:`flexisim.locations` (``./scenarios``, the checkout's, the shipped)."""
    path = Path(spec)
    if is_file(path):
        return path
    text = str(spec)
    if "/" in text or "\\" in text or os.sep in text:
        return None
    file_name = text if text.endswith(".toml") else text + ".toml"
    return find_file("scenarios", file_name)


def _load_path(path: Path, shown: str, overrides: Mapping[str, Any] | None) -> Scenario:
    problems: list[str] = []
    settings: dict[str, Any] = {}
    description: str | None = None
    schedule: list[Any] = []
    doc = read_toml_file(path, shown, problems)
    if doc is not None:
        settings, description, schedule = _resolve(
            doc, shown, path.parent, None, [(path.resolve(), shown)], problems
        )
    values = _fresh_defaults()
    values.update(settings)
    if overrides:
        checked, wrong = _validate_partial(overrides, "command line")
        problems.extend(wrong)
        values.update(checked)
    if problems:
        raise ScenarioError(problems)
    return Scenario(name=path.stem, description=description or "", values=values, path=path,
                    schedule=tuple(schedule))


def load_scenario(
    spec: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load and validate a scenario file, following its ``extends`` chain.

    Parameters
    ----------
    spec : str, Path or None
        None for :data:`DEFAULT_SCENARIO`; a path to a TOML file; or the name of
        a file in :func:`scenarios_dir` (``"trust_but_verify"`` or
        ``"trust_but_verify.toml"``). An existing file at the given path wins
        over a scenario of the same name.
    overrides : Mapping, optional
        Lever keyword -> value applied last (e.g. ``steps``, ``seed``, ``n_asn``
        from the command line); validated with source ``"command line"``.

    Returns
    -------
    Scenario
        Complete values, defaults filled in.

    Raises
    ------
    ScenarioError
        With every problem in the file, its parents and the overrides.
    """
    if spec is None:
        spec = DEFAULT_SCENARIO
    path = _locate(spec)
    if path is None:
        raise ScenarioError([format_where(str(spec), None, _not_found(str(spec)))])
    in_dir = not is_file(Path(spec))
    shown = display_path(path) if in_dir else str(spec)
    return _load_path(path, shown, overrides)


def parse_scenario_text(text: str | bytes, source: str = "<upload>") -> Scenario:
    """Validate scenario text that did not come from a file (dashboard uploads).

    Parameters
    ----------
    text : str or bytes
        TOML text (bytes are decoded as UTF-8), at most :data:`MAX_UPLOAD_BYTES`.
    source : str
        Names the text in error messages.

    Returns
    -------
    Scenario
        Named ``"custom"``, without a path.

    Raises
    ------
    ScenarioError
        If the text is too large, not UTF-8, not valid TOML, or invalid; or if it
        (or any file it extends) extends anything but a scenario file in
        :func:`scenarios_dir`.
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8"))
    if size > MAX_UPLOAD_BYTES:
        raise ScenarioError([format_where(source, None, f"too large: {size} bytes",
                                          f"at most {MAX_UPLOAD_BYTES} bytes")])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError([format_where(
                source, None, f"not UTF-8 text (bad byte at offset {exc.start})")]) from None
    text = text.removeprefix("\ufeff")
    problems: list[str] = []
    doc = parse_toml(text, source, problems)
    settings: dict[str, Any] = {}
    description: str | None = None
    schedule: list[Any] = []
    if doc is not None:
        settings, description, schedule = _resolve(doc, source, None, scenarios_dir(), [],
                                                   problems)
    if problems:
        raise ScenarioError(problems)
    values = _fresh_defaults()
    values.update(settings)
    return Scenario(name="custom", description=description or "", values=values,
                    schedule=tuple(schedule))


def list_scenarios() -> list[Scenario]:
    """Every named scenario (the ``*.toml`` files of the folders of :mod:`flexisim.locations`,
    a name in an earlier folder hiding the same name in a later one), sorted by name.

    Returns
    -------
    list of Scenario
        A file that fails to load does not stop the listing: it appears with
        empty ``values`` and a description ``"INVALID: <first problem>"``
        (plus ``"(and N more problems)"``), so callers can show it but not run it.
    """
    result = []
    for path in named_files("scenarios").values():
        shown = display_path(path)
        try:
            result.append(_load_path(path, shown, None))
        except ScenarioError as exc:
            first = exc.problems[0].removeprefix(f"{shown}: ")
            more = len(exc.problems) - 1
            if more:
                first += f" (and {more} more problem{'s' if more > 1 else ''})"
            result.append(
                Scenario(name=path.stem, description=f"INVALID: {first}", values={}, path=path)
            )
    return result


# --------------------------------------------------------------------------- module data

LEVERS: dict[str, Lever] = _load_levers()
"""Every lever, keyed by keyword, in the order of levers.toml."""

DEFAULTS: dict[str, Any] = {
    k: list(lv.default) if lv.type == "list[str]" else lv.default for k, lv in LEVERS.items()
}
"""Keyword -> default value (lists as lists). Do not mutate; copy first."""

_BY_KEY: dict[str, Lever] = {lv.key: lv for lv in LEVERS.values()}
_TABLES: dict[str, list[Lever]] = {}
for _lever in LEVERS.values():
    _TABLES.setdefault(_lever.table, []).append(_lever)
del _lever
