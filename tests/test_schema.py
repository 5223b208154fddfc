"""The JSON Schemas of scenario and experiment files (flexisim/schema.py, schemas/).

The committed schemas equal the generated ones, are valid Draft 7 schemas, and agree with the
validator:

- on every shipped scenario and experiment (both accept);
- on every bad file of the validator's own tests (tests/test_scenario.py's one-line errors,
  tests/test_experiment_inputs.py's cases) and the bad files below: both reject, except the
  errors listed in ``BEYOND_THE_SCHEMA`` with why a JSON Schema cannot say them -- and those
  the schema is checked to accept, so the list stays exact;
- on random files (the fuzz strategies of tests/test_hostile_inputs.py): a file the validator
  accepts, the schema accepts too (an editor never marks a good file as wrong).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

jsonschema = pytest.importorskip("jsonschema")

from flexisim import schema  # noqa: E402
from flexisim.errors import ExperimentError, ScenarioError  # noqa: E402
from flexisim.experiment.definition import load_experiment, parse_experiment  # noqa: E402
from flexisim.scenario import load_scenario, parse_scenario_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.toml"))


def _validator(name: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads((ROOT / "schemas" / name).read_text()))


@pytest.mark.parametrize("name", sorted(schema.SCHEMA_FILES))
def test_committed_schema_is_the_generated_one(name):
    generated = schema.render(schema.schemas()[name])
    jsonschema.Draft7Validator.check_schema(json.loads(generated))
    assert (ROOT / "schemas" / name).read_text() == generated, (
        "stale: python -m flexisim.schema --write")
    assert (ROOT / "flexisim" / "data" / "schemas" / name).read_text() == generated


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_pass_both(path):
    load_scenario(path)
    errors = list(_validator("scenario.schema.json").iter_errors(tomllib.loads(
        path.read_text())))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_shipped_experiments_pass_both(path):
    load_experiment(path)
    errors = list(_validator("experiment.schema.json").iter_errors(tomllib.loads(
        path.read_text())))
    assert errors == [], [e.message for e in errors]


BAD_SCENARIOS = {
    "unknown field": "[oversight]\nverfication_rate = 0.3\n",
    "above the maximum": "[leadership]\ntrust_culture = 1.5\n",
    "boolean for a number": "[leadership]\ntrust_culture = true\n",
    "unknown table": "[oversigth]\nverification_rate = 0.3\n",
    "repeated list element": "[flexiwork]\neligible_families = ['frontline', 'frontline']\n",
    "not a choice": "[flexiwork]\neligible_families = ['pilots']\n",
    "schedule sets no lever": "[[schedule]]\nfrom_week = 3\n",
    "schedule changes [run]": "[[schedule]]\nrun = { steps = 10 }\n",
    "national lever by agency": ("[[schedule]]\nagencies = { government = 'central' }\n"
                                 "communication = { strategy = 'proactive' }\n"),
    "trigger with above and below": ("[[schedule]]\nwhen = { output = 'public_trust', "
                                     "above = 1, below = 2 }\nflexiwork = { enabled = false }\n"),
}


@pytest.mark.parametrize("text", BAD_SCENARIOS.values(), ids=BAD_SCENARIOS.keys())
def test_bad_scenarios_fail_both(text):
    with pytest.raises(ScenarioError):
        parse_scenario_text(text, "bad.toml")
    assert not _validator("scenario.schema.json").is_valid(tomllib.loads(text))


GOOD_EXPERIMENT = ("scenario = 'permenpan_4_2025'\nseed = 1\n"
                   "[parameters]\ntrust_culture = { min = 0.1, max = 0.9 }\n")
BAD_EXPERIMENTS = {
    "no seed": GOOD_EXPERIMENT.replace("seed = 1\n", ""),
    "unknown lever": GOOD_EXPERIMENT.replace("trust_culture", "trust_cultur"),
    "range beyond the lever": GOOD_EXPERIMENT.replace("max = 0.9", "max = 1.9"),
    "grid with a size": GOOD_EXPERIMENT + "[design]\nkind = 'grid'\nsize = 4\n",
    "lhs without a size": GOOD_EXPERIMENT + "[design]\nkind = 'lhs'\n",
    "sobol size not a power of 2": GOOD_EXPERIMENT.replace(
        "[parameters]\n", "[parameters]\nverification_rate = [0.1, 0.2]\n")
        + "[design]\nkind = 'sobol'\nsize = 6\n",
    "steps varied": GOOD_EXPERIMENT + "steps = [4, 8]\n",
}


@pytest.mark.parametrize("text", BAD_EXPERIMENTS.values(), ids=BAD_EXPERIMENTS.keys())
def test_bad_experiments_fail_both(text):
    with pytest.raises(ExperimentError):
        parse_experiment(text, "bad.toml")
    assert not _validator("experiment.schema.json").is_valid(tomllib.loads(text))


def test_the_good_experiment_passes_both():
    parse_experiment(GOOD_EXPERIMENT, "good.toml")
    assert _validator("experiment.schema.json").is_valid(tomllib.loads(GOOD_EXPERIMENT))


# ------------------------------------------- every bad file of the validator's own tests

#: errors only the validator can find, each with why a JSON Schema cannot say it
BEYOND_THE_SCHEMA = {
    # tests/test_experiment_inputs.py
    "unknown scenario": "a file must exist (scenario = ...)",
    "range min above max": "a relation between two values of the file (min < max)",
    "fixed and varied": "a relation between two tables (a lever in [fixed] and [parameters])",
    "factor levels differ": "a relation between sibling tables (every level sets the same levers)",
    "lever varied twice": "a relation between tables (a lever in a factor and in [parameters])",
    "heatmap axis not a parameter": "a value naming a key of another table of the same file",
    # tests/test_scenario.py
    "run.steps: 52.0": "JSON has one number type: 52.0 is the integer 52 to a JSON Schema",
    "oversight.verification_rate: nan": "JSON has no NaN",
}


def _beyond(name: str) -> str | None:
    return next((why for key, why in BEYOND_THE_SCHEMA.items() if key in name), None)


def _toml_or_none(text: str) -> dict | None:
    """The document, or None for text that is not TOML (the editor's TOML parser reports it;
    no schema is involved) or too deep for the JSON Schema library to walk (the validator's
    nesting limit, 32 levels, is a size limit no schema states)."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None


