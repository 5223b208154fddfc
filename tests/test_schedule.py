"""Levers that differ by agency and over time (issue 14, item 1): the ``[[schedule]]``.

A change takes effect only where (``agencies``) and when (``from_week``, ``when``) it is
set; a change for every agency from week 1 is the same as the lever itself; the twin
follows the schedule without flexiwork; bad entries get a precise error; a lever moved
mid-run is recorded in the scenario so that its file reproduces the run.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexisim import FlexiworkModel
from flexisim.errors import ScenarioError
from flexisim.population import FRONTLINE
from flexisim.scenario import LEVERS, load_scenario, parse_scenario_text
from flexisim.schedule import AGENCY_LEVERS, Agencies, Plan

N = 3000
BASE = 'extends = "permenpan_4_2025"\n'


def _scenario(text: str):
    return parse_scenario_text(BASE + text, "test.toml")


def _model(text: str, **levers) -> FlexiworkModel:
    levers = {"n_asn": N, "warmup_weeks": 8, **levers}
    return FlexiworkModel(scenario=_scenario(text), rng=3, **levers)


def _errors(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        _scenario(text)
    return info.value.problems


# --------------------------------------------------------------------- the format
def test_a_schedule_is_read_with_its_parts():
    s = _scenario("""
[[schedule]]
label = "pilot"
from_week = 5
agencies = { government = "central", regions = ["Java-Bali", "Sumatra"], share = 0.5 }
flexiwork = { max_flex_days = 1, eligible_families = ["technical"] }

