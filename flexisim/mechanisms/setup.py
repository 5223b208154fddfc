"""Setting a world up under its levers; the infrastructure and measurement levels under them.

The population holds *latent* draws for every attribute a lever acts on (a uniform for
device access, a style draw per leader...). :func:`apply_levers` maps them through the
levers into the derived columns of the state, so that a different lever value moves the same
people instead of re-drawing who has what (common random numbers between scenarios).
:func:`infrastructure_levels` and :func:`credibility_levels` are also what the weekly
investment mechanism (:mod:`flexisim.mechanisms.investment`) recomputes as what it builds
is delivered.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flexisim.mechanisms.appraisal import PERFORMING, rate
from flexisim.params import Params
from flexisim.population import FRONTLINE, tables
from flexisim.schedule import AGENCY_LEVERS, agency_dtype, family_bits
from flexisim.state import F, Population, ViewSpec

WEEKS_PER_YEAR = 52.0

#: the share of a leader's digital literacy that adaptive-leadership training adds
#: (Singapore-style programmes train digital leadership for all officials; assumption)
TRAINING_LITERACY = 0.25


#: the golden ratio's fractional part: agencies under a decree are those whose place in this
#: low-discrepancy sequence falls below the mandated share, so any share picks agencies
#: spread evenly through the (region-ordered) list, and a larger share keeps the smaller
#: share's agencies (no random draw: the same agencies in every world and replication)
DECREE_SEQUENCE = 0.6180339887498949


#: what setting a world up reads and writes (apply_levers; the docs list it with the registry)
SETUP = ViewSpec(
    "setup",
    reads={"staff": ("leader", "agency", "ability", "motivation", "job", "ict_latent",
                     "time_latent"),
           "leaders": ("agency", "style_latent", "training_latent", "mode_latent",
                       "digital_literacy", "style_drift", "schooled", "capacity"),
           "agencies": ("credibility_latent", "trust_culture", "training_share",
                        "results_based_share", "measurement_credibility",
                        "planning_integration", "mandated_share", "frontline_digital_share",
                        "time_flexibility",
                        "verification_rate"),
           "citizens": ("anchor_latent",)},
    writes={"citizens": ("anchor", "trust"),
            "staff": ("lead_style", "lead_trained", "lead_results", "lead_literacy", "time_flex",
                      "credibility", "rating", "performing", "verification", "ict_doable",
                      "mandated"),
            "leaders": ("style", "trained", "results_based", "literacy", "capacity"),
            "agencies": ("credibility", "mandated", *AGENCY_LEVERS)},
    parameters=("quality_base", "performing_standard", "trust_anchor_mean",
                "trust_anchor_concentration"))


def predisposition(latent: np.ndarray, p: Params) -> np.ndarray:
    """Citizens' predisposition to trust: the quantile ``latent`` of Beta(mean x c, (1 -
    mean) x c), ``mean = trust_anchor_mean``, ``c = trust_anchor_concentration`` (larger:
    less spread). Calibrated to the Indonesian level and share distrustful (P1, P1b)."""
    from scipy.special import betaincinv

    m, c = p.trust_anchor_mean, p.trust_anchor_concentration
    return betaincinv(m * c, (1.0 - m) * c, latent.astype(np.float64)).astype(F)


def decree_agencies(n_agencies: int, mandated_share: float | np.ndarray) -> np.ndarray:
    """Which agencies assign flexible days by decree: agency ``a`` when the fractional part
    of ``(a + 1) x 0.618...`` is below ``mandated_share`` (:data:`DECREE_SEQUENCE`; a
    share per agency when the lever differs by agency).

    0 is today's rule (every agency on request), 1 the 2020 arrangement (every agency)."""
    place = np.mod((np.arange(n_agencies) + 1.0) * DECREE_SEQUENCE, 1.0)
    return place < mandated_share


def ict_doable_rows(pop: Population, rows: np.ndarray | None = None) -> None:
    """Whose work can be done with ICT: the person's uniform ``ict_latent`` below the job
    family's digital share (job_families.csv; for frontline work the agency's
    ``frontline_digital_share`` lever), so raising the frontline share moves the same people
    in every world. ``rows`` limits it to those rows (new recruits)."""
    s = pop.staff
    idx = slice(None) if rows is None else rows
    job = s.job[idx]
    shares = np.array(tables()["ict_doable"], dtype=np.float64)[job]
    shares = np.where(job == FRONTLINE,
                      pop.agencies.frontline_digital_share[s.agency[idx]], shares)
    s.ict_doable[idx] = s.ict_latent[idx] < shares


def time_flex_rows(pop: Population, rows: np.ndarray | None = None) -> None:
    """Who works shifts or dynamic hours: the person's uniform ``time_latent`` below the
    agency's ``time_flexibility`` share, where the agency has flexiwork (so never in the
    office-only twin). ``rows`` limits it to those rows (new recruits)."""
    s, A = pop.staff, pop.agencies
    idx = slice(None) if rows is None else rows
    agency = s.agency[idx]
    s.time_flex[idx] = ((s.time_latent[idx] < A.time_flexibility.astype(F)[agency])
                        & A.flexiwork_enabled[agency])


