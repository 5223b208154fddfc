"""The workshop dashboard: Solara components over :class:`flexisim.FlexiworkModel`.

``solara run app.py`` serves :func:`~flexisim.dashboard.page.Page`; see docs/dashboard.md.
"""

from flexisim.dashboard.page import Page

__all__ = ["Page"]
