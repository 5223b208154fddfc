"""Reference implementation of flexisim in plain Mesa: one Python object per agent.

It implements the equations of docs/ODD.md §7 a second time, independently of the columnar
engine (flexisim/mechanisms/), the way a Mesa tutorial would: every civil servant, leader and
citizen is a ``mesa.Agent`` with scalar attributes and one method per mechanism, stepped
through ``AgentSet.do``. It shares with flexisim only its inputs -- the scenario and
calibration files (``flexisim.scenario``, ``make_params``), the initial population
(``build_population`` + ``apply_levers``, whose rows are turned into agents) -- and, from the
registry of mechanisms, the weekly order and the names of the random streams: ``step`` runs
:data:`ORACLE` in the registry's order, so a mechanism added to the registry without its
counterpart here fails loudly (the one deliberate extra place a new mechanism touches).

Update semantics are those of the engine: within a mechanism every agent reads the state left
by the previous mechanism (aggregates such as the agency's peer effort, the team's remote
share and doubt, frontline capacity and the ties' trust are computed before the agents act);
last week's values where ODD §3 says so.

Randomness: each mechanism draws from its own ``random.Random``, seeded from the run's
stream of the same name (``flexisim.streams``), in agent order. The draw pattern differs from
the engine's counter-based uniforms (ODD §8), so the two agree in distribution, not run by
run: tests/test_oracle.py compares the means of the summary outputs over replications. The
office-only twin is a second ``ReferenceModel`` with ``flexiwork_enabled=False`` and the same
seed. Used as the oracle (tests/test_oracle.py) and
as the baseline of the speed-up figure (benchmarks/run_all.py).
"""

from __future__ import annotations

import math
import random
from typing import Any

import mesa
import numpy as np

from flexisim import streams
from flexisim.mechanisms.registry import STEP
from flexisim.mechanisms.setup import TRAINING_LITERACY, apply_levers
from flexisim.metrics import COUNTERFACTUAL_OF, summarize
from flexisim.params import make_params
from flexisim.population import (
    FRONTLINE,
    JOB_FAMILIES,
    OFFSITE,
    REFERENCE_REGION,
    build_population,
    tables,
)
from flexisim.scenario import Scenario, load_scenario

WEEKS = 52.0
COMMUNICATION = ("silent", "reactive", "proactive")


def clip01(x: float) -> float:
    return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def uniform_noise(rnd, sd: float) -> float:
    """Zero-mean uniform noise with standard deviation ``sd`` (as the engine's)."""
    return (2.0 * rnd.random() - 1.0) * sd * math.sqrt(3.0)



def best_of(n: float) -> float:
    """Mean standard score of the best of n normal applicants (0 for n <= 1)."""
    from statistics import NormalDist

    if n <= 1.0:
        return 0.0
    z = NormalDist().inv_cdf(1.0 - 1.0 / n)
    return NormalDist().pdf(z) * n

class LeaderAgent(mesa.Agent):
    """A structural official leading one team; keeps the team's aggregates of the week."""

    def __init__(self, model: ReferenceModel, agency: int, trained: bool,
                 **latents: float) -> None:
        super().__init__(model)
        self.agency, self.trained, self.schooled = agency, trained, False
        # style, mode and literacy draws (ODD 7.9: drawn again for a new leader)
        self.style_latent = latents["style_latent"]
        self.training_latent = latents["training_latent"]
        self.mode_latent = latents["mode_latent"]
        self.digital_literacy = latents["digital_literacy"]
        self.drift = 0.0
        self.capacity = 1.0 if trained else 0.0  # trained before the run: in full effect
        self.set_attributes()
        self.team: list[CivilServant] = []
        self.team_remote = 0.0
        self.team_time = 0.0
        self.team_doubt = 1.0

    def set_attributes(self) -> None:
        """Style, oversight mode and literacy from the draws and the levers (ODD 7.0, 7.9)."""
        p = self.model.p
        self.style = clip01(p.trust_culture + (self.style_latent - 0.5) * 0.5 + self.drift)
        self.results_based = self.mode_latent < p.results_based_share
        self.literacy = clip01(self.digital_literacy + TRAINING_LITERACY * self.capacity)

    def change_hands(self) -> None:
        """Turnover: the post gets a new leader with chance turnover / 52 this week."""
        p, rnd = self.model.p, self.model.rand["leadership"]
        u = [rnd.random() for _ in range(6)]
        self.appointed = u[0] < p.leader_turnover_annual / WEEKS
        if not self.appointed:
            return
        self.style_latent, self.training_latent, self.mode_latent = u[1], u[2], u[3]
        z = math.sqrt(-2.0 * math.log(max(u[4], 1e-7))) * math.cos(2.0 * math.pi * u[5])
        self.digital_literacy = clip01(0.55 + 0.2 * z)
        self.drift, self.schooled = 0.0, False
        self.trained = self.training_latent < p.training_share
        self.capacity = 1.0 if self.trained else 0.0
        for s in self.team:  # the new leader does not know the team yet
            s.belief, s.trust_in_leader = 0.5, 0.7
        self.set_attributes()

    def learn_from_the_week(self) -> None:
        """A flexible team teaches style: the week's change of the mean belief in it."""
        p = self.model.p
        active = [s for s in self.team if s.active]
        if active:
            now = sum(s.belief for s in active) / len(active)
            self.drift += p.style_learning * self.team_remote * (now - (1.0 - self.team_doubt))
            self.set_attributes()

    def practise(self) -> None:
        """Training takes effect over training_build_weeks."""
        p = self.model.p
        if self.trained:
            self.capacity = min(1.0, self.capacity + 1.0 / p.training_build_weeks)
        self.set_attributes()

    def compute_team_remote(self) -> None:
        active = [s for s in self.team if s.active]
        self.team_remote = (sum(s.flex_days for s in active) / 5.0 / len(active)) if active else 0.0
        # shifts and dynamic hours: the share of the team working hours apart (ODD 7.10)
        self.team_time = (sum(s.on_time_flex() for s in active) / len(active)) if active else 0.0

    def compute_team_doubt(self) -> None:
        active = [s for s in self.team if s.active]
        self.team_doubt = (sum(1.0 - s.belief for s in active) / len(active)) if active else 1.0


