"""flexisim.plots: figures to files, without touching the caller's matplotlib backend."""

from __future__ import annotations

import subprocess
import sys


def test_importing_plots_keeps_the_backend_and_figures_still_save(tmp_path):
    """A notebook's backend (here the pdf backend, chosen first) survives the import, and the
    overview figure of a run is written as PNG without a display."""
    script = f"""
import matplotlib
matplotlib.use("pdf")
from flexisim import FlexiworkModel
import flexisim.plots as plots
assert matplotlib.get_backend() == "pdf", matplotlib.get_backend()
model = FlexiworkModel(rng=1, n_asn=600)
ts = model.run(3)
figure = plots.overview_figure(ts, model.summary(), list(model.pop.region_names))
path = plots.save_figure(figure, r"{tmp_path / 'o.png'}")
assert path.read_bytes()[:4] == b"\\x89PNG"
assert matplotlib.get_backend() == "pdf"
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
