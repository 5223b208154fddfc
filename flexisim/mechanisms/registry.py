"""The one list of mechanisms, in weekly order (MODEL.md).

This registry is the single source of

* the **step order**: ``World.step`` (flexisim/model.py) runs :data:`STEP` in order;
* the **random streams**: every mechanism with ``stream=True`` draws from the stream named
  like it (:mod:`flexisim.streams`: keyed by name, so this order can change without
  shifting anyone's draws);
* the **docs check**: tests/test_docs.py requires every mechanism here, its function, reads,
  writes and parameters to be described in docs/ODD.md (the mechanism table there is
  generated from this list by tools/param_table.py);
* the plain-Mesa **oracle**'s order and stream names (benchmarks/reference_mesa), whose
  equations are written a second time, independently, so that it can still disagree.

Adding a mechanism is one line here (docs/contributing.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flexisim.mechanisms import (
    appraisal,
    backoffice,
    citizens,
    effort,
    eligibility,
    investment,
    leadership,
    oversight,
    perception,
    production,
    signalling,
    workforce,
    workmode,
)
from flexisim.mechanisms.mechanism import Mechanism

__all__ = ["RESERVED", "STEP", "Registry"]

#: names a mechanism may not take: the run's other streams and the state's other views
RESERVED = frozenset({"population", "recruits", "counts", "metrics", "setup", "recruitment",
                      "remote_productivity", "infrastructure", "credibility"})


class Registry:
    """An ordered, immutable list of mechanisms with unique names."""

    def __init__(self, mechanisms: Iterable[Mechanism]) -> None:
        from flexisim.metrics import COUNTERFACTUAL_OF, OUTPUTS

        self._items = tuple(mechanisms)
        names = [m.name for m in self._items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"mechanism names used twice: {duplicates}")
        reserved = sorted(set(names) & RESERVED)
        if reserved:
            raise ValueError(f"mechanism names {reserved} are reserved (streams of the run, "
                             "views of the state)")
        outputs = [o for m in self._items for o in m.outputs]
        clash = sorted({o for o in outputs if outputs.count(o) > 1}
                       | (set(outputs) & (set(OUTPUTS) | set(COUNTERFACTUAL_OF))))
        if clash:
            raise ValueError(f"outputs declared twice (or already outputs of the model): "
                             f"{clash}")

    def __iter__(self) -> Iterator[Mechanism]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, name: str) -> Mechanism:
        for m in self._items:
            if m.name == name:
                return m
        raise KeyError(f"no mechanism {name!r} (mechanisms: {self.names()})")

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self._items)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self.names())})"

    def names(self) -> list[str]:
        """The mechanisms' names in order."""
        return [m.name for m in self._items]

    def streams(self) -> list[str]:
        """Names of the random streams the mechanisms draw from."""
        return [m.name for m in self._items if m.stream]

    def insert(self, mechanism: Mechanism, *, after: str | None = None,
               before: str | None = None) -> Registry:
        """A new registry with ``mechanism`` added after (or before) the named one, or at
        the end."""
        names = self.names()
        if after is not None:
            at = names.index(self[after].name) + 1
        elif before is not None:
            at = names.index(self[before].name)
        else:
            at = len(names)
        items = list(self._items)
        items.insert(at, mechanism)
        return Registry(items)

    def without(self, name: str) -> Registry:
        """A new registry without the named mechanism."""
        self[name]  # noqa: B018 - KeyError if unknown
        return Registry(m for m in self._items if m.name != name)

    def columns(self) -> dict[str, dict]:
        """Columns the mechanisms add to the state, by table."""
        out: dict[str, dict] = {}
        for m in self._items:
            for table, cols in m.columns.items():
                out.setdefault(table, {}).update(cols)
        return out

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Outputs the mechanisms report themselves (name -> unit, description)."""
        out: dict[str, tuple[str, str]] = {}
        for m in self._items:
            out.update(m.outputs)
        return out


#: The weekly story, one line per mechanism.
STEP = Registry([
    investment.MECHANISM,    # 0. investment builds infrastructure, access and measurement
    eligibility.MECHANISM,   # 1. eligibility and approval (Permenpan RB 4/2025)
    workmode.MECHANISM,      # 2. work-mode choice
    signalling.MECHANISM,    # 2b. the signal of being granted flexibility (off by default)
    effort.MECHANISM,        # 3. effort and shirking
    production.MECHANISM,    # 4. production
    backoffice.MECHANISM,    # 4b. the back office: casework citizens wait for
    oversight.MECHANISM,     # 5. oversight and measurement
    citizens.MECHANISM,      # 6. service delivery and citizens' trust
    perception.MECHANISM,    # 6b. public cases and the image of the civil service
    workforce.MECHANISM,     # 7. workforce dynamics
    appraisal.MECHANISM,     # 8. appraisal
    leadership.MECHANISM,    # 9. leaders who change: turnover, training, learning
])
