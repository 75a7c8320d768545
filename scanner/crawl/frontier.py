"""The crawl frontier: breadth-first, memory-bounded, and the scope of one site.

The seen-set holds 8-byte URL hashes (an int each), not URLs, and the queue holds only URLs not
yet fetched, so memory grows with the pending part of the site, never with all of it; the page
cap bounds both. What was queued is also written to the database (``crawl_frontier``) with the
page that found it, which is what an interrupted scan resumes from.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from urllib.parse import urlsplit

from scanner.crawl.urls import url_key

__all__ = ["Frontier", "Scope"]


class Scope:
    """The hosts whose pages are the site's own: its homepage host, the hosts its registry entry
    lists, and wherever its homepage redirects to."""

    def __init__(self, hosts: Iterable[str]):
        self.hosts = {h.lower().rstrip(".") for h in hosts if h}
        # What `inside` said per "scheme://" + authority text: a site's URLs share a few hosts,
        # and a URL parse per new target was most of the cost of placing it. Bounded.
        self._said: dict[str, bool] = {}

    def add(self, host: str) -> None:
        self.hosts.add(host.lower().rstrip("."))
        self._said.clear()

    def inside(self, url: str) -> bool:
        if url.startswith(("http://", "https://")):
            # urlsplit's host of such a URL depends on the text up to the first "/" after the
            # "//" alone (the authority ends there or earlier, at "?" or "#"): the memo's key.
            end = url.find("/", 8)
            head = url if end < 0 else url[:end]
            said = self._said.get(head)
            if said is None:
                if len(self._said) >= 1024:
                    self._said.clear()
                said = self._said[head] = (urlsplit(url).hostname or "") in self.hosts
            return said
        return (urlsplit(url).hostname or "") in self.hosts


class Frontier:
    """URLs to fetch in breadth-first order, each at most once, at most ``max_pages`` in all."""

    def __init__(self, max_pages: int, max_depth: int):
        self.max_pages = max_pages
        self.max_depth = max_depth
        self._seen: set[int] = set()
        self._queue: deque[tuple[str, int]] = deque()
        self.refused_depth = 0
        self.refused_cap = 0

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def seen(self) -> int:
        return len(self._seen)

    def known_key(self, key: int) -> bool:
        """Whether a URL, by its `url_key`, has been seen by this crawl."""
        return key in self._seen

    def mark_seen(self, url: str) -> None:
        """Remember a URL without queueing it (a page fetched before an interruption)."""
        self._seen.add(url_key(url))

    def add(self, url: str, depth: int, key: int | None = None) -> bool:
        """Queue ``url`` unless seen, too deep or over the page cap; True when queued.
        ``key``: its `url_key`, when the caller has it already."""
        if key is None:
            key = url_key(url)
        if key in self._seen:
            return False
        if depth > self.max_depth:
            self.refused_depth += 1
            return False
        if len(self._seen) >= self.max_pages:
            self.refused_cap += 1
            return False
        self._seen.add(key)
        self._queue.append((url, depth))
        return True

    def requeue(self, url: str, depth: int) -> None:
        """Put back a URL that is already counted as seen (resuming)."""
        self._seen.add(url_key(url))
        self._queue.append((url, depth))

    def pop(self) -> tuple[str, int] | None:
        return self._queue.popleft() if self._queue else None
