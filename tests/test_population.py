"""The synthetic population reproduces the structure of the calibration tables."""

from __future__ import annotations

import numpy as np
import pytest

from flexisim.population import (
    FRONTLINE,
    JOB_FAMILIES,
    build_population,
    n_agencies_for,
    n_leaders_for,
    tables,
)


@pytest.fixture(scope="module")
def pop():
    return build_population(20000, 0.5, np.random.default_rng(7))


def test_headcounts_and_leaders(pop):
    assert len(pop.staff) + len(pop.leaders) == 20000
    assert len(pop.leaders) == n_leaders_for(20000) == 1200  # BKN: 6% structural posts
    span = np.bincount(pop.staff.leader, minlength=len(pop.leaders))
    assert 12 < span.mean() < 18  # spans of control around 15.7 (94 staff per 6 leaders)


def test_six_regions_and_agency_mix(pop):
    t = tables()
    assert len(pop.region_names) == 6
    assert {"Java-Bali", "Sumatra", "Kalimantan", "Sulawesi", "Nusa Tenggara",
            "Maluku-Papua"} == set(pop.region_names)
    share = np.bincount(pop.staff.region, minlength=6) / len(pop.staff)
    np.testing.assert_allclose(share, t["asn_share"], atol=0.015)
    central = pop.agencies.central[pop.staff.agency].mean()
    assert central == pytest.approx(0.24, abs=0.02)  # BKN: 24% central
    assert len(pop.agencies) == n_agencies_for(20000)
    # every agency sits in one region, and staff work in their agency's region
    assert (pop.agencies.region[pop.staff.agency] == pop.staff.region).all()
    assert (pop.leaders.agency[pop.staff.leader] == pop.staff.agency).all()


def test_age_tenure_and_contracts(pop):
    s = pop.staff
    assert (s.age > 45).mean() == pytest.approx(0.38, abs=0.03)  # article: 38% older than 45
    assert (s.age < 35).mean() < 0.30  # "few younger than 35"
    assert (s.tenure <= 5).mean() == pytest.approx(0.48, abs=0.08)  # BKN: 48% with 0-5 years
    assert s.pppk.mean() == pytest.approx(0.36, abs=0.02)  # BKN: 36% PPPK
    assert (s.age < s.retirement_age).all()
    assert (s.tenure >= 0).all() and (s.tenure <= s.age - 17.9).all()


def test_job_families_and_collaboration(pop):
    t = tables()
    share = np.bincount(pop.staff.job, minlength=len(JOB_FAMILIES)) / len(pop.staff)
    np.testing.assert_allclose(share, t["job_share"], atol=0.015)
    assert pop.staff.collaboration[pop.staff.job == FRONTLINE].mean() == pytest.approx(
        t["collaboration"][FRONTLINE])


def test_digital_access_falls_from_java_bali_to_the_east():
    pop = build_population(20000, 0.5, np.random.default_rng(7))
    from flexisim.mechanisms.setup import apply_levers
    from flexisim.params import make_params
    from flexisim.scenario import DEFAULTS
    apply_levers(pop, make_params(dict(DEFAULTS)))
    s, regions = pop.staff, pop.regions
    java, papua = regions.index("Java-Bali"), regions.index("Maluku-Papua")
    device = np.array([s.device[s.region == r].mean() for r in range(len(regions))])
    internet = np.array([s.internet[s.region == r].mean() for r in range(len(regions))])
    assert device[java] > device[papua] + 0.2 and internet[java] > internet[papua] + 0.2
    west_to_east = [regions.index(r) for r in ("Java-Bali", "Sulawesi", "Nusa Tenggara",
                                               "Maluku-Papua")]
    assert (np.diff(regions.internet[west_to_east]) < 0).all()


def test_citizen_ties_mostly_within_region(pop):
    c = pop.citizens
    rows, cols = c.ties.nonzero()
    within = (c.region[rows] == c.region[cols]).mean()
    assert within > 0.85
    np.testing.assert_allclose(np.asarray(c.ties.sum(axis=1)).ravel(), 1.0, rtol=1e-5)
    # citizens are served by an agency of their own region
    assert (pop.agencies.region[c.agency] == c.region).all()



