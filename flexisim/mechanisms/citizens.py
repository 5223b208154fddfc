"""Mechanism 6 -- service delivery and citizens' trust."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flexisim.engine import (
    HALF,
    ONE,
    ZERO,
    active_sum_count,
    clip01,
    counter_uniform,
    kernel,
    week_key,
)
from flexisim.mechanisms.common import OFFICE_HOURS, off_core_share
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.mechanisms.production import _remote_productivity
from flexisim.params import Params
from flexisim.population import FRONTLINE
from flexisim.state import F, Population, ViewSpec

COMMUNICATION = ("silent", "reactive", "proactive")

VIEW = ViewSpec(
    "citizens",
    reads={"staff": ("active", "job", "flex_days", "effort_office", "effort_remote", "ability",
                     "device", "internet", "skill", "measured", "detected", "shirk_days",
                     "office_shirk_days", "time_flex"),
           "agencies": ("staff_rows", "citizen_rows", "region", "headcount",
                        "reported_reference", "delay", "delay_reference", "digital_share"),
           "citizens": ("online", "anchor", "ties_slot", "ties_far", "digital_user",
                        "hours_latent"),
           "regions": ("scandals", "citizen_skill", "perception",
                       "perception_seen_reference")},
    writes={"agencies": ("frontline_capacity", "remote_capacity", "frontline_staff",
                         "frontline_present", "measured_total", "availability",
                         "digital_availability", "presence", "reported", "digital_users",
                         "digital_share", "idle_share", "away_shirk", "counter_visits",
                         "saw_empty", "frontline_shifts", "counter_cover"),
            "citizens": ("trust", "needed", "experience", "exposed", "heard", "trust_ext",
                         "digital_user"),
            "regions": ("detected_total", "perception_seen")},
    parameters=("service_norm", "communication_policy", "comm_soften_silent",
                "comm_soften_reactive", "comm_soften_proactive", "comm_reach_silent",
                "comm_reach_reactive", "comm_reach_proactive", "report_reference",
                "need_rate", "digital_channel", "late_share", "score_well",
                "score_late", "score_unserved", "visibility_penalty", "digital_quality_gap",
                "digital_automation", "digital_adoption", "digital_abandon",
                "backoffice_need_share", "delay_tolerance_weeks", "trust_experience",
                "trust_anchor", "trust_communication", "trust_word_of_mouth", "scandal_hit",
                "perception_weight", "perception_regional", "after_hours_share",
                "off_core_hours",
                "remote_gain", "internet_penalty", "no_device_factor", "skill_penalty",
                "ch_remote_productivity", "ch_counter_capacity", "ch_digital_staffing",
                "ch_public_visibility", "ch_press", "ch_communication", "ch_backoffice",
                "ch_perception", "ch_time_hours", "ch_time_thinning"))


#: counter-based uniforms per citizen and week: need, online, service, empty counter,
#: reporting, kind of need, adoption
UNIFORMS = 7


class Terms(NamedTuple):
    empty_penalty: np.float32  # trust lost at a thinned-out counter, after communication
    digital_well: np.float32  # experience of an online need served well
    adoption: np.float32  # weekly chance of starting online: digital_adoption x platform
    reach: np.float32  # weekly share of citizens reached by results reporting
    ties_per_citizen: int  # word-of-mouth ties of every citizen
    frontline: int  # job code of frontline service


@kernel
def _staff_totals(v, t):
    """Per agency: frontline capacity at the counter and online (flexible frontline days),
    frontline staff, on-site frontline days, measured output; per region: staff detected this
    week. One pass over the staff.

    Agency ``a`` is the rows ``staff_rows[a]:staff_rows[a + 1]`` (rows are in team order).
    Without branches (rows off the front line add zero); counts in integers, the other sums
    in float64 in row order, so they are exactly those of adding row by row.
    """
    s, a, r, k = v.staff, v.agencies, v.regions, v.params
    # channels: off, flexible days neither take capacity from the counter nor leave it
    # visibly thinned out (flexisim.channels); "digital staffing" off, frontline staff away
    # serve nobody online (each gate its own term, so that each alone makes its difference)
    away_capacity = np.float64(k.ch_counter_capacity)
    online_capacity = np.float64(k.ch_digital_staffing)
    away_seen = 1 if k.ch_public_visibility > 0.5 else 0
    press_seen = 1 if k.ch_press > 0.5 else 0
    rows = a.staff_rows
    r.detected_total[:] = 0.0
    for g in range(len(rows) - 1):
        cap = remote = meas = 0.0
        fr = pres = det = idle = away_shirk = 0
        shifts = 0.0
        for i in range(np.uint64(rows[g]), np.uint64(rows[g + 1])):  # see engine.compiled
            meas += s.measured[i]
            det += s.detected[i]
            serving = s.active[i] & (s.job[i] == t.frontline)
            away = np.int64(s.flex_days[i])
            onsite = 5.0 - away_capacity * away
            cap += onsite * s.effort_office[i] * s.ability[i] if serving else 0.0
            # a flexible frontline day serves the digital channel, as productive as the
            # production mechanism's flexible day (device, internet, skill)
            productivity = ONE + k.ch_remote_productivity * (
                _remote_productivity(s.device[i], s.internet[i], s.skill[i], k) - ONE)
            remote += (online_capacity * away * s.effort_remote[i] * s.ability[i]
                       * productivity if serving else 0.0)
            fr += serving
            # staff on shifts at the counter: their on-site days only
            shifts += onsite / 5.0 if serving & s.time_flex[i] else 0.0
            pres += 5 - away_seen * away if serving else 0
            # misconduct the public may see: idling at the counter, shirking away from it
            # (channel "press" off: shirking on a flexible day is seen as in the office)
            office_shirk = np.int64(s.office_shirk_days[i])
            elsewhere = np.int64(s.shirk_days[i]) - office_shirk
            idle += office_shirk + (1 - press_seen) * elsewhere if serving else 0
            away_shirk += press_seen * elsewhere if s.active[i] else 0
        a.idle_share[g] = idle / (5.0 * fr) if fr > 0 else 0.0
        a.away_shirk[g] = away_shirk
        a.frontline_capacity[g] = cap
        a.remote_capacity[g] = remote
        a.frontline_staff[g] = fr
        a.frontline_shifts[g] = shifts
        a.frontline_present[g] = pres
        a.measured_total[g] = meas
        r.detected_total[a.region[g]] += det


def _service_levels(pop: Population, p: Params) -> tuple[np.ndarray, np.ndarray, float]:
    """Availability at the counter and online, and presence, per agency.

    Demand: ``D = 5 x frontline staff x service_norm`` a week, a share ``d`` of it online
    (last week's digital users), where a case takes ``kappa = 1 - digital_automation x
    platform`` of a counter case's staff time. On-site capacity serves both channels, the
    capacity of flexible frontline days only the digital one: both channels get the common
    availability ``min(1, (C_site + C_away) / ((1 - d) D + d D kappa))`` unless the capacity
    away alone covers the online share of it, when each channel gets its own.
    """
    A = pop.agencies
    front = A.frontline_staff
    demand = 5.0 * front * p.service_norm
    d = A.digital_share.astype(np.float64)
    kappa = 1.0 - p.digital_automation * float(pop.platform)
    counter_demand, online_demand = (1.0 - d) * demand, d * demand * kappa
    site, away = A.frontline_capacity, A.remote_capacity
    # shifts beyond what the after-hours demand needs leave the core hours short: less
    # on-site capacity there and a thinner counter (channel "time_thinning")
    cover, core = extended_hours_staffing(A.frontline_shifts, front, p)
    thinned = p.ch_time_thinning > 0 and bool((core < 1.0).any())
    if thinned:
        core = 1.0 - p.ch_time_thinning * (1.0 - core)
        site = site * core
    total = counter_demand + online_demand
    common = np.where(total > 0, np.minimum(1.0, (site + away) / np.maximum(total, 1e-12)), 1.0)
    apart = away >= common * online_demand
    online = np.where(apart, np.where(online_demand > 0, np.minimum(
        1.0, away / np.maximum(online_demand, 1e-12)), 1.0), common)
    counter = np.where(apart, np.where(counter_demand > 0, np.minimum(
        1.0, site / np.maximum(counter_demand, 1e-12)), 1.0), common)
    days = 5.0 * front
    presence = np.where(days > 0, A.frontline_present / np.maximum(days, 1.0), 1.0)
    overall = float(A.frontline_present.sum() / days.sum()) if days.sum() > 0 else 1.0
    A.availability[:] = counter
    A.digital_availability[:] = online
    A.counter_cover[:] = F(p.ch_time_hours) * cover
    if thinned:
        presence = presence * core
    A.presence[:] = presence
    return counter, presence, overall


def extended_hours_staffing(shifts: np.ndarray, frontline: np.ndarray,
                            p: Params) -> tuple[np.ndarray, np.ndarray]:
    """How far an agency's frontline staff on shifts or dynamic hours staff extended opening
    hours, and what it leaves in the core hours.

    A worker on shifts works a share ``o = off_core_hours / H`` of the day outside the core
    (:func:`~flexisim.mechanisms.common.off_core_share`; an early and a late shift extend
    the counter's day by ``2 x off_core_hours``), so a share ``s`` of the frontline's on-site
    days on shifts moves ``x = s o`` of the staff-hours out of the core. The extended hours
    serve the citizens who cannot come in office hours, a share ``h = after_hours_share`` of
    the demand, at the core's staffing per citizen: coverage ``c = min(1, x / h)``. Up to
    ``h`` the core loses as much demand as staff; beyond it the on-site capacity of the core
    is ``(1 - x) / (1 - h)`` of what it needs (returned as ``core``, 1 when nothing is left
    short)."""
    h = p.after_hours_share
    o = off_core_share(p.off_core_hours)
    if o <= 0 or h <= 0:
        return np.zeros(len(shifts)), np.ones(len(shifts))
    share = np.where(frontline > 0, shifts / np.maximum(frontline, 1.0), 0.0)
    moved = share * o
    cover = np.minimum(1.0, moved / h)
    core = np.where(moved > h, (1.0 - moved) / (1.0 - h), 1.0) if h < 1.0 else np.ones_like(moved)
    return cover, core


def counter_hours(cover: np.ndarray, p: Params) -> np.ndarray:
    """Hours a day each agency's counter is open and staffed: ``H + 2 x off_core_hours x
    cover``, the cover as the citizens meet it (``counter_cover``: gated by channel
    ``time_hours``)."""
    return OFFICE_HOURS + 2.0 * off_core_share(p.off_core_hours) * OFFICE_HOURS * cover


def citizens_by_region(pop: Population) -> np.ndarray:
    """Citizens per region, from the agencies' citizen rows (no citizen-length temporary)."""
    A = pop.agencies
    return np.bincount(A.region, weights=np.diff(A.citizen_rows).astype(np.float64),
                       minlength=len(pop.regions))


def _digital_share(pop: Population, p: Params, users: np.ndarray) -> None:
    """Share of each agency's frontline needs that come online: its connected digital users
    among its citizens x ``digital_channel`` (this week's pass sets next week's share)."""
    A = pop.agencies
    n = np.diff(A.citizen_rows).astype(np.float64)
    A.digital_share[:] = (p.digital_channel * users / np.maximum(n, 1.0)).astype(F)


def _first_digital_share(pop: Population, p: Params) -> None:
    """The first week of a run: the share from the citizens' state as drawn."""
    c = pop.citizens
    _digital_share(pop, p, np.bincount(c.agency, weights=c.online & c.digital_user,
                                       minlength=len(pop.agencies)))


@kernel
def _heard_rows(v, t):
    """Word of mouth: the mean trust of each citizen's ``k`` ties.

    ``trust_ext`` is trust followed by the trust of the far ties' targets, gathered in one
    tight loop (many scattered reads in flight); every tie then reads ``trust_ext[slot]``: a
    nearby row (in cache) or the next gathered value. Every citizen has exactly ``k`` ties,
    so the loop needs neither row pointers nor weights: a fixed-length inner loop the
    compiler unrolls (twice as fast at national scale as the general sparse product). Sums
    in the ties' order.
    """
    c = v.citizens
    k = t.ties_per_citizen
    trust, ext, slot, far, heard = c.trust, c.trust_ext, c.ties_slot, c.ties_far, c.heard
    n = len(trust)
    for i in range(n):
        ext[i] = trust[i]
    for m in range(len(far)):
        ext[n + m] = trust[far[m]]
    inv = 1.0 / k
    for i in range(len(heard)):
        total = 0.0
        first = i * k
        for j in range(k):
            total += ext[slot[first + j]]
        heard[i] = total * inv


@kernel(disjoint=True)
def _citizen_rows(key, v, t):
    """Needs, service, experience, adoption of the digital channel and trust of every
    citizen; returns the needs met on time, and counts each agency's connected digital users.

    Agency ``a`` serves the citizens ``citizen_rows[a]:citizen_rows[a + 1]`` (citizens are in
    agency order), so its availability, presence, delay, reported results and its region's
    scandals are constants of the inner loop. float32 throughout (parameters and terms are
    float32; see engine.compiled.ZERO). Without branches or conditional stores (every
    uniform of a row is computed; the values do not depend on which are used), so that the
    loop vectorises; the experience scores are summed afterwards (a float64 sum in row
    order would keep it from vectorising).
    """
    c, a, r, k = v.citizens, v.agencies, v.regions, v.params
    rows = a.citizen_rows
    on_time = 0
    nan = np.float32(np.nan)
    n = UNIFORMS
    for g in range(len(rows) - 1):
        avail = a.availability[g]
        late_below = avail + (ONE - avail) * k.late_share
        online_avail = a.digital_availability[g]
        online_late_below = online_avail + (ONE - online_avail) * k.late_share
        absent = ONE - a.presence[g]
        # citizens who cannot come in office hours (employees) and whose need is met in the
        # extended hours: those whose hours draw is below after_hours_share x coverage
        served_after = k.after_hours_share * a.counter_cover[g]
        # path channel "back office": off, citizens wait as long as in the twin
        delay = a.delay[g] if k.ch_backoffice > HALF else a.delay_reference[g]
        case_on_time = np.exp(-delay / k.delay_tolerance_weeks)
        report = a.reported[g]
        region = a.region[g]
        # last week's public cases in the region, and the image of the civil service heard
        scandal = (k.scandal_hit * r.scandals[region]
                   + k.perception_weight * r.perception_seen[region])
        adopt = t.adoption * r.citizen_skill[region]
        met = 0  # per-agency counts: a reduction carried across agencies does not vectorise
        users = visits = empties = 0
        for i in range(np.uint64(rows[g]), np.uint64(rows[g + 1])):  # see engine.compiled
            need = counter_uniform(key, i, 0, n) < k.need_rate
            case = need & (counter_uniform(key, i, 5, n) < k.backoffice_need_share)
            frontline = need & (not case)
            online = c.online[i]
            user = c.digital_user[i]
            digital = (frontline & online & user
                       & (counter_uniform(key, i, 1, n) < k.digital_channel))
            counter = frontline & (not digital)
            u2 = counter_uniform(key, i, 2, n)
            # at the counter: served well, late or not at all; a thinned-out counter reads
            # as the state's absence (P4)
            # an employee who cannot come in office hours is served late (leave taken, a
            # second trip) unless the extended hours serve them
            hours = c.hours_latent[i]
            office_hours_only = (hours < k.after_hours_share) & (hours >= served_after)
            well = (u2 < avail) & (not office_hours_only)
            late = (not well) & (u2 < late_below)
            at_counter = k.score_well if well else (k.score_late if late else k.score_unserved)
            empty = counter_uniform(key, i, 3, n) < absent  # saw the counter thinned out
            at_counter = max(at_counter - t.empty_penalty, ZERO) if empty else at_counter
            # online: the same three outcomes at the digital channel's availability
            online_well = u2 < online_avail
            online_late = (not online_well) & (u2 < online_late_below)
            on_line = (t.digital_well if online_well
                       else (k.score_late if online_late else k.score_unserved))
            # casework: on time unless the back office's backlog makes it wait
            case_well = u2 < case_on_time
            in_case = k.score_well if case_well else k.score_late
            score = in_case if case else (on_line if digital else at_counter)
            c.needed[i] = need
            is_exposed = counter_uniform(key, i, 4, n) < t.reach
            c.exposed[i] = is_exposed
            trust = c.trust[i]
            new = (trust + k.trust_anchor * (c.anchor[i] - trust)
                   + k.trust_word_of_mouth * (c.heard[i] - trust))
            new += k.trust_experience * (score - trust) if need else ZERO
            c.experience[i] = score if need else nan
            met += (digital & online_well) | (counter & well) | (case & case_well)
            new += k.trust_communication * (report - trust) if is_exposed else ZERO
            c.trust[i] = clip01(new - scandal)
            # adoption: a connected citizen served at the counter may start online; a digital
            # user let down online may go back to the counter
            u6 = counter_uniform(key, i, 6, n)
            starts = counter & online & (not user) & (u6 < adopt)
            leaves = digital & (not online_well) & (u6 < k.digital_abandon)
            user = (user | starts) & (not leaves)
            c.digital_user[i] = user
            users += user & online
            visits += counter
            empties += counter & empty
        on_time += met
        a.digital_users[g] = users
        a.counter_visits[g] = visits
        a.saw_empty[g] = empties
    return on_time


def serve_citizens(pop: Population, p: Params, rng: np.random.Generator,
                   week: int) -> dict[str, float]:
    """Citizens with a need are served at the counter, online or by the back office; trust
    follows.

    A need arises with probability ``need_rate``; a share ``backoffice_need_share`` of needs
    is casework (a permit, a benefit, a salary): on time with probability ``exp(-delay /
    delay_tolerance_weeks)`` given the agency's back-office delay (backoffice mechanism),
    scoring ``score_well``, else ``score_late``. Other needs are frontline contacts: a
    connected digital user meets one online with probability ``digital_channel``, else at
    the counter. Each channel serves well with its availability (:func:`_service_levels`:
    remote frontline staff serve online), else late (``late_share``) or not at all; scores
    ``score_well/late/unserved`` (P2), online ``score_well - digital_quality_gap x (1 -
    platform)`` when served well. Finding the counter thinned out (probability 1 - presence)
    subtracts ``visibility_penalty``, softened by the agency's communication (P4). Trust
    moves toward the experience (``trust_experience``), back to the citizen's predisposition
    (``trust_anchor``, P1), toward reported results for those reached by reporting, toward
    the ties' mean (word of mouth), and drops for everyone in a region by ``scandal_hit`` per
    case of misconduct that became public there last week (P3) and by ``perception_weight``
    times the image of an absent, idle civil service they hear (their region's and the
    nation's; perception mechanism). A connected citizen served at the counter starts using
    the digital channel with probability ``digital_adoption x platform x the region's
    citizen skill``; a digital user not served well online goes back with probability
    ``digital_abandon``. Counts, per agency, the frontline idling and the shirking away from
    the office the public may see, and the counter visits that found the counter thinned
    out (for the perception mechanism). Seven uniforms per citizen (counter-based on the
    week's key). Returns the week's service statistics.
    """
    c, A, R = pop.citizens, pop.agencies, pop.regions
    key = week_key(rng)
    policy = p.communication_policy
    platform = float(pop.platform)
    terms = Terms(F(p.visibility_penalty * (1.0 - getattr(p, f"comm_soften_{policy}"))),
                  F(max(p.score_well - p.digital_quality_gap * (1.0 - platform), 0.0)),
                  F(p.digital_adoption * platform),
                  F(getattr(p, f"comm_reach_{policy}")), c.ties_per_citizen, FRONTLINE)
    if np.isnan(A.digital_share).any():
        _first_digital_share(pop, p)
    v = pop.views(VIEW, p)
    _staff_totals(v, terms)
    availability, presence, presence_overall = _service_levels(pop, p)
    # reported results: the agency's measured performance (what e-Kinerja shows), as a share
    heads = np.maximum(A.headcount, 1.0)
    A.reported[:] = np.clip(0.5 * A.measured_total / (5.0 * heads) / p.report_reference,
                            0.0, 1.0)
    if p.ch_communication == 0.0:  # path channel off: the twin's reported results
        A.reported[:] = A.reported_reference
    # the image of the civil service citizens hear: their region's and the nation's (path
    # channel "perception" off: the twin's)
    n = citizens_by_region(pop)
    national = float((R.perception * n).sum() / max(n.sum(), 1.0))
    R.perception_seen[:] = (p.perception_regional * R.perception
                            + (1.0 - p.perception_regional) * national).astype(F)
    if p.ch_perception == 0.0:
        R.perception_seen[:] = R.perception_seen_reference

    _heard_rows(v, terms)
    on_time = _citizen_rows(key, v, terms)
    _digital_share(pop, p, A.digital_users)
    satisfaction, needs = active_sum_count(c.experience, c.needed)
    served = np.diff(A.citizen_rows).astype(np.float64)
    return {
        "counter_hours": float((counter_hours(A.counter_cover, p) * served).sum()
                               / max(served.sum(), 1.0)),
        "availability": availability, "presence": presence, "presence_overall": presence_overall,
        "on_time": float(on_time), "needs": float(needs),
        "satisfaction": satisfaction / max(needs, 1.0),
        # the kernel's counts (no citizen-length temporaries in a step)
        "digital_users": float(A.digital_users.sum()) / max(float(np.count_nonzero(c.online)),
                                                            1.0),
    }


MECHANISM = Mechanism(VIEW, serve_citizens, outputs={
    "digital_users": ("share", "connected citizens who use the digital channel"),
    "counter_hours": ("hours/day", "hours a day the counters are open and staffed, "
                                   "citizen-weighted (time flexibility extends them)"),
})
