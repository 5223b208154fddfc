"""docs/validation.md and its figures, from the results of ``flexisim validate-model``."""

from __future__ import annotations

import datetime as dt
import subprocess
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flexisim.plots import ALERT, POLICY, subplots
from flexisim.validation.calibrate import BOUNDS, ORDER
from flexisim.validation.face import OUTCOMES, FaceDesign
from flexisim.validation.sensitivity import UNPINNED
from flexisim.validation.targets import Target, validation_dir

__all__ = ["target_figure", "face_figure", "sensitivity_figure", "write_report"]

_OUTCOME_LABEL = {"performance_change_pct": "performance vs office-only (%)",
                  "trust_effect_pp": "public trust vs office-only (points)"}


def code_version() -> str:
    """flexisim version and git commit of the code that ran (``-dirty``: uncommitted edits)."""
    from flexisim import __version__
    from flexisim.locations import source_checkout

    # an install has no commit of its own: git would describe whatever repository the
    # environment happens to sit in
    if source_checkout() is None:
        return f"flexisim {__version__}, installed (no commit)"
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"],
                             capture_output=True, text=True, cwd=Path(__file__).parent,
                             timeout=5, check=False)
        commit = out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"flexisim {__version__}, commit {commit}"


def _fmt(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return "n/a"
    if x != 0 and abs(x) < 0.01:
        return f"{x:.2g}"  # small rates (formal discipline per staff-year): two digits
    if unit in ("share", "share of wage", "ratio"):
        return f"{x:.3f}"
    return f"{x:.2f}"


def target_figure(target: Target, values: np.ndarray, row: pd.Series, path: Path) -> None:
    """The band (shaded), the published value (line), every run (dots), mean and 95% CI."""
    fig, ax = subplots(figsize=(7.2, 2.1))
    lo, hi = target.band
    ax.axvspan(lo, hi, color="#2ca02c", alpha=0.18, label="tolerance band")
    ax.axvline(target.target, color="#2ca02c", lw=2, label=f"published: {target.target:g}")
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(values))
    ax.scatter(values, jitter, s=12, color="#7f7f7f", alpha=0.7, label="model runs")
    colour = POLICY if row["pass"] else ALERT
    ax.errorbar([row["mean"]], [0], xerr=[[row["mean"] - row["ci_low"]],
                                          [row["ci_high"] - row["mean"]]],
                fmt="D", color=colour, ms=7, capsize=4, label="model mean, 95% CI")
    finite = values[np.isfinite(values)]
    span = [lo, hi, target.target, *(finite.tolist() or [])]
    pad = 0.08 * (max(span) - min(span) or 1.0)
    ax.set_xlim(min(span) - pad, max(span) + pad)
    ax.set_ylim(-0.5, 0.5)
    ax.set_yticks([])
    ax.set_xlabel(f"{target.outcome} [{target.unit}]", fontsize=8)
    title = f"{target.id}: {target.title} ({'pass' if row['pass'] else 'FAIL'})"
    ax.set_title(textwrap.fill(title, 70), fontsize=9, loc="left")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.savefig(path, dpi=110)


def face_figure(verdicts: pd.DataFrame, path: Path) -> None:
    """Paired differences with 95% intervals, one panel per outcome."""
    fig, axes = subplots(1, 2, figsize=(11, 0.55 * len(verdicts) + 1.4),
                         sharey=True)
    y = np.arange(len(verdicts))[::-1]
    for ax, outcome in zip(axes, OUTCOMES, strict=True):
        m = verdicts[outcome].to_numpy()
        err = [m - verdicts[f"{outcome}_low"].to_numpy(),
               verdicts[f"{outcome}_high"].to_numpy() - m]
        colours = [POLICY if v < 0 else "#2ca02c" for v in m]
        ax.barh(y, m, color=colours, alpha=0.6)
        ax.errorbar(m, y, xerr=err, fmt="none", color="black", capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"difference in {_OUTCOME_LABEL[outcome]}", fontsize=9)
    axes[0].set_yticks(y, verdicts["comparison"], fontsize=8)
    fig.suptitle("Face validity: paired differences (same worlds), mean and 95% CI", fontsize=10)
    fig.savefig(path, dpi=110)


