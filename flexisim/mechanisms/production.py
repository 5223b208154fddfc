"""Mechanism 4 -- production: quantity, quality and timeliness of each person's weekly output."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from flexisim.engine import FIVE, HALF, ONE, TWO, ZERO, clip01, counter_uniform, kernel, week_key
from flexisim.mechanisms.common import off_core_share
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import F, Population, ViewSpec

LUCK_SD = 0.05  # task luck, fixed in code

VIEW = ViewSpec(
    "production",
    reads={"staff": ("active", "leader", "flex_days", "collaboration", "lead_literacy",
                     "ability", "effort_office", "effort_remote", "effort", "device",
                     "internet", "skill", "time_flex"),
           "leaders": ("headcount",)},
    writes={"staff": ("coordination", "output", "quality", "on_time"),
            "leaders": ("team_remote", "team_apart")},
    parameters=("coordination_loss", "platform_coordination", "literacy_coordination",
                "remote_gain", "internet_penalty", "no_device_factor", "skill_penalty",
                "quality_base", "timeliness_coordination", "off_core_hours",
                "time_productivity", "ch_remote_productivity", "ch_coordination",
                "ch_time_coordination", "ch_time_productivity"))


class Terms(NamedTuple):
    luck_half_width: np.float32  # task luck: uniform of sd LUCK_SD, half-width sd x sqrt 3
    platform_factor: np.float32  # coordination loss left by the platform: 1 - share x quality


@njit(inline="always")
def _remote_productivity(device, internet, skill, k):
    """Multiplier of output on a flexible day, before coordination loss (the equation).

    ``(1 + remote_gain)`` for commute time and focus (E1, E6), times infrastructure
    ``1 - internet_penalty (1 - internet)`` with a device or ``no_device_factor`` without
    (D1), times ``1 - skill_penalty (1 - digital skill)``.
    """
    infra = ONE - k.internet_penalty * (ONE - internet) if device else k.no_device_factor
    return (ONE + k.remote_gain) * infra * (ONE - k.skill_penalty * (ONE - skill))


#: remote productivity of every civil servant, for inspection
PRODUCTIVITY = ViewSpec(
    "remote_productivity", reads={"staff": ("device", "internet", "skill")},
    parameters=("remote_gain", "internet_penalty", "no_device_factor", "skill_penalty"))


@kernel
def _productivity_rows(v, out):
    s, k = v.staff, v.params
    for i in range(len(s.device)):
        out[i] = _remote_productivity(s.device[i], s.internet[i], s.skill[i], k)


def remote_productivity(pop: Population, p: Params) -> np.ndarray:
    """Each civil servant's multiplier of output on a flexible day, before coordination loss
    (``_remote_productivity``, the weekly step's own equation)."""
    out = np.empty(len(pop.staff), F)
    _productivity_rows(pop.views(PRODUCTIVITY, p), out)
    return out


@kernel(disjoint=True)
def _production_rows(key, v, t):
    # float32 throughout (parameters and terms are float32; see engine.compiled.ZERO)
    s, team_apart, k = v.staff, v.leaders.team_apart, v.params
    timeliness_link = np.float32(0.3)
    for i in range(len(s.active)):
        luck = ONE + (TWO * counter_uniform(key, i, 0, 1) - ONE) * t.luck_half_width
        d = np.float32(s.flex_days[i])
        remote_share = d / FIVE
        # channels (flexisim.channels): off, a flexible day is as productive as an office
        # day, and the team's time apart costs no coordination (team_apart, gated)
        team = team_apart[s.leader[i]]
        coord = (k.coordination_loss * s.collaboration[i] * team
                 * t.platform_factor * (ONE - k.literacy_coordination * s.lead_literacy[i]))
        productivity = ONE + k.ch_remote_productivity * (
            _remote_productivity(s.device[i], s.internet[i], s.skill[i], k) - ONE)
        # the gate applies where weak_link is used: a product inside this select keeps
        # the loop from vectorising (measured)
        weak_link = ((ONE - s.internet[i]) if s.device[i] else ONE) * remote_share
        office = s.ability[i] * s.effort_office[i] * (ONE - HALF * coord)
        remote = s.ability[i] * s.effort_remote[i] * productivity * (ONE - coord)
        s.coordination[i] = coord
        # five office days plus the flexible days' difference (exactly the office week when
        # a flexible day is like an office day)
        # shifts or dynamic hours: work at one's own hours, fewer absences (channel
        # "time_productivity"; a factor of exactly 1 without time flexibility)
        own_hours = ONE + k.ch_time_productivity * k.time_productivity * (
            ONE if s.time_flex[i] else ZERO)
        s.output[i] = (max(luck, ZERO) * (FIVE * office + d * (remote - office)) * own_hours
                       if s.active[i] else ZERO)
        s.quality[i] = clip01(k.quality_base + (ONE - k.quality_base) * s.effort[i]
                              - coord * remote_share)
        s.on_time[i] = clip01(HALF + HALF * s.effort[i] - k.timeliness_coordination * coord
                              - timeliness_link * k.ch_remote_productivity * weak_link)


def produce_output(pop: Population, p: Params, rng: np.random.Generator,
                   week: int) -> None:
    """Weekly output of every civil servant.

    Office day: ``ability x effort_office x (1 - coord / 2)``; flexible day:
    ``ability x effort_remote x remote_productivity x (1 - coord)``, where the coordination
    loss ``coord = loss x collaboration x team remote share x (1 - platform share removed)
    x (1 - leader-literacy share removed)`` grows with the job's collaboration intensity and
    the team's remote share (E4) and also slows colleagues in the office (less coaching).
    Quality ``= base + (1 - base) effort - coord x remote share``; timeliness falls with low
    effort, coordination loss and poor connections. Task luck: multiplicative noise, sd 5%
    (one uniform per person, counter-based on the week's key).
    """
    key = week_key(rng)
    L = pop.leaders
    L.team_remote[:] = pop.mean_by(pop.staff.flex_days, "leader") / 5.0
    # the team's time apart: its remote share, plus the share of hours outside the shared
    # core of those on shifts or dynamic hours (each with its channel gate)
    L.team_apart[:] = F(p.ch_coordination) * L.team_remote
    apart = off_core_share(p.off_core_hours)
    if p.ch_time_coordination > 0 and apart > 0 and pop.staff.time_flex.any():
        on_time_flex = pop.mean_by(pop.staff.time_flex.astype(F), "leader")
        L.team_apart[:] += F(p.ch_time_coordination * apart) * on_time_flex
    terms = Terms(F(LUCK_SD * np.sqrt(3.0)),
                  F(1.0 - p.platform_coordination * pop.platform))
    _production_rows(key, pop.views(VIEW, p), terms)


MECHANISM = Mechanism(VIEW, produce_output)
