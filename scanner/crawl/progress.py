"""What a scan is about (a site) and what it shows while it runs (its counts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.clock import stopwatch

__all__ = ["ScanProgress", "SiteRef"]


@dataclass(frozen=True)
class SiteRef:
    id: int
    code: str
    name: str
    url: str
    own_hosts: tuple[str, ...] = ()


@dataclass
class ScanProgress:
    """Running counts one site's scan shows (the CLI polls them)."""

    code: str
    name: str
    phase: str = "排队"
    pages: int = 0
    errors: int = 0
    links: int = 0
    to_check: int = 0
    checked: int = 0
    reused: int = 0  # link verdicts taken from an earlier night (`link_verdict_reuse`)
    skipped: int = 0
    trapped: int = 0
    resumed: bool = False
    scan_id: int | None = None
    started: float = field(default_factory=stopwatch)
    finished: float | None = None
    error: str = ""  # why the scan stopped, when it failed (it stays resumable)
    note: str = ""  # why the site was not scanned now (another process holds it)

    def rate(self) -> float:
        """Pages per second so far (or over the whole scan once it ended)."""
        return self.pages / max((self.finished or stopwatch()) - self.started, 1e-3)

    def as_stats(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "errors": self.errors,
            "links": self.links,
            "checked": self.checked,
            "reused_verdicts": self.reused,
            "skipped_hrefs": self.skipped,
            "trapped": self.trapped,
        }
