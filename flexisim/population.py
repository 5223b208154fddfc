"""Synthetic population: civil servants (ASN), leaders, agencies and citizens as numpy columns.

Every number comes from the calibration tables in ``flexisim/data/`` (each with its source).
Individual attributes that levers act on (device access, internet quality) are stored as
*latent* draws, so that changing a lever maps the same people to new values instead of
re-drawing them -- the basis of common random numbers between scenarios.
"""

from __future__ import annotations

import copy
import csv
import tomllib
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp

from flexisim.fast import (
    active_sum_count,
    categorical_kernel,
    far_ties,
    group_sums,
    local_ties_kernel,
    pick_within_kernel,
    refresh_kernel,
)

F = np.float32
JOB_FAMILIES = ("frontline", "administrative", "technical", "offsite")
FRONTLINE, ADMINISTRATIVE, TECHNICAL, OFFSITE = range(4)


# ----------------------------------------------------------------- calibration tables
def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("flexisim.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


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


# ---------------------------------------------------------------------- the columns
@dataclass
class Staff:
    """Civil servants without a structural post: one row per agent (a slot a recruit can refill)."""

    region: np.ndarray
    agency: np.ndarray
    leader: np.ndarray
    job: np.ndarray
    collaboration: np.ndarray
    ict_doable: np.ndarray
    age: np.ndarray
    tenure: np.ndarray
    pppk: np.ndarray
    female: np.ndarray
    retirement_age: np.ndarray
    ability: np.ndarray
    motivation: np.ndarray
    motivation_base: np.ndarray  # the person's own level, to which morale recovers
    control_sensitivity: np.ndarray
    device_latent: np.ndarray  # uniform: has a device when below the region's access share
    internet_latent: np.ndarray  # standard normal offset of home internet quality
    skill_base: np.ndarray  # digital skill before the regional gap (falls with age at entry)
    flex_preference: np.ndarray
    # dynamic state
    active: np.ndarray = field(default=None)  # type: ignore[assignment]
    device: np.ndarray = field(default=None)  # type: ignore[assignment]
    internet: np.ndarray = field(default=None)  # type: ignore[assignment]
    skill: np.ndarray = field(default=None)  # type: ignore[assignment]
    eligible: np.ndarray = field(default=None)  # type: ignore[assignment]
    approved: np.ndarray = field(default=None)  # type: ignore[assignment]
    flex_days: np.ndarray = field(default=None)  # type: ignore[assignment]
    effort_office: np.ndarray = field(default=None)  # type: ignore[assignment]
    effort_remote: np.ndarray = field(default=None)  # type: ignore[assignment]
    effort: np.ndarray = field(default=None)  # type: ignore[assignment]
    shirk_days: np.ndarray = field(default=None)  # type: ignore[assignment]
    office_shirk_days: np.ndarray = field(default=None)  # type: ignore[assignment]
    shortfall: np.ndarray = field(default=None)  # type: ignore[assignment]
    office_shortfall: np.ndarray = field(default=None)  # type: ignore[assignment]
    output: np.ndarray = field(default=None)  # type: ignore[assignment]
    quality: np.ndarray = field(default=None)  # type: ignore[assignment]
    on_time: np.ndarray = field(default=None)  # type: ignore[assignment]
    coordination: np.ndarray = field(default=None)  # type: ignore[assignment]
    measured: np.ndarray = field(default=None)  # type: ignore[assignment]
    verification: np.ndarray = field(default=None)  # type: ignore[assignment]
    belief: np.ndarray = field(default=None)  # type: ignore[assignment]
    trust_in_leader: np.ndarray = field(default=None)  # type: ignore[assignment]
    rating: np.ndarray = field(default=None)  # type: ignore[assignment]
    sanction_left: np.ndarray = field(default=None)  # type: ignore[assignment]
    falsely_accused: np.ndarray = field(default=None)  # type: ignore[assignment]
    detected: np.ndarray = field(default=None)  # type: ignore[assignment]
    wellbeing: np.ndarray = field(default=None)  # type: ignore[assignment]
    intent_to_leave: np.ndarray = field(default=None)  # type: ignore[assignment]
    cycle_measured: np.ndarray = field(default=None)  # type: ignore[assignment]
    cycle_weeks: np.ndarray = field(default=None)  # type: ignore[assignment]
    performing: np.ndarray = field(default=None)  # type: ignore[assignment]
    hires: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = len(self.region)
        self.active = np.ones(n, bool)
        self.device = np.zeros(n, bool)
        self.internet = np.zeros(n, F)
        self.skill = np.zeros(n, F)
        self.eligible = np.zeros(n, bool)
        self.approved = np.zeros(n, bool)
        self.flex_days = np.zeros(n, np.int8)
        for name in ("effort_office", "effort_remote", "effort", "output", "quality", "on_time",
                     "coordination", "measured", "verification", "intent_to_leave",
                     "cycle_measured", "shortfall", "office_shortfall"):
            setattr(self, name, np.zeros(n, F))
        self.effort[:] = self.motivation
        self.shirk_days = np.zeros(n, np.int8)
        self.office_shirk_days = np.zeros(n, np.int8)
        self.belief = np.full(n, 0.6, F)  # leaders start moderately trusting
        self.trust_in_leader = np.full(n, 0.7, F)  # and are moderately trusted
        self.rating = np.zeros(n, np.int8)  # e-Kinerja rating 1-5, 0 = not yet rated
        self.sanction_left = np.zeros(n, np.int16)
        self.falsely_accused = np.zeros(n, bool)
        self.detected = np.zeros(n, bool)
        self.wellbeing = np.full(n, 0.55, F)
        self.cycle_weeks = np.zeros(n, np.int16)
        self.performing = np.zeros(n, bool)
        self.hires = np.zeros(n, np.int32)  # how many times the slot was refilled

    def __len__(self) -> int:
        return len(self.region)


@dataclass
class Leaders:
    """Structural officials: each leads one team inside one agency."""

    agency: np.ndarray
    region: np.ndarray
    style_latent: np.ndarray  # uniform, mapped to a style by the trust-culture lever
    training_latent: np.ndarray  # uniform: trained when below the training share
    mode_latent: np.ndarray  # uniform: results-based when below the results-based share
    digital_literacy: np.ndarray
    style: np.ndarray = field(default=None)  # type: ignore[assignment]
    trained: np.ndarray = field(default=None)  # type: ignore[assignment]
    results_based: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.agency)


