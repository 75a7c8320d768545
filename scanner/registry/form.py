"""A registry file as read, before validation: plain data plus where each piece came from.

The YAML and the xlsx readers both produce a ``RawForm`` whose ``data`` has the shape of the
YAML contract (``organisations``/``sites``/``columns``), so validation is written once and every
problem can still be reported at the YAML line or the xlsx sheet and row it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scanner.errors import Problem

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("sites", 0, "columns", 2, "url")`` → ``sites[0].columns[2].url`` (how YAML names it)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class RawForm:
    """Plain data in the YAML contract's shape and a map from data paths to file places."""

    file: str
    data: Any
    # path → (location such as "line 12" or "sheet 网站基本信息 row 5", field label)
    places: dict[Path, tuple[str, str]] = field(default_factory=dict)
    # problems found while reading (syntax, duplicate keys, headers); validation adds more
    problems: list[Problem] = field(default_factory=list)
    # how a path is named when no place was recorded for it exactly (e.g. a missing field)
    label: Callable[[Path], str] = dotted
    # field labels whose "missing" problems are already reported once (a missing xlsx header)
    muted: set[str] = field(default_factory=set)

    def where(self, path: Path) -> tuple[str, str]:
        """The location and field label of ``path``: its own place or its nearest parent's."""
        path = tuple(path)
        if path in self.places:
            return self.places[path]
        for cut in range(len(path) - 1, -1, -1):
            if path[:cut] in self.places:
                return self.places[path[:cut]][0], self.label(path)
        return "", self.label(path)

    def problem(self, path: Path, message: str) -> Problem:
        location, label = self.where(path)
        return Problem(file=self.file, location=location, field=label, message=message)

    def sorted_problems(self) -> list[Problem]:
        """Problems in file order (sheet, then row or line), so people fix them top to bottom."""

        def key(p: Problem) -> tuple[str, int]:
            head, _, number = p.location.rpartition(" ")
            return (head, int(number)) if number.isdigit() else (p.location, 0)

        return sorted(self.problems, key=key)

    def note(self, location: str, field: str, message: str) -> None:
        """A problem at a place that is not a data path (a header cell, a sheet)."""
        self.problems.append(Problem(self.file, location, field, message))

    def add(self, path: Path, message: str) -> None:
        self.problems.append(self.problem(path, message))
