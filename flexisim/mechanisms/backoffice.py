"""Mechanism 4b -- the back office: the casework citizens wait for.

Most civil servants do not stand at a counter: they process permits, benefits, salaries and
programmes that citizens wait for. Each agency's back office (its staff outside frontline
service) handles a weekly caseload -- what citizens bring, which does not depend on where
the staff work -- out of its output delivered on time; what it cannot handle waits, and the
waiting time is the delay citizens with a casework need experience (citizens mechanism).
The Ombudsman's complaint about the 2020 work-from-home decree was of this kind: delayed
salary processing (EVIDENCE O7); undue delay was the most reported maladministration of 2020
(31.6% of reports, Ombudsman RI annual report 2020, via Alinea).
"""

from __future__ import annotations

import numpy as np

from flexisim.engine import kernel
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.population import FRONTLINE
from flexisim.state import F, Population, ViewSpec

#: weeks over which the caseload settles to the back office's usual casework during the
#: warm-up (a quarter; fixed in code)
SETTLING_WEEKS = 13.0

VIEW = ViewSpec(
    "backoffice",
    reads={"staff": ("active", "job", "output", "on_time", "ability", "motivation", "agency"),
           "agencies": ("staff_rows",)},
    writes={"agencies": ("casework", "caseload", "backlog", "delay")},
    parameters=("backoffice_utilisation",))


@kernel
def _casework(v, frontline):
    """Per agency: output x on-time share of its active staff outside frontline service
    (sums in row order, float64)."""
    s, a = v.staff, v.agencies
    rows = a.staff_rows
    for g in range(len(rows) - 1):
        total = 0.0
        for i in range(np.uint64(rows[g]), np.uint64(rows[g + 1])):  # see engine.compiled
            back = s.active[i] & (s.job[i] != frontline)
            total += np.float64(s.output[i]) * s.on_time[i] if back else 0.0
        a.casework[g] = total


def usual_casework(pop: Population) -> np.ndarray:
    """Each agency's casework at its people's usual effort (effort = motivation): five days
    of ability x motivation, on time half plus half the effort (as production writes it
    without coordination loss and luck). The caseload's start when no warm-up has set it."""
    s = pop.staff
    m = s.motivation.astype(np.float64)
    each = 5.0 * s.ability * m * (0.5 + 0.5 * m) * (s.active & (s.job != FRONTLINE))
    return np.bincount(s.agency, weights=each, minlength=len(pop.agencies))


def run_back_office(pop: Population, p: Params, rng: None, week: int) -> dict[str, float]:
    """Casework handled, waiting and the delay, per agency.

    ``casework = sum over active staff outside frontline service of output x on-time share``.
    The caseload (what citizens bring each week) is set before the policy: the back office's
    usual casework times ``backoffice_utilisation`` (offices keep some slack), followed
    during the warm-up as a moving average over a quarter, and fixed from the first policy
    week on, the same in both worlds. Then ``handled = min(backlog + caseload, casework)``,
    ``backlog += caseload - handled`` and ``delay = backlog / caseload`` (weeks of work
    waiting; 0 for an agency with no back office).
    """
    A = pop.agencies
    _casework(pop.views(VIEW, p), FRONTLINE)
    target = p.backoffice_utilisation * A.casework
    unset = np.isnan(A.caseload)
    if unset.any():  # the first week of the run: the usual casework (same in both worlds)
        A.caseload[unset] = p.backoffice_utilisation * usual_casework(pop)[unset]
    if week < 0:  # the warm-up: the caseload settles to what the office world handles
        A.caseload[:] += (target - A.caseload) / SETTLING_WEEKS
    # backlog + caseload - min(backlog + caseload, casework), written so that a week with
    # enough casework leaves exactly nothing waiting
    A.backlog[:] = np.maximum(A.backlog + A.caseload - A.casework, 0.0)
    A.delay[:] = np.where(A.caseload > 0, A.backlog / np.maximum(A.caseload, 1e-12),
                          0.0).astype(F)
    weight = float(A.caseload.sum())
    return {"backoffice_delay": float(A.backlog.sum()) / weight if weight > 0 else 0.0}


MECHANISM = Mechanism(VIEW, run_back_office, stream=False, outputs={
    "backoffice_delay": ("weeks", "back-office casework waiting, in weeks of the caseload "
                                  "(weighted by caseload)"),
})
