"""A toy mechanism, written by following docs/contributing.md ("Add a mechanism in five steps").

Leaders drop by their staff's desks: each week every civil servant in post is visited with
probability ``verification_rate``. It has its own random stream, its own state column and its
own output, and it changes nothing else -- so adding it must change no other result
(tests/test_registry.py). Steps 3 (data files) and 5 (ODD section) of the how-to do not apply
to a toy that uses an existing lever and lives in the tests.
"""

from __future__ import annotations

from flexisim.engine import counter_uniform, kernel, week_key
from flexisim.mechanisms.mechanism import Mechanism
from flexisim.params import Params
from flexisim.state import Population, ViewSpec, dynamic

# step 1: the module -- what it reads and writes, its parameters, its new state
VIEW = ViewSpec("desk_visits", reads={"staff": ("active",)},
                writes={"staff": ("desk_visited",)}, parameters=("verification_rate",))
COLUMNS = {"staff": {"desk_visited": dynamic(bool, "a leader came by this week")}}


@kernel(disjoint=True)
def _visit_rows(key, v):
    s, k = v.staff, v.params
    for i in range(len(s.active)):
        s.desk_visited[i] = s.active[i] & (counter_uniform(key, i, 0, 1) < k.verification_rate)


def visit_desks(pop: Population, p: Params, rng, week: int) -> dict[str, float]:
    """Leaders drop by desks: each person in post with probability ``verification_rate``."""
    _visit_rows(week_key(rng), pop.views(VIEW, p))
    return {"desk_visit_rate": pop.mean(pop.staff.desk_visited)}


# step 4: its outputs, declared with it
MECHANISM = Mechanism(VIEW, visit_desks, columns=COLUMNS,
                      outputs={"desk_visit_rate": ("share/week",
                                                   "staff whose desk a leader visited")})
