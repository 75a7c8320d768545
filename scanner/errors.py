"""One exception tree for the whole tool.

Lower-library errors (httpx, ssl, socket, yaml, openpyxl, SQLAlchemy) are mapped to these at the
boundary where they happen, so callers catch *our* classes and the CLI can print one clean line::

    CensusError
    ├── ConfigError            bad settings, registry or ruleset file (names file, line, field)
    │   └── RegistryError      one or more problems in a site registry import
    ├── StorageError           the database is missing, too old, or refused a write
    ├── ProbeError             a visit to a site failed; ``kind`` is a FailureKind value
    │   ├── DNSFailed
    │   ├── ConnectFailed
    │   ├── TLSFailed
    │   ├── ProbeTimeout
    │   └── ProtocolFailed
    ├── NotYetAvailable        a command whose issue has not landed yet
    └── RenderFailed           the headless browser could not render a page
        └── RenderBudgetSpent  tonight's rendering budget is used up
"""

from __future__ import annotations

from dataclasses import dataclass


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


class ProbeError(CensusError):
    """A visit failed in a way that is the site's (or the network's) doing."""

    kind: str = "protocol"


class DNSFailed(ProbeError):
    kind = "dns"


class ConnectFailed(ProbeError):
    kind = "connect"


class TLSFailed(ProbeError):
    kind = "tls"


class ProbeTimeout(ProbeError):
    kind = "timeout"


class ProtocolFailed(ProbeError):
    kind = "protocol"


class NotYetAvailable(CensusError):
    """A command that exists in the CLI but whose work has not landed yet."""


class RenderFailed(CensusError):
    """The headless browser could not render a page (not started, timed out, crashed): the
    scanner's trouble, not the site's, so the static reading stands."""


class RenderBudgetSpent(RenderFailed):
    """Tonight's rendering budget (pages or seconds) is used up; static readings stand."""