def sensitivity_figure(table: pd.DataFrame, path: Path) -> None:
    """Tornado charts: change of each headline outcome at x0.5 and x1.5 of each coefficient,
    one row of panels per headline scenario."""
    scenarios = list(dict.fromkeys(table["scenario"]))
    names = list(dict.fromkeys(table["coefficient"]))
    fig, axes = subplots(len(scenarios), 2, squeeze=False,
                         figsize=(11, (0.42 * len(names) + 1.2) * len(scenarios)))
    y = np.arange(len(names))[::-1]
    for row, scenario in zip(axes, scenarios, strict=True):
        sub_s = table[table["scenario"] == scenario]
        for ax, outcome in zip(row, OUTCOMES, strict=True):
            for level, colour, dy in (("x0.5", "#9467bd", 0.18), ("x1.5", "#ff7f0e", -0.18)):
                sub = sub_s[sub_s["level"] == level].set_index("coefficient").reindex(names)
                ax.barh(y + dy, sub[outcome], height=0.34, color=colour, alpha=0.75,
                        label=level, xerr=sub[f"{outcome}_half"],
                        error_kw={"capsize": 2, "lw": 0.8})
            ax.axvline(0, color="black", lw=0.8)
            base = sub_s[f"baseline_{outcome}"].iloc[0]
            ax.set_title(f"{scenario}: change in {_OUTCOME_LABEL[outcome]}\n"
                         f"(with today's coefficients: {base:+.2f})", fontsize=9)
            ax.set_yticks(y, names, fontsize=8)
        row[1].legend(fontsize=8, frameon=False)
    fig.savefig(path, dpi=110)


