"""Mechanism 5 -- oversight and measurement: verification, beliefs, reprimands, formal
discipline, false accusations."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flexisim.engine import FIVE, HALF, ONE, TWO, ZERO, clip01, counter_uniform, kernel, week_key
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import F, Population, ViewSpec

VIEW = ViewSpec(
    "oversight",
    reads={"staff": ("active", "leader", "credibility", "output", "quality", "shirk_days",
                     "shortfall", "office_shortfall", "ability", "flex_days", "lead_trained",
                     "lead_results", "lead_style", "motivation_base", "agency"),
           "leaders": ("headcount",), "agencies": ("verification_rate",)},
    writes={"staff": ("measured", "verification", "belief", "detected", "falsely_accused",
                      "reprimand_left", "discipline_left", "disciplined", "approved",
                      "motivation", "trust_in_leader"),
            "leaders": ("team_doubt",)},
    parameters=("measurement_noise", "gaming", "true_positive_base",
                "false_positive_max", "presence_detection", "belief_gain", "belief_loss",
                "visibility_bias", "belief_sanction", "sanction_weeks", "morale_recovery",
                "false_accusation_morale", "false_accusation_trust", "trust_in_leader_base",
                "discipline_escalation", "discipline_weeks", "ch_detection",
                "ch_leader_visibility", "ch_revocation"))


class Terms(NamedTuple):
    z_half_width: np.float32  # measurement noise z is uniform with sd 1: half-width sqrt 3


@kernel(disjoint=True)
def _oversight_rows(key, v, t):
    # float32 throughout (parameters and terms are float32; see engine.compiled.ZERO)
    s, team_doubt, k = v.staff, v.leaders.team_doubt, v.params
    rate = v.agencies.verification_rate  # the agency's share of outputs checked
    tiny = np.float32(1e-6)
    for i in range(len(s.active)):
        # counter-based uniforms u0..u3 and z. Written without short-circuits or conditional
        # stores (every uniform of a row is computed; the values do not depend on which are
        # used), so that the loop vectorises; the results are those of the branching form
        cred = s.credibility[i]
        on = s.active[i]
        z = (TWO * counter_uniform(key, i, 4, 6) - ONE) * t.z_half_width
        m = (s.output[i] * s.quality[i] * (ONE + k.measurement_noise * (ONE - cred) * z)
             + k.gaming * (ONE - cred) * (np.float32(s.shirk_days[i]) / FIVE) * s.ability[i]
             * FIVE)
        s.measured[i] = max(m, ZERO) if on else ZERO

        b = s.belief[i]
        # how far the leader's training has taken effect, 0-1: a partly trained leader
        # targets checks, double-checks flags and discounts unseen days partly
        trained = s.lead_trained[i]
        announced = np.float32(rate[s.agency[i]])
        targeted = clip01(announced * (ONE - b) / max(team_doubt[s.leader[i]], tiny))
        check = targeted if trained >= ONE else announced + trained * (targeted - announced)
        s.verification[i] = check
        verified = on & (counter_uniform(key, i, 0, 6) < check)

        shirker = s.shirk_days[i] > 0
        p_flag = ((k.true_positive_base + (ONE - k.true_positive_base) * cred) * s.shortfall[i]
                  if shirker else k.false_positive_max * (ONE - cred))
        flag = verified & (counter_uniform(key, i, 1, 6) < p_flag)
        watched = (not flag) & on & (not s.lead_results[i])
        # channel "detection": rounds see only the office days (off: every day, as in the office)
        seen = s.shortfall[i] + k.ch_detection * (s.office_shortfall[i] - s.shortfall[i])
        flag = flag | (watched & (counter_uniform(key, i, 2, 6) < k.presence_detection * seen))
        # double-checked and dismissed
        flag = flag & (not ((not shirker) & (counter_uniform(key, i, 3, 6) < cred * trained)))

        clean = verified & (not flag)
        b = b + k.belief_gain * (ONE - b) if clean else (b - k.belief_loss * b if flag else b)
        if not s.lead_results[i]:
            b = b - (ONE - trained) * (k.ch_leader_visibility * k.visibility_bias
                                       * np.float32(s.flex_days[i]) * (ONE - s.lead_style[i]))
        b = clip01(b)
        s.belief[i] = b

        control_leader = (s.lead_style[i] < HALF) & (trained < HALF)
        # a reprimand (teguran): flexibility withdrawn and the allowance cut for a while
        reprimand = flag & (control_leader | (b < k.belief_sanction))
        s.detected[i] = reprimand & shirker
        false = reprimand & (not shirker)
        s.falsely_accused[i] = false
        left = s.reprimand_left[i]
        # formal discipline (PP 94/2021): a repeated offence, reprimanded again while the last
        # reprimand runs, goes to a formal examination with chance discipline_escalation; the
        # examination establishes the facts, so only real shirking is sanctioned formally
        formal = (reprimand & shirker & (left > 0)
                  & (counter_uniform(key, i, 5, 6) < k.discipline_escalation))
        s.disciplined[i] = formal
        d_left = s.discipline_left[i]
        s.discipline_left[i] = (np.int16(k.discipline_weeks) if formal
                                else (d_left - 1 if d_left > 0 else d_left))
        s.reprimand_left[i] = k.sanction_weeks if reprimand else (left - 1 if left > 0 else left)
        # channel "revocation": the reprimand withdraws the approval
        s.approved[i] = s.approved[i] & (not (reprimand & (k.ch_revocation > HALF)))
        mot = s.motivation[i]
        mot = mot + k.morale_recovery * (s.motivation_base[i] - mot)
        trust = s.trust_in_leader[i]
        trust = trust + k.morale_recovery * (k.trust_in_leader_base - trust)
        if false:
            mot -= k.false_accusation_morale
            trust -= k.false_accusation_trust * s.trust_in_leader[i]
        s.motivation[i] = clip01(mot)
        s.trust_in_leader[i] = clip01(trust)


def oversee(pop: Population, p: Params, rng: np.random.Generator, week: int) -> None:
    """Leaders measure, verify, reprimand; repeated offences go to formal discipline.

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
    see. Control-style leaders reprimand at the first flag; trusting leaders only once their
    belief has fallen below a threshold. A reprimand withdraws flexible-work approval and cuts
    the performance allowance for ``sanction_weeks``. A shirker reprimanded again while the
    last reprimand still runs goes to formal discipline (PP 94/2021) with probability
    ``discipline_escalation``: ``discipline_weeks`` under a formal sanction, ineligible for
    flexible work. A false accusation also lowers morale (intrinsic motivation) and the
    person's trust in the leader; both recover slowly (``morale_recovery`` a week).
    Six uniforms per person per week (counter-based on the week's key).
    """
    key = week_key(rng)
    # the team's doubt (1 - mean belief), 1 for a team of nobody
    pop.leaders.team_doubt[:] = 1.0 - pop.mean_by(pop.staff.belief, "leader", empty=0.0)
    _oversight_rows(key, pop.views(VIEW, p), Terms(F(np.sqrt(3.0))))


MECHANISM = Mechanism(VIEW, oversee)
