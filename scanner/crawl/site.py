"""One site's scan: crawl breadth-first, then check every distinct link target once, then
re-check the broken ones after a delay before they count.

A target that the crawl fetched as a page is judged from that fetch (no second request); the
others get `probes.links.check_link`. The homepage and the pages it links to (second level)
mark their targets, so scoring can charge a homepage link 1 point and any other 0.1, and apply
the navigation-only rule.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit

import httpx

from probes.links import (
    Verdict,
    honour_retry_after,
    is_html,
    judge,
    judge_failure,
    looks_like_page,
    needs_text,
)
from probes.page import PageLinks, page_links
from scanner.clock import Clock, stopwatch
from scanner.crawl.checker import LinkChecker, recheck_rows
from scanner.crawl.collector import crawl_collector
from scanner.crawl.fetching import fetch_page
from scanner.crawl.frontier import Frontier, Scope
from scanner.crawl.progress import ScanProgress, SiteRef
from scanner.crawl.store import (
    AS_STORED,
    INSIDE,
    PAGE,
    Batch,
    CheckRow,
    Memo,
    Occurrence,
    Result,
    ScanStore,
    TargetState,
    memo_data,
    pack_links,
    stored_targets,
    unpack_links,
    verdict_values,
)
from scanner.crawl.urls import (
    INVALID_URL,
    TrapGuard,
    cut_fragment,
    invalid_target,
    is_http_href,
    is_next_page,
    normalize_url,
    url_key,
)
from scanner.db.models.crawl import LinkVerdict
from scanner.http import Fetched, FetchFailed, HostLimiter, build_client
from scanner.settings import Settings

__all__ = ["ScanProgress", "SiteCrawl", "SiteRef"]

# A batch is written after 50 pages' work at first, then after as much as is already written,
# up to 250 pages, and at least every 10 seconds (see `SiteCrawl._batch_limit`).
_BATCH_PAGES = 50
_BATCH_MAX = 250
_BATCH_SECONDS = 10.0
_GONE_AFTER = 10  # page fetches in a row that failed in transport: the site went away
_NORMAL_MEMO = 4096  # hrefs whose normal form a crawl remembers (≈ 1 MB; navigation repeats)
_TRANSPORT = frozenset({"dns", "connect", "tls", "timeout", "protocol"})
_CHECK_CHUNK = 500
# Evidence rows of unchanged pages held back until the links are judged (`SiteCrawl.deferred`,
# ≈ 150 bytes each with its link text): past this many they are stored with the batch like a
# read page's.
_DEFERRED_MAX = 50_000
_UNKNOWN = "\x00unknown"  # not in the normal-form memo (None is a memo's value)
_TAG = itemgetter(1)  # a stored link's tag (href, tag, text, valid)
_TARGET = itemgetter(0)  # a (target, tag) pair's target


class SiteCrawl:
    def __init__(
        self,
        site: SiteRef,
        *,
        settings: Settings,
        client: httpx.AsyncClient,
        limiter: HostLimiter,
        checker: LinkChecker,
        store: ScanStore,
        clock: Clock,
        progress: ScanProgress,
        own_client: bool = False,
    ):
        self.site = site
        self.settings = settings
        self.client = client
        self.limiter = limiter
        self.checker = checker
        self.store = store
        self.clock = clock
        self.progress = progress
        self.own_client = own_client  # build a client for this site's hosts (else: ``client``)
        self.params = settings.session_params
        # href → normal form, per page encoding: a site's navigation repeats on every page
        # (70,846 links to 7,524 targets on the peers site), so most hrefs were normalised
        # before. Bounded (cleared when full): the navigation's hrefs come back at once.
        self._normal: dict[tuple[str, str], str | None] = {}
        self._keys: dict[str, int] = {}  # target → url_key (bounded likewise)
        # Targets whose next link on a deep page can change nothing but their count (`_replay`):
        # placed, their evidence full, and not a page still to queue. Bounded likewise.
        self._quiet: dict[str, TargetState] = {}
        home = normalize_url(site.url, session_params=self.params)
        if home is None:
            raise ValueError(f"not an http(s) homepage URL: {site.url!r}")
        self.home = home
        self.scope = Scope([urlsplit(home).hostname or "", *site.own_hosts])
        # The hosts the operator registered: reachable at any address (a site on an intranet
        # or loopback address), unlike hosts that pages or redirects name.
        self.registered = tuple(sorted(self.scope.hosts))
        self.frontier = Frontier(settings.crawl_max_pages, settings.crawl_max_depth)
        self.guard = TrapGuard(settings.crawl_query_cap)
        self.targets: dict[int, TargetState] = {}
        self.page_results: dict[int, Result] = {}  # pages fetched before anything linked them
        self.second_level: set[int] = set()  # the site's pages the homepage links to
        # Pages whose links were read: a page reached twice (``/a`` 301 → ``/a/`` and a direct
        # ``/a/`` link) gives its links once.
        self.read_pages: set[int] = set()
        self.home_ok: bool | None = None  # did the homepage open (None: not fetched this run)
        self.failed_in_row = 0
        self.went_away = False  # the site stopped answering mid-crawl: pause, resume later
        self.batch = Batch()
        self._written = 0  # the work (`Batch.work`) of the batches written so far
        self._written_at = clock.monotonic()  # when the last batch was written
        # The site's pages as their last fetch showed them: validators for conditional
        # requests, and the links that stand when a page has not changed.
        self.memo_on = settings.crawl_conditional or settings.crawl_page_reuse > 0
        self.memos: dict[str, Memo] = {}
        self.kept: list[int] = []  # pages not requested tonight (`crawl_page_reuse`)
        # The evidence of the unchanged pages, held back until the links are judged: only that
        # of the links not judged 'ok' is ever read (a scorecard's broken links), and an
        # unchanged night's ≈ 20,000 rows shrink to a few hundred (`_keep_evidence`). Their
        # links stay in the pages' memos, from which a resumed scan chooses them again.
        self.deferred: list[Occurrence] = []
        progress.reuse_windows = (settings.link_verdict_reuse, settings.crawl_page_reuse)
        self.scan_id = 0
        self._active = 0
        self._wake = asyncio.Event()

    # -- the whole scan ------------------------------------------------------------------------
    async def run(self, *, restart: bool = False, links: bool = True) -> int:
        """Crawl, check links (unless ``links`` is false) and re-check; the scan's id.

        The site's lease is held throughout: a second process scanning the same site at the
        same time gets `LeaseBusy` instead of resuming this live scan under our feet.
        """
        from scanner.leases import hold

        async with hold(self.store.db, f"scan:{self.site.id}", f"网站 {self.site.code} 的扫描"):
            with crawl_collector():
                return await self._run(restart=restart, links=links)

    async def _run(self, *, restart: bool, links: bool) -> int:
        p = self.progress
        self.scan_id, resumed = await self.store.run(
            lambda: self.store.open_scan(
                self.site.id, self.home, restart=restart, now=self.clock.now()
            )
        )
        p.scan_id, p.resumed = self.scan_id, resumed
        status, error = "interrupted", ""
        try:
            if self.own_client:
                # The site's own pools: httpcore scans every pooled connection on every request,
                # so one small pool per limiter slot costs far less CPU than one big shared pool.
                self.client = build_client(
                    self.settings,
                    max_connections=len(self.scope.hosts) + 1,
                    shards=self.settings.per_host_connections,
                    trusted_hosts=self.registered,
                    engine="lean",
                )
            await self._restore(resumed)
            p.phase = "抓取"
            await self.crawl()
            if self.went_away:
                # Not the site's links' fault: stop, keep what was seen, resume later.
                error = (
                    f"连续 {_GONE_AFTER} 个页面无法打开，扫描暂停；稍后再次运行 census scan 继续"
                )
                p.phase = "中途无法访问"
                p.error = error
                return self.scan_id
            if self.home_ok is False:
                # Nothing to judge the links by: not a clean bill, so not a 'done' scan either.
                status = "homepage_failed"
                p.phase = "首页无法访问"
                return self.scan_id
            if links:
                await self._unkeep()
                p.phase = "检查链接"
                await self.check_links()
                await self._confirm_as_before()
                await self._keep_evidence(every_link=False)
                p.phase = "等待复查"
                await self.recheck(wait=True)
            else:
                await self._keep_evidence(every_link=True)
            status = "done"
            p.phase = "完成"
        except (asyncio.CancelledError, KeyboardInterrupt):
            p.phase = "中断"
            raise
        except Exception as exc:  # a bug or a storage error: recorded, the scan resumable
            error = f"{type(exc).__name__}: {exc}"
            p.phase = "出错"
            p.error = error
            raise
        finally:
            if self.own_client:
                await self.client.aclose()
            p.finished = stopwatch()
            stats = p.as_stats()
            finished = self.clock.now()
            await asyncio.shield(
                self.store.run(self.store.finish, self.scan_id, status, stats, error, finished)
            )
        return self.scan_id

    async def _restore(self, resumed: bool) -> None:
        if self.memo_on:
            self.memos = await self.store.run(self.store.load_memos, self.site.id)
        if not resumed:  # its homepage queued with its row (`ScanStore.open_scan`)
            self.frontier.requeue(self.home, 0)
            return
        loaded = await self.store.run(self.store.load, self.scan_id)
        for url in loaded.queued:
            self.frontier.mark_seen(url)
            self.guard.allow(url)  # count what the caps already let through
        for url in loaded.fetched:
            self.frontier.mark_seen(url)
        for url, depth in loaded.pending:
            self.frontier.requeue(url, depth)
        self.targets = {url_key(t): s for t, s in loaded.targets.items()}
        self.second_level = {
            url_key(t) for t, s in loaded.targets.items() if s.home and self.scope.inside(t)
        }
        if self.memo_on:
            self._choose_evidence_again(
                await self.store.run(self.store.unchanged_pages, self.scan_id)
            )
        self.progress.pages = len(loaded.fetched)
        self.progress.links = len(self.targets)

    # -- crawling ------------------------------------------------------------------------------
    async def crawl(self) -> None:
        workers = max(2, self.settings.per_host_connections) * max(1, len(self.scope.hosts))
        await asyncio.gather(*(self._worker() for _ in range(min(workers, 32))))
        await self._flush()

    async def _worker(self) -> None:
        while not self.went_away:
            item = self.frontier.pop()
            if item is None:
                if self._active == 0:
                    self._wake.set()
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            self._active += 1
            try:
                await self._visit(*item)
            finally:
                self._active -= 1
                self._wake.set()
            work = self.batch.work()
            if work >= self._batch_limit() or (
                work and self.clock.monotonic() - self._written_at >= _BATCH_SECONDS
            ):
                await self._flush()

    def _batch_limit(self) -> int:
        """How much work the batch holds before it is written: 50 pages at first, then as much
        as is already written, up to 250 (and, in `_worker`, whatever it holds after 10 s).
        Every write re-writes the rows and index pages its pages touch — the counts of the
        navigation's targets, the unique indexes of pages, targets and occurrences — each as a
        WAL frame, so fewer, larger writes cost less. A scan killed in its first pages loses at
        most 50, one killed later at most half of what it had read or 10 s of a slow site."""
        return max(_BATCH_PAGES, min(_BATCH_MAX, self._written))

    async def _flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        self._written += batch.work()
        self._written_at = self.clock.monotonic()
        batch.freeze()
        if batch.pages or batch.touched or batch.frontier or batch.memos or batch.memo_drop:
            await self.store.run(
                self.store.flush,
                self.scan_id,
                batch,
                self.progress.as_stats(),
                self.settings.link_recheck_delay,
                self.site.id,
            )

    async def _visit(self, url: str, depth: int) -> None:
        p = self.progress
        at = self.clock.now()
        page: dict[str, Any] = {"scan_id": self.scan_id, "url": url, "depth": depth}
        memo = self.memos.pop(url, None)
        if memo is not None and self._keep(memo, depth, url, at):
            p.pages_kept += 1
            p.reused_at(memo.fetched_at)
            self._unchanged(url, depth, memo, page, "kept", memo.fetched_at)
            return
        validators: dict[str, str] | None = None
        if memo is not None and self.settings.crawl_conditional:
            validators = {}
            if memo.etag:
                validators["If-None-Match"] = memo.etag
            if memo.last_modified:
                validators["If-Modified-Since"] = memo.last_modified
        try:
            response = await fetch_page(
                self.client,
                url,
                deadline=self.settings.page_timeout,
                max_bytes=self.settings.max_body_bytes,
                limiter=self.limiter,
                other_bytes=self.settings.link_check_bytes,
                headers=validators or None,
            )
        except FetchFailed as exc:
            p.errors += 1
            if depth == 0:
                self.home_ok = False
            if exc.failure.value in _TRANSPORT and not exc.refused:
                self.failed_in_row += 1
                if self.failed_in_row >= _GONE_AFTER and depth > 0:
                    self.went_away = True
                    self.frontier.requeue(url, depth)  # fetched again on resume
                    self._wake.set()
                    return
            verdict, kind = judge_failure(exc.failure, refused=exc.refused)
            self._page_result(url, (verdict.value, kind, None, exc.failure.value, None, at))
            self.batch.pages.append(page | {"fetched_at": at, "failure": exc.failure.value})
            p.pages += 1
            return
        honour_retry_after(self.limiter, url, response, cap=self.settings.retry_after_cap)
        self.failed_in_row = 0
        final = normalize_url(response.final_url, session_params=self.params) or url
        digest = hashlib.sha256(response.content).hexdigest()
        if memo is not None:
            if validators and response.status == 304:
                p.not_modified += 1
                self._unchanged(url, depth, self._validated(memo, response, at), page, "304", at)
                return
            same = (
                response.status == memo.status
                and digest == memo.content_hash
                and (final if final != url else None) == memo.final_url
                and not response.truncated
            )
            if same:
                p.same_body += 1
                self._unchanged(url, depth, self._validated(memo, response, at), page, "same", at)
                return
        found: PageLinks | None = None
        encoding = "utf-8"
        if response.status < 300 and is_html(response) and response.content:
            text, encoding = response.text()
            found = page_links(
                text,
                response.final_url,
                want_text=needs_text,
                content=response.content,
                encoding=encoding,
            )
        verdict, kind = judge(response, expect_document=False, found=found)
        if depth == 0:
            self.home_ok = verdict is Verdict.OK
        if verdict is not Verdict.OK:
            p.errors += 1
        result = (
            verdict.value,
            kind,
            response.status,
            "",
            final if final != url else None,
            at,
        )
        self._page_result(url, result)
        if final != url and self.scope.inside(final):
            self.frontier.mark_seen(final)
            self._page_result(final, result)
        elif final != url and depth == 0:
            self._widen_scope(final)  # the homepage moved: follow it
        self.batch.pages.append(
            page
            | {
                "status": response.status,
                "title": (found.title if found else "")[:1000],
                "content_hash": digest,
                "fetched_at": at,
                "final_url": final if final != url else None,
                "content_type": response.content_type[:200],
                "bytes": len(response.content),
                "soft404": kind in ("soft404", "redirect_soft404"),
            }
        )
        p.pages += 1
        readable = found is not None and verdict is Verdict.OK and self.scope.inside(final)
        targets: list[str | None] | None = None
        if readable and found is not None and url_key(final) not in self.read_pages:
            self.read_pages.add(url_key(final))
            targets = self._links(final, depth, found, encoding)
        if self.memo_on:
            if readable and found is not None and not response.truncated:
                self.batch.memos.append(
                    Memo(
                        url,
                        at,
                        response.status,
                        final if final != url else None,
                        response.headers.get("etag", ""),
                        response.headers.get("last-modified", ""),
                        digest,
                        response.content_type,
                        len(response.content),
                        pack_links(found, encoding, targets, self.params),
                    )
                )
            elif memo is not None:
                self.batch.memo_drop.append(url)  # not readable now: no stale links next night

    def _keep(self, memo: Memo, depth: int, url: str, now: datetime) -> bool:
        """Whether a page need not be requested tonight (`crawl_page_reuse`): deeper than the
        second level, and read 'ok' recently enough. The homepage and the second-level pages,
        whose links are the 1-point links, are always requested."""
        window = self.settings.crawl_page_reuse
        if window <= 0 or depth < 2:
            return False
        key = url_key(url)
        state = self.targets.get(key)
        if key in self.second_level or (state is not None and (state.home or state.second)):
            return False
        if (now - memo.fetched_at).total_seconds() >= window:
            return False
        self.kept.append(key)
        return True

    async def _unkeep(self) -> None:
        """A page kept from an earlier night that a second-level page turned out to link too
        (a list's later page read late): a 1-point link after all, so it is checked tonight."""
        ids = [
            st.id
            for key in self.kept
            if (st := self.targets.get(key)) is not None
            and st.id is not None
            and (st.home or st.second)
        ]
        if ids:
            await self.store.run(self.store.forget_verdicts, ids)

    def _validated(self, memo: Memo, response: Fetched, at: datetime) -> Memo:
        """The memo of a page seen unchanged now: stored again with tonight's time (and the
        validators the server gives now)."""
        memo.fetched_at = at
        memo.etag = response.headers.get("etag", memo.etag)
        memo.last_modified = response.headers.get("last-modified", memo.last_modified)
        memo.renewed = True  # its links stand: only these columns are written again
        self.batch.memos.append(memo)
        return memo

    def _unchanged(
        self, url: str, depth: int, memo: Memo, page: dict[str, Any], how: str, at: datetime
    ) -> None:
        """A page known not to have changed since ``memo``: its verdict and its stored links
        stand, and nothing is parsed (``how``: 304, same body, or not requested)."""
        p = self.progress
        self.batch.replayed += 1
        data = memo_data(memo.links)
        normal = stored_targets(data, self.params)
        final = memo.final_url or url
        result: Result = (Verdict.OK.value, "ok", memo.status, "", memo.final_url, at)
        if depth == 0:
            self.home_ok = True
        self._page_result(url, result)
        if final != url and self.scope.inside(final):
            self.frontier.mark_seen(final)
            self._page_result(final, result)
        elif final != url and depth == 0:
            self._widen_scope(final)
        self.batch.pages.append(
            page
            | {
                "status": memo.status,
                "title": str(data["t"])[:1000],
                "content_hash": memo.content_hash,
                "fetched_at": at,
                "final_url": memo.final_url,
                "content_type": memo.content_type[:200],
                "bytes": memo.size,
                "soft404": False,
                "reuse": how,
            }
        )
        p.pages += 1
        final_key = url_key(final)
        if final_key not in self.read_pages and self.scope.inside(final):
            self.read_pages.add(final_key)
            if normal is not None:
                p.skipped += int(data["s"])
                if depth == 0 or final_key in self.second_level:
                    self._count(final, depth, data["l"], normal, self.deferred)
                else:
                    self._replay(final, depth, data["l"], normal)
            else:  # a memo from before normal forms were stored, or under other parameters
                found, encoding, _ = unpack_links(memo.links, self.params)
                self._links(final, depth, found, encoding, self.deferred)
            if len(self.deferred) >= _DEFERRED_MAX:  # stored now, memory stays bounded
                self.batch.occurrences.extend(self.deferred)
                self.deferred.clear()

    def _choose_evidence_again(self, pages: list[tuple[str, int]]) -> None:
        """A resumed scan's held-back evidence (`deferred`, lost with the process that held
        it): chosen again from the memos of the unchanged pages it had replayed, in their
        order, as `_count` and `_replay` choose — a link of the homepage or a second-level page
        always, another while its target has fewer than `link_max_occurrences`. Counts, flags
        and queue were stored with the pages and stay as they are."""
        cap = self.settings.link_max_occurrences
        seen: set[int] = set()
        for url, depth in pages:
            memo = self.memos.get(url)
            if memo is None:  # the memo deleted since (by hand): its evidence went with it
                continue
            final = memo.final_url or url
            final_key = url_key(final)
            if final_key in seen or not self.scope.inside(final):
                continue
            seen.add(final_key)
            always = depth == 0 or final_key in self.second_level
            links, normal = self._memo_links(memo)
            seen_here: set[tuple[int, str]] = set()
            for (href, tag, text, valid), target in zip(links, normal, strict=True):
                if target is None:
                    if valid and not is_http_href(href):
                        continue
                    target = invalid_target(href)
                key = url_key(target)
                state = self.targets.get(key)
                if state is None or (key, tag) in seen_here:
                    continue
                seen_here.add((key, tag))
                if state.stored < cap or always:
                    state.stored += 1
                    self.deferred.append((state, final, tag, text[:300]))

    def _memo_links(self, memo: Memo) -> tuple[list[Any], list[str | None]]:
        """A memo's links as stored (href, tag, text, valid) with each href's normal form."""
        data = memo_data(memo.links)
        normal = stored_targets(data, self.params)
        if normal is not None:
            return data["l"], normal
        found, encoding, _ = unpack_links(memo.links, self.params)
        normal = [self._normalize(k.url, encoding) if k.valid else None for k in found.links]
        return list(map(AS_STORED, found.links)), normal

    def _widen_scope(self, url: str) -> None:
        """The homepage moved to ``url``'s host: its pages are the site's own too (and where
        each known target lies is worked out again)."""
        self.scope.add(urlsplit(url).hostname or "")
        self._quiet.clear()
        for state in self.targets.values():
            state.where = None

    def _page_result(self, url: str, result: Result) -> None:
        key = url_key(url)
        state = self.targets.get(key)
        if state is None:
            self.page_results[key] = result
        else:
            state.result = result
            self.batch.touch(state)

    def _normalize(self, url: str, encoding: str) -> str | None:
        """`normalize_url`, with a bounded memo (see ``_normal``). The fragment is cut
        before the memo is asked (`cut_fragment`): ``/a.html#top`` is ``/a.html``."""
        url = cut_fragment(url)
        key = (url, encoding)
        try:
            return self._normal[key]
        except KeyError:
            pass
        if len(self._normal) >= _NORMAL_MEMO:
            self._normal.clear()
        target = self._normal[key] = normalize_url(url, encoding, self.params)
        return target

    def _links(
        self,
        page_url: str,
        depth: int,
        found: PageLinks,
        encoding: str,
        evidence: list[Occurrence] | None = None,
    ) -> list[str | None]:
        """Count a freshly read page's links and queue its pages (`_count`); the normalised
        form of each href (None: not normalisable), which the page's memo keeps."""
        # `_normalize` inlined for the memo's hits (most of a page's links: its navigation)
        normal, normalize = self._normal, self._normalize
        targets: list[str | None] = []
        add = targets.append
        for link in found.links:
            if not link.valid:
                add(None)
                continue
            url = link.url
            if "#" in url:
                url = cut_fragment(url)
            target = normal.get((url, encoding), _UNKNOWN)
            add(normalize(url, encoding) if target is _UNKNOWN else target)
        self.progress.skipped += found.skipped
        # a lazy map, not a list (a list cost 7 % more)
        self._count(page_url, depth, map(AS_STORED, found.links), targets, evidence)
        return targets

    def _first_sight(
        self, key: int, target: str, malformed: bool, state: TargetState | None
    ) -> TargetState:
        """A target first seen tonight (a new `TargetState`, its row queued for insertion), or
        one whose place must be worked out again (``state.where`` None after a scope change)."""
        inside = not malformed and self.scope.inside(target)
        where = (INSIDE | (PAGE if looks_like_page(target) else 0)) if inside else 0
        if state is None:
            state = self.targets[key] = TargetState()
            row = {
                "scan_id": self.scan_id,
                "target": target,
                "external": not inside,
                "on_homepage": False,
                "on_second_level": False,
                "occurrences": 0,
            }
            self.batch.new_targets.append((state, row))
            self.progress.links += 1
            known = self.page_results.pop(key, None)
            if malformed:
                broken = LinkVerdict.BROKEN.value
                state.result = (broken, INVALID_URL, None, "", None, self.clock.now())
            elif known is not None:
                state.result = known
        state.where = where
        return state

    def _enqueue(
        self, page_url: str, depth: int, target: str, text: str, key: int | None = None
    ) -> None:
        """Queue a page of the site that a page links to (unless a trap's cap says no);
        ``key``: the target's `url_key`, when known."""
        if self.guard.allow(target):
            same_level = depth > 0 and is_next_page(page_url, target, text)
            child = depth if same_level else depth + 1
            if self.frontier.add(target, child, key):
                self.batch.frontier.append({"scan_id": self.scan_id, "url": target, "depth": child})
        else:
            self.progress.trapped += 1

    def _count(
        self,
        page_url: str,
        depth: int,
        links: Iterable[Any],
        normal: list[str | None],
        evidence: list[Occurrence] | None = None,
    ) -> None:
        """Count a page's links, flag the homepage's and the second level's, keep their
        evidence and queue the site's pages: ``links`` are (href, tag, text, valid), ``normal``
        the normal form of each href (None: not normalisable) — from a fresh read (`_links`)
        or an unchanged page's memo (`_unchanged`), without building a `Link` per href. A
        target's key is hashed once while it stays in a bounded memo (the navigation's targets
        are on every page). The evidence goes to the batch, or to ``evidence``."""
        p = self.progress
        cap = self.settings.link_max_occurrences
        page_key = url_key(page_url)
        second_page = page_key in self.second_level
        evidence_always = depth == 0 or second_page
        targets = self.targets
        touched = self.batch.touched
        occurrences = self.batch.occurrences if evidence is None else evidence
        known_key = self.frontier.known_key
        keys = self._keys
        seen_here: set[tuple[int, str]] = set()
        for (href, tag, text, valid), target in zip(links, normal, strict=True):
            malformed = False
            if target is None:
                if valid and not is_http_href(href):
                    p.skipped += 1  # ftp:, data:, about: … not the census's links
                    continue
                # An href no browser can open: the site's error, judged here without a request.
                target, malformed = invalid_target(href), True
                key = url_key(target)
            else:
                key = keys.get(target, 0) or self._new_key(target)
            if (key, tag) in seen_here:
                continue
            seen_here.add((key, tag))
            state = targets.get(key)
            if state is None or state.where is None:
                state = self._first_sight(key, target, malformed, state)
            where = state.where or 0
            state.count += 1
            if depth == 0:
                state.home = True
                if where & INSIDE:
                    self.second_level.add(key)
            elif second_page:
                state.second = True
            touched[id(state)] = state
            if state.stored < cap or evidence_always:
                state.stored += 1
                occurrences.append((state, page_url, tag, text[:300]))
            if where & PAGE and not known_key(key):
                self._enqueue(page_url, depth, target, text, key)

    def _new_key(self, target: str) -> int:
        """A target's `url_key`, remembered in the bounded memo `_keys`."""
        keys = self._keys
        if len(keys) >= _NORMAL_MEMO:
            keys.clear()
        key = keys[target] = url_key(target)
        return key

    def _replay(
        self, page_url: str, depth: int, links: list[list[Any]], normal: list[str | None]
    ) -> None:
        """`_count` for an unchanged page that is neither the homepage nor a second-level page
        (most of a quiet night's pages): the same counts, evidence and queue.

        Most of such a page's links go to targets for which one more link changes nothing but
        their count (`_quiet`: placed, as many evidence rows as `link_max_occurrences`, and
        not a page still to queue — all of which stay so for the rest of the scan). Those are
        deduplicated by (target, tag) and counted per page in C (`Batch.counted`, added to
        the counts when the batch is frozen); only the page's other links go through the
        per-link bookkeeping of `_count`, in the page's order (which link fills a target's
        last evidence slot depends on it). The evidence is held back (`deferred`)."""
        quiet = self._quiet
        counted = self.batch.counted
        pairs = dict.fromkeys(zip(normal, map(_TAG, links), strict=True))
        states = list(map(quiet.get, map(_TARGET, pairs)))
        counted.update(filter(None, states))
        if None not in states:  # every link quiet (a page of the navigation only)
            return
        p = self.progress
        cap = self.settings.link_max_occurrences
        targets = self.targets
        touched = self.batch.touched
        occurrences = self.deferred
        known_key = self.frontier.known_key
        keys = self._keys
        seen_here: set[tuple[int, str]] = set()
        full: list[tuple[str, TargetState, int, int]] = []  # evidence full after this page
        for (href, tag, text, valid), target in zip(links, normal, strict=True):
            if target in quiet:
                continue  # counted above
            malformed = False
            if target is None:
                if valid and not is_http_href(href):
                    p.skipped += 1
                    continue
                target, malformed = invalid_target(href), True
                key = url_key(target)
            else:
                key = keys.get(target, 0) or self._new_key(target)
            if (key, tag) in seen_here:
                continue
            seen_here.add((key, tag))
            state = targets.get(key)
            if state is None or state.where is None:
                state = self._first_sight(key, target, malformed, state)
            where = state.where or 0
            state.count += 1
            touched[id(state)] = state
            if state.stored < cap:
                state.stored += 1
                occurrences.append((state, page_url, tag, text[:300]))
            if where & PAGE and not known_key(key):
                self._enqueue(page_url, depth, target, text, key)
            if state.stored >= cap and not malformed:
                full.append((target, state, key, where))
        # Quiet from the next page on, not within this one: a quiet target is counted only
        # by `counted`, which for this page was taken before the loop.
        for target, state, key, where in full:
            if not where & PAGE or known_key(key):
                if len(quiet) >= _NORMAL_MEMO:
                    quiet.clear()
                quiet[target] = state

    # -- link checks ---------------------------------------------------------------------------
    async def check_links(self) -> None:
        """Check every target still without a verdict: a steady pool of workers, so one slow
        target (a 15-second timeout) holds up one worker, not a whole chunk of checks."""
        p = self.progress
        queue: asyncio.Queue[CheckRow | None] = asyncio.Queue(maxsize=_CHECK_CHUNK)
        done: list[dict[str, Any]] = []
        workers = max(2, min(self.settings.link_checks_at_once, 64))
        await self._reuse_verdicts()

        async def work() -> None:
            while (row := await queue.get()) is not None:
                done.append(await self._check(row))
                if len(done) >= _CHECK_CHUNK // 2:
                    await self._save(done)

        tasks = [asyncio.create_task(work()) for _ in range(workers)]
        try:
            after = 0
            while rows := await self.store.run(
                self.store.unchecked, self.scan_id, after, _CHECK_CHUNK
            ):
                after = rows[-1].id
                p.to_check += len(rows)
                for row in rows:
                    await queue.put(row)
            for _ in tasks:
                await queue.put(None)
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        await self._save(done)

    async def _reuse_verdicts(self) -> None:
        """Earlier nights' 'ok' verdicts still fresh enough stand for a check tonight (none
        when `link_verdict_reuse` is 0). Broken and undetermined links are always checked
        again, and so is every link on the homepage and the second-level pages."""
        keep = self.settings.link_verdict_reuse
        if keep <= 0:
            return
        since = self.clock.now() - timedelta(seconds=keep)
        count, oldest = await self.store.run(
            self.store.reuse_verdicts, self.site.id, self.scan_id, since
        )
        self.progress.reused += count
        if oldest is not None:
            self.progress.reused_at(oldest)

    async def _confirm_as_before(self) -> None:
        """A link broken tonight just as the last finished scan found it broken and confirmed
        (the same kind and HTTP status, confirmed within `link_verdict_reuse`) is confirmed by
        tonight's check: failing on two nights is at least the evidence a re-check hours later
        gives, and the site is not asked again. A link broken for the first time, or otherwise
        than before, waits for its re-check as always; with reuse off (0), every one does."""
        keep = self.settings.link_verdict_reuse
        if keep <= 0:
            return
        since = self.clock.now() - timedelta(seconds=keep)
        self.progress.confirmed_earlier += await self.store.run(
            self.store.confirm_as_before, self.site.id, self.scan_id, since
        )

    async def _keep_evidence(self, *, every_link: bool) -> None:
        """Store the held-back evidence of the unchanged pages once the links are judged: that
        of the links not judged 'ok' (all of it when ``every_link``: no link checks)."""
        deferred, self.deferred = self.deferred, []
        if deferred:
            await self.store.run(
                lambda: self.store.save_evidence(self.scan_id, deferred, every_link=every_link)
            )

    async def _save(self, done: list[dict[str, Any]]) -> None:
        rows = done[:]
        done.clear()
        if rows:
            await self.store.run(self.store.save_results, rows)
        await self._save_cache()

    async def _check(self, row: CheckRow) -> dict[str, Any]:
        client = None if row.external else self.client
        result = await self.checker.check(row.target, external=row.external, client=client)
        self.progress.checked += 1
        return {"id": row.id, **verdict_values(result, self.settings.link_recheck_delay)}

    async def _save_cache(self) -> None:
        entries = self.checker.take_new_cache()
        if entries:
            await self.store.run(self.store.save_cache, entries)

    async def recheck(self, *, wait: bool) -> int:
        """Re-check this scan's broken links once their delay has passed; waits for them when
        the delay is short (``link_recheck_wait``), else leaves them to a later run."""
        delay = self.settings.link_recheck_delay
        if wait and delay > self.settings.link_recheck_wait:
            return 0
        rows = await self.store.run(lambda: self.store.broken_unconfirmed(scan_id=self.scan_id))
        if not rows:
            return 0
        latest = max(r.checked_at for r in rows if r.checked_at is not None)
        pause = (latest + timedelta(seconds=delay) - self.clock.now()).total_seconds()
        if pause > 0:
            await self.clock.sleep(pause)
        updates = await recheck_rows(self.checker, rows, delay)
        await self.store.run(self.store.save_results, updates)
        await self._save_cache()
        return len(updates)
