"""The workshop dashboard as an importable module, for ``flexisim dashboard`` (an install has
no ``app.py``): ``solara run flexisim.dashboard_app``.

It sets up what the repository's ``app.py`` sets up (keep the two alike): reacton's fast
renderer, no telemetry, no version check, no Solara banner, the chart assets, the memory
guard (docs/dashboard.md, "Memory"), and the first model's one-off costs paid at server start.
"""

import os

from flexisim.launch import require_dashboard

# without the dashboard extra: one clear line, "install flexisim[dashboard]"
require_dashboard()

os.environ.setdefault("REACTON_FAST", "1")

import solara.checks  # noqa: E402
import solara.server.settings  # noqa: E402

from flexisim.dashboard import Page, memory  # noqa: E402
from flexisim.dashboard.echarts import ASSETS  # noqa: E402
from flexisim.dashboard.state import warm_up  # noqa: E402

# nothing leaves the machine: no usage telemetry, no version check against the package index
solara.server.settings.telemetry.mixpanel_enable = False
solara.checks.should_perform_solara_check = lambda: False
solara.server.settings.theme.show_banner = False

if ASSETS.is_dir() and str(ASSETS) not in solara.server.settings.assets.extra_locations:
    solara.server.settings.assets.extra_locations.append(str(ASSETS))

memory.install()
warm_up()

__all__ = ["Page"]