def set_agency_levers(pop: Population, p: Params,
                      agency: Mapping[str, np.ndarray] | None = None) -> None:
    """Write the agency levers in force into the agencies' lever columns: ``agency`` (lever
    keyword -> value per agency, :meth:`flexisim.schedule.Plan.levers_at`), or the national
    value of ``p`` for every agency (None)."""
    A = pop.agencies
    for name in AGENCY_LEVERS:
        if agency is not None:
            getattr(A, name)[:] = agency[name]
        else:
            value = getattr(p, name)
            getattr(A, name)[:] = np.asarray(
                family_bits(value) if name == "eligible_families" else value,
                dtype=agency_dtype(name))


def apply_levers(pop: Population, p: Params, *,
                 initial: bool = True,
                 agency: Mapping[str, np.ndarray] | None = None) -> None:
    """Map the population's latent draws to attributes under the levers (at set-up).

    Leaders (:func:`leader_attributes`): style, training, oversight mode; a world set up from
    scratch starts with its trained leaders' training fully in effect. Agencies: measurement
    credibility = the lever plus agency heterogeneity, raised by integration with e-planning /
    e-budgeting (source article: prerequisite 1); agencies under a decree
    (:func:`decree_agencies`). Whose work can be done with ICT (:func:`ict_doable_rows`). Each
    civil servant's view of their leader and agency, the last appraisal before the run (what
    today's e-Kinerja would have said of each person at their usual effort, so that "performing
    only" eligibility works from week 1), and infrastructure (:func:`infrastructure_levels`).
    The same latent draw gives the same person a device in the policy world and in its
    counterfactual. ``initial=False`` (a world that starts from a warmed-up state) keeps the
    state's ratings and expected checks: only the attributes derived from the levers are set
    (and the citizens' predispositions are the warm-up's).

    The agency levers (flexible-work rules, oversight of results, measurement, leadership)
    are each agency's: ``agency`` gives them per agency (a scenario's schedule,
    :mod:`flexisim.schedule`), else they are ``p``'s everywhere (:func:`set_agency_levers`).
    """
    s, L, A = pop.staff, pop.leaders, pop.agencies
    set_agency_levers(pop, p, agency)
    leader_attributes(pop)
    credibility_levels(pop)
    infrastructure_levels(pop, p)
    if initial:
        # leaders trained before the run: the training has long taken full effect
        L.capacity[:] = L.trained
    L.literacy[:] = leader_literacy(L.digital_literacy, L.capacity)
    staff_view_of_leaders(pop)
    A.mandated[:] = decree_agencies(len(A), A.mandated_share)
    s.mandated[:] = A.mandated[s.agency]
    ict_doable_rows(pop)
    time_flex_rows(pop)
    if not initial:
        # a warmed-up state already holds its run's predispositions (same calibration): the
        # Beta quantile of 2.8 M citizens is not recomputed for each world
        return
    c = pop.citizens
    c.anchor[:] = predisposition(c.anchor_latent, p)
    c.trust[:] = c.anchor  # trust starts at the predisposition
    usual = s.ability * s.motivation * (p.quality_base + (1 - p.quality_base) * s.motivation)
    s.rating[:] = rate(usual, p.performing_standard)
    s.performing[:] = s.rating >= PERFORMING
    # staff expect this week's checks at the announced rate until leaders' targeting shows
    s.verification[:] = A.verification_rate.astype(F)[s.agency]


def leader_style(culture: np.ndarray, latent: np.ndarray, drift: np.ndarray) -> np.ndarray:
    """A leader's style, 0 control ... 1 trust: the agency's trust culture, a uniform spread
    of width 0.5 around it (``latent``), and what leading a flexible team taught
    (``drift``, :mod:`flexisim.mechanisms.leadership`), clipped to [0, 1] (so at extreme
    cultures the mean moves slightly toward the middle)."""
    return np.clip(culture + (latent - F(0.5)) * F(0.5) + drift, 0.0, 1.0).astype(F)


