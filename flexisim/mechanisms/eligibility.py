"""Mechanism 1 -- eligibility and approval under Permenpan RB No. 4/2025."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flexisim.engine import counter_uniform, kernel, sigmoid1, week_key
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import Population, ViewSpec

VIEW = ViewSpec(
    "eligibility",
    reads={"staff": ("active", "job", "ict_doable", "discipline_left", "reprimand_left",
                     "tenure", "device", "performing", "belief", "lead_style", "mandated",
                     "agency"),
           "agencies": ("flexiwork_enabled", "eligible_families", "min_tenure_years",
                        "require_device", "require_performing", "approval_review_weeks",
                        "review")},
    writes={"staff": ("eligible", "approved")},
    parameters=("approval_slope", "approval_threshold", "ch_revocation"),
    precision=np.float64)


class Terms(NamedTuple):
    review: bool  # a review week in some agency: its leaders decide approvals again


@kernel(disjoint=True)
def _eligibility_rows(key, v, t):
    s, a, k = v.staff, v.agencies, v.params
    for i in range(len(s.active)):
        g = s.agency[i]  # the rules are the agency's (Permenpan RB 4/2025: the PPK decides)
        # without short-circuits: the conditions are random across rows, so branching on
        # them mispredicts; the masked form vectorises (same results)
        family_ok = ((a.eligible_families[g] >> np.int64(s.job[i])) & 1) == 1
        decree = s.mandated[i]
        # a decree sends everyone whose work is doable with ICT (2020): the individual
        # criteria of a request (tenure, device, rating) do not apply
        assigned = (s.active[i] & a.flexiwork_enabled[g] & family_ok & s.ict_doable[i]
                    & (s.discipline_left[i] == 0))
        ok = assigned & (decree | ((s.tenure[i] >= a.min_tenure_years[g])
                                   & (s.device[i] | (not a.require_device[g]))
                                   & (s.performing[i] | (not a.require_performing[g]))))
        s.eligible[i] = ok
        # under a decree nobody approves or withdraws: the unit works away
        kept = (s.approved[i] | decree) & ok
        if t.review:  # loop-invariant: compiled as two loops
            p_approve = sigmoid1(k.approval_slope * (s.belief[i] + 0.5 * s.lead_style[i]
                                                     - k.approval_threshold))
            # not while a reprimand runs: the leader withdrew the approval (oversight)
            clean = (s.reprimand_left[i] == 0) | (k.ch_revocation < 0.5)
            decided = ok & (decree | (clean & (counter_uniform(key, i, 0, 1) < p_approve)))
            s.approved[i] = decided if a.review[g] else kept
        else:
            s.approved[i] = kept


def eligibility_and_approval(pop: Population, p: Params, rng: np.random.Generator,
                             week: int) -> None:
    """Decide who may work flexibly this week.

    Every rule is the person's agency's (its lever values, :mod:`flexisim.schedule`).
    Eligible: flexiwork on in the agency, job family eligible, work doable with ICT, not
    under a formal disciplinary sanction, and, on request, tenure at least
    ``min_tenure_years`` (not a new hire), a device when required, rated "performing" when
    required. In an agency that
    assigns flexible days by decree (``mandated_share``; SE MenPAN-RB 19/2020) every eligible
    person is approved, without review, and a reprimand does not bring them back. On request,
    approval is "not a right": at each review (every
    ``approval_review_weeks``) the leader approves with probability
    ``sigmoid(k * (belief + 0.5 * style - threshold))``, but not while a reprimand runs;
    between reviews an approval lasts unless the person loses eligibility or is reprimanded
    (which withdraws it at once).
    One uniform per person per week (counter-based on the week's key, ``week_key``).
    """
    s, ag = pop.staff, pop.agencies
    key = week_key(rng)  # drawn every week so the stream stays aligned
    if not ag.flexiwork_enabled.any():
        s.eligible[:] = False
        s.approved[:] = False
        return
    np.equal(week % ag.approval_review_weeks, 0, out=ag.review)
    _eligibility_rows(key, pop.views(VIEW, p), Terms(bool(ag.review.any())))


MECHANISM = Mechanism(VIEW, eligibility_and_approval)
