"""Packaging (issue 17 item 5): the core does not need the dashboard extra, and without it the
dashboard says what to install; the declared floors come from pyproject.toml.

The core's independence is checked where every package is installed (this venv): after
``flexisim run``, ``validate`` and a model's step in a fresh interpreter, nothing of Solara,
the Vue widgets, Altair or ``mesa.visualization`` is in ``sys.modules``. The missing extra is
simulated by naming a distribution that does not exist among the ones required.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import min_constraints  # noqa: E402

DASHBOARD_ONLY = ("solara", "reacton", "ipyvue", "ipyvuetify", "ipywidgets", "altair",
                  "mesa.visualization")

PROBE = """
import json, sys
from flexisim.cli import main
codes = [main(["validate", sys.argv[1]]),
         main(["run", "--steps", "1", "--asn", "600", "--quiet", "--out", sys.argv[2]])]
from flexisim.model import FlexiworkModel
FlexiworkModel(rng=1, n_asn=600).step()
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def test_core_commands_import_nothing_of_the_dashboard(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "scenarios" / "permenpan_4_2025.toml"),
         str(tmp_path / "run")], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["codes"] == [0, 0]
    assert (tmp_path / "run" / "summary.json").is_file()
    leaked = [m for m in found["modules"]
              if any(m == d or m.startswith(d + ".") for d in DASHBOARD_ONLY)]
    assert leaked == [], f"the core imported dashboard packages: {leaked[:10]}"
    assert "flexisim.dashboard" not in found["modules"]


MISSING = """
import sys
import flexisim.launch as launch
launch.DASHBOARD_DISTRIBUTIONS = ("solara", "no-such-distribution-flexisim")
from flexisim.cli import main
if sys.argv[1] == "cli":
    sys.exit(main(["dashboard", "--port", "8799"]))
sys.path.insert(0, sys.argv[2])
import app
"""


def test_dashboard_without_its_extra_says_what_to_install(tmp_path):
    done = subprocess.run([sys.executable, "-c", MISSING, "cli"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "no-such-distribution-flexisim" in lines[0]
    assert "install flexisim[dashboard]" in lines[0]
    assert "solara," not in lines[0]  # installed here: not named as missing
    assert "Traceback" not in done.stderr


def test_import_app_without_the_extra_fails_with_the_install_line(tmp_path):
    done = subprocess.run([sys.executable, "-c", MISSING, "app", str(ROOT)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("flexisim.launch.DashboardMissing: ")
    assert "install flexisim[dashboard]" in last
    assert "import solara" not in done.stderr


def test_missing_dashboard_is_empty_here():
    from flexisim.launch import missing_dashboard

    assert missing_dashboard() == []  # this venv has the extra (./test.sh installs it)


def test_constraints_are_the_declared_floors():
    pins, free = min_constraints.floors(["numpy>=1.26", "mesa[network]>=3.5.1,<4",
                                         "solara==1.58.2", "ipyvue<2", "Foo_Bar.baz>=2"])
    assert pins == {"numpy": "1.26", "mesa": "3.5.1", "solara": "1.58.2", "foo-bar-baz": "2"}
    assert free == ["ipyvue<2"]
    with pytest.raises(SystemExit, match="two floors"):
        min_constraints.floors(["mesa>=3.5.1", "mesa[rec]>=3.6"])


def test_constraints_file_covers_every_core_dependency():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "min_constraints.py"),
                           "dashboard"], capture_output=True, text=True, check=True)
    pinned = {line.split("==")[0] for line in done.stdout.splitlines()
              if line and not line.startswith("#")}
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {min_constraints.floors([d])[0].popitem()[0] for d in deps}
    assert names <= pinned, names - pinned
    assert {"solara", "solara-assets", "mesa"} <= pinned