def _table_md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_report(targets: Sequence[Target], runs: pd.DataFrame, summary: pd.DataFrame, *,
                 out: Path, command: str, calibration: dict[str, float],
                 face: tuple[FaceDesign, pd.DataFrame, pd.DataFrame] | None = None,
                 unpinned: pd.DataFrame | None = None, wall_time_s: float | None = None,
                 version: str | None = None) -> Path:
    """Write ``out`` (docs/validation.md) and its figures in ``out.parent/img/validation/``."""
    img = out.parent / "img" / "validation"
    img.mkdir(parents=True, exist_ok=True)
    rel = img.relative_to(out.parent)
    notes = _notes()
    by_id = summary.set_index("id")
    passed = int(summary["pass"].sum())
    lines = [
        "# Validation and calibration",
        "",
        f"*Generated by `{command}` on {dt.date.today().isoformat()} "
        f"({version or code_version()}"
        + (f", {wall_time_s / 60:.1f} min" if wall_time_s else "") + "). Do not edit by hand: "
        "the prose comes from experiments/validation/notes.md, the numbers from the runs.*",
        "",
        "Every published figure in ../shared/design/EVIDENCE.md that the model can represent "
        "has a validation experiment in `experiments/validation/` (one TOML file each: the "
        "study's setting as a scenario, what is measured, the published value and a tolerance "
        "band with its reason). `flexisim validate-model` runs each with its replications and "
        "checks whether the model's mean lies inside the band.",
        "",
        "```bash",
        ".venv/bin/flexisim validate-model                  # everything, writes this page",
        ".venv/bin/flexisim validate-model --only E1,O5 --no-docs   # a quick look",
        ".venv/bin/flexisim calibrate                        # re-fit the calibrated "
        "coefficients (--write to store)",
        "```",
        "",
        "Roles: **calibrated** -- a coefficient was fitted to this target by `flexisim "
        "calibrate` (so passing it is expected, not evidence); **hand-set** -- the figure "
        "informed a coefficient set by hand before the procedure existed (named in the target "
        "file): a consistency check, only partly out of sample; **held-out** -- never used to "
        "set anything: an out-of-sample check; **input** -- the figure is itself a model input "
        "(the check only shows it is wired as documented).",
        "",
        f"## Summary: {passed} of {len(summary)} targets inside their band",
        "",
    ]
    table = pd.DataFrame({
        "id": summary["id"],
        "target": summary["title"],
        "source": summary["source"],
        "role": summary["role"],
        "published": [f"{v:g}" for v in summary["target"]],
        "band": [f"[{lo:g}, {hi:g}]" for lo, hi in zip(summary["band_low"],
                                                     summary["band_high"], strict=True)],
        "model mean [95% CI]": [f"{_fmt(m, u)} [{_fmt(lo, u)}, {_fmt(hi, u)}]" for m, lo, hi, u
                                in zip(summary["mean"], summary["ci_low"], summary["ci_high"],
                                       summary["unit"], strict=True)],
        "unit": summary["unit"],
        "runs": summary["runs"],
        "pass": ["pass" if p else "**FAIL**" for p in summary["pass"]],
    })
    lines += [_table_md(table), ""]
    if notes.get("summary"):
        lines += [notes["summary"], ""]

    # ---------------------------------------------------------------- calibration
    lines += ["## Calibration", "", notes.get("calibration", ""), "",
              "| coefficient | value | fitted to | search range |", "|---|---|---|---|"]
    fitted_to: dict[str, list[str]] = {}
    for t in targets:
        for name in t.fitted if t.role == "calibrated" else ():
            fitted_to.setdefault(name, []).append(t.id)
    for name in ORDER:
        if name in fitted_to:
            lo, hi = BOUNDS[name]
            lines.append(f"| `{name}` | {calibration[name]:g} | "
                         f"{', '.join(sorted(fitted_to[name]))} | [{lo:g}, {hi:g}] |")
    lines.append("")

    # ---------------------------------------------------------------- one by one
    lines += ["## The targets one by one", ""]
    for t in targets:
        values = runs.loc[runs["id"] == t.id, "value"].to_numpy(dtype=float)
        row = by_id.loc[t.id]
        figure = img / f"{t.id}.png"
        target_figure(t, values, row, figure)
        file = _shown(t.path) if t.path else t.id
        verdict = "inside" if row["pass"] else "**outside**"
        lines += [
            f"### {t.id} -- {t.title}",
            "",
            f"*{t.source}* · role: {t.role}"
            + (f" ({'fits' if t.role == 'calibrated' else 'informed'} "
               f"`{'`, `'.join(t.fitted)}`)" if t.fitted else "") + f" · `{file}`",
            "",
            f"**Setting.** {' '.join(t.setting.split())}",
            "",
            f"**Measured.** {t.outcome}: model {_fmt(row['mean'], t.unit)} "
            f"[{_fmt(row['ci_low'], t.unit)}, {_fmt(row['ci_high'], t.unit)}] over "
            f"{int(row['runs'])} runs of {t.steps} weeks at {t.n_asn:,} ASN; published "
            f"{t.target:g}; band [{t.band[0]:g}, {t.band[1]:g}]: {verdict}.",
            "",
            f"**Band.** {' '.join(t.band_reason.split())}",
            "",
        ]
        if notes.get(t.id):
            lines += [notes[t.id], ""]
        lines += [f"![{t.id}]({rel}/{t.id}.png)", ""]

    # ---------------------------------------------------------------- face validity
    if face is not None:
        design, face_runs, verdicts = face
        face_figure(verdicts, img / "face_validity.png")
        lines += ["## Face validity of the article's argument", "",
                  notes.get("face", ""), "",
                  f"{design.replications} replications of {design.steps} weeks at "
                  f"{design.n_asn:,} ASN per configuration, paired on the same seeds "
                  "(experiments/validation/face/face_validity.toml). Differences are "
                  "mean [95% CI]; a difference counts only when its interval excludes zero.",
                  ""]
        rows = []
        for r in verdicts.itertuples(index=False):
            d = r._asdict()
            cells = [f"{d[o]:+.2f} [{d[o + '_low']:+.2f}, {d[o + '_high']:+.2f}]"
                     for o in OUTCOMES]
            rows.append([r.comparison, r.prediction, *cells, r.verdict])
        lines += [_table_md(pd.DataFrame(rows, columns=[
            "comparison", "article predicts", "performance difference (%)",
            "trust difference (points)", "model"])), ""]
        means = face_runs.groupby("configuration")[list(OUTCOMES)].mean()
        lines += ["Levels (mean over replications, against each run's office-only world):", "",
                  _table_md(means.round(2).reset_index()), "",
                  f"![face validity]({rel}/face_validity.png)", ""]

    # ---------------------------------------------------------------- limits
    lines += ["## What the evidence cannot pin down", "", notes.get("limits", ""), ""]
    if unpinned is not None:
        sensitivity_figure(unpinned, img / "unpinned_sensitivity.png")
        for scenario, sub_s in unpinned.groupby("scenario", sort=False):
            base = {o: sub_s[f"baseline_{o}"].iloc[0] for o in OUTCOMES}
            lines += [f"**{scenario}** ({int(sub_s['replications'].max())} replications of 104 "
                      f"weeks): with today's coefficients performance "
                      f"{base['performance_change_pct']:+.2f}% and public trust "
                      f"{base['trust_effect_pp']:+.2f} points against the office-only world. "
                      "Change when a coefficient is halved / increased by half (± 95% "
                      "interval):", "",
                      "| coefficient | why it is not pinned down | performance (%) x0.5 / x1.5 "
                      "| trust (points) x0.5 / x1.5 |", "|---|---|---|---|"]
            for name in dict.fromkeys(sub_s["coefficient"]):
                sub = sub_s[sub_s["coefficient"] == name].set_index("level")
                cells = [" / ".join(f"{sub.loc[lv, o]:+.2f} ± {sub.loc[lv, o + '_half']:.2f}"
                                    for lv in ("x0.5", "x1.5")) for o in OUTCOMES]
                lines.append(f"| `{name}` | {UNPINNED[name]} | {cells[0]} | {cells[1]} |")
            lines.append("")
        lines += [f"![sensitivity to unpinned coefficients]({rel}/unpinned_sensitivity.png)",
                  ""]
    if notes.get("limits_after"):
        lines += [notes["limits_after"], ""]
    # atomic: an interrupted write leaves the previous page, never half of a new one
    from flexisim.experiment.store import atomic_write

    page = "\n".join(lines).rstrip() + "\n"
    atomic_write(img / "runs.csv",
                 lambda tmp: tmp.write_text(runs.to_csv(index=False), encoding="utf-8"))
    atomic_write(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return out


def _shown(path: Path) -> str:
    """A target file as the report names it: ``experiments/validation/<file>`` for the shipped
    targets (in a checkout or an install), else its path."""
    try:
        return str(path.relative_to(validation_dir().parents[1]))
    except ValueError:  # --targets DIR elsewhere
        return str(path)


def _notes() -> dict[str, str]:
    """Sections of experiments/validation/notes.md keyed by their '## key' headings."""
    path = validation_dir() / "notes.md"
    if not path.exists():
        return {}
    sections: dict[str, list[str]] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            key = line[3:].strip()
            sections[key] = []
        elif key is not None:
            sections[key].append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


def summary_text(summary: pd.DataFrame) -> str:
    """The pass/fail table for the terminal."""
    cols = ["id", "role", "target", "band_low", "band_high", "mean", "ci_low", "ci_high", "pass"]
    shown: Any = summary[cols].copy()
    for c in ("target", "band_low", "band_high", "mean", "ci_low", "ci_high"):
        shown[c] = shown[c].map(lambda v: f"{v:.3g}")
    shown["pass"] = shown["pass"].map({True: "pass", False: "FAIL"})
    return shown.to_string(index=False)