@dataclass
class Agencies:
    """Agency units (a ministry's regional office or a regional government)."""

    region: np.ndarray
    central: np.ndarray
    credibility_latent: np.ndarray  # standard normal: agencies differ in e-Kinerja maturity

    def __len__(self) -> int:
        return len(self.region)


@dataclass
class Citizens:
    """Citizen sample: each is served by a regional agency of its region."""

    region: np.ndarray
    agency: np.ndarray
    access_latent: np.ndarray  # uniform: online when below the region's internet use
    anchor: np.ndarray  # predisposition to trust (P1)
    ties: sp.csr_matrix  # row-normalised word-of-mouth ties, mostly within region
    ties_far: np.ndarray  # targets of the ties outside the neighbourhood, in row order
    ties_slot: np.ndarray  # per tie: where word of mouth reads its trust (fast.far_ties)
    trust: np.ndarray = field(default=None)  # type: ignore[assignment]
    experience: np.ndarray = field(default=None)  # type: ignore[assignment]
    needed: np.ndarray = field(default=None)  # type: ignore[assignment]
    exposed: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.trust = self.anchor.copy()
        self.experience = np.full(len(self.region), np.nan, F)
        self.needed = np.zeros(len(self.region), bool)
        self.exposed = np.zeros(len(self.region), bool)  # reached by results reporting
        k = self.ties_per_citizen
        if k < 1 or not np.array_equal(self.ties.indptr, np.arange(0, k * len(self) + 1, k)):
            # word of mouth (mechanisms.citizens._heard_kernel) reads k ties per row
            raise ValueError("every citizen must have the same number (at least one) of ties")

    @property
    def ties_per_citizen(self) -> int:
        """Word-of-mouth ties per citizen (the same for everyone)."""
        return self.ties.nnz // max(len(self), 1)

    def __len__(self) -> int:
        return len(self.region)


