"""How much the headline results depend on coefficients that no evidence pins down.

One coefficient at a time is set to half and to one and a half times its value (shares capped
at 1) and each headline scenario -- today's rules (``permenpan_4_2025``), the article's
recommendation (``trust_but_verify``, where more staff work flexibly and communication is
proactive) and the 2020 decree (``wfh_2020_decree``) -- is run on the same worlds (same
seeds) as with today's value; the table gives the paired change of the two headline
outcomes -- performance against the office-only world (%) and public trust against it
(points) -- with 95% intervals.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from flexisim.experiment.analysis import mean_ci
from flexisim.experiment.design import replication_seeds
from flexisim.params import calibration_defaults
from flexisim.runs import run_all
from flexisim.validation.face import OUTCOMES, outcome_spec, outcomes

__all__ = ["HEADLINE", "UNPINNED", "run_unpinned", "unpinned_table"]

#: coefficients without a quantitative source, and why (docs/validation.md, "Limits")
UNPINNED: dict[str, str] = {
    "visibility_penalty": "P4 (Lipsky) is qualitative: no study measures how much an empty "
                          "counter costs in trust",
    "comm_soften_reactive": "explaining the policy when asked (today's default); no measured "
                            "effect",
    "comm_soften_proactive": "the article's remedy (show results where work moved); no "
                             "measured effect",
    "comm_reach_proactive": "how many citizens open reporting reaches; no measurement",
    "trust_anchor": "how fast trust returns to the predisposition; no panel data",
    "trust_word_of_mouth": "no Indonesian network data on how trust in the civil service spreads",
    "scandal_hit": "P3 gives about -5 pp for a visible national failure, not for one local case",
    "temptation_remote": "O6 is only a weak upper bound on idling under unverified WFH",
    "day_slack": "adverse self-selection into remote days (O3 heterogeneity), size unknown",
    "effort_crowding": "O1's hidden costs of control; replications find smaller effects",
    "coordination_loss": "E4 bounds it only loosely (the model has no hours)",
    "platform_coordination": "how much of the coordination loss a good platform removes; "
                             "assumed (E7's miss points here)",
    "grant_signal": "the signal of being granted flexibility: off by default (field gift "
                    "exchange fades); the columns are half and all of the first version's "
                    "implicit size (0.0425, 0.085)",
    "perception_weight": "how much the image of an absent civil service costs trust each "
                         "week; no measurement",
    "perception_decay": "how fast that image fades; no panel of perceptions",
    "press_scrutiny": "how often the press finds misuse of work away from the office; "
                      "anecdotes only",
    "observation_publicity": "how often citizens who see idle staff make it public; "
                             "anecdotes only",
    "backoffice_utilisation": "how much slack back offices keep (x1.5 is capped at 1: none); "
                              "no Indonesian workload data",
    "delay_tolerance_weeks": "how long a wait for a permit or payment is felt as late; the "
                             "Ombudsman counts complaints, not tolerances",
    "backoffice_need_share": "the share of citizens' needs that are casework; no figure found",
    "digital_quality_gap": "how much worse online service is at today's platform; no "
                           "Indonesian satisfaction data by channel",
}

#: coefficients whose default is 0 (off): the two levels are these values instead of
#: x0.5 / x1.5
_LEVELS = {"grant_signal": (0.0425, 0.085)}

_SHARES = {"visibility_penalty", "comm_soften_reactive", "comm_soften_proactive",
           "trust_word_of_mouth", "platform_coordination", "backoffice_utilisation",
           "backoffice_need_share"}
#: the scenarios whose results the sensitivity is about: today's rules, the article's
#: recommendation, and the 2020 decree (where the paths to public trust carry most)
HEADLINE = ("permenpan_4_2025", "trust_but_verify", "wfh_2020_decree")


def run_unpinned(*, scenarios: tuple[str, ...] = HEADLINE, replications: int = 10,
                 n_asn: int = 4000, steps: int = 104, seed: int = 6060,
                 coefficients: tuple[str, ...] | None = None,
                 executor: cf.Executor | None = None,
                 progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Runs of the baseline and of each UNPINNED coefficient at x0.5 and x1.5."""
    defaults = calibration_defaults()
    seeds = replication_seeds(seed, replications)
    settings = [("baseline", "today", math.nan)]
    for name in coefficients or tuple(UNPINNED):
        for k, (level, factor) in enumerate((("x0.5", 0.5), ("x1.5", 1.5))):
            value = _LEVELS[name][k] if name in _LEVELS else defaults[name] * factor
            settings.append((name, level, min(value, 1.0) if name in _SHARES else value))
    specs = [outcome_spec(sc, s, n_asn, steps,
                          calibration={} if name == "baseline" else {name: value},
                          key={"scenario": sc, "coefficient": name, "level": level,
                               "value": value, "replication": r})
             for sc in scenarios for name, level, value in settings
             for r, s in enumerate(seeds)]
    rows = run_all(specs, executor, sink=outcomes, progress=progress)
    return pd.DataFrame(rows)


def unpinned_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Paired change of each headline outcome against the baseline, with 95% t-intervals,
    one row per (scenario, coefficient, level)."""
    rows = []
    for scenario, sub in runs.groupby("scenario", sort=False):
        base = sub[sub["coefficient"] == "baseline"].set_index("replication")
        for (name, level), group in sub[sub["coefficient"] != "baseline"].groupby(
                ["coefficient", "level"], sort=False):
            g = group.set_index("replication")
            row: dict[str, Any] = {"scenario": scenario, "coefficient": name, "level": level,
                                   "value": float(g["value"].iloc[0]), "replications": len(g)}
            for outcome in OUTCOMES:
                d = (g[outcome] - base.loc[g.index, outcome]).to_numpy(dtype=float)
                mean, low, _ = mean_ci(d)
                row |= {outcome: mean, f"{outcome}_half": mean - low,
                        f"baseline_{outcome}": float(base[outcome].mean())}
            rows.append(row)
    return pd.DataFrame(rows)