class CivilServant(mesa.Agent):
    """A civil servant (a post that a recruit refills), with one method per mechanism."""

    def __init__(self, model: ReferenceModel, **attributes: Any) -> None:
        super().__init__(model)
        self.__dict__.update(attributes)

    def on_time_flex(self) -> bool:
        """On shifts or dynamic hours (ODD 7.10): the draw below the share, with flexiwork."""
        p = self.model.p
        return bool(p.flexiwork_enabled and self.time_latent < p.time_flexibility)

    # -------------------------------------------------------------- 1. eligibility
    def decide_eligibility(self) -> None:
        m, p = self.model, self.model.p
        if not p.flexiwork_enabled:
            self.eligible = self.approved = False
            return
        ict = self.ict_latent < m.ict_share(self.job)
        ok = (self.active and JOB_FAMILIES[self.job] in p.eligible_families and ict
              and self.discipline_left == 0)
        decree = m.decree[self.agency]
        if not decree:  # a request's individual criteria (a decree sends everyone who can)
            ok = ok and self.tenure >= p.min_tenure_years
            if p.require_device:
                ok = ok and self.device
            if p.require_performing:
                ok = ok and self.performing
        self.eligible = ok
        if m.week % p.approval_review_weeks == 0:
            chance = sigmoid(p.approval_slope * (self.belief + 0.5 * self.leader.style
                                                 - p.approval_threshold))
            u = m.rand["eligibility"].random()
            self.approved = ok and (decree or (self.reprimand_left == 0 and u < chance))
        else:
            self.approved = (self.approved or decree) and ok

    # -------------------------------------------------------------- 2. work mode
    def request_days(self) -> None:
        m, p = self.model, self.model.p
        u = m.rand["workmode"].random()
        self.priority = self.belief + 1e-3 * u
        if not p.flexiwork_enabled or not self.active:
            self.flex_days = 0
            return
        allowed = (5 if self.job == OFFSITE else p.max_flex_days) if self.approved else 0
        frustration = 1.0 - (self.internet if self.device else 0.0)
        visibility = (0.0 if self.leader.results_based else 1.0) * (1.0 - self.leader.style)
        logit = (p.day_base + p.day_pref * (self.flex_preference - 0.5)
                 - p.day_visibility * visibility - p.day_frustration * frustration
                 + p.day_slack * (m.mean_motivation - self.motivation))
        if m.decree[self.agency]:
            share = 1.0  # assigned, not chosen
        elif self.flex_preference < p.nonuser_preference:
            share = 0.0  # a persistent non-user
        else:
            share = sigmoid(logit)
        self.flex_days = int(math.floor(allowed * share + u))

    # -------------------------------------------------------------- 2b. signalling
    def receive_signal(self) -> None:
        p, L = self.model.p, self.leader
        days = self.job == OFFSITE or p.max_flex_days > 0  # a grant of zero days is none
        self.grant_signal = (p.grant_signal * L.style * self.belief * self.trust_in_leader
                             if self.approved and days else 0.0)

    # -------------------------------------------------------------- 3. effort
    def choose_effort(self) -> None:
        m, p, L = self.model, self.model.p, self.leader
        tp = p.true_positive_base + (1.0 - p.true_positive_base) * self.credibility
        catch_remote = self.verification * tp
        presence = 0.0 if L.results_based else p.presence_deterrence
        catch_office = 1.0 - (1.0 - catch_remote) * (1.0 - presence)
        severity = p.severity_floor + (1.0 - p.severity_floor) * p.sanction_severity
        control = ((1.0 - L.style) * (0.5 + 0.5 * (not L.results_based))
                   * (1.0 - 0.5 * L.capacity)
                   + 0.5 * self.verification * (1.0 - L.style) * (1.0 - L.capacity))
        reciprocity = L.style * self.belief * self.trust_in_leader
        own = (self.motivation - p.effort_crowding * control * self.control_sensitivity
               + p.effort_reciprocity * reciprocity + self.grant_signal - p.temptation_office)
        peer = m.peer_effort[self.agency]
        mix = 1.0 - p.effort_peer
        office = (mix * (own + p.effort_deterrence * severity * catch_office)
                  + p.effort_peer * peer + uniform_noise(m.rand["effort"], p.effort_noise))
        remote = (mix * (own + p.effort_deterrence * severity * catch_remote - p.temptation_remote)
                  + p.effort_peer * peer + uniform_noise(m.rand["effort"], p.effort_noise))
        self.effort_office, self.effort_remote = clip01(office), clip01(remote)
        d = self.flex_days
        office_days = (5 - d) if self.active else 0
        thr = p.shirk_threshold
        self.office_shirk_days = office_days if self.effort_office < thr else 0
        self.shirk_days = self.office_shirk_days + (d if self.effort_remote < thr else 0)
        self.office_shortfall = office_days * clip01(1.0 - self.effort_office / thr) / 5.0
        self.shortfall = self.office_shortfall + d * clip01(1.0 - self.effort_remote / thr) / 5.0
        self.effort = (office_days * self.effort_office + d * self.effort_remote) / 5.0

    # -------------------------------------------------------------- 4. production
    def produce(self) -> None:
        m, p, L = self.model, self.model.p, self.leader
        luck = 1.0 + uniform_noise(m.rand["production"], 0.05)
        d = self.flex_days
        remote_share = d / 5.0
        apart = L.team_remote + min(p.off_core_hours / 8.0, 1.0) * L.team_time
        coord = (p.coordination_loss * self.collaboration * apart
                 * (1.0 - p.platform_coordination * m.platform)
                 * (1.0 - p.literacy_coordination * L.literacy))
        infra = (1.0 - p.internet_penalty * (1.0 - self.internet)) if self.device \
            else p.no_device_factor
        productivity = (1.0 + p.remote_gain) * infra * (1.0 - p.skill_penalty * (1.0 - self.skill))
        self.remote_productivity = productivity  # also what a flexible frontline day serves online
        office = self.ability * self.effort_office * (1.0 - 0.5 * coord)
        remote = self.ability * self.effort_remote * productivity * (1.0 - coord)
        self.coordination = coord
        own_hours = 1.0 + p.time_productivity * self.on_time_flex()
        self.output = (max(luck, 0.0) * ((5 - d) * office + d * remote) * own_hours
                       if self.active else 0.0)
        self.quality = clip01(p.quality_base + (1.0 - p.quality_base) * self.effort
                              - coord * remote_share)
        weak_link = ((1.0 - self.internet) if self.device else 1.0) * remote_share
        self.on_time = clip01(0.5 + 0.5 * self.effort - p.timeliness_coordination * coord
                              - 0.3 * weak_link)

    # -------------------------------------------------------------- 5. oversight
    def be_overseen(self) -> None:
        m, p, L = self.model, self.model.p, self.leader
        rnd = m.rand["oversight"]
        u0, u1, u2, u3, u5 = (rnd.random(), rnd.random(), rnd.random(), rnd.random(),
                              rnd.random())
        z = uniform_noise(rnd, 1.0)
        cred = self.credibility
        measured = (self.output * self.quality * (1.0 + p.measurement_noise * (1.0 - cred) * z)
                    + p.gaming * (1.0 - cred) * (self.shirk_days / 5.0) * self.ability * 5.0)
        self.measured = max(measured, 0.0) if self.active else 0.0
        # a partly trained leader targets checks partly (ODD 7.9: training builds)
        targeted = clip01(p.verification_rate * (1.0 - self.belief) / max(L.team_doubt, 1e-6))
        self.verification = p.verification_rate + L.capacity * (targeted - p.verification_rate)
        verified = self.active and u0 < self.verification
        shirker = self.shirk_days > 0
        tp = p.true_positive_base + (1.0 - p.true_positive_base) * cred
        p_flag = tp * self.shortfall if shirker else p.false_positive_max * (1.0 - cred)
        flag = verified and u1 < p_flag
        flag = flag or (self.active and not L.results_based
                        and u2 < p.presence_detection * self.office_shortfall)
        if flag and not shirker and u3 < cred * L.capacity:
            flag = False
        clean = verified and not flag
        b = (self.belief + p.belief_gain * clean * (1.0 - self.belief)
             - p.belief_loss * flag * self.belief)
        unseen = self.flex_days * (not L.results_based) * (1.0 - L.style) * (1.0 - L.capacity)
        self.belief = clip01(b - p.visibility_bias * unseen)
        control_leader = L.style < 0.5 and L.capacity < 0.5
        reprimand = flag and (control_leader or self.belief < p.belief_sanction)
        self.detected = reprimand and shirker
        self.falsely_accused = reprimand and not shirker
        # a repeated offence may go to formal discipline (PP 94/2021)
        self.disciplined = (reprimand and shirker and self.reprimand_left > 0
                            and u5 < p.discipline_escalation)
        self.discipline_left = (int(p.discipline_weeks) if self.disciplined
                                else max(self.discipline_left - 1, 0))
        self.reprimand_left = p.sanction_weeks if reprimand else max(self.reprimand_left - 1, 0)
        self.approved = self.approved and not reprimand
        self.motivation = clip01(self.motivation
                                 + p.morale_recovery * (self.motivation_base - self.motivation)
                                 - p.false_accusation_morale * self.falsely_accused)
        self.trust_in_leader = clip01(
            self.trust_in_leader
            + p.morale_recovery * (p.trust_in_leader_base - self.trust_in_leader)
            - p.false_accusation_trust * self.trust_in_leader * self.falsely_accused)

    # -------------------------------------------------------------- 7. workforce
    def live_and_leave(self) -> None:
        m, p = self.model, self.model.p
        u0, u1 = m.rand["workforce"].random(), m.rand["workforce"].random()
        d = self.flex_days / 5.0
        target = (p.wellbeing_base + p.wellbeing_flex * d * (0.5 + self.flex_preference)
                  + p.wellbeing_autonomy * self.leader.style * self.belief
                  - p.wellbeing_sanction * p.sanction_severity
                  * (self.reprimand_left > 0 or self.discipline_left > 0)
                  - p.wellbeing_overload * self.coordination
                  + p.wellbeing_time * self.on_time_flex() * self.flex_preference)
        self.wellbeing = clip01(self.wellbeing + p.wellbeing_rate * (target - self.wellbeing))
        annual = p.quit_pppk_annual if self.pppk else p.quit_pns_annual
        hazard = (annual / WEEKS * math.exp(-p.quit_wellbeing * (self.wellbeing - p.wellbeing_base))
                  * (1.0 - p.quit_flex * d))
        self.intent_to_leave = clip01(hazard * WEEKS)
        self.exited = False
        self.hire = False
        if self.active:
            self.age += 1.0 / WEEKS
            self.tenure += 1.0 / WEEKS
            retire = self.age >= self.retirement_age
            if retire or u0 < hazard:
                self.active = self.approved = False
                self.flex_days = 0
                self.exited = True
                m.exits += 1
        elif u1 < 1.0 / p.hiring_delay_weeks:
            self.hire = True

    def be_recruited(self, shift: tuple[float, float], young: tuple[float, float]) -> None:
        """Refill the post with a recruit drawn like flexisim's (ODD §7.7): ``shift`` and
        ``young`` (the chance of a recruit from under 35) for PNS and PPPK."""
        m, p, t = self.model, self.model.p, tables()
        rnd = m.rand["recruits"]
        self.pppk = rnd.random() < p.pppk_share_of_hires
        if self.pppk:  # the PPPK age bands (piecewise uniform), or their part under 35
            bands = t["pppk_age_bands"]
            total = sum(b[2] for b in bands)
            under = sum(b[2] * min(max((35.0 - b[0]) / (b[1] - b[0]), 0.0), 1.0)
                        for b in bands) / total
            q = rnd.random() * (under if rnd.random() < young[1] else 1.0) * total
            for lo, hi, share in bands:
                if q <= share:
                    self.age = lo + (q / share) * (hi - lo)
                    break
                q -= share
        else:
            lo, hi = t["pns_entry_age"]
            self.age = lo + rnd.random() * (hi - lo)
        self.tenure = 0.0
        self.female = rnd.random() < t["women_share"]
        self.ability = min(max(1.0 + shift[self.pppk] + t["ability_sd"] * rnd.gauss(0, 1), 0.3),
                           2.0)
        a, b = t["motivation_beta"]
        mean, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        self.motivation = self.motivation_base = clip01(mean + sd * rnd.gauss(0, 1))
        sensitive = rnd.random() < t["control_sensitive_share"]
        self.control_sensitivity = 0.5 + 0.5 * rnd.random() if sensitive else 0.2 * rnd.random()
        self.ict_latent = rnd.random()
        self.device_latent = rnd.random()
        self.internet_latent = rnd.gauss(0, 1)
        self.skill_base = (t["digital_skill_mean_age30"]
                           - t["digital_skill_decline_per_year"] * (self.age - 30.0)
                           + 0.15 * rnd.gauss(0, 1))
        self.time_latent = rnd.random()
        self.flex_preference = clip01(0.5 + 0.2 * (self.female and self.age >= 28)
                                      + t["flex_preference_shift"][self.region]
                                      + 0.2 * rnd.gauss(0, 1))
        self.active = True
        self.belief, self.trust_in_leader = 0.5, 0.7
        self.rating, self.performing = 0, False
        self.wellbeing = p.wellbeing_base
        self.effort = self.motivation
        self.reprimand_left = 0
        self.discipline_left = 0
        self.cycle_measured, self.cycle_weeks = 0.0, 0
        m.set_infrastructure(self)

    # -------------------------------------------------------------- 8. appraisal
    def accumulate(self) -> None:
        self.cycle_measured += self.measured
        self.cycle_weeks += 1 if self.active else 0

    def be_rated(self) -> None:
        standard = self.model.p.performing_standard
        if self.active and self.cycle_weeks > 0:
            per_day = self.cycle_measured / self.cycle_weeks / 5.0
            self.rating = 1 + sum(per_day >= b * standard for b in (0.6, 0.8, 1.0, 1.2))
        else:
            self.rating = 0
        self.performing = self.rating >= 4
        self.cycle_measured, self.cycle_weeks = 0.0, 0


