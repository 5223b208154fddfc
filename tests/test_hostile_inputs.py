"""Hostile input (issue 16): files nested deep, long ``extends`` chains, designs too large to
build, output locations that cannot take the results, names that are escape codes or
100,000 characters long, and random TOML documents -- each must end in exit status 2 with
precise one-line messages and nothing written, never in a traceback."""

from __future__ import annotations

import datetime as dt
import errno
import math
import os
import re
import string
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# a fixture: the dashboard's page, headless, as tests/test_dashboard.py renders it
from test_dashboard import page as dashboard_page  # noqa: F401

from flexisim import outputs
from flexisim.cli import main
from flexisim.errors import MAX_SHOWN, InputError, safe_text
from flexisim.experiment.definition import (
    _DESIGN_KEYS,
    _RANGE_KEYS,
    _TOP,
    ANALYSIS_DEFAULTS,
    DESIGNS,
    load_experiment,
)
from flexisim.params import calibration_defaults
from flexisim.scenario import (
    _TOP_LEVEL_KEYS,
    LEVERS,
    _toml_string,
    _toml_value,
    list_scenarios,
)
from flexisim.schedule import _ENTRY_KEYS, _SELECTOR_KEYS, _TRIGGER_KEYS, _region_names

# ------------------------------------------------------------------------- random documents
#: every name a scenario or experiment file may use, so that random documents get past the
#: first checks and into the validation of tables, levers, schedules, designs and factors
NAMES = sorted({lv.table for lv in LEVERS.values()} | {lv.field for lv in LEVERS.values()}
               | set(LEVERS) | set(_TOP_LEVEL_KEYS) | set(_ENTRY_KEYS) | set(_SELECTOR_KEYS)
               | set(_TRIGGER_KEYS) | set(_TOP) | set(_DESIGN_KEYS) | set(_RANGE_KEYS)
               | set(ANALYSIS_DEFAULTS) | {"calibration", *calibration_defaults()})
#: values the validators treat specially: choices, scenario and design names, outputs
WORDS = sorted({c for lv in LEVERS.values() for c in lv.choices or ()} | set(DESIGNS)
               | {s.name for s in list_scenarios()}
               | {"central", "regional", "Java-Bali", "scandals_press", "public_trust",
                  "common", "independent", "grid", "trust_culture", "performance_change_pct"})
#: names that must be shown safely: an escape sequence, a line break, a very long name
HOSTILE = ["\x1b[31mred", "a\nb", "\u2028", "k" * 5000, "a.b", "", " ", "\x00", "é"]

keys = st.one_of(st.sampled_from(NAMES), st.sampled_from(HOSTILE), st.text(max_size=6))
scalars = st.one_of(
    st.booleans(),
    st.integers(-3, 12),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.3, 0.5, 1.0, 1.5, 2, 52, 104, 1000, 10**9]),
    st.sampled_from(WORDS),
    st.sampled_from(HOSTILE),
    st.text(max_size=8),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=16)
#: a table the way real files have them: known and unknown fields with any values
tables = st.dictionaries(keys, values, max_size=6)


def _value(v: Any) -> str:
    """`v` as a TOML value, inline (tables as inline tables, arrays of tables as arrays);
    booleans, numbers and strings as flexisim writes them."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {_value(x)}" for k, x in v.items()) + "}"
    return _toml_value(v)


def _document(doc: dict[str, Any]) -> str:
    return "".join(f"{_toml_string(k)} = {_value(v)}\n" for k, v in doc.items())


@st.composite
def deep(draw: Any) -> str:
    """A value nested around the limit or far beyond it (the recursion limit), as arrays,
    inline tables, dotted keys or a table header, inside a lever table or at the top."""
    depth = draw(st.one_of(st.integers(28, 40), st.integers(300, 1200)))
    kind = draw(st.sampled_from(["array", "inline", "dotted", "header"]))
    prefix = draw(st.sampled_from(["", "[oversight]\n", "[[schedule]]\n", "[parameters]\n"]))
    if kind == "array":
        return prefix + "x = " + "[" * depth + "1" + "]" * depth + "\n"
    if kind == "inline":
        return prefix + "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    if kind == "dotted":
        return prefix + ".".join(["a"] * depth) + " = 1\n"
    return "[" + ".".join(["a"] * depth) + "]\nx = 1\n"


def lever_values(lever: Any) -> st.SearchStrategy[Any]:
    """Valid values of `lever` (and values just outside its range or choices)."""
    if lever.type == "bool":
        return st.booleans()
    if lever.type in ("int", "float"):
        lo = -10.0 if lever.min is None else lever.min
        hi = lo + 1000.0 if lever.max is None else lever.max
        if lever.type == "int":
            return st.integers(int(lo) - 1, int(hi) + 1)
        return st.floats(lo - 0.1, hi + 0.1)
    choices = list(lever.choices or ["a", "b"])
    if lever.type == "str":
        return st.sampled_from([*choices, choices[0].upper()])
    return st.lists(st.sampled_from([*choices, "nope"]), max_size=3)


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` nine times in ten, anything at all otherwise: most documents are nearly valid,
    so that they reach the checks that come after the first wrong value."""
    return st.integers(0, 9).flatmap(lambda i: values if i == 0 else good)


