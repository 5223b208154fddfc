"""The example notebooks (examples/*.ipynb): committed clean, and executed from a fresh kernel.

Each notebook runs with nbclient in the venv's ``python3`` kernel, in an empty temporary
folder as its working directory and with ``$FLEXISIM_EXAMPLES_OUT`` pointing into
``tmp_path``, so whatever it writes lands there and not in the source tree. A cell that
raises fails the test; then each notebook's outputs are checked for what its prose promises
(the effect table, the figures, the progress widget, PRIM's box).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def load(path: Path) -> Any:
    import nbformat

    return nbformat.read(path, as_version=4)


def tagged(nb: Any, tag: str) -> Any:
    """The code cell carrying ``tag`` (exactly one)."""
    found = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(found) == 1, f"{len(found)} cells tagged {tag!r}"
    return found[0]


def outputs(cell: Any, mime: str) -> list[str]:
    """Every output of ``cell`` of type ``mime`` ("stream" for printed text)."""
    found = []
    for out in cell.outputs:
        if mime == "stream" and out.output_type == "stream":
            found.append(out.text)
        elif out.output_type in ("display_data", "execute_result") and mime in out.data:
            data = out.data[mime]
            found.append(data if isinstance(data, str) else json.dumps(data))
    return found


def html(cell: Any) -> str:
    found = outputs(cell, "text/html")
    assert found, f"no HTML output in cell {cell.id}"
    return "\n".join(found)


def has_image(cell: Any) -> bool:
    return bool(outputs(cell, "image/png"))


def strings(code: str) -> list[str]:
    """The string literals of ``code`` (comments left out; IPython magics skipped)."""
    import io
    import tokenize

    lines = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith("%"))
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    return [t.string for t in tokenize.generate_tokens(io.StringIO(lines).readline)
            if t.type in kinds]


# --------------------------------------------------------------------------- fast checks

def test_the_three_examples_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == ["01_single_run.ipynb", "02_sweep_and_analysis.ipynb",
                                           "03_scenario_discovery.ipynb"]
    assert set(CHECKS) == {p.name for p in NOTEBOOKS}  # every notebook's outputs are checked
    readme = (EXAMPLES / "README.md").read_text()
    assert all(p.name in readme for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    """Outputs stay out of the repository: diffs show the code and the prose only."""
    import nbformat

    nb = load(path)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert "widgets" not in nb.metadata  # no stored widget state either


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_files_are_found_by_name_not_by_path(path: Path) -> None:
    """Scenarios and experiments are named, so the lookup (flexisim/locations.py) finds them
    from a checkout and from an install alike; no path into the checkout."""
    code = "\n".join(c.source for c in load(path).cells if c.cell_type == "code")
    for text in strings(code):
        assert not re.search(r"\b(scenarios|experiments)/|\.\./", text), text
    assert "__file__" not in code
    # a markdown cell opens each notebook, and prose explains every step
    cells = load(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert sum(c.cell_type == "markdown" for c in cells) >= sum(
        c.cell_type == "code" for c in cells) // 2


# --------------------------------------------------------------------------- execution

def number(text: str, label: str) -> list[float]:
    """The numbers after ``label`` on its line of a DataFrame's text."""
    line = next(ln for ln in text.splitlines() if ln.startswith(label))
    return [float(x) for x in re.findall(r"-?\d+\.\d+", line[len(label):])]


def check_single_run(nb: Any, out: Path) -> None:
    scenario = html(tagged(nb, "scenario"))
    assert "Scenario trust_but_verify" in scenario and "oversight.verification_rate" in scenario
    model = html(tagged(nb, "model"))
    assert "week 52 of 104" in model and "office-only twin" in model
    effect = tagged(nb, "effect")
    assert "<table" in html(effect)
    text = outputs(effect, "text/plain")[0]
    policy, twin, change = number(text, "performance (mean over the run)")[:3]
    assert policy != twin and change != 0.0
    assert (change < 0) == (policy < twin)  # the effect is the policy world against its twin
    assert has_image(tagged(nb, "figure"))
    compare = html(tagged(nb, "compare"))
    assert "trust_but_verify" in compare and "trust_without_verify" in compare
    assert not out.exists() or not any(out.iterdir())  # a single run writes nothing


def check_sweep(nb: Any, out: Path) -> None:
    sweep = tagged(nb, "sweep")
    if importlib.util.find_spec("ipywidgets") is not None:
        assert outputs(sweep, WIDGET), "the sweep's progress is no widget bar in the kernel"
    report = html(sweep)
    assert "Sweep report" in report and "complete" in report and "incomplete" not in report
    results = html(tagged(nb, "results"))
    assert "Results of experiment quick" in results
    assert "8 of 8 runs recorded, 8 ok, 0 failed" in results
    assert "mean effect against the office-only twin" in results
    table = html(tagged(nb, "table"))
    assert "performance_change_pct_ci_low" in table and "trust_effect_pp" in table
    assert has_image(tagged(nb, "figure")) and has_image(tagged(nb, "heatmap"))
    assert (out / "quick" / "experiment.json").is_file()
    assert (out / "quick" / "analysis" / "points.csv").is_file()


def check_discovery(nb: Any, out: Path) -> None:
    sweep = tagged(nb, "sweep")
    if importlib.util.find_spec("ipywidgets") is not None:
        assert outputs(sweep, WIDGET)
    assert "complete" in html(sweep)
    assert has_image(tagged(nb, "tradeoff"))
    prim = tagged(nb, "prim")
    said = "".join(outputs(prim, "stream"))
    coverage, density = map(float, re.search(r"coverage ([\d.]+), density ([\d.]+)",
                                             said).groups())
    assert coverage > 0 and density >= 0.8
    levers = {"trust_culture", "verification_rate", "mandated_share", "measurement_credibility",
              "device_access"}
    limits = html(prim)
    assert any(lever in limits for lever in levers)  # the box restricts some of the levers
    scores = html(tagged(nb, "scores"))
    assert all(lever in scores for lever in levers) and "performance_change_pct" in scores
    assert (out / "discovery" / "experiment.json").is_file()


CHECKS = {"01_single_run.ipynb": check_single_run,
          "02_sweep_and_analysis.ipynb": check_sweep,
          "03_scenario_discovery.ipynb": check_discovery}


def tree(folder: Path) -> set[tuple[str, int]]:
    return {(str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    monkeypatch.setenv("FLEXISIM_EXAMPLES_OUT", str(out))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws
    for name in ("FLEXISIM_SCENARIOS", "FLEXISIM_EXPERIMENTS"):
        monkeypatch.delenv(name, raising=False)
    before = tree(EXAMPLES)
    nb = load(path)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    assert nb.metadata["language_info"]["version"].startswith(
        ".".join(map(str, sys.version_info[:2])))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    assert tree(EXAMPLES) == before  # nothing written beside the notebooks
    assert not any(work.iterdir())  # nor into the working directory
    CHECKS[path.name](nb, out)
