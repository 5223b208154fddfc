"""Mechanism 6 -- service delivery and citizens' trust."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flexisim.engine import ONE, ZERO, active_sum_count, clip01, counter_uniform, kernel, week_key
from flexisim.mechanisms.common import poisson_from_uniform
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.population import FRONTLINE
from flexisim.state import F, Population, ViewSpec

COMMUNICATION = ("silent", "reactive", "proactive")

VIEW = ViewSpec(
    "citizens",
    reads={"staff": ("active", "job", "flex_days", "effort_office", "ability", "measured",
                     "detected"),
           "agencies": ("staff_rows", "citizen_rows", "region", "headcount",
                        "reported_reference"),
           "citizens": ("online", "anchor", "ties_slot", "ties_far"),
           "regions": ("headcount", "scandals_reference")},
    writes={"agencies": ("frontline_capacity", "frontline_staff", "frontline_present",
                         "measured_total", "availability", "presence", "reported"),
            "citizens": ("trust", "needed", "experience", "exposed", "heard", "trust_ext"),
            "regions": ("detected_total", "scandals")},
    parameters=("service_norm", "communication_policy", "comm_soften_silent",
                "comm_soften_reactive", "comm_soften_proactive", "comm_reach_silent",
                "comm_reach_reactive", "comm_reach_proactive", "report_reference",
                "media_scrutiny", "need_rate", "digital_channel", "late_share", "score_well",
                "score_late", "score_unserved", "visibility_penalty", "score_digital_base",
                "score_digital_span", "trust_experience", "trust_anchor",
                "trust_communication", "trust_word_of_mouth", "scandal_hit",
                "ch_counter_capacity", "ch_public_visibility", "ch_communication",
                "ch_scandals"))


class Terms(NamedTuple):
    digital_share: np.float32  # chance an online citizen uses the digital channel
    empty_penalty: np.float32  # trust lost at a thinned-out counter, after communication
    digital_score: np.float32  # experience of the digital channel
    reach: np.float32  # weekly share of citizens reached by results reporting
    ties_per_citizen: int  # word-of-mouth ties of every citizen
    frontline: int  # job code of frontline service


@kernel
def _staff_totals(v, t):
    """Per agency: frontline capacity, frontline staff, on-site frontline days, measured output;
    per region: staff detected this week. One pass over the staff.

    Agency ``a`` is the rows ``staff_rows[a]:staff_rows[a + 1]`` (rows are in team order).
    Without branches (rows off the front line add zero); counts in integers, the other sums
    in float64 in row order, so they are exactly those of adding row by row.
    """
    s, a, r, k = v.staff, v.agencies, v.regions, v.params
    # channels: off, flexible days neither take capacity from the counter nor leave it
    # visibly thinned out (flexisim.channels)
    away_capacity = np.float64(k.ch_counter_capacity)
    away_seen = 1 if k.ch_public_visibility > 0.5 else 0
    rows = a.staff_rows
    r.detected_total[:] = 0.0
    for g in range(len(rows) - 1):
        cap = meas = 0.0
        fr = pres = det = 0
        for i in range(np.uint64(rows[g]), np.uint64(rows[g + 1])):  # see engine.compiled
            meas += s.measured[i]
            det += s.detected[i]
            serving = s.active[i] & (s.job[i] == t.frontline)
            away = np.int64(s.flex_days[i])
            onsite = 5.0 - away_capacity * away
            cap += onsite * s.effort_office[i] * s.ability[i] if serving else 0.0
            fr += serving
            pres += 5 - away_seen * away if serving else 0
        a.frontline_capacity[g] = cap
        a.frontline_staff[g] = fr
        a.frontline_present[g] = pres
        a.measured_total[g] = meas
        r.detected_total[a.region[g]] += det


def _service_levels(capacity: np.ndarray, front: np.ndarray, present: np.ndarray,
                    p: Params) -> tuple[np.ndarray, np.ndarray, float]:
    days = 5.0 * front
    safe = np.maximum(days, 1.0)
    availability = np.where(days > 0, np.minimum(1.0, capacity / (safe * p.service_norm)), 1.0)
    presence = np.where(days > 0, present / safe, 1.0)
    overall = float(present.sum() / days.sum()) if days.sum() > 0 else 1.0
    return availability, presence, overall


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
    """Needs, service, experience and trust of every citizen; returns the needs met on time.

    Agency ``a`` serves the citizens ``citizen_rows[a]:citizen_rows[a + 1]`` (citizens are in
    agency order), so its availability, presence, reported results and its region's
    scandals are constants of the inner loop. float32 throughout (parameters and terms are
    float32; see engine.compiled.ZERO). Without branches or conditional stores (every
    uniform of a row is computed; the values do not depend on which are used), so that the
    loop vectorises; the experience scores are summed afterwards (a float64 sum in row
    order would keep it from vectorising).
    """
    c, a, k = v.citizens, v.agencies, v.params
    rows = a.citizen_rows
    on_time = 0
    nan = np.float32(np.nan)
    for g in range(len(rows) - 1):
        avail = a.availability[g]
        absent = ONE - a.presence[g]
        late_below = avail + (ONE - avail) * k.late_share
        report = a.reported[g]
        scandal = k.scandal_hit * v.regions.scandals[a.region[g]]
        met = 0  # a per-agency count: a reduction carried across agencies does not vectorise
        for i in range(np.uint64(rows[g]), np.uint64(rows[g + 1])):  # see engine.compiled
            need = counter_uniform(key, i, 0, 5) < k.need_rate
            digital = need & c.online[i] & (counter_uniform(key, i, 1, 5) < t.digital_share)
            counter = need & (not digital)
            u2 = counter_uniform(key, i, 2, 5)
            well = u2 < avail
            late = (not well) & (u2 < late_below)
            at_counter = k.score_well if well else (k.score_late if late else k.score_unserved)
            empty = counter_uniform(key, i, 3, 5) < absent  # saw the counter thinned out
            at_counter = max(at_counter - t.empty_penalty, ZERO) if empty else at_counter
            score = t.digital_score if digital else at_counter
            c.needed[i] = need
            is_exposed = counter_uniform(key, i, 4, 5) < t.reach
            c.exposed[i] = is_exposed
            trust = c.trust[i]
            new = (trust + k.trust_anchor * (c.anchor[i] - trust)
                   + k.trust_word_of_mouth * (c.heard[i] - trust))
            new += k.trust_experience * (score - trust) if need else ZERO
            c.experience[i] = score if need else nan
            met += digital | (counter & well)
            new += k.trust_communication * (report - trust) if is_exposed else ZERO
            c.trust[i] = clip01(new - scandal)
        on_time += met
    return on_time


def serve_citizens(pop: Population, p: Params, rng: np.random.Generator,
                   week: int) -> dict[str, float]:
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
    c, A, R = pop.citizens, pop.agencies, pop.regions
    key = week_key(rng)
    u_scandal = rng.random(len(R))
    policy = p.communication_policy
    terms = Terms(F(p.digital_channel * pop.platform),
                  F(p.visibility_penalty * (1.0 - getattr(p, f"comm_soften_{policy}"))),
                  F(p.score_digital_base + p.score_digital_span * pop.platform),
                  F(getattr(p, f"comm_reach_{policy}")), c.ties_per_citizen, FRONTLINE)
    v = pop.views(VIEW, p)
    _staff_totals(v, terms)
    availability, presence, presence_overall = _service_levels(
        A.frontline_capacity, A.frontline_staff, A.frontline_present, p)
    A.availability[:] = availability
    A.presence[:] = presence
    # reported results: the agency's measured performance (what e-Kinerja shows), as a share
    heads = np.maximum(A.headcount, 1.0)
    A.reported[:] = np.clip(0.5 * A.measured_total / (5.0 * heads) / p.report_reference,
                            0.0, 1.0)
    if p.ch_communication == 0.0:  # path channel off: the twin's reported results
        A.reported[:] = A.reported_reference
    # public cases: a Poisson number per region, its mean proportional to the share of the
    # region's staff detected this week (scale-free: the same at 10k or 5.6M agents); drawn by
    # inverting the CDF of one uniform per region so the stream stays aligned between worlds
    rate = p.media_scrutiny * 100.0 * R.detected_total / np.maximum(R.headcount, 1.0)
    scandals = poisson_from_uniform(u_scandal, rate)
    if p.ch_scandals == 0.0:  # path channel off: the twin's number of public cases
        scandals = R.scandals_reference.astype(scandals.dtype)
    R.scandals[:] = scandals

    _heard_rows(v, terms)
    on_time = _citizen_rows(key, v, terms)
    satisfaction, needs = active_sum_count(c.experience, c.needed)
    return {
        "availability": availability, "presence": presence, "presence_overall": presence_overall,
        "scandals": float(scandals.sum()),
        "on_time": float(on_time), "needs": float(needs),
        "satisfaction": satisfaction / max(needs, 1.0),
    }


MECHANISM = Mechanism(VIEW, serve_citizens)
