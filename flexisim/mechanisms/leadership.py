"""Mechanism 9 -- leadership over time: leaders who leave, training that builds, style that learns.

Leaders are not fixed for the run. Each week some posts get a new leader (rotation,
promotion, retirement: ``leader_turnover_annual``), who is a new draw of style, training,
oversight mode and digital literacy and who starts without knowing the team. Training
seats (``training_capacity`` of the leaders a year, from the first policy week) go to
untrained leaders, and a training's effect builds up over ``training_build_weeks``. A
leader who leads a team working flexibly learns from it: their style moves with what the
week's oversight taught them about the team (ODD §7.9).
"""

from __future__ import annotations

import numpy as np

from flexisim.engine import kernel
from flexisim.mechanisms.common import FIRST_BELIEF, FIRST_TRUST_IN_LEADER, MILLION_IN_BILLION
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.mechanisms.setup import leader_attributes, leader_literacy, leader_style
from flexisim.mechanisms.workforce import WEEKS_PER_YEAR, normal_from_uniforms
from flexisim.params import Params
from flexisim.population import LEADER_LITERACY
from flexisim.state import F, Population, ViewSpec
from flexisim.streams import hash_uniform

#: keys the new leaders' draws apart from the recruits' (the same seed, another hash)
LEADER_SALT = 0x1EAD_E85

VIEW = ViewSpec(
    "leadership",
    reads={"staff": ("leader", "active"),
           "leaders": ("agency", "team_remote", "team_doubt", "style",
                       "trained", "schooled", "capacity", "style_drift", "digital_literacy",
                       "results_based", "literacy", "appointed", "appointments",
                       "style_latent", "training_latent", "mode_latent"),
           "agencies": ("trust_culture", "training_share", "results_based_share")},
    writes={"staff": ("belief", "trust_in_leader", "lead_style", "lead_trained",
                      "lead_results", "lead_literacy"),
            "leaders": ("style_latent", "training_latent", "mode_latent", "digital_literacy",
                        "style_drift", "schooled", "capacity", "appointments", "appointed",
                        "style", "trained", "results_based", "literacy")},
    parameters=("leader_turnover_annual", "training_capacity", "training_build_weeks",
                "training_seat_cost",
                "style_learning", "ch_leader_learning"))


def appoint(pop: Population, p: Params, week: int) -> np.ndarray:
    """This week's new leaders: each post turns over with chance ``leader_turnover_annual /
    52``, and the new leader is a fresh draw of the leader's latent attributes (untrained in
    the run, nothing yet learned). Draws are a pure function of the post, its number of
    appointments and the week (:func:`~flexisim.streams.hash_uniform`), so a
    policy world and its twin change the same leaders in the same weeks. Returns the rows."""
    L = pop.leaders
    L.appointed[:] = False
    if p.leader_turnover_annual <= 0:
        return np.empty(0, np.int64)
    seed = pop.recruit_seed ^ LEADER_SALT
    key = np.arange(len(L), dtype=np.uint64) * np.uint64(1 << 20) + L.appointments.astype(
        np.uint64)
    turns = hash_uniform(seed, key, week, 1)[0] < F(p.leader_turnover_annual / WEEKS_PER_YEAR)
    rows = np.flatnonzero(turns)
    if not rows.size:
        return rows
    h = hash_uniform(seed, key[rows], week, 6)  # attribute 1 is the turnover draw above
    L.style_latent[rows] = h[1]
    L.training_latent[rows] = h[2]
    L.mode_latent[rows] = h[3]
    mean, sd = LEADER_LITERACY
    L.digital_literacy[rows] = np.clip(mean + sd * normal_from_uniforms(h[4], h[5]), 0, 1)
    L.style_drift[rows] = 0.0
    L.schooled[rows] = False
    L.capacity[rows] = 0.0
    L.appointments[rows] += 1
    L.appointed[rows] = True
    leader_attributes(pop, rows)
    # trained before appointment (the training_share pipeline): in full effect from day one
    L.capacity[rows] = L.trained[rows]
    L.literacy[rows] = leader_literacy(L.digital_literacy[rows], L.capacity[rows])
    return rows


def train(pop: Population, p: Params, week: int) -> int:
    """Give this week's training seats to untrained leaders, readiest first (lowest training
    draw: those a higher ``training_share`` would have trained first). Seats: a
    ``training_capacity`` share of the leaders a year, in whole seats spread evenly over the
    weeks; none during the warm-up (today's training keeps the trained share steady there,
    through the new leaders' draws). Returns the seats filled."""
    L = pop.leaders
    if week < 0 or p.training_capacity <= 0:
        return 0
    per_week = p.training_capacity * len(L) / WEEKS_PER_YEAR
    seats = int(np.floor(per_week * (week + 1)) - np.floor(per_week * week))
    waiting = np.flatnonzero(~L.trained)
    if seats <= 0 or not waiting.size:
        return 0
    if seats < waiting.size:
        readiest = np.argpartition(L.training_latent[waiting], seats - 1)[:seats]
        waiting = waiting[readiest]
    L.schooled[waiting] = True
    L.trained[waiting] = True
    return int(waiting.size)


