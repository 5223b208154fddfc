"""What a mechanism declares: its name, its function, what it reads and writes, its parameters.

A mechanism is one step of the weekly story (MODEL.md). It is a function
``run(pop, p, rng, week)`` over the world's state (:class:`flexisim.state.Population`), its
parameters (:class:`flexisim.params.Params`) and its own random stream (``None`` for a
mechanism without draws), which may return a mapping of the week's statistics by name (read
by :func:`flexisim.metrics.step_metrics`, and reported as outputs when declared in
``outputs``). Its declaration (:class:`Mechanism`) says, next to the code:

* ``view``: the columns it reads and writes, by table, and the levers and coefficients it
  uses (a :class:`~flexisim.state.ViewSpec`). Its kernels see exactly these, by name
  (``v.staff.effort``, ``v.params.effort_crowding``): a column or parameter used but not
  declared does not compile, and the declaration is what the docs and tests list;
* ``uses``: the declarations of helpers it calls that touch other columns (the workforce's
  recruitment, the head counts, infrastructure for recruits); the mechanism's reads, writes
  and parameters are the union (tests/test_docs.py checks, by running every mechanism, that
  it writes nothing it does not declare);
* ``stream``: whether it draws random numbers (its stream is keyed by its name,
  :mod:`flexisim.streams`);
* ``columns``: columns it adds to the state (a new mechanism's own state, declared with
  :func:`flexisim.state.dynamic` and friends);
* ``outputs``: indicators it reports each week (name -> unit, description).

The registry (:mod:`flexisim.mechanisms.registry`) lists the mechanisms in weekly order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flexisim.state import Column, ViewSpec

__all__ = ["Mechanism"]


@dataclass(frozen=True)
class Mechanism:
    """Declaration of one weekly mechanism (see the module docstring).

    Parameters
    ----------
    view : ViewSpec
        Name, reads, writes and parameters; the mechanism's name is ``view.name``.
    run : callable
        ``run(pop, p, rng, week) -> mapping or None``.
    stream : bool
        Draws from its own random stream (named like the mechanism).
    uses : tuple of ViewSpec
        Declarations of helpers the mechanism calls outside its kernels.
    columns : mapping of table name to {column name: Column}
        Columns this mechanism adds to the state.
    outputs : mapping of output name to (unit, description)
        Indicators this mechanism reports each week: its ``run`` returns their values.
    """

    view: ViewSpec
    run: Callable[..., Mapping[str, float] | None]
    stream: bool = True
    uses: tuple[ViewSpec, ...] = ()
    columns: Mapping[str, Mapping[str, Column]] = field(default_factory=dict)
    outputs: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The mechanism's name (also the name of its random stream)."""
        return self.view.name

    @property
    def function(self) -> str:
        """Name of the function that runs it."""
        return self.run.__name__

    @property
    def reads(self) -> dict[str, tuple[str, ...]]:
        """Columns it reads, by table (its view's and those of the helpers it uses)."""
        return _union(v.reads for v in (self.view, *self.uses))

    @property
    def writes(self) -> dict[str, tuple[str, ...]]:
        """Columns it writes, by table."""
        return _union(v.writes for v in (self.view, *self.uses))

    @property
    def parameters(self) -> tuple[str, ...]:
        """Levers and coefficients it uses."""
        names: list[str] = []
        for v in (self.view, *self.uses):
            names += [n for n in v.parameters if n not in names]
        return tuple(names)


def _union(parts: Any) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for part in parts:
        for table, columns in part.items():
            out.setdefault(table, [])
            out[table] += [c for c in columns if c not in out[table]]
    return {table: tuple(columns) for table, columns in out.items()}
