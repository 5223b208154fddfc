"""Mechanism 5 -- oversight and measurement: verification, beliefs, sanctions, false accusations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from flexisim.mechanisms.common import uniform_noise
from flexisim.population import F, Population


def oversee(pop: Population, p: SimpleNamespace, rng: np.random.Generator, week: int) -> None:
    """Leaders measure, verify and sanction.

    Measured output = true output-quality x (1 + noise (1 - credibility) z)
    + gaming (1 - credibility) x shirked share x ability (e-Kinerja maturity shrinks both).
    Each leader checks a share ``verification_rate`` of outputs; trained ("trust, but verify")
    leaders target checks at the people they trust least, keeping the same average. A check
    flags a shirker with probability ``tp x shortfall``, where the shortfall is the depth of
    shirking (how far effort fell below the threshold) weighted by the days shirked, and ``tp``
    rises with credibility, and an honest worker with ``fp_max x (1 - credibility)`` (noise). Presence-
    watching leaders also catch office shirkers on their rounds, in proportion to the
    office shortfall. Trained leaders double-check a
    flag and dismiss a false one with probability = credibility. Beliefs rise after clean checks
    and fall after flags; presence-watching control leaders also lose belief for days they do not
    see. Control-style leaders sanction at the first flag; trusting leaders only once their
    belief has fallen below a threshold. A sanction revokes flexibility for ``sanction_weeks``;
    a false accusation also lowers morale (intrinsic motivation) and the person's trust in the
    leader; both recover slowly (``morale_recovery`` a week).
    """
    s = pop.staff
    n = len(s)
    u = rng.random((4, n), dtype=F)
    z = uniform_noise(rng, n, 1.0)
    cred = p.staff_credibility
    shirk_share = s.shirk_days / 5.0
    measured = (s.output * s.quality * (1.0 + p.measurement_noise * (1.0 - cred) * z)
                + p.gaming * (1.0 - cred) * shirk_share * s.ability * 5.0)
    s.measured = (np.maximum(measured, 0.0) * s.active).astype(F)

    # verification: trained leaders target doubt, same average share
    doubt = 1.0 - s.belief
    team_doubt = pop.mean_by(doubt, "leader", empty=1.0)
    targeted = p.verification_rate * doubt / np.maximum(team_doubt[s.leader], 1e-6)
    s.verification = np.where(p.lead_trained, np.clip(targeted, 0.0, 1.0),
                              p.verification_rate).astype(F)
    verified = s.active & (u[0] < s.verification)

    shirker = s.shirk_days > 0
    tp = p.true_positive_base + (1.0 - p.true_positive_base) * cred
    p_flag = np.where(shirker, tp * s.shortfall,
                      p.false_positive_max * (1.0 - cred))
    flag = verified & (u[1] < p_flag)
    flag |= s.active & ~p.lead_results & (u[2] < p.presence_detection * s.office_shortfall)
    flag &= ~(~shirker & p.lead_trained & (u[3] < cred))  # double-checked and dismissed

    clean = verified & ~flag
    belief = s.belief + p.belief_gain * clean * (1.0 - s.belief) - p.belief_loss * flag * s.belief
    unseen = s.flex_days * (~p.lead_results) * (1.0 - p.lead_style) * ~p.lead_trained
    s.belief = np.clip(belief - p.visibility_bias * unseen, 0.0, 1.0).astype(F)

    control_leader = (p.lead_style < 0.5) & ~p.lead_trained
    sanction = flag & (control_leader | (s.belief < p.belief_sanction))
    s.detected = sanction & shirker
    s.falsely_accused = sanction & ~shirker
    s.sanction_left = np.where(sanction, p.sanction_weeks,
                               np.maximum(s.sanction_left - 1, 0)).astype(np.int16)
    s.approved &= ~sanction
    morale = s.motivation + p.morale_recovery * (s.motivation_base - s.motivation)
    morale -= p.false_accusation_morale * s.falsely_accused
    s.motivation = np.clip(morale, 0.0, 1.0).astype(F)
    trust = s.trust_in_leader + p.morale_recovery * (p.trust_in_leader_base - s.trust_in_leader)
    trust -= p.false_accusation_trust * s.trust_in_leader * s.falsely_accused
    s.trust_in_leader = np.clip(trust, 0.0, 1.0).astype(F)
