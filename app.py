"""The flexisim workshop dashboard: ``solara run app.py`` (see README, "Workshop dashboard").

Works offline: ``solara-assets`` serves every front-end file from this machine.
"""

import os

from flexisim.launch import require_dashboard

# without the dashboard extra: one clear line, "install flexisim[dashboard]"
require_dashboard()

# reacton's fast renderer (upstream, opt-in): after a step only the charts and the week
# counter are re-rendered, instead of the whole page being walked and every widget re-checked
# (see docs/dashboard.md, "Speed"). Set before the first render; REACTON_FAST=0 in the
# environment switches back to the default renderer.
os.environ.setdefault("REACTON_FAST", "1")

import solara.checks  # noqa: E402
import solara.server.settings  # noqa: E402

from flexisim.dashboard import Page, memory  # noqa: E402
from flexisim.dashboard.echarts import ASSETS  # noqa: E402
from flexisim.dashboard.state import warm_up  # noqa: E402

# Workshops may be offline, and nothing should leave the machine: no usage telemetry.
solara.server.settings.telemetry.mixpanel_enable = False
# ... and no version check: in development mode (the README's command) Solara's first page on
# a machine loads a hidden page from solara.dev until ~/.solara/.solara_checked exists.
# Solara has no setting for it (1.58.2; it skips the check only in production mode or under
# pytest); tests/test_browser.py fails if the page asks for anything off this machine.
solara.checks.should_perform_solara_check = lambda: False
# Solara's "This website runs on Solara" badge sits over the bottom-right chart.
solara.server.settings.theme.show_banner = False

# Our custom.js (starts loading the chart library while the page connects). Without the
# folder (e.g. a wheel built without it) the page works the same, only a little later.
if ASSETS.is_dir() and str(ASSETS) not in solara.server.settings.assets.extra_locations:
    solara.server.settings.assets.extra_locations.append(str(ASSETS))

# One tab must not take the laptop's memory (docs/dashboard.md, "Memory"): a tab that lost its
# connection is closed after a minute, not Solara's 24 hours (SOLARA_KERNEL_CULL_TIMEOUT in the
# environment wins), and a closed session's models are collected and handed back at once.
memory.install()

# Pay the first model's one-off costs now, at server start, not when the first person opens
# the page.
warm_up()

__all__ = ["Page"]
