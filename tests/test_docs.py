"""The model documentation (docs/ODD.md) must not drift from the code.

* The parameter tables between the markers are exactly what tools/param_table.py generates
  from flexisim/data/levers.toml and flexisim/data/calibration.toml.
* Every mechanism function, every lever keyword, every behavioural coefficient, every output
  and every summary key is named in the prose (outside the generated tables), so adding one to
  the code without describing it in the ODD fails here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flexisim.mechanisms.registry import STEP
from flexisim.metrics import OUTPUTS, summarize
from flexisim.params import coefficient_names
from flexisim.scenario import LEVERS

REPO = Path(__file__).resolve().parents[1]
ODD = REPO / "docs" / "ODD.md"


@cache
def param_table():
    """tools/param_table.py as a module (tools/ is not a package)."""
    path = REPO / "tools" / "param_table.py"
    spec = importlib.util.spec_from_file_location("param_table", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("param_table", module)
    spec.loader.exec_module(module)
    return module


@cache
def prose() -> str:
    """docs/ODD.md without the generated block (so names must appear in the text itself)."""
    pt = param_table()
    text = ODD.read_text(encoding="utf-8")
    start, stop = text.find(pt.BEGIN), text.find(pt.END)
    if 0 <= start < stop:
        text = text[:start] + text[stop + len(pt.END):]
    return text


def code_text(markdown: str) -> str:
    """The contents of fenced code blocks and inline code spans of a Markdown text."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.S | re.M)
    rest = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.S | re.M)
    inline = re.findall(r"`([^`\n]+)`", rest)
    return "\n".join(fenced + inline)


