"""Tests of flexisim.scenario: lever schema, scenario files, validation, hashing."""

from __future__ import annotations

import dataclasses
import pickle
import re
import shutil
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexisim.scenario import (
    DEFAULT_SCENARIO,
    DEFAULTS,
    LEVERS,
    MAX_UPLOAD_BYTES,
    Lever,
    Scenario,
    ScenarioError,
    hash_values,
    list_scenarios,
    load_scenario,
    parse_scenario_text,
    scenarios_dir,
    validate_values,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "scenarios"
SHIPPED_NAMES = sorted(p.stem for p in SHIPPED.glob("*.toml"))
EXPECTED_NAMES = {
    "permenpan_4_2025",
    "office_only",
    "trust_without_verify",
    "trust_but_verify",
    "wfh_2020_decree",
    "three_flexible_days",
    "pilot_then_rollout",
    "shifts_and_dynamic_hours",
    "invest_in_prerequisites",
    "control_heavy",
    "digital_divide",
    "inspired_finland_trust",
    "inspired_new_zealand_open_reporting",
    "inspired_singapore_digital_leadership",
    "inspired_uk_smart_working",
    "inspired_canada_talent_retention",
    "inspired_australia_work_life_balance",
}
VR = "a number from 0.0 to 1.0"


@pytest.fixture(autouse=True)
def _shipped_scenarios(monkeypatch):
    """Every test starts with the shipped scenarios folder, whatever the environment says."""
    monkeypatch.delenv("FLEXISIM_SCENARIOS", raising=False)


@pytest.fixture
def lib(tmp_path, monkeypatch):
    """A scenarios folder ``lib/`` (holding a copy of the default) under a fresh cwd."""
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copy(SHIPPED / "permenpan_4_2025.toml", folder)
    monkeypatch.setenv("FLEXISIM_SCENARIOS", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def problems(call, *args, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        call(*args, **kwargs)
    return info.value.problems


# ------------------------------------------------------------------- schema


def test_levers_schema_is_consistent():
    text = (REPO / "flexisim" / "data" / "levers.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    assert [lv.key for lv in LEVERS.values()] == list(raw)  # file order
    assert list(LEVERS)[:3] == ["steps", "warmup_weeks", "seed"]
    assert LEVERS["flexiwork_enabled"].key == "flexiwork.enabled"
    assert LEVERS["verification_rate"].kwarg == "verification_rate"  # kwarg defaults to field
    for kwarg, lever in LEVERS.items():
        assert lever.kwarg == kwarg
        assert lever.key == f"{lever.table}.{lever.field}"
        assert lever.type in {"bool", "int", "float", "str", "list[str]"}
        assert lever.en and lever.id and lever.source and lever.unit
        if lever.type in {"int", "float"}:
            assert lever.min is not None and lever.max is not None
            assert lever.min <= lever.default <= lever.max
        if lever.type in {"str", "list[str]"}:
            assert lever.choices
    assert LEVERS["n_asn"].min == 600
    with pytest.raises(dataclasses.FrozenInstanceError):
        LEVERS["steps"].default = 1  # type: ignore[misc]


def test_allowed_texts():
    assert LEVERS["verification_rate"].allowed() == VR
    assert LEVERS["steps"].allowed() == "an integer from 1 to 5200"
    assert LEVERS["citizens_per_asn"].allowed() == "a number from 0.05 to 5.0"
    assert LEVERS["flexiwork_enabled"].allowed() == "true or false"
    assert LEVERS["communication_policy"].allowed() == "one of 'silent', 'reactive', 'proactive'"
    assert LEVERS["eligible_families"].allowed() == (
        "a list drawn from ['frontline', 'administrative', 'technical', 'offsite'], "
        "each at most once"
    )
    open_ended = Lever(
        key="a.b", table="a", field="b", kwarg="b", type="float", default=1.0, min=0.0
    )
    assert open_ended.allowed() == "a number of at least 0.0"


def test_defaults_are_complete_and_valid():
    assert list(DEFAULTS) == list(LEVERS)
    assert validate_values({}) == DEFAULTS
    assert DEFAULTS["eligible_families"] == ["frontline", "administrative", "technical", "offsite"]
    assert isinstance(DEFAULTS["min_tenure_years"], float)
    fresh = validate_values({})
    fresh["eligible_families"].append("x")
    assert "x" not in DEFAULTS["eligible_families"]  # callers get copies


# ------------------------------------------------------------------- shipped scenarios


def test_shipped_scenario_names():
    assert set(SHIPPED_NAMES) == EXPECTED_NAMES
    assert [s.name for s in list_scenarios()] == SHIPPED_NAMES
    assert scenarios_dir().resolve() == SHIPPED.resolve()


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_every_shipped_scenario_loads(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.path is not None and scenario.path.resolve() == (SHIPPED / f"{name}.toml")
    assert list(scenario.values) == list(LEVERS)
    assert scenario.description and "\n" not in scenario.description
    assert validate_values(scenario.values) == scenario.values
    assert re.fullmatch(r"[0-9a-f]{16}", scenario.hash)


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_every_shipped_scenario_is_commented(name):
    """A header paragraph, and a comment on (or just above) every lever the file sets."""
    lines = (SHIPPED / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    header = [ln for ln in lines[:6] if ln.startswith("#")]
    assert len(header) >= 3
    previous = ""
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "[")) and "=" in stripped:
            key = stripped.split("=", 1)[0].strip()
            if key not in {"description", "extends"}:
                assert previous.startswith("#") or "#" in stripped, f"{name}: {line!r}"
        if stripped:
            previous = stripped
    if name != DEFAULT_SCENARIO:
        assert 'extends = "permenpan_4_2025"' in lines
    if name.startswith("inspired_"):
        text = "\n".join(lines)
        assert "Inspired by" in text and "does NOT model" in text


def test_default_scenario_is_the_defaults():
    for spec in (
        None,
        "permenpan_4_2025",
        "permenpan_4_2025.toml",
        SHIPPED / "permenpan_4_2025.toml",
        str(SHIPPED / "permenpan_4_2025.toml"),
    ):
        scenario = load_scenario(spec)
        assert scenario.name == DEFAULT_SCENARIO
        drift = {k: (v, DEFAULTS[k]) for k, v in scenario.values.items() if v != DEFAULTS[k]}
        assert not drift, (
            "scenarios/permenpan_4_2025.toml must restate the defaults of levers.toml; "
            f"update it (lever: (file, levers.toml)): {drift}"
        )


def changed(scenario: Scenario) -> dict:
    """The levers a scenario sets differently from the reference scenario."""
    reference = load_scenario().values
    return {k: v for k, v in scenario.values.items() if v != reference[k]}


def test_shipped_scenario_contents():
    ref = load_scenario().values  # today's rules
    assert changed(load_scenario("office_only")) == {"flexiwork_enabled": False}
    assert changed(load_scenario("trust_but_verify")) == {
        "trust_culture": 0.75,
        "results_based_share": 0.9,
        "verification_rate": 0.3,
        "measurement_credibility": 0.8,
        "planning_integration": 0.7,
        "training_share": 0.6,
        "training_capacity": 0.15,
        "communication_policy": "proactive",
    }
    twv = load_scenario("trust_without_verify").values
    assert twv["trust_culture"] == 0.8 and twv["verification_rate"] == 0.02
    assert twv["measurement_credibility"] == 0.3
    assert twv["results_based_share"] < ref["results_based_share"]
    assert twv["sanction_severity"] < ref["sanction_severity"]
    assert changed(load_scenario("control_heavy")) == {
        "trust_culture": 0.1,
        "results_based_share": 0.1,
        "verification_rate": 0.6,
        "sanction_severity": 0.9,
        "training_share": 0.0,
        "training_capacity": 0.0,
    }
    dd = load_scenario("digital_divide").values
    assert dd["regional_gap"] == 1.6
    for kwarg in ("device_access", "internet_quality", "platform_quality"):
        assert dd[kwarg] < ref[kwarg]
    assert load_scenario("inspired_singapore_digital_leadership").values["training_share"] == 1.0
    assert load_scenario("inspired_uk_smart_working").values["max_flex_days"] == 3
    nz = load_scenario("inspired_new_zealand_open_reporting").values
    assert nz["communication_policy"] == "proactive"
    canada = load_scenario("inspired_canada_talent_retention").values
    assert canada["recruitment_attractiveness"] > ref["recruitment_attractiveness"]
    assert canada["eligible_families"] == ref["eligible_families"]
    assert load_scenario("inspired_finland_trust").values["trust_culture"] >= 0.7
    aus = load_scenario("inspired_australia_work_life_balance").values
    assert aus["max_flex_days"] == 3 and aus["agency_quota"] > ref["agency_quota"]
    hashes = {s.hash for s in list_scenarios()}
    assert len(hashes) == len(SHIPPED_NAMES)  # all distinct


# ------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_to_toml_round_trip(name, tmp_path):
    scenario = load_scenario(name)
    text = scenario.to_toml()
    again = parse_scenario_text(text)
    assert again.values == scenario.values
    assert again.hash == scenario.hash
    assert again.description == scenario.description
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    from_file = load_scenario(path)
    assert from_file.values == scenario.values and from_file.hash == scenario.hash
    assert from_file.name == name
    assert "extends" not in tomllib.loads(text)
    for lever in LEVERS.values():
        assert f"\n[{lever.table}]\n" in text
        assert f"\n{lever.field} = " in text
        assert lever.allowed() in text and lever.en in text


def test_to_toml_comments_every_field():
    text = load_scenario().to_toml()
    lines = text.splitlines()
    assert lines[0].startswith("# flexisim scenario: permenpan_4_2025")
    for i, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line) and not line.startswith("description"):
            assert lines[i - 1].startswith("# source:")
            assert lines[i - 2].startswith("# unit: ")
            assert "allowed: " in lines[i - 2] and "default: " in lines[i - 2]


def test_to_toml_escapes_description():
    tricky = 'He said "flexi\\work"\tok\n— kerja fleksibel ✓ \x7f 😀'
    scenario = dataclasses.replace(load_scenario(), description=tricky)
    assert parse_scenario_text(scenario.to_toml()).description == tricky


def test_to_toml_refuses_incomplete_values():
    broken = Scenario(name="broken", description="", values={"steps": 3})
    assert "values missing for warmup_weeks, seed" in problems(broken.to_toml)[0]


# ------------------------------------------------------------------- extends


def test_extends_same_folder_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "base.toml",
        """
        description = "base"
        [oversight]
        verification_rate = 0.4
        sanction_severity = 0.8
        [leadership]
        trust_culture = 0.9
    """,
    )
    write(
        tmp_path / "child.toml",
        """
        description = "child"
        extends = "base.toml"
        [oversight]
        verification_rate = 0.1
    """,
    )
    child = load_scenario("child.toml")
    assert child.name == "child" and child.description == "child"
    assert child.values["verification_rate"] == 0.1  # overridden field
    assert child.values["sanction_severity"] == 0.8  # sibling field of the same table kept
    assert child.values["trust_culture"] == 0.9  # other table kept
    assert child.values["steps"] == DEFAULTS["steps"]  # never set: default


def test_extends_by_name_and_chain(lib, tmp_path):
    write(
        lib / "middle.toml",
        """
        description = "middle"
        extends = "permenpan_4_2025"
        [run]
        steps = 52
        [oversight]
        verification_rate = 0.5
    """,
    )
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    write(
        elsewhere / "top.toml",
        """
        extends = "middle"
        [oversight]
        verification_rate = 0.25
    """,
    )
    top = load_scenario(elsewhere / "top.toml")
    assert top.description == "middle"  # inherited only because top has none
    assert top.values["steps"] == 52
    assert top.values["verification_rate"] == 0.25
    assert top.values["trust_culture"] == DEFAULTS["trust_culture"]
    assert load_scenario("middle").values["verification_rate"] == 0.5


def test_extends_prefers_the_file_beside(lib, tmp_path):
    write(lib / "base.toml", "[run]\nsteps = 10\n")
    own = tmp_path / "own"
    own.mkdir()
    write(own / "base.toml", "[run]\nsteps = 20\n")
    write(own / "child.toml", 'extends = "base"\n')
    assert load_scenario(own / "child.toml").values["steps"] == 20


def test_empty_file_is_the_defaults(tmp_path):
    path = write(tmp_path / "empty.toml", "")
    scenario = load_scenario(path)
    assert scenario.values == DEFAULTS and scenario.description == ""


# ------------------------------------------------------------------- error messages


def one(call, *args, **kwargs) -> str:
    found = problems(call, *args, **kwargs)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "[oversight]\nverfication_rate = 0.3\n",
            "bad.toml: oversight.verfication_rate: 0.3: unknown field "
            "(did you mean 'verification_rate'?)",
        ),
        (
            "[oversight]\ntrust_culture = 0.3\n",
            "bad.toml: oversight.trust_culture: 0.3: unknown field "
            "(did you mean 'leadership.trust_culture'? it belongs under [leadership])",
        ),
        (
            "[oversight]\nzzz = 1\n",
            "bad.toml: oversight.zzz: 1: unknown field (allowed: results_based_share, "
            "verification_rate, sanction_severity, sanction_weeks)",
        ),
        (
            "[oversite]\nverification_rate = 0.3\n",
            "bad.toml: oversite: unknown table (did you mean 'oversight'?)",
        ),
        (
            "verification_rate = 0.3\n",
            "bad.toml: verification_rate: 0.3: unknown top-level key "
            "(did you mean 'oversight.verification_rate'? it belongs under [oversight])",
        ),
        (
            'descripton = "x"\n',
            "bad.toml: descripton: \"x\": unknown top-level key (did you mean 'description'?)",
        ),
        (
            '[oversight]\nverification_rate = 0.1\ndescription = "x"\n',
            'bad.toml: oversight.description: "x": unknown field '
            "(description is a top-level key: write it before the first [table])",
        ),
        (
            "oversight = 0.4\n",
            "bad.toml: oversight: 0.4: expected a table [oversight], got a decimal number "
            "(allowed: a table with the fields results_based_share, verification_rate, "
            "sanction_severity, sanction_weeks)",
        ),
        (
            "[run]\nsteps = true\n",
            "bad.toml: run.steps: true: expected an integer, got a boolean "
            "(allowed: an integer from 1 to 5200)",
        ),
        (
            "[run]\nsteps = 52.0\n",
            "bad.toml: run.steps: 52.0: expected an integer, got a decimal number "
            "(allowed: an integer from 1 to 5200)",
        ),
        (
            '[oversight]\nverification_rate = "high"\n',
            f'bad.toml: oversight.verification_rate: "high": expected a number, got a string '
            f"(allowed: {VR})",
        ),
        (
            "[oversight]\nverification_rate = false\n",
            f"bad.toml: oversight.verification_rate: false: expected a number, got a boolean "
            f"(allowed: {VR})",
        ),
        (
            "[flexiwork]\nenabled = 1\n",
            "bad.toml: flexiwork.enabled: 1: expected true or false, got an integer "
            "(allowed: true or false)",
        ),
        (
            "[oversight]\nverification_rate = 1.5\n",
            f"bad.toml: oversight.verification_rate: 1.5: above the maximum (allowed: {VR})",
        ),
        (
            "[oversight]\nverification_rate = -0.1\n",
            f"bad.toml: oversight.verification_rate: -0.1: below the minimum (allowed: {VR})",
        ),
        (
            "[oversight]\nverification_rate = nan\n",
            f"bad.toml: oversight.verification_rate: nan: not a finite number (allowed: {VR})",
        ),
        (
            "[population]\nn_asn = 599\n",
            "bad.toml: population.n_asn: 599: below the minimum "
            "(allowed: an integer from 600 to 6000000)",
        ),
        (
            '[communication]\npolicy = "proactiv"\n',
            'bad.toml: communication.policy: "proactiv": not one of the choices '
            "(did you mean 'proactive'?) (allowed: one of 'silent', 'reactive', 'proactive')",
        ),
        (
            '[communication]\npolicy = "loud"\n',
            'bad.toml: communication.policy: "loud": not one of the choices '
            "(allowed: one of 'silent', 'reactive', 'proactive')",
        ),
        (
            '[flexiwork]\neligible_families = ["frontline", "admin"]\n',
            'bad.toml: flexiwork.eligible_families: ["frontline", "admin"]: element "admin" '
            "is not a choice (did you mean 'administrative'?) (allowed: a list drawn from "
            "['frontline', 'administrative', 'technical', 'offsite'], each at most once)",
        ),
        (
            '[flexiwork]\neligible_families = ["offsite", "offsite"]\n',
            'bad.toml: flexiwork.eligible_families: ["offsite", "offsite"]: element '
            '"offsite" appears more than once (allowed: a list drawn from '
            "['frontline', 'administrative', 'technical', 'offsite'], each at most once)",
        ),
        (
            '[flexiwork]\neligible_families = "offsite"\n',
            'bad.toml: flexiwork.eligible_families: "offsite": expected a list, got a string '
            "(allowed: a list drawn from "
            "['frontline', 'administrative', 'technical', 'offsite'], each at most once)",
        ),
        (
            "description = 3\n",
            "bad.toml: description: 3: expected a string, got an integer "
            "(allowed: one line of text in quotes)",
        ),
        (
            'description = "ok"\n[run]\nsteps = = 3\n',
            "bad.toml: line 3, column 9: invalid TOML: Invalid value",
        ),
        (
            "[run]\nsteps = 3\nsteps = 4\n",
            "bad.toml: line 3, column 10: invalid TOML: Cannot overwrite a value",
        ),
        (
            "[run\n",
            "bad.toml: line 1, column 5: invalid TOML: Expected ']' at the end of a table "
            "declaration",
        ),
        (
            'description = "unterminated\n',
            "bad.toml: line 1, column 28: invalid TOML: Illegal character '\\n'",
        ),
        (
            "[run]\nsteps = [1,\n",  # error at the end of the document
            "bad.toml: line 3, column 1: invalid TOML: Invalid value",
        ),
    ],
)
def test_each_error_kind_is_one_line(body, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.toml", body)
    message = one(load_scenario, "bad.toml")
    assert message == expected
    assert "\n" not in message


def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for spec in ("no_such_scenario", "no_such.toml", "some/dir/x.toml"):
        message = one(load_scenario, spec)
        assert message.startswith(f"{spec}: file not found (available scenarios: ")
        assert ("office_only, permenpan_4_2025, pilot_then_rollout, shifts_and_dynamic_hours, "
                "three_flexible_days, trust_but_verify") in message


def test_missing_extends_target(lib):
    write(lib / "orphan.toml", 'extends = "ghost"\n')
    # lib/ ($FLEXISIM_SCENARIOS) adds to the shipped scenarios, which are named too
    names = ", ".join(sorted({p.stem for p in SHIPPED.glob("*.toml")} | {"orphan"}))
    assert one(load_scenario, "orphan") == (
        f'lib/orphan.toml: extends: "ghost": file not found (available scenarios: {names})')


def test_extends_must_be_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.toml", "extends = 3\n")
    assert one(load_scenario, "bad.toml").startswith(
        "bad.toml: extends: 3: expected the name of a scenario (allowed: a scenario name"
    )


def test_circular_extends(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.toml", 'extends = "b"\n')
    write(tmp_path / "b.toml", 'extends = "c.toml"\n')
    write(tmp_path / "c.toml", 'extends = "a"\n')
    assert one(load_scenario, "a.toml") == (
        'c.toml: extends: "a": circular extends: a.toml -> b.toml -> c.toml -> a.toml'
    )
    write(tmp_path / "self.toml", 'extends = "self"\n')
    assert one(load_scenario, "self.toml") == (
        'self.toml: extends: "self": circular extends: self.toml -> self.toml'
    )


def test_problems_in_parent_name_the_parent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "parent.toml", "[run]\nsteps = 0\n")
    write(tmp_path / "child.toml", 'extends = "parent"\n[run]\nseed = -1\n')
    # the file's own problems first, then those of the files it extends
    assert problems(load_scenario, "child.toml") == [
        "child.toml: run.seed: -1: below the minimum (allowed: an integer from 0 to 4294967295)",
        "parent.toml: run.steps: 0: below the minimum (allowed: an integer from 1 to 5200)",
    ]


def test_many_problems_reported_together(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "bad.toml",
        """
        description = "several mistakes"
        extends = "ghost"
        [oversight]
        verfication_rate = 0.3
        sanction_severity = 2
        [run]
        steps = true
        [communication]
        policy = "loud"
    """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario("bad.toml")
    found = info.value.problems
    assert len(found) == 5
    assert all(p.startswith("bad.toml: ") for p in found)
    wheres = [p.split(": ")[1] for p in found]
    # the file's own fields in document order, then its extends chain
    assert wheres == [
        "oversight.verfication_rate",
        "oversight.sanction_severity",
        "run.steps",
        "communication.policy",
        "extends",
    ]
    assert str(info.value) == "\n".join(found)


def test_error_names_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub / "x.toml", "[run]\nsteps = 0\n")
    assert one(load_scenario, "sub/x.toml").startswith("sub/x.toml: run.steps: 0: ")
    assert one(load_scenario, Path("sub/x.toml")).startswith("sub/x.toml: run.steps: 0: ")


def test_named_scenario_errors_show_the_file(lib):
    write(lib / "oops.toml", "[run]\nsteps = 0\n")
    assert one(load_scenario, "oops").startswith("lib/oops.toml: run.steps: 0: ")


def test_not_utf8(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin.toml").write_bytes(b'description = "caf\xe9"\n')
    assert one(load_scenario, "latin.toml") == "latin.toml: not UTF-8 text (bad byte at offset 18)"


def test_scenario_error_pickles():
    error = ScenarioError(["a: one", "b: two"])
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, ScenarioError) and isinstance(again, ValueError)
    assert again.problems == ["a: one", "b: two"] and str(again) == "a: one\nb: two"


# ------------------------------------------------------------------- hash


def test_hash_ignores_seed():
    base = load_scenario()
    assert base.with_values(seed=7).hash == base.hash
    assert load_scenario(overrides={"seed": 123}).hash == base.hash
    assert hash_values(base.values) == base.hash
    assert re.fullmatch(r"[0-9a-f]{16}", base.hash)


def other_value(lever: Lever):
    value = DEFAULTS[lever.kwarg]
    if lever.type == "bool":
        return not value
    if lever.type == "int":
        return value + 1 if value < lever.max else value - 1
    if lever.type == "float":
        return (value + lever.max) / 2 if value < lever.max else (value + lever.min) / 2
    if lever.type == "str":
        return next(c for c in lever.choices if c != value)
    return value[:-1]


@pytest.mark.parametrize("kwarg", [k for k in LEVERS if k != "seed"])
def test_hash_changes_with_every_other_lever(kwarg):
    base = load_scenario()
    assert base.with_values(**{kwarg: other_value(LEVERS[kwarg])}).hash != base.hash


def test_hash_is_canonical():
    base = load_scenario()
    as_int = base.with_values(agency_quota=0).hash  # int converted to float
    assert as_int == base.with_values(agency_quota=0.0).hash
    shuffled = base.with_values(eligible_families=["offsite", "frontline"])
    ordered = base.with_values(eligible_families=("frontline", "offsite"))
    assert shuffled.values["eligible_families"] == ["frontline", "offsite"]
    assert shuffled.hash == ordered.hash


# ------------------------------------------------------------------- values API


def test_validate_values_converts_and_fills():
    values = validate_values(
        {
            "agency_quota": 1,
            "eligible_families": ("offsite",),
            "steps": np.int64(52),
            "verification_rate": np.float32(0.5),
            "flexiwork_enabled": np.bool_(False),
        }
    )
    assert values["agency_quota"] == 1.0 and isinstance(values["agency_quota"], float)
    assert values["eligible_families"] == ["offsite"]
    assert values["steps"] == 52 and type(values["steps"]) is int
    assert values["verification_rate"] == 0.5 and type(values["verification_rate"]) is float
    assert values["flexiwork_enabled"] is False
    assert list(values) == list(LEVERS)
    assert values["trust_culture"] == DEFAULTS["trust_culture"]


def test_validate_values_problems():
    found = problems(
        validate_values,
        {
            "verfication_rate": 0.3,
            "enabled": False,
            "oversight.trust_culture": 0.2,
            "steps": True,
            "n_asn": 10,
        },
    )
    assert found == [
        "<arguments>: verfication_rate: 0.3: unknown parameter (did you mean 'verification_rate'?)",
        "<arguments>: enabled: false: unknown parameter (did you mean 'flexiwork_enabled'?)",
        "<arguments>: oversight.trust_culture: 0.2: unknown parameter "
        "(did you mean 'trust_culture'?)",
        "<arguments>: steps: true: expected an integer, got a boolean "
        "(allowed: an integer from 1 to 5200)",
        "<arguments>: n_asn: 10: below the minimum (allowed: an integer from 600 to 6000000)",
    ]
    unknown = one(validate_values, {"qqqq": 1}, source="model")
    assert unknown.startswith("model: qqqq: 1: unknown parameter (allowed: steps, "
                              "warmup_weeks, seed, ")


def test_with_values():
    base = load_scenario("trust_but_verify")
    longer = base.with_values(steps=260, n_asn=600)
    assert longer.values["steps"] == 260 and longer.values["n_asn"] == 600
    assert longer.name == base.name and longer.description == base.description
    assert base.values["steps"] == DEFAULTS["steps"]  # original untouched
    assert one(base.with_values, steps=0) == (
        "<overrides>: steps: 0: below the minimum (allowed: an integer from 1 to 5200)"
    )
    assert one(base.with_values, "dashboard", stepz=3).startswith(
        "dashboard: stepz: 3: unknown parameter (did you mean 'steps'?)"
    )


def test_load_scenario_overrides():
    scenario = load_scenario("office_only", {"steps": 52, "seed": 1, "n_asn": 1000})
    assert scenario.values["steps"] == 52 and scenario.values["n_asn"] == 1000
    assert scenario.values["flexiwork_enabled"] is False
    found = problems(load_scenario, "office_only", {"steps": 0, "n_asm": 1000})
    assert found == [
        "command line: steps: 0: below the minimum (allowed: an integer from 1 to 5200)",
        "command line: n_asm: 1000: unknown parameter (did you mean 'n_asn'?)",
    ]


def test_overrides_reported_with_file_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.toml", "[run]\nsteps = 0\n")
    found = problems(load_scenario, "bad.toml", {"seed": -5})
    assert [p.split(":")[0] for p in found] == ["bad.toml", "command line"]


# ------------------------------------------------------------------- uploads


def test_parse_scenario_text():
    scenario = parse_scenario_text('description = "mine"\n[leadership]\ntrust_culture = 0.9\n')
    assert scenario.name == "custom" and scenario.path is None
    assert scenario.description == "mine" and scenario.values["trust_culture"] == 0.9
    extended = parse_scenario_text('extends = "office_only"\n')
    assert extended.values["flexiwork_enabled"] is False
    assert extended.description == load_scenario("office_only").description
    as_bytes = parse_scenario_text("\ufeff[run]\nsteps = 5\n".encode())
    assert as_bytes.values["steps"] == 5


def test_parse_scenario_text_size_limit():
    big = "# " + "x" * MAX_UPLOAD_BYTES + "\n"
    assert one(parse_scenario_text, big) == (
        f"<upload>: too large: {len(big)} bytes (allowed: at most 262144 bytes)"
    )
    fits = "#" * (MAX_UPLOAD_BYTES - 1) + "\n"
    assert parse_scenario_text(fits).values == DEFAULTS


def test_parse_scenario_text_malformed():
    assert one(parse_scenario_text, "[run]\nsteps = \n", "upload.toml") == (
        "upload.toml: line 2, column 9: invalid TOML: Invalid value"
    )
    assert one(parse_scenario_text, "[run]\nsteps = 0\n") == (
        "<upload>: run.steps: 0: below the minimum (allowed: an integer from 1 to 5200)"
    )


def test_parse_scenario_text_cannot_reach_outside(tmp_path, lib):
    write(tmp_path / "secret.toml", "[run]\nsteps = 3\n")
    for target in ("../secret", "../secret.toml", str(tmp_path / "secret.toml"), "..\\secret"):
        message = one(parse_scenario_text, f"extends = {target!r}\n")
        assert message.startswith('<upload>: extends: "')
        assert ": may only name a scenario file, not a path (allowed: " in message
    message = one(parse_scenario_text, 'extends = "secret"\n')
    assert message.startswith('<upload>: extends: "secret": file not found (available '
                              'scenarios: control_heavy, ')
    assert "secret" not in message.removeprefix('<upload>: extends: "secret"')


# ------------------------------------------------------------------- listing, folder


def test_list_scenarios_survives_broken_files(lib):
    write(lib / "broken.toml", "[run]\nsteps = = 1\n")
    write(lib / "also_broken.toml", "[run]\nsteps = 0\nseed = -1\n")
    write(lib / "fine.toml", 'description = "fine"\nextends = "permenpan_4_2025"\n')
    listed = {s.name: s for s in list_scenarios()}
    # lib/'s files, and the shipped ones it does not hold (its copy of the default wins)
    assert list(listed) == sorted({"also_broken", "broken", "fine"}
                                  | {p.stem for p in SHIPPED.glob("*.toml")})
    assert listed["permenpan_4_2025"].path == lib / "permenpan_4_2025.toml"
    assert listed["broken"].description == (
        "INVALID: line 2, column 9: invalid TOML: Invalid value"
    )
    assert listed["broken"].values == {}
    assert listed["also_broken"].description.startswith("INVALID: run.steps: 0: below the ")
    assert listed["also_broken"].description.endswith("(and 1 more problem)")
    assert (
        listed["fine"].description == "fine"
        and listed["fine"].values == listed["permenpan_4_2025"].values
    )


def test_scenarios_dir(lib, tmp_path, monkeypatch):
    assert scenarios_dir() == lib
    monkeypatch.delenv("FLEXISIM_SCENARIOS")
    assert scenarios_dir().resolve() == SHIPPED.resolve()  # the repository's folder


# ------------------------------------------------------------------- property


def _lever_strategy(lever: Lever):
    if lever.type == "int":
        return st.integers(min_value=int(lever.min), max_value=int(lever.max))
    return st.floats(
        min_value=lever.min, max_value=lever.max, allow_nan=False, allow_infinity=False
    )


NUMERIC = {k: lv for k, lv in LEVERS.items() if lv.type in {"int", "float"}}


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({k: _lever_strategy(lv) for k, lv in NUMERIC.items()}))
def test_any_in_range_numbers_validate_and_round_trip(numbers):
    values = validate_values(numbers)
    for kwarg, value in numbers.items():
        assert values[kwarg] == value
    scenario = Scenario(name="prop", description="property", values=values)
    again = parse_scenario_text(scenario.to_toml())
    assert again.values == values
    assert again.hash == scenario.hash


