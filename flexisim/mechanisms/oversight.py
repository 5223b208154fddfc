"""Mechanism 5 -- oversight and measurement: verification, beliefs, sanctions, false accusations."""

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


@njit(**JIT_DISJOINT)
def _oversight_kernel(key, z_half_width, active, leader, team_doubt, credibility, output,
                      quality, shirk_days, shortfall, office_shortfall, ability, flex_days,
                      lead_trained, lead_results, lead_style, measurement_noise, gaming,
                      verification_rate, tp_base, false_positive_max, presence_detection,
                      belief_gain, belief_loss, visibility_bias, belief_sanction,
                      sanction_weeks, morale_recovery, false_accusation_morale,
                      false_accusation_trust, trust_in_leader_base, motivation_base,
                      measured, verification, belief, detected, falsely_accused, sanction_left,
                      approved, motivation, trust_in_leader):
    # float32 throughout (scalars and team means are passed as float32; see fast.ZERO)
    tiny = np.float32(1e-6)
    for i in range(len(active)):
        # counter-based uniforms u0..u3 and z. Written without short-circuits or conditional
        # stores (every uniform of a row is computed; the values do not depend on which are
        # used), so that the loop vectorises; the results are those of the branching form
        cred = credibility[i]
        on = active[i]
        z = (TWO * counter_uniform(key, i, 4, 5) - ONE) * z_half_width
        m = (output[i] * quality[i] * (ONE + measurement_noise * (ONE - cred) * z)
             + gaming * (ONE - cred) * (np.float32(shirk_days[i]) / FIVE) * ability[i] * FIVE)
        measured[i] = max(m, ZERO) if on else ZERO

        b = belief[i]
        trained = lead_trained[i]
        targeted = clip01(verification_rate * (ONE - b) / max(team_doubt[leader[i]], tiny))
        v = targeted if trained else verification_rate
        verification[i] = v
        verified = on & (counter_uniform(key, i, 0, 5) < v)

        shirker = shirk_days[i] > 0
        p_flag = ((tp_base + (ONE - tp_base) * cred) * shortfall[i] if shirker
                  else false_positive_max * (ONE - cred))
        flag = verified & (counter_uniform(key, i, 1, 5) < p_flag)
        watched = (not flag) & on & (not lead_results[i])
        flag = flag | (watched & (counter_uniform(key, i, 2, 5)
                                  < presence_detection * office_shortfall[i]))
        # double-checked and dismissed
        flag = flag & (not ((not shirker) & trained & (counter_uniform(key, i, 3, 5) < cred)))

        clean = verified & (not flag)
        b = b + belief_gain * (ONE - b) if clean else (b - belief_loss * b if flag else b)
        if (not lead_results[i]) & (not trained):
            b = b - visibility_bias * np.float32(flex_days[i]) * (ONE - lead_style[i])
        b = clip01(b)
        belief[i] = b

        control_leader = (lead_style[i] < HALF) & (not trained)
        sanction = flag & (control_leader | (b < belief_sanction))
        detected[i] = sanction & shirker
        false = sanction & (not shirker)
        falsely_accused[i] = false
        left = sanction_left[i]
        sanction_left[i] = sanction_weeks if sanction else (left - 1 if left > 0 else left)
        approved[i] = approved[i] & (not sanction)
        mot = motivation[i]
        mot = mot + morale_recovery * (motivation_base[i] - mot)
        t = trust_in_leader[i]
        t = t + morale_recovery * (trust_in_leader_base - t)
        if false:
            mot -= false_accusation_morale
            t -= false_accusation_trust * trust_in_leader[i]
        motivation[i] = clip01(mot)
        trust_in_leader[i] = clip01(t)


def oversee(pop: Population, p: SimpleNamespace, rng: np.random.Generator, week: int) -> None:
    """Leaders measure, verify and sanction.

    Measured output = true output-quality x (1 + noise (1 - credibility) z)
    + gaming (1 - credibility) x shirked share x ability (e-Kinerja maturity shrinks both).
    Each leader checks a share ``verification_rate`` of outputs; trained ("trust, but verify")
    leaders target checks at the people they trust least, keeping the same average (short of
    it where a targeted share would exceed 1: the surplus is not passed on). A check
    flags a shirker with probability ``tp x shortfall``, where the shortfall is the depth of
    shirking (how far effort fell below the threshold) weighted by the days shirked, and ``tp``
    rises with credibility, and an honest worker with ``fp_max x (1 - credibility)`` (noise).
    Presence-watching leaders also catch office shirkers on their rounds, in proportion to the
    office shortfall. Trained leaders double-check a
    flag and dismiss a false one with probability = credibility. Beliefs rise after clean checks
    and fall after flags; presence-watching control leaders also lose belief for days they do not
    see. Control-style leaders sanction at the first flag; trusting leaders only once their
    belief has fallen below a threshold. A sanction revokes flexibility for ``sanction_weeks``;
    a false accusation also lowers morale (intrinsic motivation) and the person's trust in the
    leader; both recover slowly (``morale_recovery`` a week).
    Five uniforms per person per week (counter-based on the week's key).
    """
    s = pop.staff
    key = week_key(rng)
    # 1 for a team of nobody
    team_doubt = (1.0 - pop.mean_by(s.belief, "leader", empty=0.0)).astype(F)
    args = (key, F(np.sqrt(3.0)), s.active, s.leader, team_doubt, p.staff_credibility,
            s.output, s.quality, s.shirk_days, s.shortfall, s.office_shortfall, s.ability,
            s.flex_days, p.lead_trained, p.lead_results, p.lead_style,
            *(F(v) for v in (p.measurement_noise, p.gaming, p.verification_rate,
                             p.true_positive_base, p.false_positive_max, p.presence_detection,
                             p.belief_gain, p.belief_loss, p.visibility_bias,
                             p.belief_sanction)),
            int(p.sanction_weeks), F(p.morale_recovery), F(p.false_accusation_morale),
            F(p.false_accusation_trust), F(p.trust_in_leader_base), s.motivation_base,
            s.measured, s.verification, s.belief, s.detected, s.falsely_accused,
            s.sanction_left, s.approved, s.motivation, s.trust_in_leader)
    pop.check_disjoint("oversight", args, n_written=9)
    _oversight_kernel(*args)