def _agree(validator_rejects: bool, doc: dict, schema_name: str, name: str) -> None:
    assert validator_rejects, f"{name}: the validator accepts a file its tests call bad"
    try:
        schema_ok = _validator(schema_name).is_valid(doc)
    except RecursionError:  # nested beyond the validator's limit
        return
    why = _beyond(name)
    if why is None:
        assert not schema_ok, f"{name}: the schema accepts what the validator rejects"
    else:  # listed: the schema must indeed let it through, or the list is out of date
        assert schema_ok, f"{name}: the schema now rejects it: remove it from BEYOND_THE_SCHEMA"


def _experiment_cases() -> list[tuple[str, str]]:
    import test_experiment_inputs as inputs

    return [(name, inputs.GOOD.replace(old, new, 1)) for name, old, new, _ in inputs.CASES]


def _scenario_cases() -> list[tuple[str, str]]:
    import test_scenario

    mark = next(m for m in test_scenario.test_each_error_kind_is_one_line.pytestmark
                if m.name == "parametrize")
    return [(expected.removeprefix("bad.toml: "), body) for body, expected in mark.args[1]]


def _bad_cases() -> list[tuple[str, str, str]]:
    return ([("experiment", n, t) for n, t in _experiment_cases()]
            + [("scenario", n, t) for n, t in _scenario_cases()])


#: kind -> (the validator's parser, its error, the schema)
_KINDS = {"experiment": (parse_experiment, ExperimentError, "experiment.schema.json"),
          "scenario": (parse_scenario_text, ScenarioError, "scenario.schema.json")}


@pytest.mark.parametrize(("kind", "name", "text"), _bad_cases(),
                         ids=[f"{k}: {n[:60]}" for k, n, _ in _bad_cases()])