def test_every_input_error_shares_one_base_class():
    """Scenario, experiment, target, folder and usage errors are all InputError: the CLI
    turns any of them into exit 2 with one line per problem."""
    import pickle

    from flexisim import errors

    for cls in (errors.ScenarioError, errors.ExperimentError, errors.TargetError,
                errors.FolderError, errors.UsageError):
        assert issubclass(cls, errors.InputError) and issubclass(cls, ValueError)
        err = cls(["a: b: c", "d: e: f"])
        assert str(err) == "a: b: c\nd: e: f"
        again = pickle.loads(pickle.dumps(err))
        assert type(again) is cls and again.problems == err.problems


# ------------------------------------------------------------------ hostile files (issue 16)
def test_deep_nesting_is_a_problem_not_a_recursion_error(tmp_path, capsys):
    from flexisim.cli import main

    path = tmp_path / "deep.toml"
    path.write_text("[oversight]\nverification_rate = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested more than 32 levels" in err and "Traceback" not in err
    inline = tmp_path / "inline.toml"
    inline.write_text("x = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n")
    assert main(["validate", str(inline)]) == 2
    assert "nested more than" in capsys.readouterr().err


def test_a_long_extends_chain_is_refused(tmp_path, capsys):
    from flexisim.cli import main

    (tmp_path / "s0.toml").write_text('description = "root"\n')
    for k in range(1, 40):
        (tmp_path / f"s{k}.toml").write_text(f'extends = "s{k - 1}.toml"\n')
    assert main(["validate", str(tmp_path / "s39.toml")]) == 2
    err = capsys.readouterr().err
    assert "extends chain longer than 32 files" in err and "Traceback" not in err
    assert main(["validate", str(tmp_path / "s20.toml")]) == 0  # 21 files: fine


def test_brackets_inside_strings_and_comments_do_not_count():
    from flexisim.scenario import _nesting

    text = 'description = "' + "[" * 100 + '"  # ' + "{" * 100 + "\n[oversight]\n"
    assert _nesting(text)[0] == 1
    assert _nesting("x = '''" + "[" * 100 + "'''")[0] == 0


def test_keys_from_a_file_are_printed_safely(tmp_path, capsys):
    from flexisim.cli import main

    path = tmp_path / "keys.toml"
    path.write_text('[oversight]\n"\\u001b[31mred" = 1\n"' + "k" * 100_000 + '" = 2\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err  # the escape character is shown escaped, not sent
    assert "\\x1b[31mred" in err
    assert max(len(line) for line in err.splitlines()) < 1000  # the long key is shortened