@dataclass
class Population:
    staff: Staff
    leaders: Leaders
    agencies: Agencies
    citizens: Citizens
    region_names: tuple[str, ...]
    scale: float  # real civil servants per ASN agent
    # headcounts of active staff, refreshed by refresh_counts() whenever ``active`` changes
    weight: np.ndarray = field(default=None)  # type: ignore[assignment]
    per_leader: np.ndarray = field(default=None)  # type: ignore[assignment]
    per_agency: np.ndarray = field(default=None)  # type: ignore[assignment]
    per_region: np.ndarray = field(default=None)  # type: ignore[assignment]
    n_active: int = 0
    agency_rows: np.ndarray = field(default=None)  # type: ignore[assignment]
    region_rows: np.ndarray = field(default=None)  # type: ignore[assignment]
    citizen_agency_rows: np.ndarray = field(default=None)  # type: ignore[assignment]

    _workspace: dict = field(default_factory=dict, repr=False)
    _disjoint: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # agency a is staff rows agency_rows[a]:agency_rows[a + 1], region r the rows
        # region_rows[r]:region_rows[r + 1] (static in a run: a recruit takes the leaver's row)
        self.agency_rows = row_ranges(self.staff.agency, len(self.agencies), "staff", "agency")
        self.region_rows = row_ranges(self.staff.region, len(self.region_names), "staff",
                                      "region")
        self.citizen_agency_rows = row_ranges(self.citizens.agency, len(self.agencies),
                                              "citizen", "agency")
        self.refresh_counts()

    def refresh_counts(self) -> None:
        """Recount active staff per leader, agency and region (after exits and hires)."""
        s = self.staff
        n = len(s)
        if self.weight is None or len(self.weight) != n:
            self.weight = np.zeros(n, F)
            self.per_leader = np.zeros(len(self.leaders))
            self.per_agency = np.zeros(len(self.agencies))
            self.per_region = np.zeros(len(self.region_names))
        self.n_active = int(refresh_kernel(s.active, s.leader, s.agency, s.region, self.weight,
                                           self.per_leader, self.per_agency, self.per_region))

    def mean_by(self, values: np.ndarray, group: str, empty: float = 0.0) -> np.ndarray:
        """Mean of a staff column over active staff, per ``group`` (leader, agency, region)."""
        index = getattr(self.staff, group)
        counts = getattr(self, f"per_{group}")
        total = group_sums(np.asarray(values), self.staff.active, index, len(counts))
        out = np.full(len(counts), empty)
        np.divide(total, counts, out=out, where=counts > 0)
        return out

    def mean(self, values: np.ndarray) -> float:
        """Mean of a staff column over active staff."""
        total, count = active_sum_count(np.asarray(values), self.staff.active)
        return total / max(count, 1)

    def workspace(self, name: str, n: int, dtype: Any) -> np.ndarray:
        """A scratch array kept between steps (so the weekly loop allocates no large temporary)."""
        buf = self._workspace.get(name)
        if buf is None or len(buf) != n or buf.dtype != dtype:
            buf = self._workspace[name] = np.empty(n, dtype)
        return buf

    def check_disjoint(self, name: str, args: tuple, n_written: int) -> None:
        """Check that the last ``n_written`` arguments of a kernel overlap no other array.

        The kernels compiled with ``noalias`` (``fast.JIT_DISJOINT``) rely on it. Arrays with
        one entry per row (columns) are checked once while the call site ``name`` passes the
        same array objects (kept referenced, so an unchanged identity means unchanged
        memory); the small per-group arrays made afresh each week are checked every call.
        """
        written = args[len(args) - n_written:]
        n = len(written[0])
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        rows = tuple(a for a in arrays if len(a) == n)
        last = self._disjoint.get(name)
        same = (last is not None and len(last) == len(rows)
                and all(a is b for a, b in zip(last, rows, strict=True)))
        small = [a for a in arrays if len(a) != n]
        for w in written:
            # a written column, once its call site is known, against the per-group arrays; a
            # written per-group array (made afresh) always against every argument
            candidates = small + [w] if same and len(w) == n else arrays
            hits = sum(1 for a in candidates if a is w or np.may_share_memory(a, w))
            if hits != 1:
                raise ValueError(f"{name}: a written array overlaps another argument")
        self._disjoint[name] = rows

    def copy(self) -> Population:
        """An independent copy for a second world of the same run (the office-only twin).

        Columns the model never writes -- the posts' region, agency, leader, job family,
        collaboration and retirement age, the agencies, the leaders' latent draws and the
        citizens' region, agency, predisposition, access draw and ties -- are shared between
        the copies; every other column is copied. Much cheaper than drawing the population
        again, and the twin is identical to a fresh build with the same seed.
        """
        shared_staff = {"region", "agency", "leader", "job", "collaboration", "retirement_age"}
        s = self.staff
        staff = copy.copy(s)
        for f in fields(Staff):
            if f.name not in shared_staff:
                setattr(staff, f.name, getattr(s, f.name).copy())
        leaders = copy.copy(self.leaders)
        c = self.citizens
        citizens = copy.copy(c)
        for name in ("trust", "experience", "needed", "exposed"):
            setattr(citizens, name, getattr(c, name).copy())
        twin = copy.copy(self)
        twin.staff, twin.leaders, twin.citizens = staff, leaders, citizens
        twin.weight = None
        twin._workspace = {}
        twin._disjoint = {}
        twin.refresh_counts()
        return twin


