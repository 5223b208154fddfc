"""Mechanism 2b -- the signal of being granted flexibility (gift exchange), its own channel.

Being *granted* flexible work may be read as a sign of the leader's trust and repaid with
extra effort (gift exchange, social exchange: Kelliher & Anderson 2010). This is separate
from the reciprocity every trusting leader earns, which exists without flexiwork too and is
part of the effort mechanism in both worlds. Because only the policy world grants
flexibility, this is an effect of the policy; the evidence for a lasting effort gift is weak
(field gift-exchange effects fade within hours or are absent: Gneezy & List 2006, DellaVigna
et al. 2022, Esteves-Sorenson 2018; replications of Falk & Kosfeld 2006 find smaller effects
of trust and control, Ziegelmeyer et al. 2012), so the coefficient ``grant_signal`` is 0 by
default (off) and the sensitivity analysis spans 0 to the first version's implicit size
(docs/ODD.md, "Grant signalling").
"""

from __future__ import annotations

import numpy as np

from flexisim.engine import kernel
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.population import OFFSITE
from flexisim.state import Population, ViewSpec

VIEW = ViewSpec(
    "signalling",
    reads={"staff": ("approved", "job", "lead_style", "belief", "trust_in_leader", "agency"),
           "agencies": ("max_flex_days",)},
    writes={"staff": ("grant_signal",)},
    parameters=("grant_signal", "ch_signalling"))


@kernel(disjoint=True)
def _signal_rows(v, offsite):
    s, a, k = v.staff, v.agencies, v.params
    for i in range(len(s.approved)):
        # an approval of zero days (the agency's cap 0, not off-site work) grants nothing
        days = (s.job[i] == offsite) | (a.max_flex_days[s.agency[i]] > 0)
        granted = np.float32(1.0) if s.approved[i] & days else np.float32(0.0)
        s.grant_signal[i] = (k.grant_signal * s.lead_style[i] * s.belief[i]
                             * s.trust_in_leader[i] * granted)


def signal_of_grant(pop: Population, p: Params, rng: None, week: int) -> None:
    """Effort added by being granted flexibility this week.

    ``grant_signal x leader style x belief x trust in the leader x approved`` (with days
    allowed: off-site work, or a cap above 0): the same trust terms as the reciprocity every
    trusting leader earns (effort mechanism), counted again for staff whose request was
    approved. Effort adds it to the person's own drive. Nothing when ``grant_signal = 0``
    (the default), with the channel gate ``ch_signalling`` at 0, or without the mechanism:
    the column stays 0.
    """
    if p.grant_signal == 0.0 or p.ch_signalling == 0.0:
        return  # off: the column keeps its 0 (coefficient and gate are fixed for the run)
    _signal_rows(pop.views(VIEW, p), OFFSITE)


MECHANISM = Mechanism(VIEW, signal_of_grant, stream=False)
