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


def _drawn(fig):
    """The figure drawn once with Agg, and its renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


def _panel_boxes(fig, renderer):
    """Each panel's extent with its labels, ticks and title, its twin axis included."""
    from matplotlib.transforms import Bbox

    boxes = {}
    for ax in fig.axes:  # a twin shares its panel's position
        key = tuple(round(v, 6) for v in ax.get_position().bounds)
        box = ax.get_tightbbox(renderer)
        boxes[key] = Bbox.union([boxes[key], box]) if key in boxes else box
    return boxes


def test_the_overview_figure_keeps_every_text_inside_it_and_the_panels_apart():
    """The overview has a fixed grid (not constrained layout: plots.OVERVIEW_GRID), so
    nothing moves texts out of each other's way: every text lies inside the figure and no
    two panels' extents (labels, tick labels, titles, a twin's right label) overlap -- also
    with long tick labels (values in the hundreds with three decimals, percentages near 100),
    shown in full rather than as an offset above the axis, where a title sits."""
    import numpy as np
    import pandas as pd

    from flexisim import FlexiworkModel
    from flexisim.plots import overview_figure

    model = FlexiworkModel(rng=1, n_asn=600)
    ts = model.run(6)
    summary, regions = model.summary(), list(model.pop.region_names)
    wide = ts.copy()
    wiggle = np.linspace(0.0, 0.0123, len(ts))
    for column in [c for c in ts if c.startswith("performance")]:
        wide[column] = 123.45 + wiggle
    for column in ("public_trust", "public_trust_counterfactual"):
        wide[column] = 99.98 - wiggle
    wide["share_distrustful"] = 0.9999 - wiggle / 10
    wide["mean_flex_days"] = 1.2345 + wiggle
    for frame in (ts, pd.DataFrame(wide)):
        fig = overview_figure(frame, summary, regions)
        renderer = _drawn(fig)
        panels = list(_panel_boxes(fig, renderer).values())
        assert len(panels) == 6
        # the drawn ticks only (a panel's tight box), and the figure's own title
        boxes = [*panels, fig._suptitle.get_window_extent(renderer)]
        outside = [box.bounds for box in boxes if not fig.bbox.padded(0.5).contains(
            box.x0, box.y0) or not fig.bbox.padded(0.5).contains(box.x1, box.y1)]
        assert not outside, outside
        offsets = [ax.yaxis.get_offset_text().get_text() for ax in fig.axes]
        assert not any(offsets), offsets  # they would run into the titles
        overlapping = [(a.bounds, b.bounds) for i, a in enumerate(boxes)
                       for b in boxes[i + 1:] if a.overlaps(b)]
        assert not overlapping, overlapping