def row_ranges(group: np.ndarray, n_groups: int, rows: str, name: str) -> np.ndarray:
    """Offsets of each group's rows, for rows sorted by ``group``: group ``g`` is the rows
    ``out[g]:out[g + 1]``. Loops over groups then read each group as one contiguous range."""
    if len(group) and not (group[1:] >= group[:-1]).all():
        raise ValueError(f"{rows} rows must be in {name} order")
    counts = np.bincount(group, minlength=n_groups)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


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


def build_population(n_asn: int, citizens_per_asn: float, rng: np.random.Generator) -> Population:
    """Draw a synthetic civil service and citizen sample.

    Parameters
    ----------
    n_asn : int
        ASN agents including leaders (each stands for ``national_asn / n_asn`` people).
    citizens_per_asn : float
        Citizen agents per ASN agent.
    rng : numpy.random.Generator
        The population's own random stream.
    """
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
    agencies = Agencies(ag_region, ag_central, rng.standard_normal(n_ag).astype(F))

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
        agency=leader_agency,
        region=ag_region[leader_agency],
        style_latent=rng.random(n_leaders).astype(F),
        training_latent=rng.random(n_leaders).astype(F),
        mode_latent=rng.random(n_leaders).astype(F),
        digital_literacy=np.clip(rng.normal(0.55, 0.2, n_leaders), 0, 1).astype(F),
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
    ict_doable = rng.random(n_staff) < t["ict_doable"][job]
    care = female & (age >= 28) & (age <= 45)  # care duties concentrate here (assumption)
    flex_preference = np.clip(0.35 + 0.2 * care + 0.1 * (region == 0) + 0.15 * (age < 35)
                              + rng.normal(0, 0.2, n_staff), 0, 1)

    staff = Staff(
        region=region, agency=agency, leader=leader, job=job,
        collaboration=t["collaboration"][job].astype(F), ict_doable=ict_doable,
        age=age.astype(F), tenure=tenure.astype(F), pppk=pppk, female=female,
        retirement_age=retirement_age.astype(F), ability=ability.astype(F),
        motivation=motivation.astype(F), motivation_base=motivation.astype(F),
        control_sensitivity=control_sensitivity.astype(F),
        device_latent=rng.random(n_staff).astype(F),
        internet_latent=rng.standard_normal(n_staff).astype(F),
        skill_base=skill_base(age, rng.standard_normal(n_staff)).astype(F),
        flex_preference=flex_preference.astype(F),
    )

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
    anchor = rng.beta(*t["citizen_trust_beta"], n_cit).astype(F)
    ties, far, slot = _ties(c_region, t["citizen_ties"], t["citizen_ties_within_region"],
                            t["citizen_tie_window"], rng)
    citizens = Citizens(c_region, c_agency, rng.random(n_cit).astype(F),
                        anchor, ties, far, slot)
    return Population(staff, leaders, agencies, citizens, t["region_names"],
                      scale=t["national_asn"] / n_asn)


def skill_base(age: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Digital skill before the regional gap: falls with age (older cohorts less digital)."""
    t = tables()
    return (t["digital_skill_mean_age30"] - t["digital_skill_decline_per_year"] * (age - 30.0)
            + 0.15 * z)


def _ties(region: np.ndarray, k: int, within: float, window: int, rng: np.random.Generator
          ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Row-normalised word-of-mouth matrix: ``k`` ties per citizen, a share ``within`` in region.

    Ties inside the region go to citizens within ``window`` rows of the citizen's own (rows
    are in agency order, regions contiguous): neighbourhoods, whose trust the word-of-mouth
    pass reads from the processor's cache (``local_ties_kernel``). Built directly in CSR
    form, ``k`` entries per row, the neighbourhood ties first: a repeated tie stays two
    entries, which the word-of-mouth product sums exactly like a merged one. Also returns
    the far ties' targets and every tie's slot (``fast.far_ties``).
    """
    n = len(region)
    bounds = row_ranges(region, int(region.max()) + 1, "citizen", "region")
    key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
    starts, sizes = bounds[:-1], np.diff(bounds)
    indices = np.empty(n * k, np.int32)
    near = np.empty(n, np.int8)
    local_ties_kernel(key, region, starts, sizes, k, float(within), int(window), indices, near)
    data = np.full(n * k, 1.0 / k, F)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64 if n * k >= 2**31 else np.int32)
    ties = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    far, slot = far_ties(ties.indptr, ties.indices, near, n * k - int(near.sum()))
    return ties, far, slot
