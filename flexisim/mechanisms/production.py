"""Mechanism 4 -- production: quantity, quality and timeliness of each person's weekly output."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.mechanisms.common import uniform_noise
from flexisim.population import F, Population


def remote_productivity(s, p: SimpleNamespace) -> np.ndarray:
    """Multiplier of output on a flexible day, before coordination loss.

    ``(1 + remote_gain)`` for commute time and focus (E1, E6), times infrastructure
    ``1 - internet_penalty (1 - internet)`` with a device or ``no_device_factor`` without
    (D1), times ``1 - skill_penalty (1 - digital skill)``.
    """
    infra = np.where(s.device, 1.0 - p.internet_penalty * (1.0 - s.internet), p.no_device_factor)
    return (1.0 + p.remote_gain) * infra * (1.0 - p.skill_penalty * (1.0 - s.skill))


def produce_output(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
               week: int) -> None:
    """Weekly output of every civil servant.

    Office day: ``ability x effort_office x (1 - coord / 2)``; flexible day:
    ``ability x effort_remote x remote_productivity x (1 - coord)``, where the coordination
    loss ``coord = loss x collaboration x team remote share x (1 - platform share removed)
    x (1 - leader-literacy share removed)`` grows with the job's collaboration intensity and
    the team's remote share (E4) and also slows colleagues in the office (less coaching).
    Quality ``= base + (1 - base) effort - coord x remote share``; timeliness falls with low
    effort, coordination loss and poor connections. Task luck: multiplicative noise, sd 5%.
    """
    s = pop.staff
    luck = 1.0 + uniform_noise(rng, len(s), 0.05)
    d = s.flex_days.astype(F)
    remote_share = d / 5.0
    team_remote = pop.mean_by(remote_share, "leader")[s.leader]
    coord = (p.coordination_loss * s.collaboration * team_remote
             * (1.0 - p.platform_coordination * p.platform)
             * (1.0 - p.literacy_coordination * p.lead_literacy))
    office_days = 5.0 - d
    office = s.ability * s.effort_office * (1.0 - 0.5 * coord)
    remote = s.ability * s.effort_remote * remote_productivity(s, p) * (1.0 - coord)
    s.coordination = coord.astype(F)
    s.output = (np.maximum(luck, 0.0) * (office_days * office + d * remote) * s.active).astype(F)
    s.quality = np.clip(p.quality_base + (1.0 - p.quality_base) * s.effort
                        - coord * remote_share, 0.0, 1.0).astype(F)
    weak_link = np.where(s.device, 1.0 - s.internet, 1.0) * remote_share
    s.on_time = np.clip(0.5 + 0.5 * s.effort - p.timeliness_coordination * coord
                        - 0.3 * weak_link, 0.0, 1.0).astype(F)
