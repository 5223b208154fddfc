"""The flexisim workshop dashboard: ``solara run app.py`` (see README, "Workshop dashboard").

Works offline: ``solara-assets`` serves every front-end file from this machine.
"""

from flexisim.dashboard import Page

__all__ = ["Page"]
