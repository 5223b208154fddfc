"""Mechanism 4 -- production: quantity, quality and timeliness of each person's weekly output."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

from flexisim.mechanisms.common import (
    FIVE,
    HALF,
    JIT_DISJOINT,
    ONE,
    TWO,
    ZERO,
    clip01,
    counter_uniform,
    week_key,
)
from flexisim.population import F, Population

LUCK_SD = 0.05  # task luck, fixed in code


def remote_productivity(s, p: SimpleNamespace) -> np.ndarray:
    """Multiplier of output on a flexible day, before coordination loss.

    ``(1 + remote_gain)`` for commute time and focus (E1, E6), times infrastructure
    ``1 - internet_penalty (1 - internet)`` with a device or ``no_device_factor`` without
    (D1), times ``1 - skill_penalty (1 - digital skill)``. (Vectorised form for inspection;
    the weekly step computes the same inside ``_production_kernel``.)
    """
    infra = np.where(s.device, 1.0 - p.internet_penalty * (1.0 - s.internet), p.no_device_factor)
    return (1.0 + p.remote_gain) * infra * (1.0 - p.skill_penalty * (1.0 - s.skill))


@njit(**JIT_DISJOINT)
def _production_kernel(key, half_width, active, leader, team_remote, flex_days, collaboration,
                       lead_literacy, ability, effort_office, effort_remote, effort, device,
                       internet, skill, coordination_loss, platform_factor,
                       literacy_coordination, remote_gain, internet_penalty, no_device_factor,
                       skill_penalty, quality_base, timeliness_coordination,
                       coordination, output, quality, on_time):
    # float32 throughout (scalars and team shares are passed as float32; see fast.ZERO)
    timeliness_link = np.float32(0.3)
    for i in range(len(active)):
        luck = ONE + (TWO * counter_uniform(key, i, 0, 1) - ONE) * half_width
        d = np.float32(flex_days[i])
        remote_share = d / FIVE
        coord = (coordination_loss * collaboration[i] * team_remote[leader[i]] * platform_factor
                 * (ONE - literacy_coordination * lead_literacy[i]))
        if device[i]:
            infra = ONE - internet_penalty * (ONE - internet[i])
            weak_link = (ONE - internet[i]) * remote_share
        else:
            infra = no_device_factor
            weak_link = remote_share
        productivity = (ONE + remote_gain) * infra * (ONE - skill_penalty * (ONE - skill[i]))
        office = ability[i] * effort_office[i] * (ONE - HALF * coord)
        remote = ability[i] * effort_remote[i] * productivity * (ONE - coord)
        coordination[i] = coord
        output[i] = max(luck, ZERO) * ((FIVE - d) * office + d * remote) if active[i] else ZERO
        quality[i] = clip01(quality_base + (ONE - quality_base) * effort[i] - coord * remote_share)
        on_time[i] = clip01(HALF + HALF * effort[i] - timeliness_coordination * coord
                            - timeliness_link * weak_link)


def produce_output(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
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
    s = pop.staff
    key = week_key(rng)
    team_remote = (pop.mean_by(s.flex_days, "leader") / 5.0).astype(F)
    args = (key, F(LUCK_SD * np.sqrt(3.0)), s.active, s.leader, team_remote, s.flex_days,
            s.collaboration, p.lead_literacy, s.ability, s.effort_office, s.effort_remote,
            s.effort, s.device, s.internet, s.skill,
            *(F(v) for v in (p.coordination_loss, 1.0 - p.platform_coordination * p.platform,
                             p.literacy_coordination, p.remote_gain, p.internet_penalty,
                             p.no_device_factor, p.skill_penalty, p.quality_base,
                             p.timeliness_coordination)),
            s.coordination, s.output, s.quality, s.on_time)
    pop.check_disjoint("production", args, n_written=4)
    _production_kernel(*args)