def lever_table(levers: list[Any], key: Any = "field") -> st.SearchStrategy[dict[str, Any]]:
    """A table of `levers` (named by ``lever.<key>``) with mostly valid values, and now and
    then an unknown name."""
    entry = st.sampled_from(levers).flatmap(
        lambda lv: st.tuples(st.just(getattr(lv, key)), mostly(lever_values(lv))))
    return st.lists(st.one_of(entry, entry, st.tuples(keys, values)), max_size=5).map(dict)


_BY_TABLE = {t: [lv for lv in LEVERS.values() if lv.table == t]
             for t in sorted({lv.table for lv in LEVERS.values()})}
_AGENCY = [lv for lv in LEVERS.values() if lv.scope == "agency"]
_REGIONS = _region_names()

schedule_entries = st.fixed_dictionaries({}, optional={
    "label": mostly(st.text(max_size=10)),
    "from_week": mostly(st.integers(0, 5201)),
    "agencies": mostly(st.fixed_dictionaries({}, optional={
        "government": mostly(st.sampled_from(["central", "regional", "federal"])),
        "regions": mostly(st.lists(st.sampled_from([*_REGIONS, "Atlantis"]), max_size=3)),
        "frontline_share": mostly(st.lists(st.floats(-0.1, 1.1), min_size=2, max_size=2)),
        "share": mostly(st.floats(-0.1, 1.1)),
        "unknown": values})),
    "when": mostly(st.fixed_dictionaries({}, optional={
        "output": mostly(st.sampled_from(["scandals_press", "public_trust", "nothing"])),
        "above": mostly(st.floats()), "below": mostly(st.floats()),
        "weeks": mostly(st.integers(0, 521)), "unknown": values})),
    **{t: mostly(lever_table(_AGENCY if t != "population" else ls))
       for t, ls in _BY_TABLE.items()},
    "unknown": values,
})

#: a scenario file: lever tables, description, extends and a schedule, each randomised
scenario_docs = st.fixed_dictionaries({}, optional={
    "description": mostly(st.text(max_size=20)),
    "extends": mostly(st.one_of(st.sampled_from(WORDS), st.sampled_from(HOSTILE))),
    "schedule": mostly(st.lists(schedule_entries, max_size=3)),
    **{t: mostly(lever_table(ls)) for t, ls in _BY_TABLE.items()},
    "unknown": values,
}).map(_document)

_NUMERIC = [lv for lv in LEVERS.values() if lv.type in ("int", "float")]
_COEFFICIENTS = sorted(calibration_defaults())


def _range(lever: Any) -> st.SearchStrategy[dict[str, Any]]:
    bound = lever_values(lever)
    return st.fixed_dictionaries({"min": mostly(bound), "max": mostly(bound)}, optional={
        "levels": mostly(st.sampled_from([1, 2, 3, 1000, 1001, 10**9])), "unknown": values})


varied = st.sampled_from([lv for lv in LEVERS.values() if lv.kwarg not in ("steps", "seed")]
                         ).flatmap(lambda lv: st.tuples(
    st.just(lv.kwarg), mostly(st.one_of(st.lists(lever_values(lv), max_size=4),
                                        _range(lv) if lv in _NUMERIC else values))))
