"""Write the generated tables of docs/ODD.md from the code, so the document cannot drift.

Four Markdown tables are generated and placed between the markers
``<!-- BEGIN PARAMETER TABLE -->`` and ``<!-- END PARAMETER TABLE -->`` of docs/ODD.md:

* the mechanisms, from the registry (flexisim/mechanisms/registry.py): weekly order, name
  (also the random stream's), function, columns read and written, levers and coefficients;
* the state's columns, from their declarations (flexisim/state.py): table, column, type,
  kind (static, dynamic, derived, scratch) and meaning;
* policy levers, from ``flexisim.scenario.LEVERS`` (itself read from flexisim/data/levers.toml):
  table.field, keyword, type, default, range or choices, unit, source;
* behavioural coefficients, from flexisim/data/calibration.toml: mechanism (the file's
  ``# --- N. name`` section), name, value, and the comment that follows the value on its line
  (the coefficient's source or the word "assumption").

Usage::

    python tools/param_table.py           # rewrite the tables in docs/ODD.md
    python tools/param_table.py --check   # exit 1 if docs/ODD.md is stale, 0 if up to date

The test suite calls :func:`check` (tests/test_docs.py).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ODD = REPO / "docs" / "ODD.md"
CALIBRATION = REPO / "flexisim" / "data" / "calibration.toml"
BEGIN = "<!-- BEGIN PARAMETER TABLE -->"
END = "<!-- END PARAMETER TABLE -->"

_KEY_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")
_SECTION = re.compile(r"^\s*#\s*-{2,}\s*(.+?)\s*-*\s*$")
_TABLE_HEADER = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class Coefficient:
    """One behavioural coefficient of calibration.toml."""

    section: str
    name: str
    value: Any
    comment: str


# ------------------------------------------------------------------------ formatting
def _cell(text: str) -> str:
    """Make text safe for one Markdown table cell (one line, pipes escaped)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _value(value: Any) -> str:
    """A value as it would be written in TOML (true, 0.85, "reactive", [...])."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _range(lever: Any) -> str:
    """Range or choices of a lever, compactly."""
    if lever.type == "bool":
        return "true / false"
    if lever.type in ("int", "float"):
        lo, hi = _number(lever.min), _number(lever.max)
        if lo and hi:
            return f"{lo} – {hi}"
        if lo:
            return f"≥ {lo}"
        if hi:
            return f"≤ {hi}"
        return "any"
    choices = ", ".join(f"`{c}`" for c in lever.choices or ())
    if lever.type == "str":
        return f"one of {choices}" if choices else "any text"
    return f"any subset of {choices}" if choices else "a list of texts"


# ------------------------------------------------------------------------ the sources
def _strip_comment(line: str) -> tuple[str, str]:
    """Split a TOML line into its code and its trailing comment (outside strings)."""
    quote: str | None = None
    escaped = False
    for i, ch in enumerate(line):
        if quote is not None:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i + 1:].strip()
    return line, ""


def calibration_coefficients(path: Path = CALIBRATION) -> list[Coefficient]:
    """The coefficients of calibration.toml in file order, with section and trailing comment.

    Values come from ``tomllib`` (exactly what the model reads); the comment is the text after
    ``#`` on the line where the key is assigned. Raises ``ValueError`` if the file uses a
    layout this parser cannot attribute comments in (tables, or keys it cannot find).
    """
    text = path.read_text(encoding="utf-8")
    values = tomllib.loads(text)
    found: dict[str, Coefficient] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        code, comment = _strip_comment(line)
        if not code.strip():
            match = _SECTION.match(line)
            if match:
                section = match.group(1)
            continue
        if _TABLE_HEADER.match(code):
            raise ValueError(f"{path.name}:{number}: tables are not supported in {path.name}")
        match = _KEY_LINE.match(code)
        if match is None:
            continue  # continuation of a multi-line value
        name = match.group(1)
        if name not in values:
            raise ValueError(f"{path.name}:{number}: cannot read the key {name!r}")
        found[name] = Coefficient(section, name, values[name], comment)
    missing = [k for k in values if k not in found]
    if missing:
        raise ValueError(f"{path.name}: keys not found line by line: {', '.join(missing)}")
    return [found[k] for k in values]


def lever_table() -> str:
    """Markdown table of every policy lever (flexisim.scenario.LEVERS)."""
    from flexisim.scenario import LEVERS

    rows = ["| lever (table.field) | keyword | type | default | range / choices | unit | source |",
            "|---|---|---|---|---|---|---|"]
    for lever in LEVERS.values():
        rows.append("| " + " | ".join([
            f"`{lever.key}`", f"`{lever.kwarg}`", _cell(lever.type),
            f"`{_cell(_value(lever.default))}`", _cell(_range(lever)), _cell(lever.unit),
            _cell(lever.source),
        ]) + " |")
    return "\n".join(rows)


def calibration_table(path: Path = CALIBRATION) -> str:
    """Markdown table of every behavioural coefficient of calibration.toml."""
    rows = ["| mechanism | coefficient | value | comment / source (from calibration.toml) |",
            "|---|---|---|---|"]
    for c in calibration_coefficients(path):
        rows.append("| " + " | ".join([
            _cell(c.section), f"`{c.name}`", f"`{_cell(_value(c.value))}`",
            _cell(c.comment) if c.comment else "*(no comment in calibration.toml)*",
        ]) + " |")
    return "\n".join(rows)


def _columns(by_table: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{table}: " + ", ".join(f"`{c}`" for c in cols)
                     for table, cols in by_table.items() if cols)


def mechanism_table() -> str:
    """Markdown table of the registry of mechanisms, in weekly order."""
    from flexisim.mechanisms.registry import STEP

    rows = ["| # | mechanism (stream) | function | reads | writes | levers and coefficients |",
            "|---|---|---|---|---|---|"]
    for number, m in enumerate(STEP):
        stream = f"`{m.name}`" + ("" if m.stream else " (no draws)")
        rows.append("| " + " | ".join([
            str(number), stream, f"`{m.function}`", _columns(m.reads), _columns(m.writes),
            ", ".join(f"`{n}`" for n in m.parameters)]) + " |")
    return "\n".join(rows)


def state_table() -> str:
    """Markdown table of every declared column of the state (flexisim/state.py, and the
    columns mechanisms of the registry add)."""
    from flexisim.mechanisms.registry import STEP
    from flexisim.state import Agencies, Citizens, Leaders, Regions, Staff

    rows = ["| table | column | type | kind | meaning |", "|---|---|---|---|---|"]
    added = {}
    for m in STEP:
        for table, cols in m.columns.items():
            for name, col in cols.items():
                added.setdefault(table, []).append((name, col, m.name))
    for cls in (Staff, Leaders, Agencies, Citizens, Regions):
        columns = [(n, c, None) for n, c in cls.COLUMNS.items()]
        for name, col, owner in columns + added.get(cls.__name__.lower(), []):
            doc = _cell(col.doc) + (f" (added by the mechanism `{owner}`)" if owner else "")
            rows.append("| " + " | ".join([
                f"`{cls.__name__}`", f"`{name}`", f"`{col.dtype.name}`"
                + ("" if col.rows else " (own length)"), col.kind, doc]) + " |")
    return "\n".join(rows)


def channel_table() -> str:
    """Markdown table of the channels of flexiwork (flexisim/channels.py)."""
    from flexisim.channels import CHANNELS, gate_name

    rows = ["| channel | gate | in | English | Bahasa Indonesia | what it switches |",
            "|---|---|---|---|---|---|"]
    for name, ch in CHANNELS.items():
        rows.append("| " + " | ".join([f"`{name}`", f"`{gate_name(name)}`",
                                       f"`{ch.mechanism}`", _cell(ch.en), _cell(ch.id),
                                       _cell(ch.description)]) + " |")
    return "\n".join(rows)


def render() -> str:
    """The generated block, markers included."""
    return "\n".join([
        BEGIN,
        "<!-- Generated by tools/param_table.py from the registry of mechanisms, the state's",
        "     column declarations, flexisim/data/levers.toml and flexisim/data/calibration.toml.",
        "     Do not edit by hand: run `python tools/param_table.py` after changing any. -->",
        "",
        "### Mechanisms (the registry)",
        "",
        "The weekly order of flexisim/mechanisms/registry.py. Each mechanism draws from the "
        "random stream of its name (§8) and sees exactly the columns and parameters listed "
        "(its kernels read them by name).",
        "",
        mechanism_table(),
        "",
        "### State columns",
        "",
        "Every column of the state, as declared in flexisim/state.py (§2): *static* columns "
        "are shared by the two worlds of a run, *dynamic* and *derived* ones are each "
        "world's own, *scratch* buffers are reused every week.",
        "",
        state_table(),
        "",
        "### Policy levers",
        "",
        "Keyword arguments of `FlexiworkModel(...)`, written `table.field` in scenario files "
        "(flexisim/data/levers.toml).",
        "",
        lever_table(),
        "",
        "### Behavioural coefficients",
        "",
        "Coefficients of the mechanisms (flexisim/data/calibration.toml); "
        "`FlexiworkModel(calibration={...})` overrides them.",
        "",
        calibration_table(),
        "",
        "### Channels of flexiwork",
        "",
        "The gates of flexisim/channels.py (§11): parameters of a world, 1 = on; "
        "`FlexiworkModel(channels={...})` and `flexisim explain` switch them.",
        "",
        channel_table(),
        "",
        END,
    ])


# ------------------------------------------------------------------------ the document
def updated(text: str) -> str:
    """``text`` with the block between the markers replaced by :func:`render`.

    Raises ``ValueError`` unless each marker occurs exactly once, BEGIN before END.
    """
    begins, ends = text.count(BEGIN), text.count(END)
    if begins != 1 or ends != 1:
        raise ValueError(f"expected each marker once, found {BEGIN!r} x{begins}, {END!r} x{ends}")
    start, stop = text.index(BEGIN), text.index(END)
    if stop < start:
        raise ValueError(f"{END!r} comes before {BEGIN!r}")
    return text[:start] + render() + text[stop + len(END):]


def check(path: Path = ODD) -> list[str]:
    """Problems with the parameter tables in ``path``: empty when they are up to date."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [f"{path}: file not found"]
    try:
        new = updated(text)
    except ValueError as err:
        return [f"{path}: {err}"]
    if new != text:
        return [f"{path}: parameter tables are stale; run `python tools/param_table.py`"]
    return []


def write(path: Path = ODD) -> bool:
    """Rewrite the tables in ``path``; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    new = updated(text)
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the document is stale")
    parser.add_argument("--doc", type=Path, default=ODD, help="the document (default: docs/ODD.md)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.doc)
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    try:
        changed = write(args.doc)
    except (OSError, ValueError) as err:
        print(f"{args.doc}: {err}", file=sys.stderr)
        return 1
    print(f"{args.doc}: parameter tables {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    if str(REPO) not in sys.path:  # run from a source tree without an installed flexisim
        sys.path.insert(0, str(REPO))
    sys.exit(main())
