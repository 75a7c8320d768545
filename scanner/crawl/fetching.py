"""Fetching a page for the crawl: like `scanner.http.fetch`, but a body that is not HTML is cut
after its first bytes.

A page-like URL (``/download.jsp?id=5``) can turn out to be a 200 MB video; the crawl only needs
to know that it opened, so it never downloads a file whole — the same promise the link checks
make. One deadline for the whole fetch, and the same failure taxonomy, as `fetch`.
"""

from __future__ import annotations

import httpx

from scanner.http import Fetched, HostLimiter, fetch

__all__ = ["fetch_page"]

_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")


async def fetch_page(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    limiter: HostLimiter | None = None,
    other_bytes: int = 16_384,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET ``url`` within ``deadline`` seconds: an HTML body up to ``max_bytes``, anything else
    up to ``other_bytes`` (``headers``: a conditional request's validators)."""

    def cap(answer: httpx.Headers) -> int:
        ctype = answer.get("content-type", "").split(";")[0].strip().lower()
        html = not ctype or ctype.startswith(_HTML_TYPES)  # no type: sniffed later
        return max_bytes if html else other_bytes

    return await fetch(
        client, url, deadline=deadline, max_bytes=cap, limiter=limiter, headers=headers
    )
