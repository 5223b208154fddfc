"""What the room should read first: the run's effect, public trust and where the run is.

Three cards above the live charts, and a "how to read this page" dialog (app bar). The
cards are one HTML widget (one small message a step, like the charts); their numbers come from
:func:`flexisim.metrics.effects`, the equation every report of the model uses, so the room
sees the same effect the CLI would print for the same run.
"""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pandas as pd
import solara

from flexisim.dashboard.i18n import number, signed, t
from flexisim.dashboard.markdown import Markdown
from flexisim.metrics import effects

BAND = (0.05, 0.95)  # the middle 90% (of a run's weeks here, of the runs in compare.py)


def performance_effect(ts: pd.DataFrame) -> pd.Series:
    """Each week's performance against the office-only twin's, % of the twin's."""
    return 100.0 * (ts["performance"] - ts["performance_counterfactual"]) \
        / ts["performance_counterfactual"]


def trust_effect(ts: pd.DataFrame) -> pd.Series:
    """Each week's public trust against the office-only twin's, points (0-100 scale)."""
    return ts["public_trust"] - ts["public_trust_counterfactual"]


def run_effects(ts: pd.DataFrame) -> dict[str, float]:
    """A run's effects over its weeks so far (:func:`flexisim.metrics.effects`)."""
    return effects(ts["performance"].to_numpy(float),
                   ts["performance_counterfactual"].to_numpy(float),
                   ts["public_trust"].to_numpy(float),
                   ts["public_trust_counterfactual"].to_numpy(float))


@dataclasses.dataclass(frozen=True)
class Headline:
    """A run's headline numbers after ``week`` of ``horizon`` weeks (all ``nan`` at week 0).

    Attributes
    ----------
    performance_change_pct : float
        Mean performance over weeks 1..week against the office-only twin's, % of the twin's.
    weekly_lo, weekly_hi : float
        The middle 90% of the weekly effects (same unit): how much a single week varies.
    trust, trust_effect_pp : float
        Public trust in the last week (0-100) and its gap to the twin's (points).
    """

    week: int
    horizon: int
    performance_change_pct: float = float("nan")
    weekly_lo: float = float("nan")
    weekly_hi: float = float("nan")
    trust: float = float("nan")
    trust_effect_pp: float = float("nan")

    @property
    def finished(self) -> bool:
        return self.week >= self.horizon


def headline(ts: pd.DataFrame, horizon: int) -> Headline:
    """The headline numbers of a run's timeseries so far."""
    if not len(ts):
        return Headline(week=0, horizon=horizon)
    effect = run_effects(ts)
    weekly = performance_effect(ts).to_numpy(float)
    return Headline(week=len(ts), horizon=horizon,
                    performance_change_pct=effect["performance_change_pct"],
                    weekly_lo=float(np.quantile(weekly, BAND[0])),
                    weekly_hi=float(np.quantile(weekly, BAND[1])),
                    trust=float(ts["public_trust"].iloc[-1]),
                    trust_effect_pp=effect["trust_effect_pp"])


def _card(css: str, title: str, value: str, note: str) -> str:
    return (f'<div class="headline-card {css}"><div class="headline-title">{html.escape(title)}'
            f'</div><div class="headline-value">{html.escape(value)}</div>'
            f'<div class="headline-note">{html.escape(note)}</div></div>')


def headline_html(h: Headline, lang: str | None = None) -> str:
    """The three cards as HTML (texts escaped; every number as the reader writes it)."""
    if h.week == 0:
        effect = _card("headline-effect", t("headline.effect", lang), "–",
                       t("headline.effect_wait", lang))
        trust = _card("headline-trust", t("headline.trust", lang), "–",
                      t("headline.effect_wait", lang))
    else:
        effect = _card("headline-effect", t("headline.effect", lang),
                       f"{signed(h.performance_change_pct, lang)} %",
                       t("headline.effect_note", lang, n=h.week, lo=signed(h.weekly_lo, lang),
                         hi=signed(h.weekly_hi, lang)))
        trust = _card("headline-trust", t("headline.trust", lang), number(h.trust, lang, 1),
                      t("headline.trust_note", lang, effect=signed(h.trust_effect_pp, lang)))
    note = t("headline.finished" if h.finished else "headline.week_note", lang)
    week = _card("headline-week" + (" headline-finished" if h.finished else ""),
                 t("headline.week", lang), t("headline.week_value", lang, n=h.week,
                                              total=h.horizon), note)
    return f'<div class="headline-cards">{effect}{trust}{week}</div>'


CSS = """
.headline-cards { display: grid; gap: 8px; width: 100%;
  grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); margin-bottom: 6px; }
.headline-card { border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 6px;
  padding: 2px 10px 4px; line-height: 1.25; }
.headline-title { font-size: 13px; opacity: 0.8; }
.headline-value { font-size: 26px; font-weight: 600; line-height: 1.2; }
.headline-note { font-size: 12px; opacity: 0.75; }
.headline-finished { border-color: #2e7d32; border-width: 2px; }
"""


@solara.component
def About() -> None:
    """How to read the page: a button in the app bar that opens the text in a dialog.

    In the app bar rather than above the charts: the live tab is re-rendered after every
    step (a closed panel there still cost a few milliseconds a step), and on a 720-pixel
    projector the charts keep the room the panel took.
    """
    is_open = solara.use_reactive(False)
    solara.Button(icon_name="mdi-help-circle-outline", icon=True, text=True,
                  on_click=lambda: is_open.set(True), classes=["about-button"],
                  attributes={"title": t("about.title"), "aria-label": t("about.title")})
    with solara.v.Dialog(v_model=is_open.value, on_v_model=is_open.set, max_width="760px",
                         scrollable=True):
        with solara.Card(t("about.title"), classes=["about-panel"]):
            Markdown(t("about.text"))
            solara.Button(t("close"), on_click=lambda: is_open.set(False), text=True,
                          classes=["about-close"])
