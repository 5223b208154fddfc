"""Mesa agents as views over rows of the model's columns.

The model keeps its state in numpy columns (``model.pop.staff`` and friends); these classes
give one row the face of a ``mesa.Agent`` so a researcher can ask "what is this civil servant
doing?" -- ``model.asn(17).effort`` reads ``model.pop.staff.effort[17]``, and assigning to it
writes the column. Views are created on demand and cached by the model.
"""

from __future__ import annotations

from typing import Any

import mesa

from flexisim.population import JOB_FAMILIES


class _Column:
    """Descriptor: attribute ``name`` of the view is ``table.name[row]``."""

    def __init__(self, doc: str = "") -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, view: Any, owner: type | None = None) -> Any:
        if view is None:
            return self
        value = getattr(view._table(), self.name)[view.row]
        return value.item() if hasattr(value, "item") else value

    def __set__(self, view: Any, value: Any) -> None:
        getattr(view._table(), self.name)[view.row] = value


class _RowView(mesa.Agent):
    table_name = ""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    def _table(self) -> Any:
        return getattr(self.model.pop, self.table_name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} row={self.row}>"


class ASN(_RowView):
    """A civil servant (staff row)."""

    table_name = "staff"
    region = _Column("region index (see model.pop.region_names)")
    agency = _Column("agency row")
    leader = _Column("leader row")
    job = _Column("job family index")
    age = _Column("years")
    tenure = _Column("years in service")
    pppk = _Column("contract employee (PPPK) rather than PNS")
    ability = _Column("productivity, 1 = average")
    motivation = _Column("intrinsic motivation 0-1")
    control_sensitivity = _Column("how strongly control is read as distrust, 0-1")
    device = _Column("has an adequate work device")
    internet = _Column("home internet quality 0-1")
    skill = _Column("digital skill 0-1")
    flex_preference = _Column("preference for flexible work 0-1")
    active = _Column("in post (False: vacancy)")
    eligible = _Column("eligible for flexible work this week")
    approved = _Column("leader approved flexible work")
    flex_days = _Column("flexible days this week")
    effort = _Column("mean effort this week 0-1")
    shirk_days = _Column("days shirked this week")
    output = _Column("true output this week")
    quality = _Column("quality of output 0-1")
    measured = _Column("measured (e-Kinerja) output this week")
    belief = _Column("leader's trust in this person 0-1")
    reprimand_left = _Column("weeks of sanction remaining")
    wellbeing = _Column("well-being 0-1")
    performing = _Column("rated 'performing' at the last appraisal")

    @property
    def job_family(self) -> str:
        return JOB_FAMILIES[self.job]

    @property
    def region_name(self) -> str:
        return self.model.pop.region_names[self.region]


class Leader(_RowView):
    """A structural official leading one team."""

    table_name = "leaders"
    agency = _Column("agency row")
    region = _Column("region index")
    style = _Column("0 control ... 1 trust")
    trained = _Column("trained in adaptive leadership")
    results_based = _Column("oversees results (else presence)")
    digital_literacy = _Column("0-1")

    @property
    def team(self) -> list[int]:
        """Staff rows this leader supervises."""
        staff = self.model.pop.staff
        return [int(i) for i in (staff.leader == self.row).nonzero()[0]]


class Citizen(_RowView):
    """A member of the public served by one regional agency."""

    table_name = "citizens"
    region = _Column("region index")
    agency = _Column("agency that serves this citizen")
    trust = _Column("trust in the civil service 0-1")
    anchor = _Column("predisposition to trust 0-1")
    experience = _Column("last week's service experience (NaN: no need)")