def build_capacity(pop: Population, p: Params) -> bool:
    """A training's effect builds up by ``1 / training_build_weeks`` a week to full effect
    (adaptive leadership is practised, not handed over); digital literacy with it. Returns
    whether any leader's training was still building."""
    L = pop.leaders
    building = np.flatnonzero(L.trained & (L.capacity < 1.0))
    if not building.size:
        return False
    L.capacity[building] = np.minimum(L.capacity[building] + F(1.0 / p.training_build_weeks),
                                      F(1.0))
    L.literacy[building] = leader_literacy(L.digital_literacy[building], L.capacity[building])
    return True


def learn(pop: Population, p: Params) -> bool:
    """Leading a flexible team teaches: ``drift += style_learning x remote share x (the
    change of the leader's mean belief in the team over this week's oversight)``. Checks that
    come back clean while the team works flexibly move the leader toward trust, flags toward
    control (and so does a control leader's own bias against unseen days); without flexible
    days (the twin) nothing is learned. Channel ``leader_learning``. Returns whether anyone
    learned."""
    L = pop.leaders
    rate = p.style_learning * p.ch_leader_learning
    if rate <= 0 or not L.team_remote.any():
        return False
    # team_doubt is 1 - the team's mean belief before this week's oversight (oversight
    # computes it first); the mean now is after it
    now = pop.mean_by(pop.staff.belief, "leader", empty=0.0).astype(F)
    before = F(1.0) - L.team_doubt
    learned = np.where(L.headcount > 0, now - before, F(0.0)).astype(F)
    L.style_drift[:] += (F(rate) * L.team_remote * learned).astype(F)
    L.style[:] = leader_style(pop.agencies.trust_culture.astype(F)[L.agency], L.style_latent,
                              L.style_drift)
    return True


@kernel(disjoint=True)
def _staff_view(v, reset):
    s, L = v.staff, v.leaders
    for i in range(len(s.leader)):
        j = s.leader[i]
        if reset and L.appointed[j]:
            s.belief[i] = FIRST_BELIEF
            s.trust_in_leader[i] = FIRST_TRUST_IN_LEADER
        s.lead_style[i] = L.style[j]
        s.lead_trained[i] = L.capacity[j]
        s.lead_results[i] = L.results_based[j]
        s.lead_literacy[i] = L.literacy[j]


def lead(pop: Population, p: Params, rng: None, week: int) -> dict[str, float]:
    """Leaders over the week's end: style learned from flexible teams (:func:`learn`), new
    appointments (:func:`appoint`), training seats (:func:`train`), training's effect
    building (:func:`build_capacity`); then each civil servant's view of their leader (a new
    leader's team starts at a first acquaintance's belief and trust)."""
    L = pop.leaders
    learned = learn(pop, p)  # the leader who led the week learns, then may leave
    new = appoint(pop, p, week)
    seated = train(pop, p, week)
    building = build_capacity(pop, p)
    if new.size or seated or building or learned:
        _staff_view(pop.views(VIEW, p), bool(new.size))
    return {"leaders_trained": float(L.trained.mean()),
            "leaders_new": float(new.size) / max(len(L), 1),
            "cost_training": training_cost(pop, p, week)}


#: the fewest years a training's cost is spread over when leaders never turn over (its
#: useful life is then capped at ten years)
MIN_TRAINING_TURNOVER = 0.1


def training_cost(pop: Population, p: Params, week: int) -> float:
    """This week's cost of the leaders trained in the run and still in post (billion Rp).

    Like the investment budgets' unit costs, a seat's price is annualised: spread over the
    trained leader's expected years in post, ``1 / leader_turnover_annual`` (at most ten
    years), so a leader who leaves takes the rest of it with them, and a three-year run is
    charged for three years of a training's use, not its whole price. Each agent stands for
    ``pop.scale`` real leaders; unit costs are million rupiah."""
    if week < 0:
        return 0.0
    rate = max(p.leader_turnover_annual, MIN_TRAINING_TURNOVER) / WEEKS_PER_YEAR
    return (float(pop.leaders.schooled.sum()) * pop.scale * p.training_seat_cost * rate
            / MILLION_IN_BILLION)


MECHANISM = Mechanism(
    VIEW, lead, stream=False,
    outputs={"leaders_trained": ("share", "share of leaders trained in adaptive leadership"),
             "leaders_new": ("share", "share of leaders new in post this week"),
             "cost_training": ("Rp billion/week", "spent this week on adaptive-leadership "
                                                  "training seats")})