def leader_literacy(literacy: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Digital literacy after training: ``TRAINING_LITERACY`` of it added as far as the
    training has taken effect (``capacity`` 0-1), capped at 1."""
    return np.clip(literacy + F(TRAINING_LITERACY) * capacity, 0.0, 1.0).astype(F)


def leader_attributes(pop: Population, rows: np.ndarray | None = None) -> None:
    """Leaders' attributes under the agency levers in force, from their latent draws: style
    (:func:`leader_style`); trained when the training draw is below ``training_share`` (the
    training they had before appointment), when trained during the run, or when their
    training has begun to take effect (a lower share later untrains nobody); results-based
    when the mode draw is below ``results_based_share``. ``rows`` limits it to those
    leaders (new appointments)."""
    L, A = pop.leaders, pop.agencies
    idx = slice(None) if rows is None else rows
    agency = L.agency[idx]
    # shares compared and added in float32, as a float32 column with a (weak) Python scalar
    # is: the same results whether a lever is national or set per agency
    L.style[idx] = leader_style(A.trust_culture.astype(F)[agency], L.style_latent[idx],
                                L.style_drift[idx])
    L.trained[idx] = ((L.training_latent[idx] < A.training_share.astype(F)[agency])
                      | L.schooled[idx] | (L.capacity[idx] > 0))
    L.results_based[idx] = L.mode_latent[idx] < A.results_based_share.astype(F)[agency]


def staff_view_of_leaders(pop: Population) -> None:
    """Each civil servant's copy of their leader's style, training, oversight mode and
    literacy (the staff kernels read their own row)."""
    s, L = pop.staff, pop.leaders
    s.lead_style[:] = L.style[s.leader]
    s.lead_trained[:] = L.capacity[s.leader]
    s.lead_results[:] = L.results_based[s.leader]
    s.lead_literacy[:] = L.literacy[s.leader]


def infrastructure_levels(pop: Population, p: Params, rows: np.ndarray | None = None, *,
                          staff: bool = True, citizens: bool = True) -> None:
    """The staff's device, internet and skill and the citizens' access under today's levels
    and what investment has built (:mod:`flexisim.mechanisms.investment`).

    Today's level of a region: the lever (device access, internet quality) x (1 - the regional
    gap), the gap being ``regional_gap`` x the region's digital gap. Investment closes a share
    of the distance to 1: the agency's ``digital_cover`` for its staff (devices, connections,
    platform seats: the platform's quality is the mean cover's (weighted by posts) share of its
    distance to 1, and the skill penalty of the regional gap falls with the cover), the
    region's ``access_cover`` for its citizens (internet use and skill with online
    services). ``rows`` limits the update to those staff rows (new recruits), without the
    citizens; ``staff=False`` leaves the staff, ``citizens=False`` the citizens as they are.
    """
    R, A, s = pop.regions, pop.agencies, pop.staff
    gap = np.clip(p.regional_gap * R.digital_gap, 0.0, 1.0)
    R.device[:] = (p.device_access * (1.0 - gap)).astype(F)
    R.internet[:] = (p.internet_quality * (1.0 - gap)).astype(F)
    cover = A.digital_cover.astype(np.float64)
    posts = np.diff(A.staff_rows)
    mean_cover = float(np.dot(cover, posts) / max(posts.sum(), 1))
    pop.platform = F(p.platform_quality + (1.0 - p.platform_quality) * mean_cover)
    if staff:
        idx = slice(None) if rows is None else rows
        region = s.region[idx]
        closed = cover[s.agency[idx]]
        device, internet = R.device[region], R.internet[region]
        s.device[idx] = s.device_latent[idx] < device + (1.0 - device) * closed
        s.internet[idx] = np.clip(internet + (1.0 - internet) * closed
                                  + 0.1 * s.internet_latent[idx], 0, 1)
        s.skill[idx] = np.clip(s.skill_base[idx] - 0.5 * gap[region] * (1.0 - closed), 0, 1)
    if rows is not None or not citizens:
        return
    # citizens' skill with online services follows their region's digital gap (not the staff
    # lever regional_gap, as their access follows BPS), closed by their own investment
    reached = R.access_cover.astype(np.float64)
    R.citizen_skill[:] = (1.0 - 0.5 * R.digital_gap * (1.0 - reached)).astype(F)
    c = pop.citizens
    online = R.citizen_internet + (1.0 - R.citizen_internet) * reached
    c.online[:] = c.access_latent < online[c.region]


#: what :func:`infrastructure_levels` reads and writes (for the investment mechanism and for
#: recruits)
INFRASTRUCTURE = ViewSpec(
    "infrastructure",
    reads={"staff": ("region", "agency", "device_latent", "internet_latent", "skill_base"),
           "citizens": ("region", "access_latent"),
           "agencies": ("digital_cover", "staff_rows"),
           "regions": ("digital_gap", "citizen_internet", "access_cover")},
    writes={"staff": ("device", "internet", "skill"), "citizens": ("online",),
            "regions": ("device", "internet", "citizen_skill")},
    parameters=("regional_gap", "device_access", "internet_quality", "platform_quality"))


#: what :func:`credibility_levels` reads and writes
CREDIBILITY = ViewSpec(
    "credibility",
    reads={"staff": ("agency",),
           "agencies": ("measurement_credibility", "credibility_latent", "planning_integration",
                        "integration_cover")},
    writes={"staff": ("credibility",), "agencies": ("credibility",)})


def credibility_levels(pop: Population) -> None:
    """Agencies' measurement credibility: the lever ``measurement_credibility`` plus the
    agency's heterogeneity, raised by integration with e-planning / e-budgeting (source
    article: prerequisite 1) -- the lever ``planning_integration`` and what investment has
    built of the rest (``integration_cover``); each civil servant's copy of their agency's."""
    A, s = pop.agencies, pop.staff
    base = np.clip(A.measurement_credibility.astype(F) + F(0.08) * A.credibility_latent,
                   0.0, 1.0)
    integration = A.planning_integration + (1.0 - A.planning_integration) * A.integration_cover
    A.credibility[:] = np.clip(base + (0.3 * integration).astype(F) * (1.0 - base),
                               0, 1).astype(F)
    s.credibility[:] = A.credibility[s.agency]
