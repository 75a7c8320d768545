"""Link checks shared by every site of a run: one check per external target, reused.

www.gov.cn is linked from thousands of government sites; its documents are checked once and the
result reused by every site's scan for ``link_cache_ttl`` (in memory for the run, and in the
``link_cache`` table across runs). Checks in flight are shared too: two sites asking for the
same target at once wait for the same request.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx

from probes.links import LinkResult, check_link
from scanner.clock import Clock
from scanner.crawl.store import CheckRow, Result
from scanner.crawl.urls import INVALID_URL
from scanner.db.models.crawl import LinkVerdict
from scanner.http import HostLimiter
from scanner.settings import Settings

__all__ = ["LinkChecker", "as_result", "recheck_rows"]


def as_result(r: LinkResult, at: datetime) -> Result:
    return (r.verdict.value, r.kind, r.status, r.failure, r.final_url, at)


class LinkChecker:
    def __init__(
        self,
        client: httpx.AsyncClient,
        limiter: HostLimiter,
        settings: Settings,
        clock: Clock,
        cache: dict[str, tuple[Result, datetime]] | None = None,
    ):
        self.client = client
        self.limiter = limiter
        self.settings = settings
        self.clock = clock
        self.cache: dict[str, tuple[Result, datetime]] = cache or {}
        self.new_cache: dict[str, Result] = {}  # to write to the link_cache table
        self._sem = asyncio.Semaphore(settings.link_checks_at_once)
        self._inflight: dict[str, asyncio.Future[Result]] = {}
        self.cache_hits = 0
        self.requests = 0

    async def check(
        self,
        url: str,
        *,
        external: bool,
        not_before: datetime | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> Result:
        """The result for ``url``; external targets come from the cache when fresh enough
        (checked within the TTL and, for a re-check, after ``not_before``)."""
        if external:
            hit = self.cache.get(url)
            if hit is not None:
                result, at = hit
                fresh = at >= self.clock.now() - timedelta(seconds=self.settings.link_cache_ttl)
                if fresh and (not_before is None or at >= not_before):
                    self.cache_hits += 1
                    return result
            running = self._inflight.get(url)
            if running is not None:
                self.cache_hits += 1
                return await asyncio.shield(running)
            future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            self._inflight[url] = future
            try:
                result = await self._check(url)
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # retrieved: waiters re-raise it, nobody logs it twice
                raise
            finally:
                self._inflight.pop(url, None)
            future.set_result(result)
            self.cache[url] = (result, result[5])
            self.new_cache[url] = result
            return result
        return await self._check(url, client)

    async def _check(self, url: str, client: httpx.AsyncClient | None = None) -> Result:
        async with self._sem:
            self.requests += 1
            found = await check_link(
                client or self.client,
                url,
                deadline=self.settings.page_timeout,
                max_bytes=self.settings.link_check_bytes,
                limiter=self.limiter,
                retry_after_cap=self.settings.retry_after_cap,
            )
        return as_result(found, self.clock.now())

    def take_new_cache(self) -> dict[str, Result]:
        out, self.new_cache = self.new_cache, {}
        return out


async def recheck_rows(
    checker: LinkChecker, rows: list[CheckRow], delay: float
) -> list[dict[str, Any]]:
    """The confirming re-check: still broken → confirmed; now fine or blocked → not charged."""

    async def one(row: CheckRow) -> dict[str, Any]:
        not_before = row.checked_at + timedelta(seconds=delay) if row.checked_at else None
        if row.kind == INVALID_URL:
            # The href is the page's own text: still malformed on the re-check, so confirmed.
            return {"id": row.id, "confirmed_at": checker.clock.now(), "recheck_due": None}
        verdict, kind, status, failure, final_url, at = await checker.check(
            row.target, external=row.external, not_before=not_before
        )
        if verdict == LinkVerdict.BROKEN.value:
            return {"id": row.id, "confirmed_at": at, "recheck_due": None}
        return {
            "id": row.id,
            "verdict": LinkVerdict(verdict),
            "kind": f"recovered:{kind}" if verdict == LinkVerdict.OK.value else kind,
            "status_code": status,
            "failure": failure,
            "final_url": final_url,
            "recheck_due": None,
        }

    return list(await asyncio.gather(*(one(r) for r in rows)))
