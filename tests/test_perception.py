"""Public perception (issue 13, item 4): misconduct that becomes public by three routes, and
a persistent image of an absent civil service (perception.py), felt by citizens (citizens.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim.mechanisms.citizens import serve_citizens
from flexisim.mechanisms.perception import form_perception


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _no_misconduct(m) -> None:
    s, A = m.pop.staff, m.pop.agencies
    s.detected[:] = False
    m.pop.regions.detected_total[:] = 0.0
    A.idle_share[:] = 0.0
    A.away_shirk[:] = 0.0
    A.reported[:] = 0.5  # middling results: nothing dispelled


def test_the_image_persists_after_the_absence_ends_and_decays(world):
    m = world(n_asn=2000, communication_policy="silent")
    A, R = m.pop.agencies, m.pop.regions
    _no_misconduct(m)
    A.counter_visits[:] = 100.0
    A.saw_empty[:] = 40.0  # four in ten visitors find the counter thinned out
    for week in range(10):
        form_perception(m.pop, m.p, rng(week), week)
    built = R.perception.copy()
    assert np.all(built > 0.1)
    A.saw_empty[:] = 0.0  # the counters are full again
    form_perception(m.pop, m.p, rng(10), 10)
    # it persists: only the weekly fading is lost
    np.testing.assert_allclose(R.perception, (1 - m.p.perception_decay) * built, rtol=1e-5)
    for week in range(11, 60):
        form_perception(m.pop, m.p, rng(week), week)
    assert np.all(R.perception < 0.3 * built) and np.all(R.perception > 0)


def test_communication_softens_and_results_dispel_the_image(world):
    images = {}
    for policy in ("silent", "proactive"):
        m = world(n_asn=2000, communication_policy=policy)
        A, R = m.pop.agencies, m.pop.regions
        _no_misconduct(m)
        A.counter_visits[:] = 100.0
        A.saw_empty[:] = 40.0
        form_perception(m.pop, m.p, rng(), 0)
        images[policy] = R.perception.copy()
    assert np.all(images["proactive"] < images["silent"])
    m = world(n_asn=2000, communication_policy="proactive")
    _no_misconduct(m)
    m.pop.regions.perception[:] = 0.5
    m.pop.agencies.reported[:] = 1.0  # excellent results, reported
    form_perception(m.pop, m.p, rng(), 0)
    assert np.all(m.pop.regions.perception < (1 - m.p.perception_decay) * 0.5)


@pytest.mark.parametrize("route", ["records", "observed", "press"])
def test_each_route_makes_misconduct_public_from_its_own_source(world, route):
    cal = {"observation_publicity": 0.5, "press_scrutiny": 0.5}
    m = world(n_asn=3000, media_scrutiny=0.5, calibration=cal)
    A, R = m.pop.agencies, m.pop.regions
    _no_misconduct(m)
    A.counter_visits[:] = 100.0
    out = form_perception(m.pop, m.p, rng(), 0)
    assert out["scandals"] == 0  # no misconduct, no case
    if route == "records":
        R.detected_total[:] = 0.1 * R.headcount
    elif route == "observed":
        A.idle_share[:] = 0.2
    else:
        A.away_shirk[:] = 0.5 * A.headcount  # half a day a week each
    out = form_perception(m.pop, m.p, rng(), 1)
    assert out[f"scandals_{route}"] > 0
    assert out["scandals"] == out[f"scandals_{route}"]  # only that route
    np.testing.assert_array_equal(R.scandals, getattr(R, f"scandals_{route}"))


def test_the_image_heard_lowers_trust(world):
    cal = {"need_rate": 0.0, "trust_word_of_mouth": 0.0, "perception_regional": 1.0}
    m = world(n_asn=2000, communication_policy="silent", calibration=cal)
    c, R = m.pop.citizens, m.pop.regions
    c.trust[:] = 0.5
    c.anchor[:] = 0.5
    R.scandals[:] = 0.0
    R.perception[:] = 0.0
    R.perception[0] = 1.0  # one region thinks its civil service absent and idle
    serve_citizens(m.pop, m.p, rng(), 0)
    np.testing.assert_allclose(c.trust[c.region == 0], 0.5 - m.p.perception_weight, rtol=1e-5)
    np.testing.assert_allclose(c.trust[c.region != 0], 0.5, rtol=1e-6)
    # heard nationally too: half regional, half the nation's mean
    m2 = world(n_asn=2000, communication_policy="silent",
               calibration=cal | {"perception_regional": 0.5})
    m2.pop.citizens.trust[:] = 0.5
    m2.pop.citizens.anchor[:] = 0.5
    m2.pop.regions.scandals[:] = 0.0
    m2.pop.regions.perception[:] = 0.0
    m2.pop.regions.perception[0] = 1.0
    serve_citizens(m2.pop, m2.p, rng(), 0)
    assert np.all(m2.pop.citizens.trust[m2.pop.citizens.region != 0] < 0.5)


# ---------------------------------------------------------------- statistical, directional
N_ASN, SEEDS = 4000, range(4)


def _runs(scenario: str, **levers) -> list[dict]:
    out = []
    for seed in SEEDS:
        m = FlexiworkModel(scenario=scenario, rng=seed, n_asn=N_ASN, steps=52, **levers)
        m.run()
        out.append(m.summary())
    return out


@pytest.mark.slow
def test_verification_moves_the_routes_apart():
    # expected: more checks find more shirking (the records route grows), and deter it (the
    # press route shrinks); under the 2020 decree, where most shirking is away from the office
    low = _runs("wfh_2020_decree", verification_rate=0.02, measurement_credibility=0.8)
    high = _runs("wfh_2020_decree", verification_rate=0.4, measurement_credibility=0.8)
    records = [(b["scandals_records_annual"], a["scandals_records_annual"])
               for a, b in zip(low, high, strict=True)]
    press = [(b["scandals_press_annual"], a["scandals_press_annual"])
             for a, b in zip(low, high, strict=True)]
    assert np.mean([h for h, _ in records]) > np.mean([lo for _, lo in records])
    assert np.mean([h for h, _ in press]) < np.mean([lo for _, lo in press])
    assert np.mean([b["shirking_rate"] for b in high]) < np.mean([a["shirking_rate"]
                                                                   for a in low])


@pytest.mark.slow
def test_proactive_communication_protects_trust_against_silence():
    # expected direction: open, proactive reporting softens the reading of absence as the
    # state's absence and shows the results (the source essay's remedy for the public-trust
    # risk; P4): under the decree, trust falls less against the twin than when agencies are
    # silent, in every seed
    silent = _runs("wfh_2020_decree", communication_policy="silent")
    proactive = _runs("wfh_2020_decree", communication_policy="proactive")
    for s, p in zip(silent, proactive, strict=True):
        assert p["trust_worst_effect_pp"] > s["trust_worst_effect_pp"]
        assert p["perception_end"] < s["perception_end"]


def test_without_the_perception_mechanism_nothing_becomes_public():
    from flexisim.mechanisms.registry import STEP

    levers = dict(n_asn=3000, steps=26, warmup_weeks=13)
    full = FlexiworkModel(scenario="wfh_2020_decree", rng=2, **levers)
    full.run()
    removed = FlexiworkModel(scenario="wfh_2020_decree", rng=2,
                             mechanisms=STEP.without("perception"), **levers)
    removed.run()
    assert full.summary()["perception_end"] > 0 and full.timeseries()["scandals"].sum() > 0
    assert np.isnan(removed.summary()["perception_end"])
    assert removed.timeseries()["scandals"].sum() == 0
    assert (removed.pop.regions.perception == 0).all()