def missing_names(names, text: str) -> list[str]:
    return [n for n in names if not re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", text)]


# ------------------------------------------------------------------ generated tables
def test_parameter_tables_are_up_to_date():
    problems = param_table().check(ODD)
    assert problems == [], "\n".join(problems)


def test_check_reports_a_stale_table(tmp_path):
    pt = param_table()
    doc = tmp_path / "ODD.md"
    doc.write_text(f"before\n{pt.BEGIN}\nold table\n{pt.END}\nafter\n", encoding="utf-8")
    assert pt.check(doc) != []
    assert pt.main(["--check", "--doc", str(doc)]) == 1
    assert pt.main(["--doc", str(doc)]) == 0  # rewrites
    assert pt.check(doc) == []
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("before\n") and text.endswith("\nafter\n")
    assert pt.main(["--check", "--doc", str(doc)]) == 0


@pytest.mark.parametrize("body", ["no markers at all", "<!-- END PARAMETER TABLE -->\n"
                                  "<!-- BEGIN PARAMETER TABLE -->"])
def test_check_reports_missing_or_misordered_markers(tmp_path, body):
    doc = tmp_path / "ODD.md"
    doc.write_text(body, encoding="utf-8")
    assert param_table().check(doc) != []


def test_calibration_comments_are_parsed(tmp_path):
    toml = tmp_path / "calibration.toml"
    toml.write_text(
        "# header comment\n"
        "# --- 1. first mechanism\n"
        "alpha = 0.5      # source: E1 | with a pipe\n"
        "beta = [1.0, 2.0]\n"
        "# --- 2. second\n"
        'gamma = "a # not a comment"  # the comment\n',
        encoding="utf-8")
    rows = param_table().calibration_coefficients(toml)
    assert [(c.section, c.name, c.value, c.comment) for c in rows] == [
        ("1. first mechanism", "alpha", 0.5, "source: E1 | with a pipe"),
        ("1. first mechanism", "beta", [1.0, 2.0], ""),
        ("2. second", "gamma", "a # not a comment", "the comment"),
    ]
    table = param_table().calibration_table(toml)
    assert "with a pipe" in table and "\\|" in table  # pipes escaped inside a cell


def test_tables_cover_every_lever_and_coefficient():
    pt = param_table()
    block = pt.render()
    assert missing_names([f"`{k}`" for k in LEVERS], block) == []
    coefficients = [c.name for c in pt.calibration_coefficients()]
    assert coefficients, "calibration.toml has no coefficients"
    assert missing_names([f"`{n}`" for n in coefficients], block) == []


# ------------------------------------------------------------------ names in the prose
def test_every_mechanism_function_is_described():
    functions = [m.function for m in STEP] + ["apply_levers", "infrastructure_levels"]
    missing = missing_names(functions, code_text(prose()))
    assert missing == [], f"mechanisms not named (as code) in docs/ODD.md: {missing}"


def test_every_registered_mechanism_has_its_own_odd_section():
    """Each mechanism of the registry has a section of ODD §7 whose heading names its
    function."""
    headings = re.findall(r"^### 7\.\d+[a-z]? .*$", prose(), flags=re.M)
    for m in STEP:
        assert any(f"`{m.function}`" in h for h in headings), (m.name, headings)


# ------------------------------------------------------------------ declarations
def _declared_views(registry=STEP):
    """Every ViewSpec of the model: the registry's (with the helpers its mechanisms use),
    setting up, the weekly indicators."""
    from flexisim import metrics
    from flexisim.mechanisms import setup
    from flexisim.state import COUNTS

    return ([v for m in registry for v in (m.view, *m.uses)]
            + [setup.SETUP, metrics.VIEW, COUNTS])


#: levers read where a run is set up rather than by a mechanism
RUN_LEVERS = {"steps", "warmup_weeks", "seed", "n_asn", "citizens_per_asn"}


def test_declared_parameters_exist_and_every_parameter_is_declared_somewhere():
    from flexisim.channels import CHANNELS, gate_name
    from flexisim.schedule import AGENCY_LEVERS

    gates = {gate_name(c) for c in CHANNELS}
    known = set(LEVERS) | set(coefficient_names()) | gates
    declared = {n for v in _declared_views() for n in v.parameters}
    # an agency lever is read from the agency's column of it (flexisim.schedule), never from
    # the national parameters
    assert not declared & set(AGENCY_LEVERS), "agency levers declared as parameters"
    declared |= {c for v in _declared_views() for c in v.reads.get("agencies", ())
                 if c in AGENCY_LEVERS}
    assert declared - known == set(), "declared parameters that do not exist"
    assert known - declared - RUN_LEVERS == set(), "levers or coefficients no mechanism declares"
    # each channel's gate sits in the mechanism the channel names
    for name, channel in CHANNELS.items():
        m = STEP[channel.mechanism]
        assert gate_name(name) in {n for v in (m.view, *m.uses) for n in v.parameters}, name


def declared_columns_problems(registry=STEP) -> list[str]:
    """Columns a view of ``registry`` declares that no table (nor a mechanism) declares."""
    from flexisim.state import Agencies, Citizens, Leaders, Regions, Staff

    tables = {"staff": Staff, "leaders": Leaders, "agencies": Agencies, "citizens": Citizens,
              "regions": Regions}
    added = registry.columns()
    problems = []
    for view in _declared_views(registry):
        for where in (view.reads, view.writes):
            for table, columns in where.items():
                known = set(tables[table].COLUMNS) | set(added.get(table, {}))
                problems += [f"{view.name}: {table}.{c}" for c in columns if c not in known]
    return problems


def test_declared_columns_exist():
    assert declared_columns_problems() == []


def _parameter_uses(module) -> set[str]:
    """Names read as ``p.<name>`` (the Params argument) or ``k.<name>`` (a kernel's
    parameter record) in a module's source."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in ("p", "k")}


def test_mechanisms_use_only_the_parameters_they_declare():
    """A mechanism's module reads exactly its declared levers and coefficients (kernels
    cannot read undeclared ones: their parameter record has no such field)."""
    import sys

    from flexisim.mechanisms.mechanism import Mechanism
    from flexisim.state import ViewSpec

    for name in {m.run.__module__ for m in STEP} | {"flexisim.metrics"}:
        module = sys.modules[name]
        views = [v.view if isinstance(v, Mechanism) else v for v in vars(module).values()
                 if isinstance(v, ViewSpec | Mechanism)]
        declared = {n for v in views for n in v.parameters}
        methods = {"levers", "coefficients", "replace", "build"}
        undeclared = _parameter_uses(module) - declared - methods
        assert undeclared == set(), f"{name} uses undeclared parameters {sorted(undeclared)}"


def test_every_lever_keyword_is_described():
    missing = missing_names(list(LEVERS), prose())
    assert missing == [], f"levers not mentioned in the text of docs/ODD.md: {missing}"


def test_every_calibration_coefficient_is_described():
    names = [c.name for c in param_table().calibration_coefficients()]
    missing = missing_names(names, prose())
    assert missing == [], f"coefficients not used in any equation of docs/ODD.md: {missing}"


def test_every_output_is_described():
    missing = missing_names([*OUTPUTS, *STEP.outputs()], prose())
    assert missing == [], f"outputs (metrics.OUTPUTS) not described in docs/ODD.md: {missing}"


def test_every_summary_key_is_described():
    ts = pd.DataFrame({name: [1.0, 1.0] for name in OUTPUTS})
    keys = summarize(ts, public_trust_start=50.0, public_trust_start_counterfactual=50.0)
    missing = missing_names(list(keys), prose())
    assert missing == [], f"summary keys (summarize) not described in docs/ODD.md: {missing}"


def _state_arrays(pop) -> dict[tuple[str, str], np.ndarray]:
    return {(t, c): getattr(table, c).copy() for t, table in pop.tables().items()
            for c in table.columns if table.columns[c].kind != "scratch"}


def test_every_mechanism_writes_only_what_it_declares():
    """Run each mechanism of the registry on a world in mid-run (flexiwork on, investment,
    sanctions and hires happening) and compare every column before and after: each one that
    changed must be among the mechanism's declared writes (its view and the helpers it uses),
    so the generated table of the ODD is true."""
    from flexisim import FlexiworkModel

    model = FlexiworkModel(rng=4, n_asn=3000, counterfactual=False, digital_budget=3000.0,
                           citizen_access_budget=2000.0, measurement_budget=200.0,
                           verification_rate=0.6, hiring_delay_weeks=1)
    model.run(13)
    pop, p = model.pop, model.p
    undeclared = {}
    for week, mechanism in enumerate(STEP, start=13):
        before = _state_arrays(pop)
        mechanism.run(pop, p, model.world.streams.get(mechanism.name), week)
        after = _state_arrays(pop)
        changed = {key for key in before
                   if not np.array_equal(before[key], after[key], equal_nan=True)}
        declared = {(t, c) for t, cols in mechanism.writes.items() for c in cols}
        if changed - declared:
            undeclared[mechanism.name] = sorted(changed - declared)
    assert undeclared == {}


def test_the_readme_names_every_shipped_scenario():
    """The README's list of shipped scenarios (before the presets inspired by other
    countries, which it names as a group) is complete: a new scenario file is named there."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("Shipped scenarios:"):]
    listed = listed[:listed.index("\n\n")]
    shipped = [p.stem for p in sorted((REPO / "scenarios").glob("*.toml"))
               if not p.stem.startswith("inspired_")]
    assert len(shipped) >= 10
    assert missing_names(shipped, code_text(listed)) == []
