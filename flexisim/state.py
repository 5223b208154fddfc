"""The state of one world: civil servants, leaders, agencies, citizens and regions as columns.

Each population is a :class:`Table` whose columns are numpy arrays, one row per agent, and
**every column declares itself** (:class:`Column`): its dtype, what it means, and its kind --

``static``
    set when the population is drawn and never written during a run (a post's region,
    agency, leader, job family; a citizen's region and predisposition; the word-of-mouth
    ties). The two worlds of a run share these arrays.
``dynamic``
    changes during a run (effort, belief, trust, a recruit's attributes...). Each world has
    its own copy.
``derived``
    computed from the levers and from other columns when a world is set up (a civil
    servant's leader's style, an agency's measurement credibility, a region's device
    access), updated when infrastructure investment moves the levels. Each world has its own.
``scratch``
    a buffer a mechanism reuses every week instead of allocating a temporary. Each world has
    its own; it carries no state between weeks.

Copying a world for its twin (:meth:`Population.copy`), memory accounting
(:meth:`Population.nbytes`) and the tests of the national-scale discipline (no large
temporaries, no reallocated column) all follow from these declarations. Once a world is set
up its tables are frozen: columns are updated in place (``staff.effort[:] = ...``), never
rebound, so the records kernels read (:meth:`Population.views`) stay valid.

Mechanisms see the state through **views**: for a :class:`ViewSpec` (the columns a mechanism
reads and writes, and its parameters), :meth:`Population.views` makes once per world a
nested record (``v.staff.effort``, ``v.agencies.peer_effort``, ``v.params.effort_crowding``)
and checks that no written array overlaps another array in it -- the promise that the
``noalias`` kernels (:mod:`flexisim.engine.kernel`) rely on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from flexisim.engine.compiled import active_sum_count, group_sums
from flexisim.engine.kernel import kernel
from flexisim.engine.records import arrays_in, record_class, stamp

__all__ = ["F", "KINDS", "Agencies", "Citizens", "Column", "Leaders", "Population", "Regions",
           "Staff", "Table", "ViewSpec", "derived", "dynamic", "row_ranges", "scratch", "static"]

F = np.float32
KINDS = ("static", "dynamic", "derived", "scratch")


@dataclass(frozen=True)
class Column:
    """Declaration of one column of a :class:`Table`.

    Attributes
    ----------
    dtype : numpy dtype
        The column's element type (values given at construction are converted to it).
    doc : str
        What the column holds, with its unit.
    kind : str
        ``static``, ``dynamic``, ``derived`` or ``scratch`` (see the module docstring).
    fill : scalar
        Initial value when the column is not given at construction.
    rows : bool
        One value per row (default); ``False`` for an index array of its own length (row
        offsets of groups, the list of all ties), which must be given at construction.
    """

    dtype: Any
    doc: str
    kind: str
    fill: Any = 0
    rows: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column kind must be one of {KINDS}, not {self.kind!r}")
        object.__setattr__(self, "dtype", np.dtype(self.dtype))


def static(dtype: Any, doc: str, **options: Any) -> Column:
    """A column set when the population is drawn and never written during a run."""
    return Column(dtype, doc, "static", **options)


def dynamic(dtype: Any, doc: str, **options: Any) -> Column:
    """A column that changes during a run."""
    return Column(dtype, doc, "dynamic", **options)


def derived(dtype: Any, doc: str, **options: Any) -> Column:
    """A column computed from levers and other columns when a world is set up."""
    return Column(dtype, doc, "derived", **options)


def scratch(dtype: Any, doc: str, **options: Any) -> Column:
    """A buffer reused every week (no state between weeks)."""
    return Column(dtype, doc, "scratch", **options)


class Table:
    """A population as columns: declare them as class attributes (:func:`static` ...).

    ``Table(n, **columns)`` makes a table of ``n`` rows; columns not given start at their
    ``fill``. Extra columns (e.g. of a mechanism that adds its own state) can be declared
    with ``extra_columns``.
    """

    COLUMNS: ClassVar[dict[str, Column]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = {k: v for k, v in vars(cls).items() if isinstance(v, Column)}
        for name in declared:
            delattr(cls, name)
        cls.COLUMNS = {**cls.COLUMNS, **declared}

    def __init__(self, n: int, extra_columns: Mapping[str, Column] | None = None,
                 **values: Any) -> None:
        object.__setattr__(self, "_frozen", False)
        object.__setattr__(self, "n", int(n))
        columns = dict(type(self).COLUMNS)
        for name, col in (extra_columns or {}).items():
            if name in columns or hasattr(type(self), name):
                raise ValueError(f"{type(self).__name__}: column {name!r} already exists")
            columns[name] = col
        object.__setattr__(self, "columns", columns)
        unknown = set(values) - set(columns)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown columns {sorted(unknown)}")
        for name, col in columns.items():
            if name in values:
                setattr(self, name, values[name])
            elif col.rows:
                setattr(self, name, np.full(self.n, col.fill, col.dtype))
            else:
                raise TypeError(f"{type(self).__name__}: column {name!r} must be given")

    def __setattr__(self, name: str, value: Any) -> None:
        col = self.columns.get(name) if "columns" in self.__dict__ else None
        if col is None:
            object.__setattr__(self, name, value)
            return
        if self._frozen:
            raise AttributeError(
                f"{type(self).__name__}.{name}: columns are updated in place once a world is "
                f"set up (write {type(self).__name__.lower()}.{name}[...] = values)")
        array = np.asarray(value)
        if array.dtype != col.dtype:
            array = array.astype(col.dtype)
        if col.rows and array.shape != (self.n,):
            raise ValueError(f"{type(self).__name__}.{name}: {array.shape} values for "
                             f"{self.n} rows")
        object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return self.n

    def freeze(self) -> None:
        """Forbid rebinding columns (they are updated in place from now on)."""
        object.__setattr__(self, "_frozen", True)

    def names(self, *kinds: str) -> tuple[str, ...]:
        """Column names, of the given kinds (default: all)."""
        return tuple(k for k, c in self.columns.items() if not kinds or c.kind in kinds)

    def copy(self) -> Table:
        """An independent copy for a second world: static columns shared, dynamic and derived
        ones copied, scratch buffers new."""
        twin = copy.copy(self)
        object.__setattr__(twin, "_frozen", False)
        for name, col in self.columns.items():
            value = getattr(self, name)
            if col.kind in ("dynamic", "derived"):
                object.__setattr__(twin, name, value.copy())
            elif col.kind == "scratch":
                object.__setattr__(twin, name, np.empty_like(value))
        return twin

    def nbytes(self, *kinds: str) -> int:
        """Bytes held by the columns of the given kinds (default: all)."""
        return sum(getattr(self, k).nbytes for k in self.names(*kinds))


# ---------------------------------------------------------------------- the tables
class Staff(Table):
    """Civil servants without a structural post: one row per post (a recruit refills it)."""

    region = static(np.int8, "region of the post (row of Regions)")
    agency = static(np.int32, "agency of the post (row of Agencies)")
    leader = static(np.int32, "leader of the post's team (row of Leaders)")
    job = static(np.int8, "job family (index into population.JOB_FAMILIES)")
    collaboration = static(F, "collaboration intensity of the job family, 0-1")
    retirement_age = static(F, "legal retirement age of the post (BUP), years")
    # the person in the post: drawn with the population, drawn again for each recruit
    ict_latent = dynamic(F, "uniform: the work can be done with ICT when below the job "
                            "family's digital share")
    age = dynamic(F, "years")
    tenure = dynamic(F, "years in service")
    pppk = dynamic(bool, "contract employee (PPPK) rather than PNS")
    female = dynamic(bool, "woman")
    ability = dynamic(F, "productivity, 1 = average")
    motivation = dynamic(F, "intrinsic motivation 0-1 (falls after a false accusation)")
    motivation_base = dynamic(F, "the person's own motivation, to which morale recovers")
    control_sensitivity = dynamic(F, "how strongly control is read as distrust, 0-1")
    device_latent = dynamic(F, "uniform: has a device when below the region's access share")
    internet_latent = dynamic(F, "standard normal offset of home internet quality")
    skill_base = dynamic(F, "digital skill before the regional gap (falls with age)")
    flex_preference = dynamic(F, "preference for flexible work 0-1")
    time_latent = dynamic(F, "uniform: on shifts or dynamic hours when below the agency's "
                             "time-flexibility share")
    # from the levers: infrastructure, and the person's leader and agency
    device = derived(bool, "has an adequate work device")
    internet = derived(F, "home internet quality 0-1")
    skill = derived(F, "digital skill 0-1")
    lead_style = derived(F, "style of the person's leader, 0 control ... 1 trust")
    lead_trained = derived(F, "how far the person's leader's adaptive-leadership training "
                              "has taken effect 0-1")
    lead_results = derived(bool, "the person's leader oversees results (else presence)")
    lead_literacy = derived(F, "digital literacy of the person's leader 0-1")
    credibility = derived(F, "measurement credibility (e-Kinerja) of the person's agency 0-1")
    ict_doable = derived(bool, "the person's work can be done with ICT (the job family's "
                               "digital share, a lever for frontline work)")
    mandated = derived(bool, "the person's agency assigns flexible days by decree")
    time_flex = derived(bool, "works shifts or dynamic hours (time flexibility, Permenpan RB "
                              "4/2025)")
    # the week
    active = dynamic(bool, "in post (False: a vacancy)", fill=True)
    eligible = dynamic(bool, "eligible for flexible work this week")
    approved = dynamic(bool, "the leader approved flexible work")
    grant_signal = dynamic(F, "effort added by being granted flexibility (signalling) this week")
    flex_days = dynamic(np.int8, "flexible days this week")
    effort_office = dynamic(F, "effort on an office day 0-1")
    effort_remote = dynamic(F, "effort on a flexible day 0-1")
    effort = dynamic(F, "mean effort this week 0-1")
    shirk_days = dynamic(np.int8, "days shirked this week")
    office_shirk_days = dynamic(np.int8, "days shirked in the office this week")
    shortfall = dynamic(F, "depth of shirking weighted by days, 0-1")
    office_shortfall = dynamic(F, "the office part of the shortfall")
    output = dynamic(F, "true output this week")
    quality = dynamic(F, "quality of output 0-1")
    on_time = dynamic(F, "share of this week's work on time")
    coordination = dynamic(F, "coordination loss this week 0-1")
    measured = dynamic(F, "measured (e-Kinerja) output-quality this week")
    verification = dynamic(F, "chance the leader checks this person's output this week")
    belief = dynamic(F, "the leader's trust in this person 0-1", fill=0.6)
    trust_in_leader = dynamic(F, "this person's trust in the leader 0-1", fill=0.7)
    rating = dynamic(np.int8, "e-Kinerja rating 1-5 (0: not yet rated)")
    reprimand_left = dynamic(np.int16, "weeks left of a reprimand (flexibility withdrawn, "
                                       "allowance cut)")
    discipline_left = dynamic(np.int16, "weeks left of a formal disciplinary sanction "
                                        "(PP 94/2021)")
    disciplined = dynamic(bool, "given a formal disciplinary sanction this week")
    falsely_accused = dynamic(bool, "reprimanded without shirking this week")
    detected = dynamic(bool, "reprimanded for real shirking this week")
    wellbeing = dynamic(F, "well-being 0-1", fill=0.55)
    intent_to_leave = dynamic(F, "annualised quit hazard 0-1")
    cycle_measured = dynamic(F, "measured output summed over the appraisal cycle")
    cycle_weeks = dynamic(np.int16, "weeks worked in the appraisal cycle")
    performing = dynamic(bool, "rated 'performing' at the last appraisal")
    hires = dynamic(np.int32, "how many times the post was refilled")
    # the workforce mechanism's buffers
    hire = scratch(bool, "vacant rows that hire this week")
    hired_rows = scratch(np.int32, "their row numbers")


class Leaders(Table):
    """Structural officials: each leads one team inside one agency."""

    agency = static(np.int32, "agency (row of Agencies)")
    region = static(np.int8, "region (row of Regions)")
    # the person in the post: drawn with the population, drawn again for each new leader
    style_latent = dynamic(F, "uniform, mapped to a style by the trust-culture lever")
    training_latent = dynamic(F, "uniform: trained before appointment when below the "
                                 "training share")
    mode_latent = dynamic(F, "uniform: results-based when below the results-based share")
    digital_literacy = dynamic(F, "digital literacy before training 0-1")
    style_drift = dynamic(F, "style learned from leading a flexible team (added to the "
                             "culture's style)", fill=0.0)
    schooled = dynamic(bool, "trained in adaptive leadership during the run (a seat of "
                             "training_capacity)", fill=False)
    capacity = dynamic(F, "how far the training's effect has built up 0-1 (1: fully)",
                       fill=0.0)
    appointments = dynamic(np.int32, "how many times the post got a new leader", fill=0)
    style = derived(F, "0 control ... 1 trust")
    trained = derived(bool, "trained in adaptive leadership (before appointment or in the "
                            "run)")
    results_based = derived(bool, "oversees results (else presence)")
    literacy = derived(F, "digital literacy after training 0-1")
    headcount = dynamic(np.float64, "active staff in the team")
    team_doubt = dynamic(F, "1 - the team's mean belief (for targeted checks)")
    team_remote = dynamic(F, "the team's mean share of days flexible")
    team_apart = scratch(F, "the team's share of working time apart: flexible days, and "
                            "hours outside the shared core (time flexibility)")
    appointed = scratch(bool, "the post got a new leader this week")


class Agencies(Table):
    """Agency units (a ministry's regional office or a regional government)."""

    region = static(np.int8, "region (row of Regions)")
    central = static(bool, "central ministry (else regional government)")
    credibility_latent = static(F, "standard normal: agencies differ in e-Kinerja maturity")
    staff_rows = static(np.int64, "agency a is the staff rows staff_rows[a]:staff_rows[a + 1]",
                        rows=False)
    citizen_rows = static(np.int64, "agency a serves the citizen rows "
                          "citizen_rows[a]:citizen_rows[a + 1]", rows=False)
    credibility = derived(F, "measurement credibility (e-Kinerja maturity) 0-1")
    mandated = derived(bool, "assigns flexible days by decree (else on request)")
    headcount = dynamic(np.float64, "active staff")
    peer_effort = dynamic(F, "last week's mean effort of the agency's staff (the peer norm)")
    availability = dynamic(F, "share of frontline needs served well this week")
    presence = dynamic(F, "share of frontline staff-days on site this week")
    reported = dynamic(F, "reported results (measured output) as a share, 0-1")
    reported_reference = dynamic(F, "the twin's reported results this week (for the "
                                    "communication path channel of flexisim.explain)")
    # the back office: the casework citizens wait for (permits, benefits, salaries)
    # what investment has built (flexisim/mechanisms/investment.py)
    digital_cover = dynamic(F, "share of the agency's digital gap (devices, connections, "
                               "platform seats) closed by investment 0-1")
    integration_cover = dynamic(F, "share of the agency's missing e-Kinerja integration built "
                                   "by investment 0-1")
    caseload = dynamic(np.float64, "casework citizens bring each week (output x on time), "
                                   "set before the policy", fill=np.nan)
    backlog = dynamic(np.float64, "casework waiting (output x on time)")
    delay = dynamic(F, "weeks of casework waiting: backlog / caseload")
    delay_reference = dynamic(F, "the twin's back-office delay this week (for the back-office "
                                 "path channel of flexisim.explain)")
    digital_share = dynamic(F, "share of the agency's needs that come online (last week's "
                               "digital users)", fill=np.nan)
    digital_availability = dynamic(F, "share of online needs served well this week")
    # the work-mode mechanism's totals of the week's requests (quota and frontline floor)
    quota_days = scratch(np.float64, "flexible days counted against the quota")
    staff_days = scratch(np.float64, "staff-days counted against the quota")
    front_request = scratch(np.float64, "flexible days requested by frontline staff")
    front_days = scratch(np.float64, "frontline staff-days")
    casework = scratch(np.float64, "this week's back-office output x on time")
    # the citizens mechanism's totals of the week's frontline work
    frontline_capacity = scratch(np.float64, "on-site frontline days x effort x ability")
    remote_capacity = scratch(np.float64, "frontline flexible days x effort x remote "
                                          "productivity: served online")
    digital_users = scratch(np.float64, "the agency's citizens who use the digital channel")
    idle_share = scratch(np.float64, "share of frontline staff-days idled at the counter")
    away_shirk = scratch(np.float64, "staff-days shirked away from the office")
    counter_visits = scratch(np.float64, "citizens served at the counter this week")
    saw_empty = scratch(np.float64, "of them, citizens who found the counter thinned out")
    frontline_staff = scratch(np.float64, "active frontline staff")
    frontline_present = scratch(np.float64, "on-site frontline staff-days")
    frontline_shifts = scratch(np.float64, "active frontline staff on shifts or dynamic "
                                           "hours")
    counter_cover = scratch(F, "share of the extended opening hours staffed this week 0-1 "
                               "(time flexibility)")
    measured_total = scratch(np.float64, "measured output-quality of the agency's staff")
    review = scratch(bool, "the agency's leaders review approvals this week")


def _agency_lever_columns() -> dict[str, Column]:
    """A derived column per agency lever (levers.toml ``scope = "agency"``): the value in
    force for the agency this week (:mod:`flexisim.schedule`; job families as bits)."""
    from flexisim.scenario import LEVERS
    from flexisim.schedule import AGENCY_LEVERS, agency_dtype

    return {k: derived(agency_dtype(k), f"lever {LEVERS[k].key} in force ({LEVERS[k].unit})")
            for k in AGENCY_LEVERS}


Agencies.COLUMNS = {**Agencies.COLUMNS, **_agency_lever_columns()}


class Regions(Table):
    """The six island regions. Rows are looked up by name (:meth:`index`)."""

    eastern = static(bool, "an eastern region (for the Java-Bali vs eastern gaps)")
    digital_gap = static(np.float64, "1 - internet use relative to Java-Bali (BPS 2023)")
    citizen_internet = static(np.float64, "citizens' internet use (BPS 2023)")
    staff_rows = static(np.int64, "region r is the staff rows staff_rows[r]:staff_rows[r + 1]",
                        rows=False)
    device = derived(F, "device access of staff 0-1 without investment")
    internet = derived(F, "home internet quality of staff 0-1 without investment")
    access_cover = dynamic(F, "share of the region's citizens without internet connected by "
                              "investment 0-1")
    citizen_skill = derived(F, "citizens' digital skill 0-1 (the region's gap, closed by "
                               "investment)")
    headcount = dynamic(np.float64, "active staff")
    scandals = dynamic(F, "cases of misconduct that became public last week (all routes)")
    scandals_reference = dynamic(F, "the twin's public cases this week (for the scandals "
                                    "path channel of flexisim.explain)")
    scandals_records = dynamic(F, "public cases from verification records")
    scandals_observed = dynamic(F, "public cases from citizens' own observation")
    scandals_press = dynamic(F, "public cases found by the press")
    perception = dynamic(F, "the public's image of an absent, idle civil service in the "
                            "region 0-1 (0: none)")
    perception_seen = dynamic(F, "the image citizens of the region hear this week (regional "
                                 "and national, last week's)")
    perception_seen_reference = dynamic(F, "the twin's image heard this week (for the "
                                           "perception path channel of flexisim.explain)")
    detected_total = scratch(np.float64, "staff reprimanded for real shirking this week")

    def __init__(self, names: Iterable[str], extra_columns: Mapping[str, Column] | None = None,
                 **values: Any) -> None:
        names = tuple(names)
        super().__init__(len(names), extra_columns, **values)
        object.__setattr__(self, "names_", names)

    @property
    def region_names(self) -> tuple[str, ...]:
        """The regions' names, in row order."""
        return self.names_

    def index(self, name: str) -> int:
        """The row of region ``name``."""
        try:
            return self.names_.index(name)
        except ValueError:
            raise KeyError(f"unknown region {name!r} (regions: {list(self.names_)})") from None


class Citizens(Table):
    """Citizen sample: each is served by a regional agency of its region; rows in agency order.

    Word-of-mouth ties: every citizen has the same number ``ties_per_citizen`` of ties, listed
    row by row in ``tie_target`` (the neighbourhood ties of a row first); ``ties_far`` holds
    the targets of the ties outside the neighbourhood in row order and ``ties_slot`` for
    every tie where word of mouth reads its trust (``engine.compiled.far_ties``).
    """

    region = static(np.int8, "region (row of Regions)")
    agency = static(np.int32, "agency that serves the citizen")
    access_latent = static(F, "uniform: online when below the region's internet use")
    anchor_latent = static(F, "uniform: the predisposition's quantile")
    hours_latent = static(F, "uniform: cannot come in office hours when below "
                             "after_hours_share (an employee); served in extended hours "
                             "when below after_hours_share x the agency's coverage")
    anchor = derived(F, "predisposition to trust 0-1 (P1): the calibrated Beta quantile")
    tie_target = static(np.int32, "targets of the ties, ties_per_citizen per row", rows=False)
    ties_far = static(np.int32, "targets of the far ties, in row order", rows=False)
    ties_slot = static(np.int32, "per tie: where word of mouth reads its trust", rows=False)
    online = derived(bool, "has internet access (region's use, moved by investment)")
    trust = dynamic(F, "trust in the civil service 0-1")
    experience = dynamic(F, "last week's service experience (NaN: no need)", fill=np.nan)
    needed = dynamic(bool, "needed a public service this week (counter, online or casework)")
    exposed = dynamic(bool, "reached by results reporting this week")
    digital_user = dynamic(bool, "uses the digital channel when a need can be met online")
    heard = scratch(F, "mean trust of the citizen's ties this week")
    trust_ext = scratch(F, "trust, then the far ties' trust gathered", rows=False)

    def __init__(self, n: int, extra_columns: Mapping[str, Column] | None = None,
                 **values: Any) -> None:
        super().__init__(n, extra_columns, **values)
        k = len(self.tie_target) // max(self.n, 1)
        if self.n and (k < 1 or len(self.tie_target) != k * self.n):
            # word of mouth (mechanisms.citizens._heard_kernel) reads k ties per row
            raise ValueError("every citizen must have the same number (at least one) of ties")
        object.__setattr__(self, "ties_per_citizen", k)

    @property
    def ties(self) -> sp.csr_matrix:
        """The ties as a row-normalised CSR matrix (``1/k`` per tie; for inspection)."""
        n, k = self.n, self.ties_per_citizen
        indptr = np.arange(0, n * k + 1, k, dtype=np.int64 if n * k >= 2**31 else np.int32)
        return sp.csr_matrix((np.full(n * k, 1.0 / k, F), self.tie_target, indptr),
                             shape=(n, n))


# ---------------------------------------------------------------------- views
@dataclass(frozen=True)
class ViewSpec:
    """What one mechanism (or bookkeeping pass) reads and writes, by table and column.

    Parameters
    ----------
    name : str
        Unique name (the record classes are called ``<name>__<table>``).
    reads, writes : mapping of table name to column names
        Tables are ``staff``, ``leaders``, ``agencies``, ``citizens``, ``regions``.
    parameters : tuple of str
        Levers and coefficients (names in levers.toml / calibration.toml); the numeric ones
        appear in the view's ``params`` record.
    precision : numpy floating type
        Type of the float parameters in ``params`` (float32 for the float32 kernels).
    """

    name: str
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    writes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    parameters: tuple[str, ...] = ()
    precision: Any = np.float32

    TABLES: ClassVar[tuple[str, ...]] = ("staff", "leaders", "agencies", "citizens", "regions")

    def __post_init__(self) -> None:
        for where in (self.reads, self.writes):
            bad = set(where) - set(self.TABLES)
            if bad:
                raise ValueError(f"{self.name}: unknown tables {sorted(bad)}")
        object.__setattr__(self, "reads", {k: tuple(v) for k, v in self.reads.items()})
        object.__setattr__(self, "writes", {k: tuple(v) for k, v in self.writes.items()})
        object.__setattr__(self, "parameters", tuple(self.parameters))

    def tables(self) -> tuple[str, ...]:
        """The tables the view covers, in the fixed order of :data:`TABLES`."""
        return tuple(t for t in self.TABLES if t in self.reads or t in self.writes)

    def fields(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` in the view: reads, then writes not read."""
        reads = self.reads.get(table, ())
        return reads + tuple(c for c in self.writes.get(table, ()) if c not in reads)

    def record_classes(self) -> dict[str, type]:
        """The record classes of the view (made once; importable for numba's cache)."""
        classes = {t: record_class(f"{self.name}__{t}", self.fields(t)) for t in self.tables()}
        return classes

    def params_fields(self, params: Any) -> tuple[str, ...]:
        """The numeric parameters (the ``params`` record's fields)."""
        return tuple(n for n in self.parameters
                     if isinstance(getattr(params, n), bool | int | float | np.number))


def _param_value(value: Any, precision: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return precision(value)


# ---------------------------------------------------------------------- the world's state
class Population:
    """The state of one world: the five tables and a few world-level values.

    Attributes
    ----------
    staff, leaders, agencies, citizens, regions : Table
    scale : float
        Real civil servants per ASN agent (static).
    recruit_seed : int
        Seed of the recruits' hashed attributes (static; ``streams.recruit_seed``).
    platform : numpy.float32
        Quality of the digital platforms 0-1 (derived; moved by investment).
    n_active : int
        Civil servants in post (dynamic; :meth:`refresh_counts`).
    """

    TABLES = ViewSpec.TABLES

    def __init__(self, staff: Staff, leaders: Leaders, agencies: Agencies, citizens: Citizens,
                 regions: Regions, *, scale: float, recruit_seed: int = 0) -> None:
        self.staff, self.leaders, self.agencies = staff, leaders, agencies
        self.citizens, self.regions = citizens, regions
        self.scale = float(scale)
        self.recruit_seed = int(recruit_seed)
        self.platform = F(0.0)
        self.n_active = 0
        self._views: dict[tuple, Any] = {}
        self.refresh_counts()

    @property
    def region_names(self) -> tuple[str, ...]:
        """The regions' names, in row order."""
        return self.regions.region_names

    def tables(self) -> dict[str, Table]:
        """The five tables by name."""
        return {name: getattr(self, name) for name in self.TABLES}

    def freeze(self) -> None:
        """Forbid rebinding any column (called when the world is set up)."""
        for table in self.tables().values():
            table.freeze()

    # ------------------------------------------------------------------ bookkeeping
    def refresh_counts(self) -> None:
        """Recount active staff per leader, agency and region (after exits and hires)."""
        self.n_active = int(_refresh_kernel(self.views(COUNTS)))

    def mean_by(self, values: np.ndarray, group: str, empty: float = 0.0,
                out: np.ndarray | None = None) -> np.ndarray:
        """Mean of a staff column over active staff, per ``group`` (leader, agency, region).

        Groups without active staff get ``empty``. With ``out`` (a column of the group's
        table) the result is written there, converted to its dtype.
        """
        table = getattr(self, {"leader": "leaders", "agency": "agencies",
                               "region": "regions"}[group])
        counts = table.headcount
        total = group_sums(np.asarray(values), self.staff.active, getattr(self.staff, group),
                           len(counts))
        result = np.full(len(counts), empty)
        np.divide(total, counts, out=result, where=counts > 0)
        if out is None:
            return result
        out[:] = result
        return out

    def mean(self, values: np.ndarray) -> float:
        """Mean of a staff column over active staff."""
        total, count = active_sum_count(np.asarray(values), self.staff.active)
        return total / max(count, 1)

    # ------------------------------------------------------------------ views
    def views(self, spec: ViewSpec, params: Any = None) -> Any:
        """The nested record of ``spec`` over this world's columns (made once, then reused).

        ``v.<table>.<column>`` for every table of the spec and ``v.params.<name>`` for its
        numeric parameters (of ``params``, at the spec's precision). Checks, when made, that
        no written array overlaps any other array in the record.
        """
        key = (id(spec), id(params))
        view = self._views.get(key)
        if view is not None and view[1] is params and view[2] is spec:
            return view[0]
        classes = spec.record_classes()
        members = {t: stamp(cls(*(getattr(getattr(self, t), c) for c in spec.fields(t))))
                   for t, cls in classes.items()}
        if spec.parameters:
            if params is None:
                raise TypeError(f"{spec.name}: the view has parameters: pass params")
            names = spec.params_fields(params)
            cls = record_class(f"{spec.name}__params", names)
            members["params"] = stamp(cls(*(_param_value(getattr(params, n), spec.precision)
                                            for n in names)))
        outer = record_class(f"{spec.name}__views", tuple(members))(*members.values())
        self._check_disjoint(spec, outer)
        outer._checked = True
        for member in members.values():
            member._checked = True
        stamp(outer)
        self._views[key] = (outer, params, spec)
        return outer

    def _check_disjoint(self, spec: ViewSpec, view: Any) -> None:
        """No two arrays of the view overlap (a kernel compiled with ``noalias`` may write
        any of them, declared or not); a written one is named in the error."""
        arrays = arrays_in(view)
        written = {f"{t}.{c}" for t, cols in spec.writes.items() for c in cols}
        for i, (name, a) in enumerate(arrays):
            for other, b in arrays[i + 1:]:
                if a is b or np.may_share_memory(a, b):
                    first, second = (name, other) if name in written or other not in written \
                        else (other, name)
                    kind = "written array" if first in written else "array"
                    raise ValueError(f"{spec.name}: the {kind} {first} overlaps another array "
                                     f"of the view ({second})")

    def forget_views(self) -> None:
        """Drop the views made so far (the parameters changed: a scheduled change)."""
        self._views = {}

    # ------------------------------------------------------------------ copies and memory
    def copy(self) -> Population:
        """An independent copy for a second world of the same run (the office-only twin):
        every table's static columns shared, dynamic and derived ones copied, scratch new
        (:meth:`Table.copy`). Much cheaper than drawing the population again, and the twin
        is identical to a fresh build with the same seed."""
        twin = copy.copy(self)
        for name, table in self.tables().items():
            setattr(twin, name, table.copy())
        twin._views = {}
        twin.refresh_counts()
        return twin

    def nbytes(self, *kinds: str) -> int:
        """Bytes held by the columns of the given kinds (default: all), over all tables."""
        return sum(t.nbytes(*kinds) for t in self.tables().values())

    def memory(self) -> dict[str, dict[str, int]]:
        """Bytes per table and kind of column (static ones are shared by a run's worlds)."""
        return {name: {k: t.nbytes(k) for k in KINDS} for name, t in self.tables().items()}


#: refresh_counts: active staff per leader, agency and region
COUNTS = ViewSpec("counts", reads={"staff": ("active", "leader", "agency", "region")},
                  writes={"leaders": ("headcount",), "agencies": ("headcount",),
                          "regions": ("headcount",)})


@kernel
def _refresh_kernel(v):
    """Active staff per leader, agency and region, in one pass; returns the active count."""
    s = v.staff
    per_leader, per_agency, per_region = (v.leaders.headcount, v.agencies.headcount,
                                          v.regions.headcount)
    per_leader[:] = 0.0
    per_agency[:] = 0.0
    per_region[:] = 0.0
    n_active = 0
    run = 0  # active rows in the current run of equal leader (counts: exact in any order)
    for i in range(len(s.active)):
        if i > 0 and s.leader[i] != s.leader[i - 1]:
            per_leader[s.leader[i - 1]] += run
            per_agency[s.agency[i - 1]] += run
            per_region[s.region[i - 1]] += run
            run = 0
        on = s.active[i]
        run += 1 if on else 0
        n_active += 1 if on else 0
    if len(s.active):
        last = len(s.active) - 1
        per_leader[s.leader[last]] += run
        per_agency[s.agency[last]] += run
        per_region[s.region[last]] += run
    return n_active


def row_ranges(group: np.ndarray, n_groups: int, rows: str, name: str) -> np.ndarray:
    """Offsets of each group's rows, for rows sorted by ``group``: group ``g`` is the rows
    ``out[g]:out[g + 1]``. Loops over groups then read each group as one contiguous range."""
    if len(group) and not (group[1:] >= group[:-1]).all():
        raise ValueError(f"{rows} rows must be in {name} order")
    counts = np.bincount(group, minlength=n_groups)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
