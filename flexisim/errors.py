"""Errors of bad input: one base class, one line per problem.

Every file or command-line input flexisim reads -- scenario files, experiment files,
validation targets, results folders, command-line arguments -- is checked where it enters,
and every problem found is reported as one line naming the source, the field, the value and
what is allowed. All of them raise a subclass of :class:`InputError`; the ``flexisim``
command turns any of them into exit status 2 with those lines on stderr, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ExperimentError", "FolderError", "InputError", "ScenarioError", "TargetError",
           "UsageError"]


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
