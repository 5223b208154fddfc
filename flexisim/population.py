"""Synthetic population: civil servants (ASN), leaders, agencies and citizens as numpy columns.

Every number comes from the calibration tables in ``flexisim/data/`` (each with its source).
Individual attributes that levers act on (device access, internet quality) are stored as
*latent* draws, so that changing a lever maps the same people to new values instead of
re-drawing them -- the basis of common random numbers between scenarios.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from flexisim.engine.compiled import (
    categorical_kernel,
    far_ties,
    local_ties_kernel,
    pick_within_kernel,
)
from flexisim.engine.records import record_class
from flexisim.state import (
    Agencies,
    Citizens,
    Column,
    F,
    Leaders,
    Population,
    Regions,
    Staff,
    row_ranges,
)
from flexisim.streams import hash_uniform

# ----------------------------------------------------------------- calibration tables

#: keys of the hashed attributes of the people drawn with the population (time flexibility's
#: draws), apart from the recruits' (the same seed)
TIME_SALT = 0x71E_F1E
HOURS_SALT = 0x0FF1CE

#: leaders' digital literacy before training: mean and standard deviation of a normal
#: clipped to [0, 1] (assumption)
LEADER_LITERACY = (0.55, 0.2)

def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("flexisim.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def _job_families() -> tuple[str, ...]:
    return tuple(r["family"] for r in _read_csv("job_families.csv"))


#: The job families, in the order of flexisim/data/job_families.csv (a staff row's ``job``
#: is an index into it); code refers to a family by name, through the constants below.
JOB_FAMILIES: tuple[str, ...] = _job_families()
FRONTLINE = JOB_FAMILIES.index("frontline")
ADMINISTRATIVE = JOB_FAMILIES.index("administrative")
TECHNICAL = JOB_FAMILIES.index("technical")
OFFSITE = JOB_FAMILIES.index("offsite")

#: The region whose performance and trust the regional gaps compare with the eastern regions.
REFERENCE_REGION = "Java-Bali"


@cache
def tables() -> dict[str, Any]:
    """Calibration tables of the population, read once from ``flexisim/data``."""
    regions = _read_csv("regions.csv")
    jobs = _read_csv("job_families.csv")
    ages = _read_csv("age_structure.csv")
    with resources.files("flexisim.data").joinpath("population.toml").open("rb") as fh:
        facts = tomllib.load(fh)
    col = lambda rows, k: np.array([float(r[k]) for r in rows])  # noqa: E731
    return {
        "region_names": tuple(r["region"] for r in regions),
        "asn_share": col(regions, "asn_share"),
        "citizen_share": col(regions, "citizen_share"),
        "digital_gap": col(regions, "digital_gap"),
        "citizen_internet": col(regions, "citizen_internet_use"),
        "eastern": col(regions, "eastern").astype(bool),
        "flex_preference_shift": col(regions, "flex_preference_shift"),
        "job_share": col(jobs, "share"),
        "collaboration": col(jobs, "collaboration"),
        "ict_doable": col(jobs, "ict_doable"),
        "retirement_age": col(jobs, "retirement_age"),
        "age_from": col(ages, "age_from"),
        "age_to": col(ages, "age_to"),
        "age_share": col(ages, "share"),
        **facts,
    }


def n_leaders_for(n_asn: int) -> int:
    """Number of leader agents in a population of ``n_asn`` ASN (BKN: 6% structural posts)."""
    return max(1, round(tables()["leader_share"] * n_asn))


def n_agencies_for(n_asn: int) -> int:
    """Number of agency units: one per ``asn_per_agency`` agents, at least two per region."""
    t = tables()
    n_regions = len(t["region_names"])
    return int(np.clip(round(n_asn / t["asn_per_agency"]), 2 * n_regions, t["max_agencies"]))


# ---------------------------------------------------------------------- generation
def _categorical(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Map uniforms to categories with the given shares (inverse CDF)."""
    cdf = np.cumsum(shares / shares.sum())
    return categorical_kernel(u, cdf)