[[schedule]]
when = { output = "scandals_press", above = 2.0, weeks = 3 }
oversight = { verification_rate = 0.3, sanction_severity = 0.8 }
""")
    first, second = s.schedule
    assert first.label == "pilot" and first.from_week == 5
    assert first.agencies == Agencies(government="central", regions=("Java-Bali", "Sumatra"),
                                      share=0.5)
    assert first.values == {"max_flex_days": 1, "eligible_families": ["technical"]}
    assert second.when.output == "scandals_press" and second.when.above == 2.0
    assert second.when.weeks == 3 and second.agencies is None
    assert second.values == {"verification_rate": 0.3, "sanction_severity": 0.8}


def test_the_schedule_is_part_of_the_identity_and_round_trips():
    plain = load_scenario("permenpan_4_2025")
    s = _scenario('[[schedule]]\nfrom_week = 3\nflexiwork = { max_flex_days = 1 }\n')
    assert s.values == plain.values and s.hash != plain.hash
    other = _scenario('[[schedule]]\nfrom_week = 4\nflexiwork = { max_flex_days = 1 }\n')
    assert other.hash != s.hash
    back = parse_scenario_text(s.to_toml(), "written.toml")
    assert back.schedule == s.schedule and back.hash == s.hash


def test_extends_keeps_the_parents_schedule_first(tmp_path: Path):
    (tmp_path / "parent.toml").write_text(
        BASE + '[[schedule]]\nlabel = "a"\nflexiwork = { max_flex_days = 1 }\n')
    (tmp_path / "child.toml").write_text(
        'extends = "parent"\n[[schedule]]\nlabel = "b"\nfrom_week = 9\n'
        'flexiwork = { max_flex_days = 2 }\n')
    child = load_scenario(tmp_path / "child.toml")
    assert [c.label for c in child.schedule] == ["a", "b"]


@pytest.mark.parametrize("entry, expected", [
    ('flexiwork = { max_flex_day = 1 }',
     r"schedule\[1\]\.flexiwork\.max_flex_day: 1: unknown field \(did you mean 'max_flex_days'"),
    ('flexiwork = { max_flex_days = 9 }',
     r"schedule\[1\]\.flexiwork\.max_flex_days: 9: above the maximum \(allowed: an integer "
     r"from 0 to 5\)"),
    ('agencies = { government = "central" }\noversight = { sanction_severity = 0.9 }',
     r"schedule\[1\]\.oversight\.sanction_severity: 0\.9: a national lever: it cannot differ "
     r"by agency"),
    ('run = { steps = 10 }', r"schedule\[1\]\.run: .*set once for a run"),
    ('agencies = { regions = ["Jawa-Bali"] }\nflexiwork = { enabled = true }',
     r"schedule\[1\]\.agencies\.regions: .*not a list of distinct region names \(did you "
     r"mean 'Java-Bali'\?\)"),
    ('agencies = { government = "centrl" }\nflexiwork = { enabled = true }',
     r"schedule\[1\]\.agencies\.government: .centrl.: not a kind of government \(did you "
     r"mean 'central'\?\)"),
    ('agencies = { share = 0 }\nflexiwork = { enabled = true }',
     r"schedule\[1\]\.agencies\.share: 0: not a share"),
    ('agencies = { frontline_share = [0.6, 0.2] }\nflexiwork = { enabled = true }',
     r"schedule\[1\]\.agencies\.frontline_share: .*not a range of shares"),
    ('when = { output = "scandal_press", above = 1 }\nflexiwork = { enabled = false }',
     r"schedule\[1\]\.when\.output: .scandal_press.: not a weekly output \(did you mean "
     r"'scandals_press'\?\)"),
    ('when = { output = "scandals_press", above = 1, below = 0 }\n'
     'flexiwork = { enabled = false }', r"schedule\[1\]\.when: give exactly one of above, below"),
    ('from_week = 0\nflexiwork = { enabled = true }',
     r"schedule\[1\]\.from_week: 0: not a week \(allowed: an integer from 1"),
    ('label = "nothing"', r"schedule\[1\]: sets no lever"),
    ('flexiwork = { enabled = true }\nwhn = 3', r"schedule\[1\]\.whn: 3: unknown key \(did "
                                               r"you mean 'when'\?\)"),
])
def test_a_bad_entry_is_named_precisely(entry, expected):
    problems = _errors(f"[[schedule]]\n{entry}\n")
    assert any(re.search(expected, p) for p in problems), problems
    assert all(p.startswith("test.toml: ") for p in problems)


def test_every_bad_entry_is_reported_at_once():
    problems = _errors('[[schedule]]\nflexiwork = { max_flex_days = 9 }\n'
                       '[[schedule]]\nflexiwork = { agency_quota = "x" }\n')
    assert any("schedule[1]" in p for p in problems) and any("schedule[2]" in p
                                                               for p in problems)


def test_schedule_must_be_an_array_of_tables():
    assert any("schedule: 3: expected an array of tables" in p for p in _errors("schedule = 3"))


def test_a_change_above_the_legal_cap_is_outside_the_rules():
    s = _scenario('[[schedule]]\nfrom_week = 10\nflexiwork = { max_flex_days = 4 }\n')
    assert any("cap of 4" in n for n in s.outside_rules)
    assert not load_scenario("permenpan_4_2025").outside_rules


# --------------------------------------------------------------------- selection
@given(st.integers(12, 400), st.floats(0.01, 1.0), st.floats(0.01, 1.0), st.integers(0, 10**6))
@settings(max_examples=60, deadline=None)
def test_a_selection_keeps_its_conditions_and_a_larger_share_keeps_a_smaller(n, a, b, seed):
    rng = np.random.default_rng(seed)
    central = rng.random(n) < 0.3
    region = rng.integers(0, 6, n)
    frontline = rng.random(n)
    names = ["Java-Bali", "Sumatra", "Kalimantan", "Sulawesi", "Nusa Tenggara", "Maluku-Papua"]
    lo, hi = sorted((a, b))
    small = Agencies(government="regional", regions=("Sumatra", "Sulawesi"),
                     frontline_share=(0.2, 0.9), share=lo).select(central, region, frontline,
                                                                   names)
    large = Agencies(government="regional", regions=("Sumatra", "Sulawesi"),
                     frontline_share=(0.2, 0.9), share=hi).select(central, region, frontline,
                                                                   names)
    matching = ~central & np.isin(region, [1, 3]) & (frontline >= 0.2) & (frontline <= 0.9)
    assert not (large & ~matching).any()
    assert not (small & ~large).any()
    assert abs(large.sum() - hi * matching.sum()) <= 3


def test_later_changes_win_and_ties_follow_the_file():
    s = _scenario("""
