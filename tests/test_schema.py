"""The JSON Schemas of scenario and experiment files (flexisim/schema.py, schemas/).

The committed schemas equal the generated ones, are valid Draft 7 schemas, and agree with the
validator on every shipped scenario and experiment (both accept) and on some bad files (both
reject). Not yet covered: the full list of bad files of tests/test_hostile_inputs.py and
tests/test_scenario.py, and the classes of error a schema cannot express (flexisim/schema.py
names them).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

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
