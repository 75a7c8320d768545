"""One exception tree for the whole tool.

Lower-library errors (httpx, ssl, socket, yaml, openpyxl, SQLAlchemy) are mapped to these at the
boundary where they happen, so callers catch *our* classes and the CLI can print one clean line.
Every class below is raised somewhere (tests/test_design.py holds the drawing to the code)::

    CensusError
    ├── ConfigError            bad settings, registry or ruleset file (names file, line, field)
    │   └── RegistryError      a registry import was refused; nothing was written
    ├── StorageError           the database is missing, too old, or refused a write
    │   ├── NightlyBusy        another process holds the night's run
    │   └── LeaseBusy          another process holds the unit of work (a scan, a scoring run)
    ├── SiteNotFound           no registered site has that 网站标识码 or URL
    ├── FetchFailed            a resource could not be fetched; ``failure`` is a FailureKind
    ├── PageNotOpened          ``census inspect`` could not read its page or file
    ├── ReviewError            a review decision that cannot be taken
    ├── ReportError            a 抽查/问责 request that cannot be met
    ├── AccountError           a web user that cannot be added, changed or removed
    └── RenderFailed           the headless browser could not render a page (the scanner's
        └── RenderBudgetSpent  trouble, not the site's); tonight's rendering budget is used up

Outside the tree, on purpose: ``scoring.errors.RulesetError`` (scoring imports nothing of
ours; the CLI maps it to ``ConfigError``), and private control-flow signals that never reach a
person (a nightly step's timeout, the host map's DNS failure, which httpcore must recognise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module at start; scoring loads only when used
    from scoring.facts import FailureKind


class CensusError(Exception):
    """Base of every error this tool raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file: where it is and what is wrong."""

    file: str
    location: str  # "line 12", "row 7", "sheet 栏目 row 3"
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, {self.location}" if self.location else self.file
        field = f", field '{self.field}'" if self.field else ""
        return f"{where}{field}: {self.message}"


class ConfigError(CensusError):
    """A settings, registry or ruleset file is wrong; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", location="", field="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("\n".join(str(p) for p in problems))


class RegistryError(ConfigError):
    """A registry import was refused; nothing was written."""


class StorageError(CensusError):
    """The database could not be used as asked."""


class NightlyBusy(StorageError):
    """The night's run is marked running: another process works on it (or was killed)."""


class LeaseBusy(StorageError):
    """Another process holds the unit of work (a site's scan, a scoring run) right now."""


class SiteNotFound(CensusError):
    """No registered site has that 网站标识码 or homepage URL."""


class FetchFailed(CensusError):
    """A resource could not be fetched, by the site's or the network's doing; ``failure`` says
    why in the fixed taxonomy and ``elapsed_ms`` how long the attempt took."""

    def __init__(
        self, failure: FailureKind, detail: str, elapsed_ms: float, *, refused: bool = False
    ):
        super().__init__(f"{failure.value}: {detail}")
        self.kind = failure.value
        self.failure = failure
        self.detail = detail
        self.elapsed_ms = elapsed_ms
        self.refused = refused  # the address policy declined it: the site is not to blame


class PageNotOpened(CensusError):
    """The page (or file) ``census inspect`` was given could not be read; ``kind`` is a
    FailureKind value or 'file'."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ReviewError(CensusError):
    """A review action that cannot be done (unknown finding, no reviewer, same status …)."""


class ReportError(CensusError):
    """A report command was asked something impossible (quarter 5, unknown organisation …)."""


class AccountError(CensusError):
    """A user could not be added, changed or removed (the message says why)."""


class RenderFailed(CensusError):
    """The headless browser could not render a page (not started, timed out, crashed): the
    scanner's trouble, not the site's, so the static reading stands."""


class RenderBudgetSpent(RenderFailed):
    """Tonight's rendering budget (pages or seconds) is used up; static readings stand."""