def _pick_within(groups_of_rows: np.ndarray, group: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each row, pick one member of its ``group`` uniformly (candidates: ``groups_of_rows``).

    ``groups_of_rows[j]`` is the group of candidate j; returns candidate indices: row i gets
    candidate number ``floor(u_i x k)`` (in index order) of the ``k`` candidates of its group.
    """
    n_groups = max(int(groups_of_rows.max()), int(group.max())) + 1
    counts = np.bincount(groups_of_rows, minlength=n_groups)
    if np.any((counts == 0) & (np.bincount(group, minlength=n_groups) > 0)):
        raise ValueError("a group has no candidates")
    return pick_within_kernel(np.ascontiguousarray(groups_of_rows), counts,
                              np.ascontiguousarray(group), u)


def _largest_remainder(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to ``weights``, each >= ``minimum``."""
    base = np.full(len(weights), minimum, np.int64)
    rest = total - base.sum()
    quota = weights / weights.sum() * rest
    counts = np.floor(quota).astype(np.int64)
    short = rest - counts.sum()
    counts[np.argsort(-(quota - counts), kind="stable")[:short]] += 1
    return base + counts


def build_population(n_asn: int, citizens_per_asn: float, rng: np.random.Generator, *,
                     columns: Mapping[str, Mapping[str, Column]] | None = None,
                     recruit_seed: int = 0) -> Population:
    """Draw a synthetic civil service and citizen sample.

    Parameters
    ----------
    n_asn : int
        ASN agents including leaders (each stands for ``national_asn / n_asn`` people).
    citizens_per_asn : float
        Citizen agents per ASN agent.
    rng : numpy.random.Generator
        The population's own random stream.
    columns : mapping, optional
        Extra columns by table (declared by mechanisms that add their own state).
    recruit_seed : int
        Seed of the recruits' hashed attributes (``streams.recruit_seed``).
    """
    extra = dict(columns or {})
    t = tables()
    n_regions = len(t["region_names"])
    n_leaders = n_leaders_for(n_asn)
    n_staff = n_asn - n_leaders

    # --- agencies: per region, regional governments (76%) and central offices (24%)
    n_ag = n_agencies_for(n_asn)
    per_region = _largest_remainder(n_ag, t["asn_share"], minimum=t["min_agencies_per_region"])
    ag_region = np.repeat(np.arange(n_regions), per_region).astype(np.int8)
    ag_central = np.zeros(n_ag, bool)
    first = np.concatenate([[0], np.cumsum(per_region)[:-1]])
    n_central = np.maximum(1, np.round(t["central_share"] * per_region).astype(int))
    for r in range(n_regions):  # a loop over six regions, not over agents
        ag_central[first[r]: first[r] + n_central[r]] = True
    credibility_latent = rng.standard_normal(n_ag).astype(F)

    # --- staff: region, central/regional, agency within that kind
    region = _categorical(rng.random(n_staff), t["asn_share"])
    central = rng.random(n_staff) < t["central_share"]
    kind_of_agency = ag_region.astype(np.int64) * 2 + ag_central
    agency = _pick_within(kind_of_agency, region.astype(np.int64) * 2 + central,
                          rng.random(n_staff)).astype(np.int32)

    # --- leaders in proportion to staff, at least one per agency; staff split over their teams
    staff_per_agency = np.bincount(agency, minlength=n_ag)
    leaders_per_agency = _largest_remainder(n_leaders, staff_per_agency + 1e-9, minimum=1)
    leader_agency = np.repeat(np.arange(n_ag), leaders_per_agency).astype(np.int32)
    leader = _pick_within(leader_agency, agency, rng.random(n_staff))
    # rows in team order (leaders are numbered by agency, agencies by region): the weekly
    # loops then read team, agency and region aggregates sequentially, not at random. The
    # sorted rows are the team sizes written out (a leader's agency is the member's, and an
    # agency's region the member's), which equals sorting the drawn rows, without the sort
    team_size = np.bincount(leader, minlength=n_leaders)
    leader = np.repeat(np.arange(n_leaders, dtype=np.int32), team_size)
    agency = leader_agency[leader]
    region = ag_region[agency]
    leaders = Leaders(
        n_leaders, extra.get("leaders"),
        agency=leader_agency,
        region=ag_region[leader_agency],
        style_latent=rng.random(n_leaders).astype(F),
        training_latent=rng.random(n_leaders).astype(F),
        mode_latent=rng.random(n_leaders).astype(F),
        digital_literacy=np.clip(rng.normal(*LEADER_LITERACY, n_leaders), 0, 1).astype(F),
    )

    # --- job family, age, tenure, contract
    job = _categorical(rng.random(n_staff), t["job_share"])
    age_bin = _categorical(rng.random(n_staff), t["age_share"])
    retirement_age = t["retirement_age"][job]
    # the oldest bin ends at the post's retirement age (BUP), so nobody starts past it
    age_from = t["age_from"][age_bin]
    age_to = np.minimum(t["age_to"][age_bin], retirement_age)
    age = age_from + rng.random(n_staff) * (age_to - age_from)
    pppk = rng.random(n_staff) < t["pppk_share"]
    lo, hi = t["pns_entry_age"]
    entry_lo = np.minimum(lo, age)
    entry_age = entry_lo + rng.random(n_staff) * (np.minimum(hi, age) - entry_lo)
    tenure = np.where(pppk, rng.random(n_staff) * np.minimum(t["pppk_tenure_max"], age - 18.0),
                      age - entry_age)
    female = rng.random(n_staff) < t["women_share"]

    # --- individual traits
    ability = np.clip(rng.normal(1.0, t["ability_sd"], n_staff), 0.3, 2.0)
    motivation = rng.beta(*t["motivation_beta"], n_staff)
    sensitive = rng.random(n_staff) < t["control_sensitive_share"]
    control_sensitivity = np.where(sensitive, 0.5 + 0.5 * rng.random(n_staff),
                                   0.2 * rng.random(n_staff))
    ict_latent = rng.random(n_staff)  # doable with ICT below the family's share (setup)
    care = female & (age >= 28) & (age <= 45)  # care duties concentrate here (assumption)
    # regions' shift: longer commutes around the metropolitan areas (regions.csv)
    flex_preference = np.clip(0.35 + 0.2 * care + t["flex_preference_shift"][region]
                              + 0.15 * (age < 35) + rng.normal(0, 0.2, n_staff), 0, 1)

    staff = Staff(
        n_staff, extra.get("staff"), region=region, agency=agency, leader=leader, job=job,
        collaboration=t["collaboration"][job].astype(F), ict_latent=ict_latent.astype(F),
        age=age.astype(F), tenure=tenure.astype(F), pppk=pppk, female=female,
        retirement_age=retirement_age.astype(F), ability=ability.astype(F),
        motivation=motivation.astype(F), motivation_base=motivation.astype(F),
        control_sensitivity=control_sensitivity.astype(F),
        device_latent=rng.random(n_staff).astype(F),
        internet_latent=rng.standard_normal(n_staff).astype(F),
        skill_base=skill_base(age, rng.standard_normal(n_staff)).astype(F),
        flex_preference=flex_preference.astype(F),
        # hashed, not drawn from the population stream: attributes added after the first
        # version leave every earlier draw of a seed unchanged
        time_latent=hash_uniform(recruit_seed ^ TIME_SALT, np.arange(n_staff), 0, 1)[0],
    )
    staff.effort[:] = staff.motivation  # last week's effort, before the first week

    # --- citizens: served by a regional government of their region that has frontline staff
    n_cit = max(200, round(citizens_per_asn * n_asn))
    c_region = _categorical(rng.random(n_cit), t["citizen_share"])
    serving = np.bincount(agency, weights=job == FRONTLINE, minlength=n_ag) > 0
    serving &= ~ag_central
    for r in range(n_regions):  # fall back to any agency of the region (tiny populations)
        if not serving[ag_region == r].any():
            serving[ag_region == r] = True
    candidates = np.flatnonzero(serving)
    c_agency = candidates[_pick_within(ag_region[candidates].astype(np.int64),
                                       c_region.astype(np.int64), rng.random(n_cit))]
    # citizens in agency (and region) order: the agencies' head counts written out (the
    # same as sorting the drawn rows, as for the staff)
    c_agency = np.repeat(np.arange(n_ag, dtype=np.int32), np.bincount(c_agency, minlength=n_ag))
    c_region = ag_region[c_agency]
    # the predisposition to trust: a uniform here, mapped through the calibrated Beta
    # distribution at set-up (apply_levers), so the same citizens are the most trusting
    anchor_latent = rng.random(n_cit).astype(F)
    target, far, slot = _ties(c_region, t["citizen_ties"], t["citizen_ties_within_region"],
                              t["citizen_tie_window"], rng)
    access_latent = rng.random(n_cit).astype(F)
    # the best-connected citizens use online services first (no draw of its own)
    digital_user = access_latent < t["citizen_internet"][c_region] * t["digital_users_start"]
    citizens = Citizens(n_cit, extra.get("citizens"), region=c_region, agency=c_agency,
                        access_latent=access_latent, anchor_latent=anchor_latent,
                        hours_latent=hash_uniform(recruit_seed ^ HOURS_SALT,
                                                  np.arange(n_cit), 0, 1)[0],
                        digital_user=digital_user,
                        tie_target=target, ties_far=far, ties_slot=slot,
                        trust_ext=np.empty(n_cit + len(far), F))
    agencies = Agencies(
        n_ag, extra.get("agencies"), region=ag_region, central=ag_central,
        credibility_latent=credibility_latent,
        staff_rows=row_ranges(staff.agency, n_ag, "staff", "agency"),
        citizen_rows=row_ranges(citizens.agency, n_ag, "citizen", "agency"))
    regions = Regions(
        t["region_names"], extra.get("regions"), eastern=t["eastern"], digital_gap=t["digital_gap"],
        citizen_internet=t["citizen_internet"],
        staff_rows=row_ranges(staff.region, n_regions, "staff", "region"))
    return Population(staff, leaders, agencies, citizens, regions,
                      scale=t["national_asn"] / n_asn, recruit_seed=recruit_seed)


def skill_base(age: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Digital skill before the regional gap: falls with age (older cohorts less digital)."""
    t = tables()
    return (t["digital_skill_mean_age30"] - t["digital_skill_decline_per_year"] * (age - 30.0)
            + 0.15 * z)


_TieSpec = record_class("TieSpec", ("k", "within", "window"))
_TieOut = record_class("TieOut", ("indices", "near"))


def _ties(region: np.ndarray, k: int, within: float, window: int, rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word-of-mouth ties: ``k`` per citizen, a share ``within`` inside the region.

    Ties inside the region go to citizens within ``window`` rows of the citizen's own (rows
    are in agency order, regions contiguous): neighbourhoods, whose trust the word-of-mouth
    pass reads from the processor's cache (``local_ties_kernel``). Written row by row,
    ``k`` targets per row, the neighbourhood ties first (CSR column indices: a repeated tie
    stays two entries, which the word-of-mouth mean sums exactly like a merged one). Returns
    the targets, the far ties' targets and every tie's slot (``engine.compiled.far_ties``).
    """
    n = len(region)
    bounds = row_ranges(region, int(region.max()) + 1, "citizen", "region")
    key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
    out = _TieOut(np.empty(n * k, np.int32), np.empty(n, np.int8))
    local_ties_kernel(key, region, bounds, _TieSpec(int(k), float(within), int(window)), out)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64 if n * k >= 2**31 else np.int32)
    far, slot = far_ties(indptr, out.indices, out.near, n * k - int(out.near.sum()))
    return out.indices, far, slot
