"""Errors of bad input: one base class, one line per problem.

Every file or command-line input flexisim reads -- scenario files, experiment files,
validation targets, results folders, command-line arguments -- is checked where it enters,
and every problem found is reported as one line naming the source, the field, the value and
what is allowed. All of them raise a subclass of :class:`InputError`; the ``flexisim``
command turns any of them into exit status 2 with those lines on stderr, and writes nothing.

Names and values quoted from an input pass through :func:`safe_text` first, so a file cannot
send escape sequences to the terminal or fill it with a 100,000-character key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_SHOWN", "MAX_SOURCE", "ExperimentError", "FolderError", "InputError",
           "ScenarioError", "TargetError", "UsageError", "format_where", "safe_text"]

#: longest rendering of a name or value from an input in a message, in characters
MAX_SHOWN = 60
#: longest rendering of a source (a file's path) in a message: paths are long, and must
#: stay recognisable
MAX_SOURCE = 300


def safe_text(text: Any, limit: int = MAX_SHOWN) -> str:
    """A name or value from an input, safe to quote in a one-line message.

    Parameters
    ----------
    text : Any
        The name or value (``str(text)`` is shown).
    limit : int
        Longest result, in characters.

    Returns
    -------
    str
        `text` with every non-printable character (control characters such as ``"\\x1b"``
        that start terminal escape sequences, line breaks, ``"\\u2028"``, ...) escaped as
        ``repr`` does, so nothing reaches the terminal but printable text on one line; if
        longer than `limit`, its beginning, an ellipsis and its length:
        ``"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk… (100,000 characters)"``.

    Notes
    -----
    Only the first `limit` + 1 characters are escaped, so a huge name costs no more than a
    short one.
    """
    text = str(text)
    pieces: list[str] = []
    used = 0
    for ch in text[: limit + 1]:
        piece = ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        pieces.append(piece)
        used += len(piece)
        if used > limit:
            break
    else:
        return "".join(pieces)
    note = f"… ({len(text):,} characters)"
    room = max(limit - len(note), 1)
    kept, used = [], 0
    for piece in pieces:  # whole escapes only, never half of one
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + note


def format_where(source: str, where: str | None, what: str, allowed: str | None = None) -> str:
    """One problem as one line, ``SOURCE: where: what (allowed: ...)``, or ``SOURCE: what``
    without `where`: what came from the input made safe to print (:func:`safe_text`).

    Parameters
    ----------
    source : str
        The file (or other input) the problem is in; shortened only beyond
        :data:`MAX_SOURCE` characters, so that the file stays recognisable.
    where : str or None
        The key, dotted (``"oversight.verification_rate"``); each of its names is shortened
        on its own, so a 100,000-character key does not hide the table it is in.
    what, allowed : str
        What is wrong, and what would be accepted (None: nothing to add); written by
        flexisim, not taken from the input.

    Returns
    -------
    str

    See Also
    --------
    flexisim.scenario.format_problem : the same with the offending value.
    """
    line = safe_text(source, MAX_SOURCE)
    if where is not None:
        line += ": " + safe_text(".".join(safe_text(part) for part in where.split(".")),
                                 4 * MAX_SHOWN)
    line += f": {what}"
    return line if allowed is None else f"{line} (allowed: {allowed})"


class InputError(ValueError):
    """One or more problems in an input, one line each.

    Parameters
    ----------
    problems : iterable of str
        The problems, each a single line ``SOURCE: where: value: what (allowed: ...)``.

    Attributes
    ----------
    problems : list of str
        The problems in the order they were found; ``str(error)`` joins them with newlines.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the problem list intact when pickled (process pools, Dask workers).
        return (type(self), (self.problems,))


class ScenarioError(InputError):
    """Problems in a scenario (a file, an ``extends`` chain or lever overrides)."""


class ExperimentError(InputError):
    """Problems in an experiment definition (experiments/*.toml)."""


class TargetError(InputError):
    """Problems in a validation target or the face-validity design (experiments/validation)."""


class FolderError(InputError):
    """An output folder that cannot take these results."""


class UsageError(InputError):
    """Bad command-line input."""
