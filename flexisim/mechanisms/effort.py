"""Mechanism 3 -- effort and shirking, in the office and on flexible days."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.mechanisms.common import uniform_noise
from flexisim.population import F, Population


def catch_probabilities(s, p: SimpleNamespace) -> tuple[np.ndarray, np.ndarray]:
    """Perceived chance that shirking is caught, on office days and on flexible days.

    Results-based checks see output wherever it is made: verification share x sensitivity
    of measurement (rising with credibility). Presence-watching leaders also see idle people
    in the office, but not what happens elsewhere.
    """
    tp = p.true_positive_base + (1.0 - p.true_positive_base) * p.staff_credibility
    results = s.verification * tp
    presence = (~p.lead_results) * p.presence_deterrence
    office = 1.0 - (1.0 - results) * (1.0 - presence)
    return office, results


def effort_and_shirking(pop: Population, p: SimpleNamespace, rng: np.random.Generator,
                        week: int) -> None:
    """Effort per setting, then the shirked days.

    ``effort_k = (1 - a_peer) x (motivation + a_det c_k sev - temptation_k
    - a_crowd control x sensitivity + a_recip style x belief x trust_in_leader x signal)
    + a_peer x peer + noise``,
    clipped to [0, 1]. ``c_k`` is the catch probability of setting k, ``sev`` the sanction's
    weight. Control (a control-style leader, watching presence, verifying without training)
    lowers effort of control-sensitive staff (O1, O2); a trusting leader's belief, doubled in
    weight when flexibility is granted, is reciprocated (O1) -- as far as the person trusts
    the leader in return (false accusations erode that). A day with effort below the
    threshold is shirked -- in the office (presenteeism) or away; the shortfall (how far below
    the threshold, weighted by days) is what a check can see.
    """
    s = pop.staff
    noise = uniform_noise(rng, (2, len(s)), p.effort_noise)
    catch_office, catch_remote = catch_probabilities(s, p)
    severity = p.severity_floor + (1.0 - p.severity_floor) * p.sanction_severity
    untrained = ~p.lead_trained
    control = ((1.0 - p.lead_style) * (0.5 + 0.5 * ~p.lead_results) * (1.0 - 0.5 * p.lead_trained)
               + 0.5 * s.verification * (1.0 - p.lead_style) * untrained)
    reciprocity = p.lead_style * s.belief * s.trust_in_leader * (0.5 + 0.5 * s.approved)
    own = (s.motivation - p.effort_crowding * control * s.control_sensitivity
           + p.effort_reciprocity * reciprocity - p.temptation_office)
    peer = pop.mean_by(s.effort, "agency")[s.agency]
    mix = 1.0 - p.effort_peer
    office = mix * (own + p.effort_deterrence * severity * catch_office) + p.effort_peer * peer
    remote = (mix * (own + p.effort_deterrence * severity * catch_remote - p.temptation_remote)
              + p.effort_peer * peer)
    s.effort_office = np.clip(office + noise[0], 0.0, 1.0).astype(F)
    s.effort_remote = np.clip(remote + noise[1], 0.0, 1.0).astype(F)
    d = s.flex_days
    office_days = (5 - d) * s.active
    s.office_shirk_days = (office_days * (s.effort_office < p.shirk_threshold)).astype(np.int8)
    s.shirk_days = (s.office_shirk_days + d * (s.effort_remote < p.shirk_threshold)).astype(np.int8)
    # how far below the threshold: the output gap a check can see (0 = none, 1 = idle)
    depth_office = np.clip(1.0 - s.effort_office / p.shirk_threshold, 0.0, 1.0)
    depth_remote = np.clip(1.0 - s.effort_remote / p.shirk_threshold, 0.0, 1.0)
    s.office_shortfall = (office_days * depth_office / 5.0).astype(F)
    s.shortfall = (s.office_shortfall + d * depth_remote / 5.0).astype(F)
    s.effort = ((office_days * s.effort_office + d * s.effort_remote) / 5.0).astype(F)