factor = st.tuples(st.sampled_from(["infrastructure", "\x1b[31mfactor", "trust_culture"]),
                   st.dictionaries(st.sampled_from(["poor", "good", "x" * 100]),
                                   lever_table(list(LEVERS.values()), key="kwarg"),
                                   max_size=3))
coefficients = st.tuples(st.just("calibration"), st.dictionaries(
    st.one_of(st.sampled_from(_COEFFICIENTS), keys),
    mostly(st.fixed_dictionaries({"min": st.floats(-1, 2), "max": st.floats(-1, 2)})),
    max_size=3))

#: an experiment file: a base scenario, a seed, a design, parameters, fixed levers, analysis
experiment_docs = st.fixed_dictionaries(
    {"scenario": mostly(st.one_of(st.sampled_from(["permenpan_4_2025", "office_only", "nope"]),
                                  st.sampled_from(HOSTILE))),
     "seed": mostly(st.integers(-1, 9)),
     "parameters": mostly(st.lists(st.one_of(varied, varied, factor, coefficients),
                                   min_size=1, max_size=4).map(dict))},
    optional={
        "steps": mostly(st.integers(0, 10)),
        "replications": mostly(st.sampled_from([0, 1, 3, 100_000, 100_001])),
        "seeds": mostly(st.sampled_from(["common", "independent", "shared"])),
        "description": mostly(st.text(max_size=10)),
        "design": mostly(st.fixed_dictionaries({}, optional={
            "kind": mostly(st.sampled_from([*DESIGNS, "random"])),
            "size": mostly(st.sampled_from([0, 1, 2, 4, 3, 1_000_000, 10**7])),
            "levels": mostly(st.sampled_from([1, 2, 3, 4, 5, 1000, 1001, 10**9])),
            "second_order": mostly(st.booleans())})),
        "fixed": mostly(lever_table(list(LEVERS.values()), key="kwarg")),
        "analysis": mostly(st.fixed_dictionaries({}, optional={
            k: mostly(st.sampled_from([v, 0, -1.0, "trust_culture", "performance_change_pct",
                                       ["trust_effect_pp"], 10, 5]))
            for k, v in ANALYSIS_DEFAULTS.items()})),
        "unknown": values,
    }).map(_document)

#: text that is not quite TOML: brackets, quotes, comments and dotted keys in any order
raw_text = st.text(alphabet=string.ascii_lowercase[:4] + "[]{}=\"'#.,\n 01-:\\", max_size=200)

#: 250 examples a test, each within 5 s (a few ms in practice: the bound is for a loaded machine),
#: the same examples every time (derandomized: a failure is reproducible, the suite stable)
FUZZ = settings(max_examples=250, deadline=5000, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _assert_safe_lines(text: str) -> None:
    """Every line printable (no escape sequence reaches the terminal) and of bounded length
    (a 5,000-character key is shortened; the longest lines list every lever)."""
    for line in text.splitlines():
        assert line.isprintable(), repr(line)
        assert len(line) < 3000, line[:200]


@FUZZ
@given(text=st.one_of(scenario_docs, raw_text, deep()))
def test_random_scenario_files_end_in_0_or_2(tmp_path: Path, capsys: Any, text: str) -> None:
    path = tmp_path / "random.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", str(path)])  # anything but an InputError propagates: a failure
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert (code == 0) == (err == ""), err
    assert "Traceback" not in err
    _assert_safe_lines(err)
    if code == 0:
        _assert_safe_lines(out)


@FUZZ
@given(text=st.one_of(experiment_docs, raw_text, deep()))
def test_random_experiment_files_are_parsed_or_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "random.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_experiment(path)  # what `flexisim sweep` reads first (an InputError: exit 2)
    except InputError as err:
        assert err.problems
        _assert_safe_lines(str(err))


@FUZZ
@given(doc=st.dictionaries(st.one_of(st.sampled_from(_COEFFICIENTS), keys),
                           mostly(st.one_of(st.floats(), st.integers(-(2**70), 2**70))),
                           max_size=4).map(_document) | raw_text | deep())
