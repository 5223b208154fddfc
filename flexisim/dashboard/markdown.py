"""Markdown for the page's own texts, rendered on the server: no front-end libraries.

``solara.Markdown`` loads KaTeX and Mermaid in the browser on every mount, through Solara's
CDN proxy: ``solara-assets`` lacks KaTeX, so on first use the *server* fetches it from
cdn.jsdelivr.net -- offline, three failed requests and a page error. Our texts (the catalogue
in :mod:`flexisim.dashboard.i18n`, never user input) need neither formulas nor diagrams.
"""

from __future__ import annotations

import functools
from typing import Any

import markdown as _markdown
import solara


@functools.lru_cache(maxsize=256)
def to_html(text: str) -> str:
    """HTML of a Markdown text (tables and lists; no raw-HTML filtering: trusted texts only)."""
    return _markdown.markdown(text, extensions=["tables", "sane_lists"])


@solara.component
def Markdown(text: str, classes: list[str] | None = None,
             style: dict[str, Any] | None = None) -> Any:
    """A Markdown text from the catalogue, as static HTML."""
    return solara.HTML(tag="div", unsafe_innerHTML=to_html(text),
                       classes=["flexisim-prose", *(classes or [])], style=style or {})
