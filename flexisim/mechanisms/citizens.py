"""Mechanism 6 -- service delivery and citizens' trust."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.fast import active_sum_count
from flexisim.mechanisms.common import (
    JIT,
    JIT_DISJOINT,
    ONE,
    ZERO,
    clip01,
    counter_uniform,
    poisson_from_uniform,
    week_key,
)
from flexisim.population import FRONTLINE, F, Population

COMMUNICATION = ("silent", "reactive", "proactive")


@njit(**JIT)
def _staff_totals(agency_rows, agency_region, active, job, flex_days, effort_office, ability,
                  measured, detected, n_regions):
    """Per agency: frontline capacity, frontline staff, on-site frontline days, measured output;
    per region: staff detected this week. One pass over the staff.

    Agency ``a`` is the rows ``agency_rows[a]:agency_rows[a + 1]`` (rows are in team order).
    Without branches (rows off the front line add zero); counts in integers, the other sums
    in float64 in row order, so they are exactly those of adding row by row.
    """
    n_agencies = len(agency_rows) - 1
    capacity = np.zeros(n_agencies)
    front = np.zeros(n_agencies)
    present = np.zeros(n_agencies)
    measured_sum = np.zeros(n_agencies)
    detected_sum = np.zeros(n_regions)
    for a in range(n_agencies):
        cap = meas = 0.0
        fr = pres = det = 0
        for i in range(np.uint64(agency_rows[a]), np.uint64(agency_rows[a + 1])):  # see fast
            meas += measured[i]
            det += detected[i]
            serving = active[i] & (job[i] == FRONTLINE)
            onsite = 5 - np.int64(flex_days[i])
            cap += onsite * effort_office[i] * ability[i] if serving else 0.0
            fr += serving
            pres += onsite if serving else 0
        capacity[a] = cap
        front[a] = fr
        present[a] = pres
        measured_sum[a] = meas
        detected_sum[agency_region[a]] += det
    return capacity, front, present, measured_sum, detected_sum


def _service_levels(capacity, front, present, p):
    days = 5.0 * front
    safe = np.maximum(days, 1.0)
    availability = np.where(days > 0, np.minimum(1.0, capacity / (safe * p.service_norm)), 1.0)
    presence = np.where(days > 0, present / safe, 1.0)
    overall = float(present.sum() / days.sum()) if days.sum() > 0 else 1.0
    return availability, presence, overall


@njit(**JIT)
def _heard_kernel(k, slot, far, trust, ext, heard):
    """Word of mouth: the mean trust of each citizen's ``k`` ties.

    ``ext`` is trust followed by the trust of the far ties' targets, gathered in one tight
    loop (many scattered reads in flight); every tie then reads ``ext[slot]``: a nearby row
    (in cache) or the next gathered value. Every citizen has exactly ``k`` ties (the CSR
    matrix ``Citizens.ties`` has ``k`` entries of ``1/k`` per row), so the loop needs neither
    the row pointers nor the weights: a fixed-length inner loop the compiler unrolls (twice
    as fast at national scale as the general CSR product). Sums in the ties' order.
    """
    n = len(trust)
    for c in range(n):
        ext[c] = trust[c]
    for m in range(len(far)):
        ext[n + m] = trust[far[m]]
    inv = 1.0 / k
    for c in range(len(heard)):
        total = 0.0
        first = c * k
        for j in range(k):
            total += ext[slot[first + j]]
        heard[c] = total * inv


@njit(**JIT_DISJOINT)
def _citizen_kernel(key, agency_rows, agency_region, online, anchor, heard, availability,
                    presence, reported, region_scandals, need_rate, digital_share, late_share,
                    score_well, score_late, score_unserved, empty_penalty, digital_score,
                    reach, trust_experience, trust_anchor, trust_communication,
                    trust_word_of_mouth, scandal_hit, trust, needed, experience, exposed):
    """Needs, service, experience and trust of every citizen; returns the needs met on time.

    Agency ``a`` serves the citizens ``agency_rows[a]:agency_rows[a + 1]`` (citizens are in
    agency order), so its availability, presence, reported results and its region's
    scandals are constants of the inner loop. float32 throughout (scalars and agency arrays
    are passed as float32; see fast.ZERO). Without branches or conditional stores (every
    uniform of a row is computed; the values do not depend on which are used), so that the
    loop vectorises; the experience scores are summed afterwards (a float64 sum in row
    order would keep it from vectorising).
    """
    on_time = 0
    nan = np.float32(np.nan)
    for a in range(len(agency_rows) - 1):
        avail = availability[a]
        absent = ONE - presence[a]
        late_below = avail + (ONE - avail) * late_share
        report = reported[a]
        scandal = scandal_hit * region_scandals[agency_region[a]]
        met = 0  # a per-agency count: a reduction carried across agencies does not vectorise
        for c in range(np.uint64(agency_rows[a]), np.uint64(agency_rows[a + 1])):  # see fast
            need = counter_uniform(key, c, 0, 5) < need_rate
            digital = need & online[c] & (counter_uniform(key, c, 1, 5) < digital_share)
            counter = need & (not digital)
            u2 = counter_uniform(key, c, 2, 5)
            well = u2 < avail
            late = (not well) & (u2 < late_below)
            at_counter = score_well if well else (score_late if late else score_unserved)
            empty = counter_uniform(key, c, 3, 5) < absent  # saw the counter thinned out
            at_counter = max(at_counter - empty_penalty, ZERO) if empty else at_counter
            score = digital_score if digital else at_counter
            needed[c] = need
            is_exposed = counter_uniform(key, c, 4, 5) < reach
            exposed[c] = is_exposed
            t = trust[c]
            new = t + trust_anchor * (anchor[c] - t) + trust_word_of_mouth * (heard[c] - t)
            new += trust_experience * (score - t) if need else ZERO
            experience[c] = score if need else nan
            met += digital | (counter & well)
            new += trust_communication * (report - t) if is_exposed else ZERO
            trust[c] = clip01(new - scandal)
        on_time += met
    return on_time


def serve_citizens(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                   week: int) -> dict:
    """Citizens with a need are served online, well, late or not at all; trust follows.

    A need arises with probability ``need_rate``. An online citizen uses the digital channel
    with probability ``digital_channel x platform``: experience ``base + span x platform``.
    Otherwise at the counter: served well with probability = availability, else late
    (``late_share``) or not at all; scores ``score_well/late/unserved`` (P2). Finding the
    counter thinned out (probability 1 - presence) subtracts ``visibility_penalty``, softened by
    the agency's communication (P4). Trust moves toward the experience (``trust_experience``),
    back to the citizen's predisposition (``trust_anchor``, P1), toward reported results for
    those reached by reporting, toward the ties' mean (word of mouth), and drops for everyone
    in a region for each detected case that becomes public (P3): a Poisson number per region
    with mean ``media_scrutiny x percent of the region's staff detected``.
    Five uniforms per citizen (counter-based on the week's key) and one per region.
    Returns the week's service statistics.
    """
    c = pop.citizens
    s = pop.staff
    key = week_key(rng)
    u_scandal = rng.random(len(pop.region_names))
    n_regions = len(pop.region_names)
    capacity, front, present, measured, detected = _staff_totals(
        pop.agency_rows, pop.agencies.region, s.active, s.job, s.flex_days, s.effort_office,
        s.ability, s.measured, s.detected, n_regions)
    availability, presence, presence_overall = _service_levels(capacity, front, present, p)

    policy = COMMUNICATION.index(p.communication_policy)
    soften = (p.comm_soften_silent, p.comm_soften_reactive, p.comm_soften_proactive)[policy]
    reach = (p.comm_reach_silent, p.comm_reach_reactive, p.comm_reach_proactive)[policy]
    # reported results: the agency's measured performance (what e-Kinerja shows), as a share
    heads = np.maximum(pop.per_agency, 1.0)
    reported = np.clip(0.5 * measured / (5.0 * heads) / p.report_reference, 0.0, 1.0)
    # public cases: a Poisson number per region, its mean proportional to the share of the
    # region's staff detected this week (scale-free: the same at 10k or 5.6M agents); drawn by
    # inverting the CDF of one uniform per region so the stream stays aligned between worlds
    rate = p.media_scrutiny * 100.0 * detected / np.maximum(pop.per_region, 1.0)
    region_scandals = poisson_from_uniform(u_scandal, rate)

    heard = pop.workspace("heard", len(c), np.float32)
    ext = pop.workspace("trust_ext", len(c) + len(c.ties_far), np.float32)
    _heard_kernel(c.ties_per_citizen, c.ties_slot, c.ties_far, c.trust, ext, heard)
    args = (
        key, pop.citizen_agency_rows, pop.agencies.region, p.citizen_online, c.anchor, heard,
        availability.astype(F),
        presence.astype(F), reported.astype(F), region_scandals.astype(F),
        *(F(v) for v in (p.need_rate, p.digital_channel * p.platform, p.late_share,
                         p.score_well, p.score_late, p.score_unserved,
                         p.visibility_penalty * (1.0 - soften),
                         p.score_digital_base + p.score_digital_span * p.platform, reach,
                         p.trust_experience, p.trust_anchor, p.trust_communication,
                         p.trust_word_of_mouth, p.scandal_hit)),
        c.trust, c.needed, c.experience, c.exposed)
    pop.check_disjoint("citizens", args, n_written=4)
    on_time = _citizen_kernel(*args)
    satisfaction, needs = active_sum_count(c.experience, c.needed)
    return {
        "availability": availability, "presence": presence, "presence_overall": presence_overall,
        "scandals": float(region_scandals.sum()),
        "on_time": float(on_time), "needs": float(needs),
        "satisfaction": satisfaction / max(needs, 1.0),
    }
