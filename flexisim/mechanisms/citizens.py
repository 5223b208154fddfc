"""Mechanism 6 -- service delivery and citizens' trust."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.mechanisms.common import poisson_from_uniform
from flexisim.population import FRONTLINE, F, Population

COMMUNICATION = ("silent", "reactive", "proactive")


def frontline_service(pop: Population, p: SimpleNamespace
                      ) -> tuple[np.ndarray, np.ndarray, float]:
    """Per agency: counter availability and the visible on-site presence of frontline staff.

    Also returns the national on-site share of frontline staff-days.

    Availability ``= min(1, sum(on-site days x effort x ability) / (5 x headcount x norm))``;
    presence = on-site share of frontline staff-days (what a visitor sees).
    """
    s = pop.staff
    n_ag = len(pop.agencies)
    front = s.active & (s.job == FRONTLINE)
    onsite = (5 - s.flex_days) * front
    capacity = np.bincount(s.agency, weights=onsite * s.effort_office * s.ability, minlength=n_ag)
    days = 5.0 * np.bincount(s.agency, weights=front, minlength=n_ag)
    safe = np.maximum(days, 1.0)
    availability = np.where(days > 0, np.minimum(1.0, capacity / (safe * p.service_norm)), 1.0)
    present = np.bincount(s.agency, weights=onsite, minlength=n_ag)
    presence = np.where(days > 0, present / safe, 1.0)
    overall = float(present.sum() / days.sum()) if days.sum() > 0 else 1.0
    return availability, presence, overall


def serve_citizens(pop: Population, p: SimpleNamespace, rng: np.random.Generator, week: int) -> dict:
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
    Returns the week's service statistics.
    """
    c = pop.citizens
    n = len(c)
    u = rng.random((5, n), dtype=F)
    u_scandal = rng.random(len(pop.region_names))
    availability, presence, presence_overall = frontline_service(pop, p)
    a = c.agency

    need = u[0] < p.need_rate
    digital = need & p.citizen_online & (u[1] < p.digital_channel * p.platform)
    counter = need & ~digital
    avail = availability[a]
    well = u[2] < avail
    late = ~well & (u[2] < avail + (1.0 - avail) * p.late_share)
    score = np.where(well, p.score_well, np.where(late, p.score_late, p.score_unserved))
    policy = COMMUNICATION.index(p.communication_policy)
    soften = (p.comm_soften_silent, p.comm_soften_reactive, p.comm_soften_proactive)[policy]
    saw_empty = counter & (u[3] < 1.0 - presence[a])
    score = score - p.visibility_penalty * (1.0 - soften) * saw_empty
    score = np.where(digital, p.score_digital_base + p.score_digital_span * p.platform, score)
    c.needed = need
    c.experience = np.where(need, score, np.nan).astype(F)

    # reported results: the agency's measured performance (what e-Kinerja shows), as a share
    reach = (p.comm_reach_silent, p.comm_reach_reactive, p.comm_reach_proactive)[policy]
    exposed = u[4] < reach
    c.exposed = exposed
    s = pop.staff
    n_ag = len(pop.agencies)
    measured = np.bincount(s.agency, weights=s.measured, minlength=n_ag)
    heads = np.maximum(pop.per_agency, 1.0)
    reported = np.clip(0.5 * measured / (5.0 * heads) / p.report_reference, 0.0, 1.0)

    # public cases: a Poisson number per region, its mean proportional to the share of the
    # region's staff detected this week (scale-free: the same at 10k or 5.6M agents); drawn by
    # inverting the CDF of one uniform per region so the stream stays aligned between worlds
    n_regions = len(pop.region_names)
    detected = np.bincount(s.region, weights=s.detected, minlength=n_regions)
    heads_r = np.maximum(pop.per_region, 1.0)
    rate = p.media_scrutiny * 100.0 * detected / heads_r
    region_scandals = poisson_from_uniform(u_scandal, rate)

    t = c.trust
    heard = c.ties @ t
    t = (t + p.trust_experience * need * (score - t)
         + p.trust_anchor * (c.anchor - t)
         + p.trust_communication * exposed * (reported[a] - t)
         + p.trust_word_of_mouth * (heard - t)
         - p.scandal_hit * region_scandals[c.region])
    c.trust = np.clip(t, 0.0, 1.0).astype(F)
    return {
        "availability": availability, "presence": presence, "presence_overall": presence_overall,
        "scandals": float(region_scandals.sum()),
        "on_time": float((digital | (counter & well)).sum()), "needs": float(need.sum()),
        "satisfaction": float(np.dot(score, need)) / max(float(need.sum()), 1.0),
    }
