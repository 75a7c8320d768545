"""Fetching a page for the crawl: like `scanner.http.fetch`, but a body that is not HTML is cut
after its first bytes.

A page-like URL (``/download.jsp?id=5``) can turn out to be a 200 MB video; the crawl only needs
to know that it opened, so it never downloads a file whole — the same promise the link checks
make. One deadline for the whole fetch, and the same failure taxonomy, as `fetch`.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import httpx

from scanner.http import Fetched, FetchFailed, HostLimiter, classify_exception

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
) -> Fetched:
    """GET ``url`` within ``deadline`` seconds: an HTML body up to ``max_bytes``, anything else
    up to ``other_bytes``."""
    started = time.perf_counter()
    host = httpx.URL(url).host
    try:
        async with AsyncExitStack() as stack:
            if limiter is not None:
                await stack.enter_async_context(limiter.slot(host))
            async with asyncio.timeout(deadline):
                response = await stack.enter_async_context(client.stream("GET", url))
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                html = not ctype or ctype.startswith(_HTML_TYPES)  # no type: sniffed later
                cap = max_bytes if html else other_bytes
                chunks: list[bytes] = []
                size = 0
                truncated = False
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        chunks.append(chunk[: len(chunk) - (size - cap)])
                        truncated = True
                        break
                    chunks.append(chunk)
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        elapsed = (time.perf_counter() - started) * 1000
        raise FetchFailed(classify_exception(exc), str(exc) or type(exc).__name__, elapsed) from exc
    return Fetched(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        headers=response.headers,
        content=b"".join(chunks),
        truncated=truncated,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        redirects=[str(r.url) for r in response.history],
    )
