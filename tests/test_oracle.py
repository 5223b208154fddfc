"""Oracle: the columnar engine is the same model as plain Mesa agents.

benchmarks/reference_mesa/ implements docs/ODD.md §7 a second time, the idiomatic Mesa way
(one ``mesa.Agent`` per civil servant, leader and citizen, stepped through AgentSets). Both
start from the same population (same seed); their random draws differ (the reference uses
Mesa's ``model.random`` in agent order), so they are compared in distribution: for each
scenario, ``REPS`` replications of each engine at fixed seeds, and for every compared summary
output the two means must agree within

    |mean_engine - mean_reference| <= Z x sqrt(se_engine^2 + se_reference^2) + ABS_TOL[key]

(``se`` the standard error over the replications, ``Z = 4``; ``ABS_TOL`` a small floor for
outputs that are exactly constant in a scenario, e.g. uptake 0 in the office-only world).
Seeds are fixed, so the test is deterministic. Scale: 600 ASN agents, 13 weeks (one appraisal
cycle), the smallest population the lever schema allows, to keep the reference affordable.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from flexisim import FlexiworkModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference_mesa import ReferenceModel  # noqa: E402

pytestmark = pytest.mark.slow  # statistical tests with many runs

N_ASN, WEEKS, REPS, Z = 600, 13, 5, 4.0
SCENARIOS = ("office_only", "permenpan_4_2025", "trust_without_verify", "digital_divide",
             "wfh_2020_decree", "invest_in_prerequisites")
KEYS = ("performance_mean", "performance_change_pct", "shirking_rate", "detected_shirking_rate",
        "false_accusation_rate", "flex_uptake", "mean_flex_days", "service_availability",
        "citizen_satisfaction", "timeliness", "wellbeing", "trust_change_pp",
        "share_performing", "attrition_rate_annual", "backoffice_delay_weeks",
        "digital_users_end", "perception_end", "cost_digital_bn", "cost_citizen_access_bn",
        "cost_measurement_bn", "cost_training_bn", "investment_unspent_bn")
ABS_TOL = dict.fromkeys(KEYS, 1e-9)
# costs are deterministic given the budgets (no draws): float32 covers against the oracle's
# float64, to a tenth of a million rupiah
ABS_TOL.update(dict.fromkeys((k for k in KEYS if k.startswith(("cost_", "investment_"))),
                             1e-4))


def summaries(cls, scenario: str) -> dict[str, np.ndarray]:
    rows = []
    for seed in range(REPS):
        model = cls(scenario=scenario, rng=1000 + seed, n_asn=N_ASN)
        model.run(WEEKS)
        rows.append(model.summary())
    return {k: np.array([r[k] for r in rows], float) for k in KEYS}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_engine_and_plain_mesa_agree_in_distribution(scenario):
    engine = summaries(FlexiworkModel, scenario)
    reference = summaries(ReferenceModel, scenario)
    problems = []
    for key in KEYS:
        a, b = engine[key], reference[key]
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        diff = abs(a.mean() - b.mean())
        if not diff <= Z * se + ABS_TOL[key]:
            problems.append(f"{key}: engine {a.mean():.5g} vs reference {b.mean():.5g} "
                            f"(|diff| {diff:.3g} > {Z} x se {se:.3g})")
    assert not problems, f"{scenario}: " + "; ".join(problems)


def test_reference_is_plain_mesa_agents():
    # without warm-up: the two draw their recruits from different streams
    model = ReferenceModel(scenario="permenpan_4_2025", rng=1, n_asn=N_ASN,
                           counterfactual=False, warmup_weeks=0)
    engine = FlexiworkModel(scenario="permenpan_4_2025", rng=1, n_asn=N_ASN,
                            counterfactual=False, warmup_weeks=0)
    # one agent object per civil servant, leader and citizen, in Mesa AgentSets
    assert len(model.staff) == len(engine.pop.staff)
    assert len(model.leaders) == len(engine.pop.leaders)
    assert len(model.citizens) == len(engine.pop.citizens)
    # built from the same population: the same people in the same posts
    staff = model.staff_list
    assert [a.agency for a in staff] == engine.pop.staff.agency.tolist()
    assert np.allclose([a.ability for a in staff], engine.pop.staff.ability)
    model.step()
    assert model.steps == 1 and len(model.rows) == 1
