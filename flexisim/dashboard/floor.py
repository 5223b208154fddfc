"""The office floor: a sample of civil servants as individuals, desk by desk.

The model keeps agents as rows of numpy columns; the floor picks a fixed sample of rows (one
agency per region, a few teams per agency, a few desks per team) so the same people sit at
the same desks week after week and the room can watch *them* change: where they work, how
hard, how much their leader trusts them, who is reprimanded.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import solara

from flexisim.dashboard import i18n
from flexisim.dashboard.charts import ACCENT, ALERT, GOOD, POLICY, citizens_option
from flexisim.dashboard.echarts import Chart
from flexisim.dashboard.i18n import choice_label, number, region_label, t
from flexisim.model import FlexiworkModel
from flexisim.population import JOB_FAMILIES

TEAMS_PER_AGENCY = 3
DESKS_PER_TEAM = 12
CATEGORIES = (("floor.office", POLICY), ("floor.mixed", GOOD), ("floor.remote", ACCENT),
              ("floor.sanctioned", ALERT), ("floor.vacant", "#bdbdbd"))


def floor_sample(model: FlexiworkModel) -> list[tuple[int, int, list[int]]]:
    """The desks shown: ``[(agency, leader, [staff rows]), ...]``, one agency per region.

    Chosen from the population's structure only (not from random draws or state), so it is
    the same for every step of a run and for every run of the same population size.
    """
    cached = getattr(model, "_dashboard_floor", None)
    if cached is not None:
        return cached
    pop = model.pop
    staff = pop.staff
    teams: list[tuple[int, int, list[int]]] = []
    for region in range(len(pop.region_names)):
        agencies = np.flatnonzero(pop.agencies.region == region)
        if not len(agencies):
            continue
        agency = int(agencies[0])
        leaders = np.flatnonzero(pop.leaders.agency == agency)[:TEAMS_PER_AGENCY]
        for leader in leaders:
            rows = np.flatnonzero(staff.leader == leader)[:DESKS_PER_TEAM]
            teams.append((agency, int(leader), [int(r) for r in rows]))
    model._dashboard_floor = teams  # type: ignore[attr-defined]
    return teams


def _category(active: bool, reprimand_left: int, flex_days: int) -> int:
    if not active:
        return 4
    if reprimand_left > 0:
        return 3
    if flex_days == 0:
        return 0
    return 1 if flex_days <= 2 else 2


def floor_option(model: FlexiworkModel) -> dict[str, Any]:
    """ECharts option of the office floor: one square per civil servant, one row per team."""
    s = model.pop.staff
    names = model.pop.region_names
    teams = floor_sample(model)
    rows_labels: list[str] = []
    points: list[list[dict[str, Any]]] = [[] for _ in CATEGORIES]
    team_no: dict[int, int] = {}
    for y, (agency, _leader, rows) in enumerate(teams):
        team_no[agency] = team_no.get(agency, 0) + 1
        region = region_label(names[int(model.pop.agencies.region[agency])])
        rows_labels.append(f"{t('floor.agency', a=agency + 1, region=region)} · "
                           f"{t('floor.team', t=team_no[agency])}")
        for x, row in enumerate(rows):
            active = bool(s.active[row])
            flex, effort = int(s.flex_days[row]), float(s.effort[row])
            sanction = int(s.reprimand_left[row])
            cat = _category(active, sanction, flex)
            lang = i18n.language.value
            tip = "<br/>".join([
                f"<b>ASN #{row}</b> ({escape(t(CATEGORIES[cat][0]))})",
                *(f"{escape(label)}: {escape(value)}" for label, value in (
                    (t("tip.region"), region),
                    (t("tip.age"), number(float(s.age[row]), lang, 0)),
                    (t("tip.job"), choice_label(JOB_FAMILIES[int(s.job[row])])),
                    (t("tip.flex"), str(flex)),
                    (t("tip.effort"), number(effort, lang)),
                    (t("tip.belief"), number(float(s.belief[row]), lang)),
                    (t("tip.sanction"), str(sanction)))),
            ])
            opacity = 0.25 + 0.75 * min(max(effort, 0.0), 1.0) if active else 0.6
            points[cat].append({"value": [x, y], "name": tip, "itemStyle": {"opacity":
                                                                             round(opacity, 2)}})
    series = [{"name": t(key), "type": "scatter", "symbol": "rect", "symbolSize": 16,
               "color": colour, "data": points[i]}
              for i, (key, colour) in enumerate(CATEGORIES)]
    return {
        "animation": False,
        "title": {"text": t("chart.floor"), "left": "center", "textStyle": {"fontSize": 14},
                  "subtext": t("week", n=model.steps)},
        # The tooltip is the person's card, which the point's name holds.
        # (htmlName: echarts.py's widget shows the name as HTML; confine: inside the chart)
        "tooltip": {"trigger": "item", "htmlName": True, "confine": True},
        "legend": {"bottom": 0},
        "grid": {"left": 190, "right": 20, "top": 60, "bottom": 45},
        "xAxis": {"type": "value", "min": -0.5, "max": DESKS_PER_TEAM - 0.5,
                  "show": False},
        "yAxis": {"type": "category", "data": rows_labels, "inverse": True,
                  "axisLabel": {"fontSize": 10}, "splitLine": {"show": False}},
        "series": series,
    }


def AgentsView(model: FlexiworkModel) -> Any:  # noqa: N802 (component naming)
    """The office floor beside citizens' trust by region (one SolaraViz component)."""
    with solara.Div(style={"display": "grid", "width": "100%", "gap": "8px",
                           "grid-template-columns": "repeat(auto-fit, minmax(440px, 1fr))"}
                    ) as grid:
        with solara.Column(gap="4px", classes=["office-floor"]):
            Chart(floor_option(model), height=560)
            solara.Text(t("floor.help"), style={"font-size": "0.85em"})
        with solara.Column(gap="4px", classes=["citizens-trust"]):
            Chart(citizens_option(model), height=420)
    return grid
