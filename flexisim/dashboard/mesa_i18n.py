"""Bahasa Indonesia for the texts Mesa's SolaraViz writes itself.

Mesa 3.5's ``SolaraViz`` builds its sidebar (Controls, Reset / Play / Step, Information) and
its page tabs ("Page 0", ...) from English string literals and offers no translation hook.
We keep using SolaraViz (its model controller, play loop and tabbed component pages are what
the architecture asks for) and translate those literals at the one place they pass through: the
``solara`` name inside ``mesa.visualization.solara_viz``. :func:`install` replaces that name
with :class:`_TranslatingSolara`, which forwards everything to the real ``solara`` module and
only rewrites the label of the few widgets Mesa creates with fixed text.

Reading :data:`flexisim.dashboard.i18n.language` while Mesa's components render subscribes
them to it, so switching the language re-renders Mesa's controls too. ``tests/test_dashboard.py``
renders the page in Indonesian and fails if one of Mesa's English labels is left, so a Mesa
upgrade that changes a label is caught by the tests, not by a workshop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import solara

from flexisim.dashboard import i18n, memory

#: Tab title key per SolaraViz page index (Mesa names them "Page 0", "Page 1", ...).
PAGE_TITLES: dict[int, str] = {0: "tab_charts", 1: "tab_agents", 2: "tab_compare",
                               3: "tab_why"}
_PAGE = re.compile(r"^Page (\d+)$")


def _tr(text: Any) -> Any:
    return i18n.mesa_text(text)


class _TranslatingV:
    """``solara.v`` with translated tab titles."""

    def __getattr__(self, name: str) -> Any:
        return getattr(solara.v, name)

    @staticmethod
    def Tab(*args: Any, children: list[Any] | None = None, **kwargs: Any) -> Any:  # noqa: N802
        titles = []
        for child in children or []:
            match = _PAGE.match(child) if isinstance(child, str) else None
            key = PAGE_TITLES.get(int(match[1])) if match else None
            titles.append(i18n.t(key) if key else child)
        return solara.v.Tab(*args, children=titles, **kwargs)

    @staticmethod
    def Tabs(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """Mesa's page tabs, with arrows when they do not fit the window (a 1024 px laptop,
        150 % zoom on a projector) instead of a tab cut off at the edge."""
        kwargs.setdefault("show_arrows", True)
        return solara.v.Tabs(*args, **kwargs)


#: Renders our own parameter panel inside Mesa's "Model Parameters" card:
#: ``panel(model, model_params) -> element``; registered by ``page.py``.
parameters_panel: Callable[[Any, dict[str, Any]], Any] | None = None


@solara.component
def _ParametersCard(title: Any = None, children: list[Any] | None = None,
                    **kwargs: Any) -> Any:
    """Mesa's parameter card with our panel in it.

    Mesa fills the card with ``ModelCreator(model, model_params, ...)``; the model and the
    parameters (our session's settings) are read from that element, so the panel belongs to
    this session without any global state. Mesa's ModelCreator stays in the card: its effect
    is what hands ``model_params`` to Mesa's Reset.
    """
    children = list(children or [])
    extra = []
    for child in children:
        args = getattr(child, "args", ())
        # our page's parameters carry the session's settings; another SolaraViz in the same
        # process (a plain one over FlexiworkModel, a notebook's) keeps Mesa's card as it is
        if parameters_panel is not None and len(args) >= 2 and isinstance(args[1], dict) \
                and "settings" in args[1]:
            extra.append(parameters_panel(args[0], args[1]))
            break
    return solara.Card(_tr(title), children=[*extra, *children], **kwargs)


def _admitted(reset: Callable[[], None]) -> Callable[[], None]:
    """Mesa's Reset, with a model that does not fit the memory refused in words on the page
    (:data:`flexisim.dashboard.memory.refused`) instead of a traceback: Mesa re-creates the
    model in the click, and ``DashboardModel`` is admitted before it allocates anything."""

    def click() -> None:
        memory.refused.set(None)
        try:
            reset()
        except memory.MemoryCapExceeded as exc:
            memory.refused.set(exc.estimate)

    return click


class _TranslatingSolara:
    """The ``solara`` module as Mesa's SolaraViz sees it: same API, translated fixed texts."""

    v = _TranslatingV()

    def __getattr__(self, name: str) -> Any:
        return getattr(solara, name)

    @staticmethod
    def Card(title: Any = None, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        if title == "Model Parameters" and not args:
            return _ParametersCard(title, **kwargs)
        return solara.Card(_tr(title), *args, **kwargs)

    @staticmethod
    def Button(*args: Any, label: Any = None, **kwargs: Any) -> Any:  # noqa: N802
        if args:  # Mesa passes label= by keyword; keep positional use working anyway
            args = (_tr(args[0]), *args[1:])
        if label == "Reset" and callable(kwargs.get("on_click")):
            kwargs["on_click"] = _admitted(kwargs["on_click"])
        return solara.Button(*args, label=_tr(label), **kwargs)

    @staticmethod
    def SliderInt(label: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return solara.SliderInt(_tr(label), *args, **kwargs)

    @staticmethod
    def Checkbox(*args: Any, label: Any = None, **kwargs: Any) -> Any:  # noqa: N802
        if label == "Use Threads":
            # a developer's switch (stepping in a thread), not a workshop's: kept for Mesa's
            # state, not shown
            kwargs["style"] = "display: none"
        return solara.Checkbox(*args, label=_tr(label), **kwargs)

    @staticmethod
    def Text(text: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return solara.Text(_tr(text), *args, **kwargs)

    @staticmethod
    def Error(label: Any = "", *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return solara.Error(_tr(label), *args, **kwargs)

    @staticmethod
    def GridDraggable(items: list[Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """A page's components one below the other, full width, instead of Mesa's grid.

        Each of our pages is one component that lays out its own charts, so Mesa's draggable
        grid of boxes would only add fixed box heights, drag handles and a script to load
        (vue-grid-layout) before the first chart can be drawn.
        """
        return solara.Column(children=items, gap="8px", style={"width": "100%"})


_installed = False


def install() -> None:
    """Make Mesa's SolaraViz show its fixed texts in the session's language (idempotent)."""
    global _installed
    if _installed:
        return
    from mesa.visualization import solara_viz

    solara_viz.solara = _TranslatingSolara()  # type: ignore[assignment]
    _installed = True