def test_random_calibration_files_are_read_or_refused(tmp_path: Path, doc: str) -> None:
    from flexisim.params import calibration_preset

    path = tmp_path / "coefficients.toml"
    path.write_text(doc, encoding="utf-8")
    try:
        calibration_preset(str(path))  # what `flexisim run --calibration FILE` reads
    except InputError as err:
        _assert_safe_lines(str(err))


# ------------------------------------------------------------------------- helpers
QUICK = (Path(__file__).resolve().parents[1] / "experiments" / "quick.toml").read_text()
RUN = ["--steps", "2", "--asn", "600", "--seed", "1", "--quiet"]
EXPLAIN = [*RUN, "--orders", "2", "--channels", "remote_productivity,coordination"]


def one_line(capsys: Any) -> str:
    """The one line a refused command printed on stderr (and that it is the only one)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def nothing_written(out: Path) -> None:
    assert not out.exists()
    assert not out.with_name(out.name + ".partial").exists()


def command(kind: str, target: Path, out: Path) -> list[str]:
    """`validate TARGET`, `run TARGET --out OUT` (a small run) or `sweep TARGET --out OUT`."""
    if kind == "validate":
        return ["validate", str(target)]
    if kind == "run":
        return ["run", str(target), *RUN, "--out", str(out)]
    return ["sweep", str(target), "--out", str(out), "--workers", "1", "--quiet"]


# ------------------------------------------------------------------ 6. nesting and extends
#: about a kilobyte of nesting of each kind TOML has (deeper than Python's recursion limit
#: allows a recursive reader or validator to go)
NESTED = {
    "arrays": "x = " + "[" * 600 + "]" * 600 + "\n",
    "inline tables": "x = " + "{a = " * 300 + "1" + "}" * 300 + "\n",
    "dotted keys": ".".join(["a"] * 600) + " = 1\n",
    "a table header": "[" + ".".join(["a"] * 600) + "]\nx = 1\n",
}


@pytest.mark.parametrize("kind", ["validate", "run", "sweep"])
@pytest.mark.parametrize("nesting", list(NESTED))
def test_deep_nesting_is_exit_2_with_one_line_and_nothing_written(
        tmp_path: Path, capsys: Any, kind: str, nesting: str) -> None:
    text = NESTED[nesting]
    if kind == "sweep":  # inside the experiment's [fixed] table, or a table of its own
        text = QUICK + "\n" + text
    elif nesting != "a table header":
        text = "[oversight]\n" + text
    path = tmp_path / "deep.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(command(kind, path, out)) == 2
    line = one_line(capsys)
    assert line.startswith(f"{path}: ")
    assert "nested more than 32 levels deep (allowed: at most 32 levels)" in line
    nothing_written(out)


def test_a_deep_calibration_file_is_exit_2(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "coefficients.toml"
    path.write_text(NESTED["arrays"])
    out = tmp_path / "out"
    assert main(["run", *RUN, "--out", str(out), "--calibration", str(path)]) == 2
    assert "nested more than 32 levels deep" in one_line(capsys)
    nothing_written(out)


def test_a_deep_value_of_explain_set_is_exit_2(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out"
    deep_value = "trust_culture=" + "[" * 1000 + "]" * 1000
    assert main(["explain", *EXPLAIN, "--set", deep_value, "--out", str(out)]) == 2
    line = one_line(capsys)
    assert line.startswith('command line: trust_culture: "[[[[') and "(2,000 characters)" in line
    nothing_written(out)


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """A thousand scenario files, each extending the one before (s999 -> ... -> s0): deeper
    than a recursive reader can follow."""
    folder = tmp_path / "chain"
    folder.mkdir()
    (folder / "s0.toml").write_text('description = "root"\n')
    for k in range(1, 1000):
        (folder / f"s{k}.toml").write_text(f'extends = "s{k - 1}"\n')
    return folder


@pytest.mark.parametrize("kind", ["validate", "run", "sweep"])
def test_a_long_extends_chain_is_exit_2_with_one_line(tmp_path: Path, capsys: Any, chain: Path,
                                                      kind: str) -> None:
    target = chain / "s999.toml"
    if kind == "sweep":  # an experiment on the last scenario of the chain
        target = tmp_path / "exp.toml"
        target.write_text(QUICK.replace('"permenpan_4_2025"', f'"{chain / "s999.toml"}"'))
    out = tmp_path / "out"
    assert main(command(kind, target, out)) == 2
    line = one_line(capsys)
    assert "extends chain longer than 32 files (from " in line
    assert "s999.toml) (allowed: at most 32 files, each extending the next)" in line
    nothing_written(out)
    assert main(["validate", str(chain / "s31.toml")]) == 0  # 32 files: allowed


def test_a_long_extends_chain_in_an_upload(monkeypatch: Any, chain: Path) -> None:
    from flexisim.scenario import parse_scenario_text

    monkeypatch.setenv("FLEXISIM_SCENARIOS", str(chain))  # uploads extend only these
    with pytest.raises(InputError) as refused:
        parse_scenario_text('extends = "s999"\n', source="mine.toml")
    assert len(refused.value.problems) == 1
    assert ("extends chain longer than 32 files (from " in refused.value.problems[0]
            and "s999.toml)" in refused.value.problems[0])


def test_a_deep_upload_shows_the_message_on_the_dashboard(dashboard_page: Any) -> None:  # noqa: F811
    """The dashboard's upload goes through the same reader: the page shows the line (no
    traceback, no server path) and keeps running."""
    import ipyvuetify as v
    from test_dashboard import _button, _step_text, _upload

    page = dashboard_page
    _upload(page, "deep.toml", NESTED["dotted keys"].encode())
    alerts = " ".join(str(w.children[0]) for w in page.find(v.Alert).widgets)
    assert "deep.toml: a.a.a.a" in alerts
    assert "tables nested more than 32 levels deep (allowed: at most 32 levels)" in alerts
    assert "Traceback" not in alerts and "RecursionError" not in alerts
    _button(page, "Step").click()
    assert _step_text(page) == "Week 1"


# --------------------------------------------------------------------- 7. designs too large
def _experiment(tmp_path: Path, design: str, parameters: str, replications: int = 2) -> Path:
    path = tmp_path / "huge.toml"
    path.write_text(f'scenario = "permenpan_4_2025"\nsteps = 2\nreplications = {replications}\n'
                    f"seed = 1\n[design]\n{design}\n[parameters]\n{parameters}\n")
    return path


FOUR_RANGES = "\n".join(f"{lever} = {{ min = 0.1, max = 0.9, levels = 1000 }}" for lever in
                        ("trust_culture", "verification_rate", "device_access",
                         "internet_quality"))
THREE_RANGES = "\n".join(FOUR_RANGES.replace(", levels = 1000", "").splitlines()[:3])


@pytest.mark.parametrize("design, parameters, replications, points", [
    ('kind = "grid"', FOUR_RANGES, 2, 1000**4),
    ('kind = "grid"\nlevels = 1000', THREE_RANGES, 3, 1000**3),
    ('kind = "lhs"\nsize = 1000000', THREE_RANGES, 3, 1_000_000),
    ('kind = "sobol"\nsize = 524288\nsecond_order = true', THREE_RANGES, 1, 524288 * 8),
    ('kind = "morris"\nsize = 1000000', THREE_RANGES, 1, 4_000_000),
], ids=["grid-own-levels", "grid-design-levels", "lhs", "sobol", "morris"])
def test_too_many_runs_are_refused_before_any_design_is_built(
        tmp_path: Path, capsys: Any, monkeypatch: Any, design: str, parameters: str,
        replications: int, points: int) -> None:
    from flexisim.experiment import definition
    from flexisim.experiment import design as designs

    def never(*args: Any) -> None:
        raise AssertionError("a design was built before the run-count guard")

    monkeypatch.setattr(definition.Parameter, "grid", never)
    monkeypatch.setattr(designs, "build_design", never)
    out = tmp_path / "out"
    assert main(["sweep", str(_experiment(tmp_path, design, parameters, replications)),
                 "--out", str(out)]) == 2
    line = one_line(capsys)
    assert f'design: "{points} points x {replications} replications": too many runs' in line
    nothing_written(out)


@pytest.mark.slow
@pytest.mark.parametrize("design, parameters", [
    ('kind = "grid"', "trust_culture = { min = 0.1, max = 0.9, levels = 1000000000 }"),
    ('kind = "grid"\nlevels = 1000000000', "trust_culture = { min = 0.1, max = 0.9 }"),
], ids=["range-levels", "design-levels"])
def test_a_billion_levels_is_refused_quickly_within_a_gigabyte(tmp_path: Path, design: str,
                                                               parameters: str) -> None:
    """In a process that may not use more than 1 GiB (the grid of a billion levels took
    tens of GB): exit 2 in seconds."""
    path = _experiment(tmp_path, design, parameters)
    out = tmp_path / "out"
    script = ("import resource, sys\n"
              "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
              "from flexisim.cli import main\n"
              f"sys.exit(main(['sweep', {str(path)!r}, '--out', {str(out)!r}]))\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "levels: 1000000000:" in done.stderr and "Traceback" not in done.stderr
    assert time.perf_counter() - start < 60
    nothing_written(out)


# ------------------------------------------------------------------ 8. output locations
#: a full filesystem, as shutil.disk_usage reports it
_Usage = namedtuple("_Usage", "total used free")


def _read_only(monkeypatch: Any, root: Path) -> None:
    """Make `root` behave as a read-only filesystem (as root, permissions do not stop
    writing, so the test cannot simply chmod it)."""
    def refuse(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).resolve().is_relative_to(root.resolve()):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, *args, **kwargs)

    real = os.mkdir
    monkeypatch.setattr(os, "mkdir", refuse)
    real_mkstemp = outputs.tempfile.mkstemp

    def probe(*args: Any, dir: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        if dir is not None and Path(dir).resolve().is_relative_to(root.resolve()):
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(outputs.tempfile, "mkstemp", probe)


def _full(monkeypatch: Any) -> None:
    monkeypatch.setattr(outputs.shutil, "disk_usage", lambda path: _Usage(10**9, 10**9, 4096))


#: (the location, how to make it unusable, what the line says)
LOCATIONS = {
    "under a file": (lambda tmp, mp: tmp / "a-file" / "out", "cannot be written: Not a directory"),
    "read-only": (lambda tmp, mp: _read_only(mp, tmp / "ro") or tmp / "ro" / "out",
                  "cannot be written: Read-only file system"),
    "full": (lambda tmp, mp: _full(mp) or tmp / "out",
             "disk full: 0.0 MB free (allowed: at least 8 MB free"),
    "name too long": (lambda tmp, mp: tmp / ("k" * 5000), "cannot be written: File name too long"),
}


def _replace_the_work(monkeypatch: Any, work: Any) -> None:
    """Replace the simulation of `run` and the decomposition of `explain` by `work`."""
    import importlib

    monkeypatch.setattr("flexisim.runs.execute", work)
    # the module, not `flexisim.explain`: the package's attribute of that name is the function
    monkeypatch.setattr(importlib.import_module("flexisim.explain"), "explain", work)


def _no_simulation(monkeypatch: Any) -> None:
    def started(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the simulation started")

    _replace_the_work(monkeypatch, started)


@pytest.mark.parametrize("kind", ["run", "explain"])
@pytest.mark.parametrize("where", list(LOCATIONS))
def test_an_unusable_output_location_is_exit_2_before_the_simulation(
        tmp_path: Path, capsys: Any, monkeypatch: Any, kind: str, where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "ro").mkdir()
    make, expected = LOCATIONS[where]
    out = make(tmp_path, monkeypatch)
    _no_simulation(monkeypatch)
    assert main([kind, *(RUN if kind == "run" else EXPLAIN), "--out", str(out)]) == 2
    line = one_line(capsys)
    assert line.startswith(safe_text(out, 300) + ": ") and expected in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "ro"]  # nothing written


@pytest.mark.parametrize("args, where, expected", [
    (["validate-model", "--out", "{tmp}/a-file/report.md"], None,
     "{tmp}/a-file/report.md: cannot be written: {tmp}/a-file is a file, not a folder"),
    (["validate-model", "--out", "{tmp}"], None, "{tmp}: is a folder, not a file"),
    (["validate-model", "--results", "{tmp}/a-file/runs"], None,
     "{tmp}/a-file/runs: cannot be written: {tmp}/a-file is a file, not a folder"),
    (["validate-model", "--out", "{tmp}/ro/report.md"], "read-only",
     "{tmp}/ro/report.md: cannot be written: Read-only file system"),
    (["validate-model", "--results", "{tmp}/runs"], "full",
     "{tmp}/runs: disk full: 0.0 MB free"),
    (["calibrate", "--write"], "full", "calibration.toml: disk full: 0.0 MB free"),
], ids=["report-under-a-file", "report-is-a-folder", "results-under-a-file",
        "report-read-only", "results-full", "calibration-full"])
def test_validate_model_and_calibrate_check_where_they_write_before_running(
        tmp_path: Path, capsys: Any, monkeypatch: Any, args: list[str], where: str | None,
        expected: str) -> None:
    import flexisim.validation.cli as validation

    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "ro").mkdir()
    if where == "read-only":
        _read_only(monkeypatch, tmp_path / "ro")
    elif where == "full":
        _full(monkeypatch)

    def started(*args: Any) -> int:
        raise AssertionError("the validation started")

    monkeypatch.setattr(validation, "cmd_validate_model", started)
    monkeypatch.setattr(validation, "cmd_calibrate", started)
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    assert expected.format(tmp=tmp_path) in one_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "ro"]


def _disk_full(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("kind", ["run", "explain"])
def test_a_disk_full_while_writing_is_reported_and_leaves_nothing(
        tmp_path: Path, capsys: Any, monkeypatch: Any, kind: str) -> None:
    args = [kind, *(RUN if kind == "run" else EXPLAIN)]
    earlier = tmp_path / "earlier"
    assert main([*args, "--out", str(earlier)]) == 0  # a result to be replaced with --force
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    capsys.readouterr()
    monkeypatch.setattr("flexisim.plots.save_figure", _disk_full)  # the last file written
    for out, extra in ((tmp_path / "new", []), (earlier, ["--force"])):
        assert main([*args, "--out", str(out), *extra]) == 2
        line = one_line(capsys)
        assert line == (f"{out}: disk full while writing the results (nothing written): No "
                        "space left on device; free some space or choose another location")
        assert not out.with_name(out.name + ".partial").exists()
    assert not (tmp_path / "new").exists()
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before  # untouched


def test_a_disk_full_during_validate_model_is_one_line(tmp_path: Path, capsys: Any,
                                                       monkeypatch: Any) -> None:
    import flexisim.validation.cli as validation

    report = tmp_path / "report.md"

    def fills_the_disk(args: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(report))

    monkeypatch.setattr(validation, "cmd_validate_model", fills_the_disk)
    assert main(["validate-model", "--out", str(report), "--results", str(tmp_path)]) == 2
    assert one_line(capsys) == (f"{report}: disk full while writing: No space left on device; "
                                "free some space or choose another location")


@pytest.mark.parametrize("kind", ["run", "explain"])
def test_an_interrupted_run_leaves_no_partial_folder(tmp_path: Path, capsys: Any,
                                                     monkeypatch: Any, kind: str) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    _replace_the_work(monkeypatch, interrupted)
    out = tmp_path / "out"
    assert main([kind, *(RUN if kind == "run" else EXPLAIN), "--out", str(out)]) == 130
    nothing_written(out)


# ---------------------------------------------------------- 10. names shown safely
ESC = "\x1b[31mred"      # an escape sequence: the terminal would turn red
LONG = "k" * 100_000     # a key longer than any terminal


def test_safe_text_escapes_and_shortens() -> None:
    assert safe_text("trust_culture") == "trust_culture"
    assert safe_text(ESC) == "\\x1b[31mred"
    assert safe_text("a\nb\u2028c\x00") == "a\\nb\\u2028c\\x00"
    assert safe_text("kerja fleksibel ✓ é") == "kerja fleksibel ✓ é"  # printable: kept
    assert safe_text("k" * MAX_SHOWN) == "k" * MAX_SHOWN
    shown = safe_text(LONG)
    assert shown.endswith("… (100,000 characters)") and len(shown) <= MAX_SHOWN
    escapes = safe_text("\x1b" * 100)  # never half an escape
    assert escapes == "\\x1b" * 10 + "… (100 characters)"


#: (file name, its text) that quote hostile names in their problems
FILES = {
    "table": ("s.toml", f'["{ESC}"]\nx = 1\n'),
    "field": ("s.toml", f'[oversight]\n"{ESC}" = 1\n"{LONG}" = 2\n'),
    "top-level": ("s.toml", f'"{ESC}" = 1\n"{LONG}" = 2\n'),
    "schedule": ("s.toml", f'[[schedule]]\n"{ESC}" = 1\nagencies = {{ "{LONG}" = 1 }}\n'
                 f'flexiwork = {{ enabled = true }}\nwhen = {{ "{ESC}" = 1 }}\n'),
    "extends": ("s.toml", f'extends = "{ESC}{LONG}"\n'),
    "experiment": ("e.toml", QUICK.replace("[fixed]", f'"{ESC}" = [1, 2]\n"{LONG}" = [1]\n'
                                          "[fixed]")),
    "factor": ("e.toml", QUICK.replace("[fixed]", f'[parameters."{ESC}"]\n'
                                       "a = { verification_rate = 0.1 }\n"
                                       "b = { verification_rate = 0.2 }\n[fixed]")),
    "coefficients": ("c.toml", f'"{ESC}" = 1\n"{LONG}" = 2\n'),
}


@pytest.mark.parametrize("what", list(FILES))
def test_names_from_a_file_are_shown_escaped_and_shortened(tmp_path: Path, capsys: Any,
                                                          what: str) -> None:
    name, text = FILES[what]
    path = tmp_path / name
    path.write_text(text.replace(ESC, ESC.replace("\x1b", "\\u001b")))  # TOML's escape
    args = {"s": ["validate", str(path)],
            "e": ["sweep", str(path), "--out", str(tmp_path / "out")],
            "c": ["run", *RUN, "--out", str(tmp_path / "out"), "--calibration", str(path)]}
    assert main(args[name[0]]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "Traceback" not in err
    assert "\\x1b[31mred" in err or "\\u001b[31mred" in err  # shown, escaped
    if LONG in text:  # the key (and the dotted key of its table) shortened, its length said
        assert re.search(r"… \(100,0\d\d characters\)", err), err
    assert all(line.isprintable() and len(line) < 1000 for line in err.splitlines()), err


@pytest.mark.parametrize("args", [
    ["validate", "k" * 5000], ["run", "k" * 5000, *RUN], ["sweep", "k" * 5000],
    ["run", *RUN, "--calibration", "k" * 5000], ["validate", "a\x1b[2Jb"],
], ids=["validate", "run", "sweep", "calibration", "escape"])
def test_a_file_name_no_file_can_have_is_not_found(capsys: Any, args: list[str]) -> None:
    """A name too long for the filesystem was an OSError traceback."""
    assert main(args) == 2
    line = one_line(capsys)
    assert "not found" in line or "no such calibration preset or file" in line
    assert line.isprintable() and len(line) < 1000


def test_a_schedule_label_is_printed_safely_by_validate_and_run(tmp_path: Path,
                                                                capsys: Any) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[[schedule]]\nlabel = "\\u001b[2Jgone"\nflexiwork = { enabled = true }\n')
    assert main(["validate", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "schedule[1]: \\x1b[2Jgone: from week 1" in shown
    assert main(["run", str(path), *RUN[:-1], "--out", str(tmp_path / "out")]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "schedule: \\x1b[2Jgone: from week 1" in shown


def test_an_upload_keeps_no_more_than_the_file_whatever_the_client_sends() -> None:
    """A client that is not the page may send overlapping pieces, repeats and pieces past the
    end: the server keeps the file's bytes once, in order, and nothing more."""
    from flexisim.dashboard.upload import UploadWidget

    widget = UploadWidget()

    def hostile(message: dict, buffers: Any = None) -> None:
        request = message["args"][0]["id"]
        for offset, piece in ((0, b"abcde"), (0, b"XXXXX"), (2, b"YYYYY"), (5, b"fghij"),
                              (5, b"ZZZZZ"), (10, b"WWWWW"), (3, b"VVVVV")):
            widget.vue_upload({"id": request, "offset": offset, "length": 5}, [piece])

    widget.send = hostile
    assert widget.read(10, timeout=5) == b"abcdefghij"
    assert sum(map(len, widget._chunks.values())) == 10
