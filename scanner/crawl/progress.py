"""What a scan is about (a site) and what it shows while it runs (its counts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scanner.clock import stopwatch

__all__ = ["ScanProgress", "SiteRef", "hosts_of"]


def hosts_of(url: str, own_hosts: Iterable[str]) -> set[str]:
    """The hosts a site owns: its homepage's and the registry's ``own_hosts``, lower case."""
    hosts = {(urlsplit(url).hostname or "").lower()}
    hosts.update(h.lower() for h in own_hosts)
    hosts.discard("")
    return hosts


@dataclass(frozen=True)
class SiteRef:
    id: int
    code: str
    name: str
    url: str
    own_hosts: tuple[str, ...] = ()

    @property
    def hosts(self) -> set[str]:
        return hosts_of(self.url, self.own_hosts)


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
    not_modified: int = 0  # pages the server answered 304 Not Modified (conditional request)
    same_body: int = 0  # pages whose body hashed as the last night's: not parsed again
    pages_kept: int = 0  # pages not requested (`crawl_page_reuse`): their stored links stood
    # Broken links confirmed by tonight's check, broken as the last night confirmed them.
    confirmed_earlier: int = 0
    reused_since: datetime | None = None  # the oldest reused verdict or page (from which night)
    reuse_windows: tuple[float, float] = (0.0, 0.0)  # link_verdict_reuse, crawl_page_reuse
    skipped: int = 0
    trapped: int = 0
    resumed: bool = False
    scan_id: int | None = None
    started: float = field(default_factory=stopwatch)
    finished: float | None = None
    error: str = ""  # why the scan stopped, when it failed (it stays resumable)
    note: str = ""  # why the site was not scanned now (another process holds it)

    def reused_at(self, when: datetime) -> None:
        """Note that something of ``when`` (an earlier night's verdict or page) was reused."""
        if self.reused_since is None or when < self.reused_since:
            self.reused_since = when

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
            "not_modified": self.not_modified,
            "same_body": self.same_body,
            "pages_kept": self.pages_kept,
            "confirmed_earlier": self.confirmed_earlier,
            "reused_since": self.reused_since.isoformat() if self.reused_since else None,
            "verdict_reuse_s": self.reuse_windows[0],
            "page_reuse_s": self.reuse_windows[1],
            "skipped_hrefs": self.skipped,
            "trapped": self.trapped,
        }
