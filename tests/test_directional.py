"""Directional effects the model must show, as statistical tests.

Each test runs a few replications with fixed seeds (3,000 ASN agents, 52 weeks) and compares
paired runs: the same seed in both arms, so the comparison is between worlds that differ only
in the lever (common random numbers). Tolerances are stated at each assertion; they were set
from the observed spread across seeds (recorded in the comments), with margin.
"""

from __future__ import annotations

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim.mechanisms.production import remote_productivity

pytestmark = pytest.mark.slow  # statistical tests with many runs

N_ASN, WEEKS, SEEDS = 3000, 52, range(6)


def run(scenario: str, seed: int, **levers) -> FlexiworkModel:
    model = FlexiworkModel(scenario=scenario, rng=seed, n_asn=N_ASN, **levers)
    model.run(WEEKS)
    return model


def paired(key: str, a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Summary value ``key`` for arms a and b = (scenario, levers), one pair per seed."""
    xa = np.array([run(a[0], s, **a[1]).summary()[key] for s in SEEDS])
    xb = np.array([run(b[0], s, **b[1]).summary()[key] for s in SEEDS])
    return xa, xb


def test_more_verification_means_less_shirking_under_flexiwork():
    credible = {"measurement_credibility": 0.8}
    low, high = paired("shirking_rate",
                       ("permenpan_4_2025", credible | {"verification_rate": 0.05}),
                       ("permenpan_4_2025", credible | {"verification_rate": 0.5}))
    # observed since the calibration to O4/O5 (docs/validation.md): 22-24% vs 19-21% of
    # staff-days in every seed -- deterrence is weaker than before calibration (0.6 -> 0.18),
    # because daily, credible verification with pay at stake only halves absence (O5)
    assert (high < low).all()
    assert (low - high).mean() > 0.015


def test_verification_lowers_shirking_and_the_grant_signal_decides_the_ranking():
    # trust_but_verify's verification and credible measurement deter shirking in every seed
    # (observed 0.146-0.159 vs 0.182-0.190 of staff-days)
    twv, tbv = paired("shirking_rate", ("trust_without_verify", {}), ("trust_but_verify", {}))
    assert (tbv < twv - 0.02).all()
    # with a fair twin (no grant signal) both lose a little performance, and verification
    # keeps the loss smaller: observed -0.9 to -1.0% vs -1.3 to -1.5%, a gap of 0.42 points
    # (the first version's "+0.2% vs -2.0%" came from the approval signal the twin lacked,
    # ODD §7.3). Leaders learning from flexible teams (ODD §7.9) is a third of the gap:
    # without it 0.28 points
    twv, tbv = paired("performance_change_pct", ("trust_without_verify", {}),
                      ("trust_but_verify", {}))
    assert (tbv < 0).all() and (twv < 0).all()
    assert (tbv > twv).all()
    assert 0.2 < (tbv - twv).mean() < 1.2
    # with the signal at the first version's size the ranking of the first version returns:
    # observed +2.6 to +2.8% vs +0.4 to +0.5%
    signal = {"calibration": {"grant_signal": 0.085}}
    twv_s, tbv_s = paired("performance_change_pct", ("trust_without_verify", signal),
                          ("trust_but_verify", signal))
    assert ((tbv_s - twv_s) > 1.2).all()


def test_worse_regional_infrastructure_lowers_remote_productivity_and_widens_the_gap():
    equal, divided = [], []
    gap_change = []
    uptake_gap = []
    for seed in SEEDS:
        a = run("trust_but_verify", seed, regional_gap=0.0)
        b = run("trust_but_verify", seed, regional_gap=2.0)
        for model, sink in ((a, equal), (b, divided)):
            east = model.pop.regions.eastern[model.pop.staff.region]
            sink.append(remote_productivity(model.pop, model.p)[east].mean())
        gap_change.append(b.summary()["regional_gap_change_pp"]
                          - a.summary()["regional_gap_change_pp"])
        east_b = b.pop.regions.eastern[b.pop.staff.region]
        uptake_gap.append((b.pop.staff.flex_days[~east_b] > 0).mean()
                          - (b.pop.staff.flex_days[east_b] > 0).mean())
    # remote productivity in the east: observed 0.92 with equal infrastructure, 0.71 with the
    # gap doubled; require a clear drop in every seed
    assert (np.array(equal) - np.array(divided) > 0.1).all()
    # the Java-Bali minus east performance gap (relative to each run's own counterfactual):
    # the first version found it widening (+0.23 points on average), when flexiwork raised
    # performance through the approval signal. With a fair twin flexiwork costs performance
    # (temptation at home, coordination), and fewer eastern staff take the costly days: no
    # clear widening any more, observed -0.22 to +0.15 points, mean -0.10. Require a small
    # mean: a mechanism that made the divide decide the gap would fail here
    assert abs(np.mean(gap_change)) < 0.3
    # and access to flexible work itself becomes unequal
    assert np.mean(uptake_gap) > 0.05


def test_flexiwork_without_open_communication_costs_more_trust():
    # frontline units may empty (no on-site floor) so the counter's emptiness is visible
    levers = {"min_onsite_frontline": 0.0}
    silent, proactive = paired(
        "trust_effect_pp",
        ("permenpan_4_2025", levers | {"communication_policy": "silent"}),
        ("permenpan_4_2025", levers | {"communication_policy": "proactive"}))
    # trust against each run's own office-only twin; observed -0.33 vs -0.28 points on
    # average, silent below proactive in every seed
    assert (silent <= proactive).sum() >= 5
    assert (proactive - silent).mean() > 0.01


def test_flexiwork_lowers_attrition():
    flex, office = paired("attrition_rate_annual", ("permenpan_4_2025", {}),
                          ("office_only", {}))
    # observed: 4.75-5.66% a year, lower with flexiwork in 5-6 of 6 seeds, by 0.04 points on
    # average (retirements dominate exits and are the same in both arms; uptake is ~15%)
    assert (flex <= office).sum() >= 5
    assert (office - flex).mean() > 0.0001
    # where flexible work is widely used the effect is larger and holds in every seed
    flex, office = paired("attrition_rate_annual", ("trust_but_verify", {}),
                          ("trust_but_verify", {"flexiwork_enabled": False}))
    assert (flex < office).all()


def test_share_performing_stays_near_the_40_percent_baseline_without_flexiwork():
    shares = np.array([run("office_only", s).summary()["share_performing"] for s in SEEDS])
    # source article (BKN 2024): about 40% "performing"; observed 0.42-0.44
    assert shares.mean() == pytest.approx(0.40, abs=0.05)
    assert (np.abs(shares - 0.40) < 0.07).all()


def test_the_2020_decree_lowers_performance_service_and_trust():
    # expected direction, from the evidence: under 2020's work-from-home decree the Ombudsman
    # reported falling service quality, e.g. delayed salary processing (O7, Media Indonesia,
    # April 2020), and services "practically disrupted" (Ombudsman NTT, April 2020). Against
    # the office-only twin, in every seed: observed performance -15 to -18%, service
    # availability 0.13-0.16 lower, the worst weekly trust gap -3 to -5 points
    decree = [run("wfh_2020_decree", s).summary() for s in SEEDS]
    twin = [run("office_only", s).summary() for s in SEEDS]
    performance = np.array([d["performance_change_pct"] for d in decree])
    trust = np.array([d["trust_worst_effect_pp"] for d in decree])
    service = np.array([d["service_availability"] - t["service_availability"]
                        for d, t in zip(decree, twin, strict=True)])
    assert (performance < -5.0).all()
    assert (service < -0.03).all()
    assert (trust < -1.0).all()
    # and more than today's rules lose, in every seed
    today = np.array([run("permenpan_4_2025", s).summary()["performance_change_pct"]
                      for s in SEEDS])
    assert (performance < today - 5.0).all()
