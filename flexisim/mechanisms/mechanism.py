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
    columns : mapping of table name to {column name: Column}
        Columns this mechanism adds to the state.
    outputs : mapping of output name to (unit, description)
        Indicators this mechanism reports each week: its ``run`` returns their values.
    """

    view: ViewSpec
    run: Callable[..., Mapping[str, float] | None]
    stream: bool = True
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
    def reads(self) -> Mapping[str, tuple[str, ...]]:
        return self.view.reads

    @property
    def writes(self) -> Mapping[str, tuple[str, ...]]:
        return self.view.writes

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.view.parameters

    @property
    def title(self) -> str:
        """First line of the function's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0] if self.run.__doc__ else ""

    def __call__(self, *args: Any, **kwargs: Any) -> Mapping[str, float] | None:
        return self.run(*args, **kwargs)