def test_predisposition_follows_the_calibrated_beta_and_trust_starts_there():
    from flexisim import FlexiworkModel

    m = FlexiworkModel(rng=3, n_asn=6000, counterfactual=False, warmup_weeks=0)
    c, p = m.pop.citizens, m.p
    # P1, P1b: the fitted mean; trust starts at the predisposition
    assert c.anchor.mean() == pytest.approx(p.trust_anchor_mean, abs=0.03)
    np.testing.assert_array_equal(c.trust, c.anchor)
    # the same citizens are the most trusting under another calibration (a latent quantile)
    other = FlexiworkModel(rng=3, n_asn=6000, counterfactual=False, warmup_weeks=0,
                           calibration={"trust_anchor_mean": 0.5,
                                        "trust_anchor_concentration": 10.0})
    order = np.argsort(c.anchor_latent)
    assert np.all(np.diff(other.pop.citizens.anchor[order]) >= 0)
    assert np.all(np.diff(c.anchor[order]) >= 0)
    assert other.pop.citizens.anchor.mean() == pytest.approx(0.5, abs=0.02)


def test_population_is_deterministic():
    a = build_population(3000, 0.5, np.random.default_rng(1))
    b = build_population(3000, 0.5, np.random.default_rng(1))
    np.testing.assert_array_equal(a.staff.ability, b.staff.ability)
    np.testing.assert_array_equal(a.citizens.ties.indices, b.citizens.ties.indices)


@pytest.mark.parametrize("n_asn", [600, 601, 1234])
def test_smallest_populations_have_full_structure(n_asn):
    pop = build_population(n_asn, 0.5, np.random.default_rng(0))
    assert len(pop.staff) + len(pop.leaders) == n_asn
    assert set(np.unique(pop.staff.region)) == set(range(6))
    assert np.bincount(pop.leaders.agency, minlength=len(pop.agencies)).min() >= 1


def test_word_of_mouth_ties_stay_in_the_neighbourhood():
    """ODD 5: a tie inside the region goes to a citizen within the window (wrapping around in
    the region) once the region is larger than the window; the far ties' slots are right."""
    pop = build_population(100_000, 0.5, np.random.default_rng(3))
    c = pop.citizens
    t = tables()
    k, window = t["citizen_ties"], t["citizen_tie_window"]
    n = len(c)
    assert (np.diff(c.ties.indptr) == k).all()
    rows = np.repeat(np.arange(n), k)
    cols = c.ties.indices
    same = c.region[rows] == c.region[cols]
    assert same.mean() == pytest.approx(t["citizen_ties_within_region"] + 0.1 * 0.33, abs=0.02)
    sizes = np.bincount(c.region)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    big = sizes[c.region[rows]] > 2 * window + 1  # Java-Bali and Sumatra at this size
    assert big.any()
    size = sizes[c.region[rows]]
    gap = np.abs(rows - cols) % size
    circular = np.minimum(gap, size - gap)
    near = c.ties_slot < n
    assert (circular[near & big] <= window).all()
    assert (same[near]).all()
    # every tie reads the right trust: a neighbour's row, or its gathered far value
    ext = np.concatenate([c.trust, c.trust[c.ties_far]])
    np.testing.assert_array_equal(ext[c.ties_slot], c.trust[cols])
    # every row lists its neighbourhood ties first
    first_far = np.where(near.reshape(n, k), 0, 1)
    assert (np.diff(first_far, axis=1) >= 0).all()
    # incoming ties: the same in expectation everywhere (no edge effect at the regions' ends)
    indegree = np.bincount(cols, minlength=n)
    ends = np.concatenate([np.arange(s, s + 500) for s in starts[sizes > 4 * window]])
    assert indegree[ends].mean() == pytest.approx(k, rel=0.05)
    assert starts.max() < n