[[schedule]]
from_week = 10
flexiwork = { max_flex_days = 1 }
[[schedule]]
from_week = 3
agencies = { government = "central" }
flexiwork = { max_flex_days = 0 }
[[schedule]]
from_week = 10
agencies = { government = "regional" }
flexiwork = { max_flex_days = 2 }
""")
    central = np.array([True, False, True, False])
    plan = Plan(s, central, np.zeros(4, int), np.zeros(4), ["Java-Bali"])
    _, early = plan.levers_at(2)
    assert list(early["max_flex_days"]) == [0, 2, 0, 2]
    national, late = plan.levers_at(9)
    # week 10 (index 9): the national change starts, then the regional one (file order)
    assert list(late["max_flex_days"]) == [1, 2, 1, 2] and national["max_flex_days"] == 1


# --------------------------------------------------------------------- in a run
def _flex_by_agency(model: FlexiworkModel) -> np.ndarray:
    s = model.pop.staff
    return np.bincount(s.agency, weights=s.flex_days * s.active,
                       minlength=len(model.pop.agencies))


def test_a_group_lever_acts_only_in_its_agencies():
    model = _model('[flexiwork]\nenabled = false\n[[schedule]]\n'
                   'agencies = { government = "central" }\nflexiwork = { enabled = true }\n')
    model.run(4)
    days = _flex_by_agency(model)
    central = model.pop.agencies.central
    assert days[central].sum() > 0 and days[~central].sum() == 0
    assert model.counterfactual is not None  # flexiwork somewhere: the twin runs
    assert (model.counterfactual.pop.staff.flex_days == 0).all()


@pytest.mark.parametrize("lever, value, column", [
    ("verification_rate", 0.4, "verification_rate"),
    ("trust_culture", 0.9, "trust_culture"),
    ("min_onsite_frontline", 1.0, "min_onsite_frontline"),
])
def test_each_kind_of_agency_lever_is_set_only_in_the_selected_agencies(lever, value,
                                                                         column):
    table = LEVERS[lever].table
    model = _model(f'[[schedule]]\nagencies = {{ regions = ["Sulawesi"] }}\n'
                   f'{table} = {{ {LEVERS[lever].field} = {value} }}\n')
    ag = model.pop.agencies
    sulawesi = ag.region == model.pop.region_names.index("Sulawesi")
    assert np.all(getattr(ag, column)[sulawesi] == value)
    assert np.all(getattr(ag, column)[~sulawesi] == LEVERS[lever].default)


def test_a_group_trust_culture_moves_only_its_leaders():
    model = _model('[[schedule]]\nagencies = { government = "regional" }\n'
                   'leadership = { trust_culture = 1.0, training_share = 1.0 }\n')
    plain = _model("")
    L, P = model.pop.leaders, plain.pop.leaders
    regional = ~model.pop.agencies.central[L.agency]
    assert np.all(L.trained[regional]) and np.array_equal(L.trained[~regional],
                                                          P.trained[~regional])
    assert np.array_equal(L.style[~regional], P.style[~regional])
    assert L.style[regional].mean() > P.style[regional].mean() + 0.3


def _frontline_shares(model: FlexiworkModel) -> np.ndarray:
    s, n = model.pop.staff, len(model.pop.agencies)
    return (np.bincount(s.agency, weights=s.job == FRONTLINE, minlength=n)
            / np.bincount(s.agency, minlength=n))


def test_a_frontline_floor_for_service_agencies_keeps_their_counters_staffed():
    # agencies' job mixes differ only by sampling (ODD, Known limitations): the half with
    # the most frontline posts is selected by its share
    cut = float(np.median(_frontline_shares(_model(""))))
    text = ('[flexiwork]\nmandated_share = 1.0\nmax_flex_days = 5\nagency_quota = 1.0\n'
            'min_onsite_frontline = 0.0\nfrontline_digital_share = 1.0\n'
            f'[[schedule]]\nagencies = {{ frontline_share = [{cut}, 1.0] }}\n'
            'flexiwork = { min_onsite_frontline = 1.0 }\n')
    model = _model(text)
    model.run(2)
    s, ag = model.pop.staff, model.pop.agencies
    service = _frontline_shares(model) >= cut
    front = s.active & (s.job == FRONTLINE)
    away = np.bincount(s.agency, weights=s.flex_days * front, minlength=len(ag))
    assert service.any() and (~service).any()
    assert away[service].sum() == 0 and away[~service].sum() > 0
    assert np.array_equal(ag.min_onsite_frontline == 1.0, service)


def test_a_scheduled_change_starts_in_its_week():
    model = _model('[flexiwork]\nenabled = false\n[[schedule]]\nfrom_week = 5\n'
                   'flexiwork = { enabled = true }\n')
    ts = model.run(8)
    assert (ts["mean_flex_days"].iloc[:4] == 0).all()
    assert (ts["mean_flex_days"].iloc[4:] > 0).all()
    assert model.summary()["schedule"].endswith("from week 5")


def test_a_change_for_every_agency_from_week_one_is_the_lever_itself():
    scheduled = _model('[[schedule]]\noversight = { verification_rate = 0.3 }\n'
                       'leadership = { trust_culture = 0.7 }\n').run(6)
    direct = _model("", verification_rate=0.3, trust_culture=0.7).run(6)
    pd.testing.assert_frame_equal(scheduled, direct)


def test_a_later_change_is_the_lever_from_that_week_and_reaches_the_twin():
    model = _model('[[schedule]]\nfrom_week = 4\noversight = { verification_rate = 0.5 }\n'
                   'flexiwork = { max_flex_days = 1 }\n')
    model.run(3)
    assert model.pop.agencies.verification_rate[0] == 0.1
    model.step()
    assert np.all(model.pop.agencies.verification_rate == 0.5)
    twin = model.counterfactual.pop.agencies
    assert np.all(twin.verification_rate == 0.5)  # the same institutions ...
    assert not twin.flexiwork_enabled.any()  # ... without flexiwork
    assert np.all(model.pop.agencies.max_flex_days == 1)


def test_a_triggered_change_applies_from_the_week_after_its_condition():
    model = _model('[[schedule]]\nlabel = "tightened"\n'
                   'when = { output = "mean_flex_days", above = 0.0 }\n'
                   'flexiwork = { enabled = false }\n')
    ts = model.run(5)
    assert ts["mean_flex_days"].iloc[0] > 0  # week 1: the condition is met ...
    assert (ts["mean_flex_days"].iloc[1:] == 0).all()  # ... flexiwork is off from week 2
    assert model.summary()["schedule"] == "tightened: from week 2 (triggered)"


def test_a_trigger_that_never_holds_changes_nothing():
    text = ('[[schedule]]\nwhen = { output = "public_trust", below = -1 }\n'
            'flexiwork = { enabled = false }\n')
    model = _model(text)
    pd.testing.assert_frame_equal(model.run(4), _model("").run(4))
    assert model.summary()["schedule"].endswith("not triggered")


def test_a_lever_moved_mid_run_is_recorded_and_its_file_reproduces_the_run():
    live = _model("")
    live.run(3)
    live.change_levers(label="cap lowered", max_flex_days=1)
    live.change_levers(agencies={"government": "central"}, verification_rate=0.4)
    live.run(3)
    assert [c.from_week for c in live.config.schedule] == [4, 4]
    replay = FlexiworkModel(scenario=parse_scenario_text(live.config.to_toml(), "saved.toml"),
                            rng=3)
    pd.testing.assert_frame_equal(live.timeseries(), replay.run(6))


def test_a_bad_mid_run_change_is_refused_and_changes_nothing():
    model = _model("")
    model.run(1)
    with pytest.raises(ScenarioError, match="max_flex_days: 7: above the maximum"):
        model.change_levers(max_flex_days=7)
    with pytest.raises(ScenarioError, match="a national lever"):
        model.change_levers(agencies={"government": "central"}, sanction_severity=0.9)
    assert model.config.schedule == ()


# --------------------------------------------------------------------- one source
def test_no_mechanism_reads_an_agency_lever_from_the_national_parameters():
    from flexisim.mechanisms.registry import STEP
    from flexisim.mechanisms.setup import CREDIBILITY, INFRASTRUCTURE, SETUP

    for spec in (*(m.view for m in STEP), SETUP, INFRASTRUCTURE, CREDIBILITY):
        assert not set(spec.parameters) & set(AGENCY_LEVERS), spec.name
    folder = Path(__file__).parents[1] / "flexisim" / "mechanisms"
    pattern = re.compile(r"\b[pk]\.(" + "|".join(AGENCY_LEVERS) + r")\b")
    for path in folder.glob("*.py"):
        hits = pattern.findall(path.read_text())
        assert not hits, f"{path.name} reads {hits} from the national parameters"