def test_every_bad_file_of_the_validator_s_tests_fails_the_schema_too(kind, name, text):
    doc = _toml_or_none(text)
    if doc is None:
        pytest.skip("not TOML, or nested beyond the validator's limit: no schema is asked")
    parse, error, schema_name = _KINDS[kind]
    try:
        parse(text, "bad.toml")
        rejects = False
    except error:
        rejects = True
    _agree(rejects, doc, schema_name, name)


def test_every_listed_exception_is_still_met_by_a_case():
    """An entry of BEYOND_THE_SCHEMA whose case is gone would hide nothing: drop it."""
    names = [n for n, _ in _experiment_cases() + _scenario_cases()]
    unused = [key for key in BEYOND_THE_SCHEMA if not any(key in n for n in names)]
    assert unused == []


# ------------------------------------------------------------- random files (fuzz)

#: 150 examples a test (a few ms each), the same every time (derandomized)
AGREE = settings(max_examples=150, deadline=5000, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])


def _fuzz():
    import test_hostile_inputs as hostile

    return hostile


@AGREE
@given(text=_fuzz().scenario_docs)
def test_a_random_scenario_the_validator_accepts_the_schema_accepts(text):
    try:
        parse_scenario_text(text, "random.toml")
    except ScenarioError:
        return  # refused by the validator: the schema may or may not see why
    doc = tomllib.loads(text)
    errors = [e.message for e in _validator("scenario.schema.json").iter_errors(doc)]
    assert errors == [], (text, errors)


def _near_valid_experiments():
    """Experiment files that are mostly valid (the hostile strategy's almost never are: its
    aim is the refusals): a shipped scenario, a seed, one to three varied levers with values
    in or just beyond their ranges, now and then a range, a design, replications."""
    from hypothesis import strategies as st

    from flexisim.scenario import LEVERS

    hostile = _fuzz()
    levers = [lv for lv in LEVERS.values() if lv.kwarg not in ("steps", "seed")]

    def varied(lv):
        listed = st.lists(hostile.lever_values(lv), min_size=1, max_size=3)
        if lv.type in ("int", "float") and lv.min is not None and lv.max is not None:
            span = st.tuples(hostile.lever_values(lv), hostile.lever_values(lv)).map(
                lambda ab: {"min": min(ab), "max": max(ab)})
            return st.one_of(listed, span)
        return listed

    parameters = st.lists(st.sampled_from(levers), min_size=1, max_size=3, unique=True
                          ).flatmap(lambda ls: st.fixed_dictionaries(
                              {lv.kwarg: varied(lv) for lv in ls}))
    scenarios = sorted(p.stem for p in SCENARIOS)
    return st.fixed_dictionaries(
        {"scenario": st.sampled_from(scenarios), "seed": st.integers(0, 9),
         "parameters": parameters},
        optional={"replications": st.integers(1, 3), "steps": st.integers(1, 8),
                  "design": st.just({"kind": "grid"})}).map(hostile._document)


@AGREE
@given(text=_fuzz().experiment_docs | _near_valid_experiments())
def test_a_random_experiment_the_validator_accepts_the_schema_accepts(text):
    try:
        parse_experiment(text, "random.toml")
    except ExperimentError:
        return
    doc = tomllib.loads(text)
    errors = [e.message for e in _validator("experiment.schema.json").iter_errors(doc)]
    assert errors == [], (text, errors)


def test_the_checkout_s_taplo_config_maps_every_shipped_file_to_its_schema():
    """.taplo.toml: editors validate scenarios/ and experiments/ without a #:schema line."""
    import fnmatch

    rules = tomllib.loads((ROOT / ".taplo.toml").read_text())["rule"]
    expected = {**{p: "scenario.schema.json" for p in SCENARIOS},
                **{p: "experiment.schema.json" for p in EXPERIMENTS}}
    for path, name in expected.items():
        rel = path.relative_to(ROOT).as_posix()
        found = [r["schema"]["path"] for r in rules
                 if any(fnmatch.fnmatch(rel, g.replace("**/", "")) or fnmatch.fnmatch(rel, g)
                        for g in r["include"])]
        assert found == [f"./schemas/{name}"], (rel, found)
        assert (ROOT / found[0]).is_file()