class CitizenAgent(mesa.Agent):
    """A citizen served by one regional agency; trust moves with experience and information."""

    def __init__(self, model: ReferenceModel, region: int, agency: int, online: bool,
                 anchor: float, trust: float, digital_user: bool) -> None:
        super().__init__(model)
        self.region, self.agency, self.online = region, agency, online
        self.anchor, self.trust = anchor, trust
        self.digital_user = digital_user
        self.hours_latent = 1.0  # set from the population (cannot come in office hours: low)
        self.ties: list[CitizenAgent] = []
        self.heard = trust

    def listen(self) -> None:
        self.heard = sum(t.trust for t in self.ties) / len(self.ties) if self.ties else 0.0

    def use_service(self) -> None:
        m, p = self.model, self.model.p
        rnd = m.rand["citizens"]
        u0, u1, u2, u3, u4, u5, u6 = (rnd.random() for _ in range(7))
        need = u0 < p.need_rate
        case = need and u5 < p.backoffice_need_share  # casework of the back office
        frontline = need and not case
        digital = frontline and self.online and self.digital_user and u1 < p.digital_channel
        counter = frontline and not digital
        if case:
            well = u2 < math.exp(-m.delay[self.agency] / p.delay_tolerance_weeks)
            score = p.score_well if well else p.score_late
        else:
            avail = (m.digital_availability if digital else m.availability)[self.agency]
            well = u2 < avail
            # an employee who cannot come in office hours is served late unless the
            # extended hours serve them (ODD 7.10)
            if (counter and self.hours_latent < p.after_hours_share
                    and self.hours_latent >= p.after_hours_share * m.cover[self.agency]):
                well = False
            late = not well and u2 < avail + (1.0 - avail) * p.late_share
            best = (max(p.score_well - p.digital_quality_gap * (1.0 - m.platform), 0.0)
                    if digital else p.score_well)
            score = best if well else (p.score_late if late else p.score_unserved)
            if counter and u3 < 1.0 - m.presence[self.agency]:
                score = max(score - p.visibility_penalty * (1.0 - m.soften), 0.0)
                m.saw_empty[self.agency] += 1
            m.visits[self.agency] += counter
        exposed = u4 < m.reach
        t = self.trust
        new = (t + p.trust_experience * need * (score - t) + p.trust_anchor * (self.anchor - t)
               + p.trust_communication * exposed * (m.reported[self.agency] - t)
               + p.trust_word_of_mouth * (self.heard - t)
               - p.scandal_hit * m.region_scandals[self.region]
               - p.perception_weight * m.image_heard[self.region])
        self.trust = clip01(new)
        # the digital channel: adopted at the counter, abandoned after a poor online service
        if (counter and self.online and not self.digital_user
                and u6 < p.digital_adoption * m.platform * m.citizen_skill[self.region]):
            self.digital_user = True
        elif digital and not well and u6 < p.digital_abandon:
            self.digital_user = False
        if need:
            m.needs += 1
            m.satisfaction += score
            m.served_on_time += well


def _poisson(u: float, mean: float) -> int:
    """Poisson count by inverting the CDF at ``u``."""
    k, term = 0, math.exp(-mean)
    cdf = term
    while u > cdf and k < 50:
        k += 1
        term *= mean / k
        cdf += term
    return k


class ReferenceModel(mesa.Model):
    """flexisim's weekly story in plain Mesa agents (same levers, calibration and population).

    Parameters as ``flexisim.FlexiworkModel``: ``scenario``, ``rng`` (the seed),
    ``counterfactual``, ``calibration`` and levers by keyword.
    """

    def __init__(self, *, scenario: Scenario | str | None = None, rng: int = 42,
                 counterfactual: bool = True, calibration: dict | None = None,
                 **levers: Any) -> None:
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.config = base.with_values(source="ReferenceModel(...)", **levers) if levers else base
        super().__init__(rng=int(rng))
        values = self.config.values
        self.p = p = make_params(values, dict(calibration or {}))
        # the same initial population as flexisim (same seed -> same rows), turned into agents
        pop = build_population(values["n_asn"], values["citizens_per_asn"],
                               streams.generator(int(rng), "population"))
        apply_levers(pop, p)
        # one random.Random per stream of the registry (and the recruits'), seeded from it
        self.rand = {name: random.Random(int(streams.seed_sequence(int(rng), name)
                                             .generate_state(1, np.uint64)[0]))
                     for name in (*STEP.names(), "recruits")}
        self.platform = float(pop.platform)
        self.tables = tables()
        self.region_names = pop.region_names
        self.n_regions = len(pop.region_names)
        self.n_agencies = len(pop.agencies)
        # agencies under a decree: the golden-ratio sequence below the mandated share (ODD 7.1)
        self.decree = [math.modf((a + 1) * (math.sqrt(5.0) - 1.0) / 2.0)[0] < p.mandated_share
                       for a in range(self.n_agencies)]
        a, b = self.tables["motivation_beta"]
        self.mean_motivation = a / (a + b)
        self.week = 0
        # the back office and the digital channel (ODD 7.4b, 7.6)
        self.caseload: list[float] | None = None
        self.backlog = [0.0] * self.n_agencies
        self.delay = [0.0] * self.n_agencies
        self.citizen_skill = (1.0 - 0.5 * np.asarray(self.tables["digital_gap"])).tolist()
        # public cases (last week's) and the image of the civil service, per region (ODD 7.6b)
        self.region_scandals = [0] * self.n_regions
        self.perception = [0.0] * self.n_regions
        self.route_cases = [0.0, 0.0, 0.0]
        self.agency_region = pop.agencies.region.tolist()
        # investment (ODD 7.0): what it has built, per agency and region, and the posts
        self.scale = pop.scale
        self.posts = np.diff(pop.agencies.staff_rows).tolist()
        self.credibility_latent = pop.agencies.credibility_latent.tolist()
        self.digital_cover = [0.0] * self.n_agencies
        self.integration_cover = [0.0] * self.n_agencies
        self.access_cover = [0.0] * self.n_regions
        self.costs = {"digital": 0.0, "citizen_access": 0.0, "measurement": 0.0}
        self.training_cost = 0.0

        L = pop.leaders
        self.leader_list = [LeaderAgent(self, int(L.agency[j]), bool(L.trained[j]),
                                        style_latent=float(L.style_latent[j]),
                                        training_latent=float(L.training_latent[j]),
                                        mode_latent=float(L.mode_latent[j]),
                                        digital_literacy=float(L.digital_literacy[j]))
                            for j in range(len(L))]
        s = pop.staff
        columns = ("region", "agency", "job", "collaboration", "ict_latent", "age", "tenure",
                   "pppk", "female", "retirement_age", "ability", "motivation",
                   "motivation_base", "control_sensitivity", "device_latent", "internet_latent",
                   "skill_base", "flex_preference", "time_latent", "device", "internet",
                   "skill", "rating",
                   "performing", "verification", "belief", "trust_in_leader", "wellbeing",
                   "effort", "reprimand_left", "discipline_left", "cycle_measured",
                   "cycle_weeks")
        lists = {c: getattr(s, c).tolist() for c in columns}
        credibility = pop.agencies.credibility.tolist()
        self.staff_list = []
        for i, leader_row in enumerate(s.leader.tolist()):
            attributes = {c: lists[c][i] for c in columns}
            leader = self.leader_list[leader_row]
            agent = CivilServant(
                self, **attributes, leader=leader, credibility=credibility[attributes["agency"]],
                active=True, eligible=False, approved=False, grant_signal=0.0, flex_days=0,
                effort_office=0.0,
                effort_remote=0.0, shirk_days=0, office_shirk_days=0, shortfall=0.0,
                office_shortfall=0.0, output=0.0, quality=0.0, on_time=0.0, coordination=0.0,
                measured=0.0, detected=False, falsely_accused=False, disciplined=False,
                intent_to_leave=0.0, remote_productivity=0.0,
                priority=0.0, exited=False, hire=False)
            leader.team.append(agent)
            self.staff_list.append(agent)
        c = pop.citizens
        online = pop.citizens.online.tolist()
        self.citizen_list = [CitizenAgent(self, int(r), int(ag), bool(on), float(an), float(an),
                                          bool(user))
                             for r, ag, on, an, user in zip(
                                 c.region.tolist(), c.agency.tolist(), online, c.anchor.tolist(),
                                 c.digital_user.tolist(), strict=True)]
        for citizen, latent, hours in zip(self.citizen_list, c.access_latent.tolist(),
                                          c.hours_latent.tolist(), strict=True):
            citizen.access_latent, citizen.hours_latent = latent, hours
        ties = c.ties.tocsr()
        for k, citizen in enumerate(self.citizen_list):
            ends = ties.indptr[k], ties.indptr[k + 1]
            citizen.ties = [self.citizen_list[j] for j in ties.indices[ends[0]:ends[1]]]
        self._count_digital_users()
        self.staff = self.agents_by_type[CivilServant]
        self.leaders = self.agents_by_type[LeaderAgent]
        self.citizens = self.agents_by_type[CitizenAgent]
        # the warm-up: the office-only world for warmup_weeks (weeks -W..-1, ODD §5), here
        # run by each of the two models on its own (same seed, same draws: the same state)
        policy = self.p
        self.p = policy.replace(flexiwork_enabled=False)
        for week in range(-int(values["warmup_weeks"]), 0):
            self.week = week
            self._mechanisms()
        self.p = policy
        self.week = 0
        self.public_trust_start = (100.0 * sum(x.trust for x in self.citizen_list)
                                   / len(self.citizen_list))
        self.rows: list[dict[str, float]] = []
        self.metrics: dict[str, float] = {}
        self.counterfactual = None
        if counterfactual and values["flexiwork_enabled"]:
            self.counterfactual = ReferenceModel(
                scenario=self.config.with_values(source="counterfactual", flexiwork_enabled=False),
                rng=rng, counterfactual=False, calibration=calibration)

    # ------------------------------------------------------------------ helpers
    def ict_share(self, job: int) -> float:
        """Share of a job family's work doable with ICT; frontline work's is a lever."""
        return (self.p.frontline_digital_share if JOB_FAMILIES[job] == "frontline"
                else self.tables["ict_doable"][job])

    def today_levels(self, region: int) -> tuple[float, float, float]:
        """A region's gap, device access and internet quality without investment."""
        p = self.p
        gap = min(max(p.regional_gap * self.tables["digital_gap"][region], 0.0), 1.0)
        return gap, p.device_access * (1.0 - gap), p.internet_quality * (1.0 - gap)

    def set_infrastructure(self, agent: CivilServant) -> None:
        """A person's device, internet and skill under today's regional levels and their
        agency's investment cover (ODD §7.0)."""
        gap, device, internet = self.today_levels(agent.region)
        closed = self.digital_cover[agent.agency]
        agent.device = agent.device_latent < device + (1.0 - device) * closed
        agent.internet = clip01(internet + (1.0 - internet) * closed
                                + 0.1 * agent.internet_latent)
        agent.skill = clip01(agent.skill_base - 0.5 * gap * (1.0 - closed))

    def _agency_mean(self, attribute: str) -> list[float]:
        total = [0.0] * self.n_agencies
        count = [0] * self.n_agencies
        for s in self.staff_list:
            if s.active:
                total[s.agency] += getattr(s, attribute)
                count[s.agency] += 1
        return [t / n if n else 0.0 for t, n in zip(total, count, strict=True)]

    def _ration(self) -> None:
        """Agency quota and frontline floor: priority queues per agency (ODD §7.2)."""
        p = self.p
        groups: dict[int, list[CivilServant]] = {}
        for s in self.staff_list:
            groups.setdefault(s.agency, []).append(s)
        dropped = set()
        for members in groups.values():
            active = [s for s in members if s.active]
            for counts, capacity in (
                    ([s for s in active if s.job != OFFSITE],
                     p.agency_quota * 5.0 * sum(1 for s in active if s.job != OFFSITE)),
                    ([s for s in active if s.job == FRONTLINE],
                     (1.0 - p.min_onsite_frontline) * 5.0
                     * sum(1 for s in active if s.job == FRONTLINE))):
                if sum(s.flex_days for s in counts) <= capacity + 1e-9:
                    continue
                used = 0.0
                for s in sorted(counts, key=lambda a: -a.priority):
                    used += s.flex_days
                    if s.flex_days and used > capacity + 1e-9:
                        dropped.add(s)
        for s in dropped:
            s.flex_days = 0

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        if self.counterfactual is not None:
            self.counterfactual.step()
        self.week = self.steps - 1
        self._mechanisms()
        self._collect(self.hires, self.recruit_ability)

    def _mechanisms(self) -> None:
        self.hires, self.recruit_ability = 0, float("nan")
        for name in STEP.names():  # the registry's order; each mechanism's own method here
            if name not in ORACLE:
                raise NotImplementedError(f"the plain-Mesa oracle has no counterpart of the "
                                          f"mechanism {name!r} (add it to ORACLE)")
            ORACLE[name](self)

    # ------------------------------------------------------------------ the mechanisms
    @staticmethod
    def _fill(budget: float, need: list[float], weight: float) -> list[float]:
        """Shares of each need a budget sustains, min(1, lam x weight), by bisection on lam
        (every agency has the same weight here: the oracle has no agency levers)."""
        if budget <= 0 or weight <= 0 or sum(need) <= 0:
            return [0.0] * len(need)
        if budget >= sum(need):
            return [1.0 if n > 0 else 0.0 for n in need]
        lo, hi = 0.0, 1.0 / weight
        for _ in range(200):
            lam = 0.5 * (lo + hi)
            if sum(n * min(1.0, lam * weight) for n in need) < budget:
                lo = lam
            else:
                hi = lam
        return [min(1.0, 0.5 * (lo + hi) * weight) if n > 0 else 0.0 for n in need]

    def _invest(self) -> None:
        """Budgets build the staff's digital cover, citizens' access and agencies'
        integration, each a 1 / build-weeks step toward what the budget sustains (ODD §7.0)."""
        p, t = self.p, self.tables
        self.costs = {"digital": 0.0, "citizen_access": 0.0, "measurement": 0.0}
        self.training_cost = 0.0  # booked by the leadership step
        if self.week < 0:
            return
        # staff: devices, connections and platform seats, agency by agency (posts)
        if p.digital_budget > 0 or any(self.digital_cover):
            per_person = []
            for r in range(self.n_regions):
                _, device, internet = self.today_levels(r)
                per_person.append((1.0 - device) * p.device_cost / p.device_life_years
                                  + (1.0 - internet) * p.connection_cost
                                  + (1.0 - p.platform_quality) * p.platform_seat_cost)
            need = [self.posts[a] * self.scale * per_person[self.agency_region[a]] / 1000.0
                    for a in range(self.n_agencies)]
            target = self._fill(p.digital_budget, need, p.investment_priority)
            for a in range(self.n_agencies):
                self.digital_cover[a] = min(self.digital_cover[a] + (
                    target[a] - self.digital_cover[a]) / p.infrastructure_build_weeks, target[a])
            self.costs["digital"] = sum(
                c * n for c, n in zip(self.digital_cover, need, strict=True)) / WEEKS
            for s in self.staff_list:
                self.set_infrastructure(s)
            mean = (sum(c * n for c, n in zip(self.digital_cover, self.posts, strict=True))
                    / sum(self.posts))
            self.platform = p.platform_quality + (1.0 - p.platform_quality) * mean
        # citizens: internet access, region by region
        if p.citizen_access_budget > 0 or any(self.access_cover):
            per_citizen = t["national_population"] / len(self.citizen_list)
            counts = [0] * self.n_regions
            for c in self.citizen_list:
                counts[c.region] += 1
            need = [counts[r] * per_citizen * (1.0 - t["citizen_internet"][r])
                    * p.citizen_access_cost / 1000.0 for r in range(self.n_regions)]
            target = self._fill(p.citizen_access_budget, need, 1.0)
            for r in range(self.n_regions):
                self.access_cover[r] = min(self.access_cover[r] + (
                    target[r] - self.access_cover[r]) / p.citizen_access_build_weeks, target[r])
            self.costs["citizen_access"] = sum(
                c * n for c, n in zip(self.access_cover, need, strict=True)) / WEEKS
            self.citizen_skill = [
                1.0 - 0.5 * g * (1.0 - e)
                for g, e in zip(t["digital_gap"], self.access_cover, strict=True)]
            for c in self.citizen_list:
                internet = t["citizen_internet"][c.region]
                c.online = c.access_latent < internet + (1.0 - internet) * self.access_cover[
                    c.region]
        # agencies: e-Kinerja integrated with planning and budgeting
        if p.measurement_budget > 0 or any(self.integration_cover):
            need = [self.posts[a] * self.scale * (1.0 - p.planning_integration)
                    * p.integration_cost / 1000.0 for a in range(self.n_agencies)]
            target = self._fill(p.measurement_budget, need, p.investment_priority)
            credibility = []
            for a in range(self.n_agencies):
                self.integration_cover[a] = min(self.integration_cover[a] + (
                    target[a] - self.integration_cover[a]) / p.integration_build_weeks,
                    target[a])
                base = clip01(p.measurement_credibility + 0.08 * self.credibility_latent[a])
                integration = (p.planning_integration
                               + (1.0 - p.planning_integration) * self.integration_cover[a])
                credibility.append(clip01(base + 0.3 * integration * (1.0 - base)))
            self.costs["measurement"] = sum(
                c * n for c, n in zip(self.integration_cover, need, strict=True)) / WEEKS
            for s in self.staff_list:
                s.credibility = credibility[s.agency]

    def _eligibility(self) -> None:
        self.staff.do("decide_eligibility")

    def _work_mode(self) -> None:
        self.staff.do("request_days")
        if self.p.flexiwork_enabled:
            self._ration()

    def _signalling(self) -> None:
        self.staff.do("receive_signal")

    def _effort(self) -> None:
        self.peer_effort = self._agency_mean("effort")  # last week's effort
        self.staff.do("choose_effort")

    def _production(self) -> None:
        self.leaders.do("compute_team_remote")
        self.staff.do("produce")

    def _oversight(self) -> None:
        self.leaders.do("compute_team_doubt")
        self.staff.do("be_overseen")

    def _workforce(self) -> None:
        p = self.p
        self.exits = 0
        self.staff.do("live_and_leave")
        hires = [s for s in self.staff_list if s.hire]
        if hires:
            active = [s for s in self.staff_list if s.active]
            offer = 0.0
            if p.flexiwork_enabled and active:
                offer = min(1.0, sum(s.flex_days for s in active) / len(active) / 2.0)
            # a pool grown by the value of flexibility; the best of n by a valid test
            grow = 1.0 + p.applicant_elasticity * p.pool_flex_wage * offer
            base = p.pool_attractiveness * (p.recruitment_attractiveness - 0.5)
            shift, young = [], []
            for today in (p.applicants_per_post_pns, p.applicants_per_post_pppk):
                shift.append(base + self.tables["ability_sd"] * p.selection_validity
                             * (best_of(today * grow) - best_of(today)))
                young.append(p.pool_young_tilt * (1.0 - 1.0 / grow))
            for s in hires:
                s.be_recruited(tuple(shift), tuple(young))
            self.recruit_ability = sum(s.ability for s in hires) / len(hires)
        self.hires = len(hires)

    def _appraisal(self) -> None:
        self.staff.do("accumulate")
        if (self.week + 1) % self.p.appraisal_weeks == 0:
            self.staff.do("be_rated")

    def _leadership(self) -> None:
        p = self.p
        self.leaders.do("learn_from_the_week")
        self.leaders.do("change_hands")
        if self.week >= 0 and p.training_capacity > 0:  # seats from the first policy week
            per_week = p.training_capacity * len(self.leader_list) / WEEKS
            seats = int(math.floor(per_week * (self.week + 1)) - math.floor(per_week * self.week))
            waiting = sorted((L for L in self.leader_list if not L.trained),
                             key=lambda L: L.training_latent)
            for L in waiting[:seats]:
                L.trained = L.schooled = True
        if self.week >= 0:  # a seat's price spread over the years in post (ODD 7.9)
            rate = max(p.leader_turnover_annual, 0.1) / WEEKS
            self.training_cost = (sum(L.schooled for L in self.leader_list) * self.scale
                                  * p.training_seat_cost * rate / 1000.0)
        self.leaders.do("practise")

    def _serve_citizens(self) -> None:
        p = self.p
        n_ag = self.n_agencies
        capacity, front, present = [0.0] * n_ag, [0] * n_ag, [0.0] * n_ag
        shifts = [0.0] * n_ag
        online = [0.0] * n_ag
        measured, heads = [0.0] * n_ag, [0] * n_ag
        detected, heads_r = [0] * self.n_regions, [0] * self.n_regions
        for s in self.staff_list:
            measured[s.agency] += s.measured
            detected[s.region] += s.detected
            if s.active:
                heads[s.agency] += 1
                heads_r[s.region] += 1
                if s.job == FRONTLINE:
                    onsite = 5 - s.flex_days
                    capacity[s.agency] += onsite * s.effort_office * s.ability
                    # flexible frontline days serve the digital channel
                    online[s.agency] += (s.flex_days * s.effort_remote * s.ability
                                         * s.remote_productivity)
                    front[s.agency] += 1
                    present[s.agency] += onsite
                    shifts[s.agency] += s.on_time_flex() * onsite / 5.0
        # each agency's demand, a share online (last week's digital users); on-site staff
        # serve both channels, staff away only the digital one (ODD 7.6)
        kappa = 1.0 - p.digital_automation * self.platform
        self.availability, self.digital_availability = [], []
        # shifts staff extended hours for the after-hours demand; beyond it the core is
        # short (ODD 7.10)
        h, hours = p.after_hours_share, min(p.off_core_hours / 8.0, 1.0)
        self.cover, core = [0.0] * n_ag, [1.0] * n_ag
        for a in range(n_ag):
            moved = shifts[a] / front[a] * hours if front[a] else 0.0
            if h > 0 and hours > 0:
                self.cover[a] = min(1.0, moved / h)
                core[a] = (1.0 - moved) / (1.0 - h) if moved > h else 1.0
            capacity[a] *= core[a]
        for a in range(n_ag):
            demand = 5.0 * front[a] * p.service_norm
            d = self.digital_share[a]
            at_counter, on_line = (1.0 - d) * demand, d * demand * kappa
            common = (min(1.0, (capacity[a] + online[a]) / (at_counter + on_line))
                      if at_counter + on_line > 0 else 1.0)
            if online[a] >= common * on_line:
                self.availability.append(min(1.0, capacity[a] / at_counter) if at_counter > 0
                                         else 1.0)
                self.digital_availability.append(min(1.0, online[a] / on_line) if on_line > 0
                                                 else 1.0)
            else:
                self.availability.append(common)
                self.digital_availability.append(common)
        self.presence = [core[a] * present[a] / (5.0 * front[a]) if front[a] else 1.0
                         for a in range(n_ag)]
        total_front = sum(front)
        self.presence_overall = sum(present) / (5.0 * total_front) if total_front else 1.0
        policy = COMMUNICATION.index(p.communication_policy)
        self.soften = (p.comm_soften_silent, p.comm_soften_reactive,
                       p.comm_soften_proactive)[policy]
        self.reach = (p.comm_reach_silent, p.comm_reach_reactive, p.comm_reach_proactive)[policy]
        self.reported = [clip01(0.5 * measured[a] / (5.0 * max(heads[a], 1)) / p.report_reference)
                         for a in range(n_ag)]
        # what the public may see this week: frontline idling, shirking away from the office
        self.idle_share = [0.0] * n_ag
        self.away_shirk_r = [0.0] * self.n_regions
        for s in self.staff_list:
            if s.active:
                if s.job == FRONTLINE:
                    self.idle_share[s.agency] += s.office_shirk_days / (5.0 * front[s.agency])
                self.away_shirk_r[s.region] += s.shirk_days - s.office_shirk_days
        self.detected_r, self.heads_r = detected, heads_r
        # the image heard: the region's and the nation's
        n_c = [0] * self.n_regions
        for c in self.citizen_list:
            n_c[c.region] += 1
        national = sum(x * n for x, n in zip(self.perception, n_c, strict=True)) / max(sum(n_c), 1)
        self.image_heard = [p.perception_regional * x + (1.0 - p.perception_regional) * national
                            for x in self.perception]
        self.visits, self.saw_empty = [0] * n_ag, [0] * n_ag
        self.needs, self.satisfaction, self.served_on_time = 0, 0.0, 0
        self.citizens.do("listen")  # everyone hears last week's trust first
        self.citizens.do("use_service")
        self._count_digital_users()

    def _perception(self) -> None:
        """Public cases by route and the image of an absent civil service (ODD 7.6b)."""
        p, R = self.p, range(self.n_regions)
        rnd = self.rand["perception"]
        n_c, visits, empty = [0] * self.n_regions, [0.0] * self.n_regions, [0.0] * self.n_regions
        idle_seen = [0.0] * self.n_regions
        for c in self.citizen_list:
            n_c[c.region] += 1
        for a in range(self.n_agencies):
            r = self.agency_region[a]
            visits[r] += self.visits[a]
            empty[r] += self.saw_empty[a]
            idle_seen[r] += self.visits[a] * self.idle_share[a]
        rates = [[p.media_scrutiny * 100.0 * self.detected_r[r] / max(self.heads_r[r], 1)
                  for r in R],
                 [p.observation_publicity * 100.0 * idle_seen[r] / max(n_c[r], 1) for r in R],
                 [p.press_scrutiny * 100.0 * self.away_shirk_r[r] / (5.0 * max(self.heads_r[r], 1))
                  for r in R]]
        cases = [[_poisson(rnd.random(), rate) for rate in route] for route in rates]
        self.route_cases = [float(sum(route)) for route in cases]
        self.region_scandals = [sum(route[r] for route in cases) for r in R]
        agencies = [0] * self.n_regions
        reported = [0.0] * self.n_regions
        for a in range(self.n_agencies):
            agencies[self.agency_region[a]] += 1
            reported[self.agency_region[a]] += self.reported[a]
        for r in R:
            absent = empty[r] / visits[r] if visits[r] else 0.0
            results = max(reported[r] / max(agencies[r], 1) - 0.5, 0.0)
            self.perception[r] = clip01((1.0 - p.perception_decay) * self.perception[r]
                                        + p.perception_absence * (1.0 - self.soften) * absent
                                        + p.perception_news * self.region_scandals[r]
                                        - p.perception_results * self.reach * results)

    def _count_digital_users(self) -> None:
        """Next week's share of each agency's frontline needs that come online."""
        users, n = [0] * self.n_agencies, [0] * self.n_agencies
        for c in self.citizen_list:
            users[c.agency] += c.online and c.digital_user
            n[c.agency] += 1
        self.digital_share = [self.p.digital_channel * u / max(k, 1)
                              for u, k in zip(users, n, strict=True)]

    def _backoffice(self) -> None:
        """The casework citizens wait for (ODD 7.4b): handled out of the back office's output
        on time; the caseload set before the policy, the backlog and the delay."""
        p = self.p
        work = [0.0] * self.n_agencies
        for s in self.staff_list:
            if s.active and s.job != FRONTLINE:
                work[s.agency] += s.output * s.on_time
        if self.caseload is None:  # the usual casework: effort = motivation
            usual = [0.0] * self.n_agencies
            for s in self.staff_list:
                if s.active and s.job != FRONTLINE:
                    m = s.motivation
                    usual[s.agency] += 5.0 * s.ability * m * (0.5 + 0.5 * m)
            self.caseload = [p.backoffice_utilisation * u for u in usual]
        for a in range(self.n_agencies):
            if self.week < 0:  # the warm-up: settles over a quarter to the office's casework
                self.caseload[a] += (p.backoffice_utilisation * work[a] - self.caseload[a]) / 13.0
            handled = min(self.backlog[a] + self.caseload[a], work[a])
            self.backlog[a] += self.caseload[a] - handled
            self.delay[a] = self.backlog[a] / self.caseload[a] if self.caseload[a] > 0 else 0.0

    def _collect(self, hires: int, recruit_ability: float) -> None:
        p = self.p
        active = [s for s in self.staff_list if s.active]
        n = max(len(active), 1)

        def mean(values):
            return sum(values) / n

        citizens = self.citizen_list
        east = self.tables["eastern"]
        perf_r = [0.0] * self.n_regions
        heads_r = [0] * self.n_regions
        for s in active:
            perf_r[s.region] += s.output * s.quality / 5.0
            heads_r[s.region] += 1
        perf_r = [perf_r[r] / heads_r[r] if heads_r[r] else 0.0 for r in range(self.n_regions)]
        east_heads = sum(heads_r[r] for r in range(self.n_regions) if east[r])
        east_perf = (sum(perf_r[r] * heads_r[r] for r in range(self.n_regions) if east[r])
                     / max(east_heads, 1))
        jb = perf_r[self.region_names.index(REFERENCE_REGION)]
        self.metrics = {
            "performance": 100.0 * mean(s.output * s.quality / 5.0 for s in active),
            "timeliness": mean(s.on_time for s in active),
            "shirking_rate": mean(s.shirk_days for s in active) / 5.0,
            "detected_shirking_rate": sum(s.detected for s in self.staff_list) / n,
            "false_accusation_rate": sum(s.falsely_accused for s in self.staff_list) / n,
            "reprimanded_share": mean(s.reprimand_left > 0 for s in active),
            "discipline_rate": sum(s.disciplined and s.active for s in self.staff_list) / n,
            "eligible_share": mean(s.eligible for s in active),
            "flex_uptake": mean(s.flex_days > 0 for s in active),
            "mean_flex_days": mean(s.flex_days for s in active),
            "service_availability": self.served_on_time / max(self.needs, 1),
            "citizen_satisfaction": self.satisfaction / self.needs if self.needs else float("nan"),
            "frontline_presence": self.presence_overall,
            "public_trust": 100.0 * sum(c.trust for c in citizens) / len(citizens),
            "share_distrustful": (sum(c.trust < p.distrust_threshold for c in citizens)
                                  / len(citizens)),
            "scandals": float(sum(self.region_scandals)),
            "wellbeing": mean(s.wellbeing for s in active),
            "attrition": self.exits / n,
            "recruits": float(hires),
            "recruit_ability": recruit_ability,
            "active_staff": float(len(active)),
            "share_under_35": mean(s.age < 35 for s in active),
            "share_performing": mean(s.performing for s in active),
            "regional_performance_gap": 100.0 * (jb - east_perf) / jb if jb > 0 else 0.0,
            "backoffice_delay": (sum(d * c for d, c in zip(self.delay, self.caseload, strict=True))
                                 / max(sum(self.caseload), 1e-12)),
            "digital_users": (sum(c.online and c.digital_user for c in citizens)
                              / max(sum(c.online for c in citizens), 1)),
            "perception": (sum(self.perception[c.region] for c in citizens) / len(citizens)),
            "scandals_records": self.route_cases[0],
            "scandals_observed": self.route_cases[1],
            "scandals_press": self.route_cases[2],
            # what the week cost (ODD 7.0b, 7.9), billion rupiah
            "cost_digital": self.costs["digital"],
            "cost_citizen_access": self.costs["citizen_access"],
            "cost_measurement": self.costs["measurement"],
            "cost_training": self.training_cost,
            "investment_budget": ((p.digital_budget + p.citizen_access_budget
                                   + p.measurement_budget) / WEEKS if self.week >= 0 else 0.0),
        }
        twin = self.counterfactual.metrics if self.counterfactual is not None else self.metrics
        for column, output in COUNTERFACTUAL_OF.items():
            self.metrics[column] = twin[output]
        self.rows.append(dict(self.metrics))

    # ------------------------------------------------------------------ results
    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()

    def summary(self) -> dict[str, Any]:
        import pandas as pd

        cf_start = (self.counterfactual.public_trust_start if self.counterfactual is not None
                    else self.public_trust_start)
        return summarize(pd.DataFrame(self.rows), public_trust_start=self.public_trust_start,
                         public_trust_start_counterfactual=cf_start)


#: The oracle's counterpart of each mechanism of the registry, by the registry's name.
ORACLE = {
    "investment": ReferenceModel._invest,
    "eligibility": ReferenceModel._eligibility,
    "workmode": ReferenceModel._work_mode,
    "signalling": ReferenceModel._signalling,
    "effort": ReferenceModel._effort,
    "production": ReferenceModel._production,
    "backoffice": ReferenceModel._backoffice,
    "oversight": ReferenceModel._oversight,
    "citizens": ReferenceModel._serve_citizens,
    "perception": ReferenceModel._perception,
    "workforce": ReferenceModel._workforce,
    "appraisal": ReferenceModel._appraisal,
    "leadership": ReferenceModel._leadership,
}
