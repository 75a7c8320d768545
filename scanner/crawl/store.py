"""Storage of scans: one writer, batched, each batch all-or-nothing.

A page, the URLs it queued, the link targets it revealed and its evidence rows are written in
the same transaction, so an interruption loses whole pages only — which the resumed scan fetches
again from the stored frontier, never counting anything twice. Writes go through one
lock, in the event loop's thread (no "database is locked"; see `ScanStore.run` for why not a
worker thread).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from probes.page import Link, PageLinks
from scanner.db import Database
from scanner.db.models.crawl import (
    CrawlFrontier,
    LinkCache,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Page,
    PageMemo,
    Scan,
)

__all__ = [
    "AS_STORED",
    "INSIDE",
    "PAGE",
    "Batch",
    "CheckRow",
    "Loaded",
    "Memo",
    "Occurrence",
    "ScanStore",
    "TargetState",
    "aware",
    "memo_data",
    "pack_links",
    "stored_targets",
    "unpack_links",
]

T = TypeVar("T")
_TRANSPORT = ("dns", "connect", "tls", "timeout", "protocol")  # failures that say "site away"

# A crawl-time or check-time verdict: (verdict, kind, status, failure, final_url, checked_at).
Result = tuple[str, str, int | None, str, str | None, datetime]


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


INSIDE, PAGE = 1, 2  # `TargetState.where` bits


class TargetState:
    """What a scan knows about one distinct link target while it crawls (kept per target)."""

    __slots__ = ("count", "home", "id", "result", "second", "stored", "where")

    def __init__(self, id_: int | None = None, home: bool = False, second: bool = False):
        self.id = id_
        # Where the target lies, worked out once per scan (a URL parse): None not yet, else
        # INSIDE (the site's own hosts) | PAGE (a page to crawl). Every page repeats the site's
        # navigation, so most links of a page are targets seen before.
        self.where: int | None = None
        self.home = home
        self.second = second
        self.count = 0  # occurrences seen, over all pages
        self.stored = 0  # occurrences kept as evidence
        self.result: Result | None = None  # set when the target was crawled as a page


@dataclass(slots=True)
class Memo:
    """A page as its last fetch showed it (a `PageMemo` row): what the next night sends as
    validators and reads instead of the page when it has not changed."""

    url: str
    fetched_at: datetime
    status: int
    final_url: str | None
    etag: str
    last_modified: str
    content_hash: str
    content_type: str
    size: int
    links: bytes  # `pack_links`
    # Seen unchanged tonight (a 304 or the same body): only its time, validators and scan
    # change, so `ScanStore.flush` renews those columns instead of re-writing the row's links.
    renewed: bool = False

    def row(self, site_id: int, scan_id: int) -> dict[str, Any]:
        return {
            "site_id": site_id,
            "scan_id": scan_id,
            "url": self.url,
            "fetched_at": self.fetched_at,
            "status": self.status,
            "final_url": self.final_url,
            "etag": self.etag[:200],
            "last_modified": self.last_modified[:64],
            "content_hash": self.content_hash,
            "content_type": self.content_type[:200],
            "size": self.size,
            "links": self.links,
        }


# A `Link` (url, text, tag, valid) as a memo stores it (href, tag, text, valid), built in C:
# what `pack_links` writes and `SiteCrawl._count` reads.
AS_STORED = itemgetter(0, 2, 1, 3)


def pack_links(
    found: PageLinks,
    encoding: str,
    targets: list[str | None] | None = None,
    params: frozenset[str] = frozenset(),
) -> bytes:
    """A page's title, links and skipped count, compact (≈ 1 KB for 35 links), with each
    href's normalised form when known (``targets``, under session parameters ``params``).

    A normal form that is the href itself (most of a site's: absolute, already normal) is
    stored as ``true``: the JSON that is encoded and compressed for every page read is a
    third shorter, and so is the work (≈ 100 → 55 µs a peers page, docs/crawl.md)."""
    links = found.links
    data: dict[str, Any] = {
        "t": found.title,
        "s": found.skipped,
        "e": encoding,
        "l": list(map(AS_STORED, links)),  # (url, tag, text, valid), built in C
    }
    if targets is not None and len(targets) == len(links):
        data["n"] = [True if t == k[0] else t for t, k in zip(targets, links, strict=True)]
        data["p"] = sorted(params)
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 1)


def unpack_links(
    blob: bytes, params: frozenset[str] = frozenset()
) -> tuple[PageLinks, str, list[str | None] | None]:
    """`pack_links` read back: the page's links, the encoding its queries are sent in, and
    the normalised hrefs (None when not stored, or stored under other session parameters)."""
    data = memo_data(blob)
    links = [Link(url, text, tag, bool(valid)) for url, tag, text, valid in data["l"]]
    return (
        PageLinks(data["t"], links, int(data["s"]), ""),
        str(data["e"]),
        stored_targets(data, params),
    )


def memo_data(blob: bytes) -> dict[str, Any]:
    """A `pack_links` blob as its plain lists (what a replay walks without building `Link`s)."""
    data: dict[str, Any] = json.loads(zlib.decompress(blob))
    return data


def stored_targets(data: dict[str, Any], params: frozenset[str]) -> list[str | None] | None:
    """The normal forms stored with a page's links, if stored under the same session
    parameters and one per link (else None: the hrefs are normalised again)."""
    targets: list[str | bool | None] | None = data.get("n")
    if targets is None or data.get("p") != sorted(params) or len(targets) != len(data["l"]):
        return None
    # ``true``: the href itself (`pack_links`); memos stored before that hold every string.
    return [
        link[0] if t is True else (t if isinstance(t, str) else None)
        for t, link in zip(targets, data["l"], strict=True)
    ]


# Where a target was found — (target, page URL, tag, link text) — an evidence row to store.
Occurrence = tuple[TargetState, str, str, str]


@dataclass
class Batch:
    """Everything found since the last write."""

    pages: list[dict[str, Any]] = field(default_factory=list)
    memos: list[Memo] = field(default_factory=list)  # pages read or validated: stored for later
    memo_drop: list[str] = field(default_factory=list)  # pages no longer readable
    frontier: list[dict[str, Any]] = field(default_factory=list)
    new_targets: list[tuple[TargetState, dict[str, Any]]] = field(default_factory=list)
    touched: dict[int, TargetState] = field(default_factory=dict)  # id(state) -> state
    occurrences: list[Occurrence] = field(default_factory=list)
    replayed: int = 0  # pages known unchanged (304, same body, kept): their stored links replayed
    # Links to quiet targets replayed since the last write, per target (`SiteCrawl._replay`):
    # added to the targets' counts, and the targets touched, when the batch is frozen.
    counted: Counter[TargetState] = field(default_factory=Counter)

    def work(self) -> int:
        """How much an interruption would lose, in read pages: a page known unchanged costs a
        twentieth (nothing parsed, at most a conditional request again), so a night of
        unchanged pages writes in batches of up to 1,000 — fewer commits, fewer re-writes of
        the counts of the targets every page links (the navigation)."""
        return len(self.pages) - self.replayed + self.replayed // 20

    frozen: list[tuple[TargetState, bool, bool, int, Result | None]] = field(default_factory=list)

    def touch(self, state: TargetState) -> None:
        self.touched[id(state)] = state

    def freeze(self) -> None:
        """Copy the touched targets' values now, in the event loop: the write happens in a
        thread while the crawl goes on, and must not store counts of pages not in this batch."""
        touched = self.touched
        for state, n in self.counted.items():
            state.count += n
            touched[id(state)] = state
        self.counted.clear()
        self.frozen = [
            (st, st.home, st.second, st.count, st.result) for st in self.touched.values()
        ]


@dataclass
class Loaded:
    """A scan's stored state, to resume from."""

    pending: list[tuple[str, int]]  # queued but not fetched, in depth order
    fetched: list[str]
    queued: list[str]
    targets: dict[str, TargetState]


@dataclass(frozen=True)
class CheckRow:
    id: int
    target: str
    external: bool
    checked_at: datetime | None = None
    kind: str = ""
    one_point: bool = False  # on the homepage or a second-level page: checked every night


class ScanStore:
    def __init__(self, db: Database):
        self.db = db
        self._lock = asyncio.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run one storage call, one at a time, in the event loop's own thread.

        A worker thread was measured slower: every socket call of the crawl then waits for the
        GIL while the writer runs (14.1 s against 11.9 s for bench_crawl's big site); a batch
        blocks the loop for a few tens of milliseconds instead.
        """
        async with self._lock:
            return fn(*args)

    # -- scans ---------------------------------------------------------------------------------
    def open_scan(
        self, site_id: int, home: str, *, restart: bool, now: datetime
    ) -> tuple[int, bool]:
        """Resume the site's unfinished scan, or start one at ``home`` (``restart`` abandons
        the old one). A new scan's row and its homepage's frontier row are one transaction: a
        process killed between two would leave a scan with nothing queued, which resumed
        would end 'done' with no page — a clean bill for a site never looked at."""
        with self.db.session() as s:
            unfinished = s.scalar(
                select(Scan)
                .where(Scan.site_id == site_id, Scan.status.in_(("running", "interrupted")))
                .order_by(Scan.id.desc())
                .limit(1)
            )
            if unfinished is not None and not restart:
                unfinished.status = "running"
                unfinished.resumes += 1
                return unfinished.id, True
            if unfinished is not None:
                s.execute(
                    update(Scan)
                    .where(Scan.site_id == site_id, Scan.status.in_(("running", "interrupted")))
                    .values(status="abandoned", finished_at=now)
                )
            scan = Scan(site_id=site_id, started_at=now, status="running", stats={})
            s.add(scan)
            s.flush()
            s.execute(insert(CrawlFrontier), [{"scan_id": scan.id, "url": home, "depth": 0}])
            return scan.id, False

    def finish(
        self, scan_id: int, status: str, stats: dict[str, Any], error: str, now: datetime
    ) -> None:
        with self.db.session() as s:
            s.execute(
                update(Scan)
                .where(Scan.id == scan_id)
                .values(status=status, stats=stats, error=error[:2000], finished_at=now)
            )

    def load(self, scan_id: int) -> Loaded:
        """What the scan stored; pages that failed in transport (the site was away) are
        forgotten, with the verdicts they gave, so the resumed scan fetches them again."""
        with self.db.session() as s:
            away = list(
                s.scalars(
                    select(Page.url).where(Page.scan_id == scan_id, Page.failure.in_(_TRANSPORT))
                )
            )
            if away:
                s.execute(delete(Page).where(Page.scan_id == scan_id, Page.url.in_(away)))
                s.execute(
                    update(LinkCheck)
                    .where(LinkCheck.scan_id == scan_id, LinkCheck.target.in_(away))
                    .values(_UNJUDGED)
                )
            fetched = list(s.scalars(select(Page.url).where(Page.scan_id == scan_id)))
            done = set(fetched)
            queued: list[str] = []
            pending: list[tuple[str, int]] = []
            rows = s.execute(
                select(CrawlFrontier.url, CrawlFrontier.depth)
                .where(CrawlFrontier.scan_id == scan_id)
                .order_by(CrawlFrontier.depth, CrawlFrontier.id)
            )
            for url, depth in rows:
                queued.append(url)
                if url not in done:
                    pending.append((url, depth))
            stored = dict(
                s.execute(
                    select(LinkOccurrence.link_id, func.count())
                    .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
                    .where(LinkCheck.scan_id == scan_id)
                    .group_by(LinkOccurrence.link_id)
                ).all()
            )
            targets: dict[str, TargetState] = {}
            for row in s.execute(
                select(
                    LinkCheck.id,
                    LinkCheck.target,
                    LinkCheck.on_homepage,
                    LinkCheck.on_second_level,
                    LinkCheck.occurrences,
                    LinkCheck.verdict,
                    LinkCheck.checked_at,
                ).where(LinkCheck.scan_id == scan_id)
            ):
                state = TargetState(row.id, row.on_homepage, row.on_second_level)
                state.count = row.occurrences
                state.stored = stored.get(row.id, 0)
                if row.verdict is not None:
                    # Any placeholder works: only "has a result" matters after a resume.
                    state.result = (row.verdict.value, "", None, "", None, aware(row.checked_at))  # type: ignore[assignment]
                targets[row.target] = state
        return Loaded(pending=pending, fetched=fetched, queued=queued, targets=targets)

    def load_memos(self, site_id: int) -> dict[str, Memo]:
        """The site's stored pages (for conditional requests and unchanged-page reuse)."""
        m = PageMemo
        with self.db.session() as s:
            rows = s.execute(
                select(
                    m.url, m.fetched_at, m.status, m.final_url, m.etag, m.last_modified,
                    m.content_hash, m.content_type, m.size, m.links,
                ).where(m.site_id == site_id)
            ).all()  # fmt: skip
        never = datetime.min.replace(tzinfo=UTC)
        return {
            url: Memo(url, aware(at) or never, status, final, etag, lm, digest, kind, size, blob)
            for url, at, status, final, etag, lm, digest, kind, size, blob in rows
        }

    # -- the crawl's batches -------------------------------------------------------------------
    def flush(
        self,
        scan_id: int,
        batch: Batch,
        stats: dict[str, Any],
        recheck_delay: float,
        site_id: int | None = None,
    ) -> None:
        with self.db.session() as s:
            if batch.pages:
                pages = [_PAGE_DEFAULTS | page for page in batch.pages]
                driver_executemany(s, insert(_PAGES), pages, key=("pages", *pages[0]))
            if site_id is not None and batch.memo_drop:
                s.execute(
                    delete(PageMemo).where(
                        PageMemo.site_id == site_id, PageMemo.url.in_(batch.memo_drop)
                    )
                )
            if site_id is not None and batch.memos:
                self._write_memos(s, site_id, scan_id, batch.memos)
            if batch.frontier:
                driver_executemany(
                    s, insert(_FRONTIER), batch.frontier, key=("frontier", *batch.frontier[0])
                )
            if not batch.frozen:
                batch.freeze()
            self._write_targets(s, scan_id, batch, recheck_delay)
            _insert_occurrences(s, batch.occurrences)
            s.execute(update(Scan).where(Scan.id == scan_id).values(stats=stats))

    def save_evidence(self, scan_id: int, rows: list[Occurrence], *, every_link: bool) -> int:
        """Store the evidence held back from the scan's unchanged pages (`SiteCrawl.deferred`)
        once its links are judged: that of the links not judged 'ok' — the only evidence a
        scorecard reads, and all that retention keeps of an old scan — or of every link
        (``every_link``: a crawl without link checks). The rows stored."""
        with self.db.session() as s:
            if not every_link:
                wanted = set(
                    s.scalars(
                        select(_CHECKS.c.id).where(
                            _CHECKS.c.scan_id == scan_id,
                            or_(_CHECKS.c.verdict.is_(None), _CHECKS.c.verdict != LinkVerdict.OK),
                        )
                    )
                )
                rows = [row for row in rows if row[0].id in wanted]
            _insert_occurrences(s, rows)
        return len(rows)

    def unchanged_pages(self, scan_id: int) -> list[tuple[str, int]]:
        """The pages a scan knew unchanged (their stored links replayed), in the order it
        stored them: (url, depth)."""
        with self.db.session() as s:
            rows = s.execute(
                select(Page.url, Page.depth)
                .where(Page.scan_id == scan_id, Page.reuse != "")
                .order_by(Page.id)
            ).all()
        return [(url, depth) for url, depth in rows]

    def _write_memos(self, s: Session, site_id: int, scan_id: int, memos: list[Memo]) -> None:
        """Store the batch's memos: a page read tonight as a whole row (inserted or replacing
        the last), a page seen unchanged by renewing only what changed — its time, validators
        and scan — not its ≈ 1.2 KB of links (the same values the whole row would have)."""
        latest = {m.url: m for m in memos}  # last one wins
        whole = [m.row(site_id, scan_id) for m in latest.values() if not m.renewed]
        if whole:
            stmt = upsert(s, PageMemo)
            driver_executemany(
                s,
                stmt.on_conflict_do_update(
                    index_elements=["site_id", "url"],
                    set_={c: stmt.excluded[c] for c in _MEMO_UPDATE},
                ),
                whole,
                key=("page_memos", "upsert", *whole[0]),
            )
        renewed = [
            (scan_id, m.fetched_at, m.etag[:200], m.last_modified[:64], site_id, m.url)
            for m in latest.values()
            if m.renewed
        ]
        if renewed:
            tuple_executemany(s, _MEMO_RENEW, _MEMO_RENEW_BINDS, renewed, key=("memo_renew",))

    def _write_targets(self, s: Session, scan_id: int, batch: Batch, recheck_delay: float) -> None:
        """Each touched target's counts (and verdict, when the crawl judged it) as of this
        batch: a target new in this batch is inserted with them, the others updated. Rows go
        to the driver as tuples, built once (no dict per row merged from three)."""
        values = {id(frozen[0]): frozen for frozen in batch.frozen}
        if batch.new_targets:
            new: list[tuple[Any, ...]] = []
            for state, row in batch.new_targets:
                got = values.pop(id(state), None)
                if got is None:
                    home, second, count, result = (
                        row["on_homepage"], row["on_second_level"], row["occurrences"], None
                    )  # fmt: skip
                else:
                    _, home, second, count, result = got
                new.append(
                    (
                        scan_id,
                        row["target"],
                        row["external"],
                        home,
                        second,
                        count,
                        *_verdict_tuple(result, recheck_delay),
                    )
                )
            self._insert_targets(s, scan_id, batch.new_targets, new)
        plain: list[tuple[Any, ...]] = []
        judged: list[tuple[Any, ...]] = []
        for state, home, second, count, result in values.values():
            if result is not None and result[1]:
                judged.append(
                    (home, second, count, *_verdict_tuple(result, recheck_delay), state.id)
                )
            else:
                plain.append((home, second, count, state.id))
        if plain:
            tuple_executemany(s, _COUNTS_UPDATE, _COUNTS_BINDS, plain, key=("counts",))
        if judged:
            tuple_executemany(s, _JUDGED_UPDATE, _JUDGED_BINDS, judged, key=("judged",))

    def _insert_targets(
        self,
        s: Session,
        scan_id: int,
        targets: list[tuple[TargetState, dict[str, Any]]],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """INSERT the new targets (one executemany) and give each state its row's id.

        On SQLite the ids are known without reading them back: inside the write transaction
        no other connection inserts, and a rowid table without AUTOINCREMENT gives each new row
        the largest rowid + 1, so the executemany's rows hold the ``len(rows)`` ids ending at
        ``last_insert_rowid()``, in order — checked on the first and the last row, else read
        back. Elsewhere (PostgreSQL: a sequence shared with other processes' inserts) the ids
        are read back by a query; INSERT … RETURNING in parameter order would run one statement
        per row on SQLite (7,500 of them on the peers site)."""
        sqlite = s.get_bind().dialect.name == "sqlite"
        mine = _CHECKS.c.scan_id == scan_id
        before = 0 if sqlite else (s.scalar(select(func.max(_CHECKS.c.id)).where(mine)) or 0)
        tuple_executemany(s, insert(_CHECKS), _CHECK_COLUMNS, rows, key=("link_checks",))
        if sqlite:
            first = _rowids(s, scan_id, rows)
            if first is not None:
                for offset, (state, _) in enumerate(targets):
                    state.id = first + offset
                return
            # Not as expected (never seen): read them back, all of the scan's (a target is
            # unique in its scan).
        ids = dict(
            s.execute(
                select(_CHECKS.c.target, _CHECKS.c.id).where(mine, _CHECKS.c.id > before)
            ).all()
        )
        for state, row in targets:
            state.id = ids[row["target"]]

    # -- link checks ---------------------------------------------------------------------------
    def unchecked(self, scan_id: int, after_id: int, limit: int) -> list[CheckRow]:
        with self.db.session() as s:
            rows = s.execute(
                select(
                    LinkCheck.id,
                    LinkCheck.target,
                    LinkCheck.external,
                    LinkCheck.on_homepage,
                    LinkCheck.on_second_level,
                )
                .where(
                    LinkCheck.scan_id == scan_id,
                    LinkCheck.verdict.is_(None),
                    LinkCheck.id > after_id,
                )
                .order_by(LinkCheck.id)
                .limit(limit)
            ).all()
        return [
            CheckRow(r.id, r.target, r.external, one_point=r.on_homepage or r.on_second_level)
            for r in rows
        ]

    def reuse_verdicts(
        self, site_id: int, scan_id: int, since: datetime
    ) -> tuple[int, datetime | None]:
        """Give this scan's targets still without a verdict — except the 1-point links (on the
        homepage or a second-level page), checked every night — the 'ok' verdict they had in
        the site's last finished scan before ``scan_id``, if checked at or after ``since``: what
        a later night reuses instead of a request. One UPDATE … FROM inside the database, not
        thousands of rows through Python; the number reused and the oldest check reused."""
        new = _CHECKS
        with self.db.session() as s:
            previous = _previous_done(s, site_id, scan_id)
            if previous is None:
                return 0, None
            prev = _CHECKS.alias("prev")
            match = and_(
                new.c.scan_id == scan_id,
                new.c.verdict.is_(None),
                new.c.on_homepage.is_(False),
                new.c.on_second_level.is_(False),
                prev.c.scan_id == previous,
                prev.c.target == new.c.target,
                prev.c.verdict == LinkVerdict.OK,
                prev.c.checked_at >= since,
            )
            count, oldest = s.execute(
                select(func.count(), func.min(prev.c.checked_at)).select_from(new).join(prev, match)
            ).one()
            if not count:
                return 0, None
            s.execute(
                update(new)
                .where(match)
                .values(
                    verdict=prev.c.verdict,
                    kind=func.coalesce(func.nullif(prev.c.kind, ""), "ok"),
                    status_code=prev.c.status_code,
                    failure=prev.c.failure,
                    final_url=prev.c.final_url,
                    checked_at=prev.c.checked_at,
                    recheck_due=None,
                    confirmed_at=None,
                )
            )
        return int(count), aware(oldest)

    def confirm_as_before(self, site_id: int, scan_id: int, since: datetime) -> int:
        """Confirm this scan's unconfirmed broken links that the site's last finished scan
        before ``scan_id`` found broken the same way — the same kind and the same HTTP status —
        and confirmed at or after ``since``: tonight's check is then the confirming one (at
        its own time), and no re-check is asked of the site. A failure without an HTTP answer
        (a timeout, a refused connection) is never confirmed so: it may be the night's own
        trouble. One UPDATE … FROM inside the database; the number confirmed."""
        new = _CHECKS
        with self.db.session() as s:
            previous = _previous_done(s, site_id, scan_id)
            if previous is None:
                return 0
            prev = _CHECKS.alias("prev")
            match = and_(
                new.c.scan_id == scan_id,
                new.c.verdict == LinkVerdict.BROKEN,
                new.c.confirmed_at.is_(None),
                new.c.status_code.is_not(None),
                prev.c.scan_id == previous,
                prev.c.target == new.c.target,
                prev.c.verdict == LinkVerdict.BROKEN,
                prev.c.confirmed_at >= since,
                prev.c.kind == new.c.kind,
                prev.c.status_code == new.c.status_code,
            )
            done = s.execute(
                update(new).where(match).values(confirmed_at=new.c.checked_at, recheck_due=None)
            )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    def forget_verdicts(self, ids: list[int]) -> None:
        """Take back verdicts given without a request, so that the link checks make one."""
        with self.db.session() as s:
            s.execute(
                update(LinkCheck)
                .where(LinkCheck.id.in_(ids))
                .values(verdict=None, kind="", status_code=None, checked_at=None, final_url=None)
            )

    def save_results(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self.db.session() as s:
                update_by_id(s, _CHECKS, rows)

    def broken_unconfirmed(
        self, *, scan_id: int | None = None, due_before: datetime | None = None
    ) -> list[CheckRow]:
        """Broken links waiting for their confirming re-check (of one scan, or all due ones)."""
        conditions = [LinkCheck.verdict == LinkVerdict.BROKEN, LinkCheck.confirmed_at.is_(None)]
        if scan_id is not None:
            conditions.append(LinkCheck.scan_id == scan_id)
        if due_before is not None:
            conditions.append(LinkCheck.recheck_due <= due_before)
        with self.db.session() as s:
            rows = s.execute(
                select(
                    LinkCheck.id,
                    LinkCheck.target,
                    LinkCheck.external,
                    LinkCheck.checked_at,
                    LinkCheck.kind,
                ).where(and_(*conditions))
            ).all()
        return [CheckRow(r.id, r.target, r.external, aware(r.checked_at), r.kind) for r in rows]

    # -- the shared cache of external targets ----------------------------------------------
    def load_cache(self, since: datetime) -> dict[str, tuple[Result, datetime]]:
        with self.db.session() as s:
            rows = s.scalars(select(LinkCache).where(LinkCache.checked_at >= since)).all()
        out: dict[str, tuple[Result, datetime]] = {}
        for r in rows:
            at = aware(r.checked_at)
            assert at is not None
            result: Result = (r.verdict.value, r.kind, r.status_code, r.failure, r.final_url, at)
            out[r.target] = (result, at)
        return out

    def save_cache(self, entries: dict[str, Result]) -> None:
        if not entries:
            return
        with self.db.session() as s:
            s.execute(delete(LinkCache).where(LinkCache.target.in_(list(entries))))
            s.execute(
                insert(LinkCache),
                [
                    {
                        "target": target,
                        "verdict": LinkVerdict(v),
                        "kind": kind,
                        "status_code": status,
                        "failure": failure,
                        "final_url": final_url,
                        "checked_at": at,
                    }
                    for target, (v, kind, status, failure, final_url, at) in entries.items()
                ],
            )


# The crawl's batches go through SQLAlchemy Core, not the ORM's bulk layer: the same rows
# and statements, a third of the CPU (the ORM re-derives every row's mapping per batch).
_PAGES: Table = Page.__table__  # type: ignore[assignment]
_FRONTIER: Table = CrawlFrontier.__table__  # type: ignore[assignment]
_CHECKS: Table = LinkCheck.__table__  # type: ignore[assignment]
_PAGE_DEFAULTS: dict[str, Any] = {
    "status": None,
    "title": "",
    "content_hash": None,
    "final_url": None,
    "failure": "",
    "content_type": "",
    "bytes": None,
    "soft404": False,
    "reuse": "",
}


# A target without a verdict, as `link_checks` holds it: waiting for its check.
_UNJUDGED: dict[str, Any] = {
    "verdict": None,
    "kind": "",
    "status_code": None,
    "failure": "",
    "final_url": None,
    "checked_at": None,
    "recheck_due": None,
}


# A target's `link_checks` row as `ScanStore._insert_targets` writes it: where it was found,
# how often, then the verdict columns (`_verdict_tuple`).
_VERDICT_COLUMNS = (
    "verdict", "kind", "status_code", "failure", "final_url", "checked_at", "recheck_due",
)  # fmt: skip
_CHECK_COLUMNS = (
    "scan_id", "target", "external", "on_homepage", "on_second_level", "occurrences",
    *_VERDICT_COLUMNS,
)  # fmt: skip
_NO_VERDICT: tuple[Any, ...] = tuple(_UNJUDGED[c] for c in _VERDICT_COLUMNS)
_COUNTS = ("on_homepage", "on_second_level", "occurrences")
_COUNTS_BINDS = (*(f"v_{c}" for c in _COUNTS), "row_id")
_COUNTS_UPDATE = (
    update(_CHECKS)
    .where(_CHECKS.c.id == bindparam("row_id"))
    .values({c: bindparam(f"v_{c}", type_=_CHECKS.c[c].type) for c in _COUNTS})
)
_JUDGED_BINDS = (*(f"v_{c}" for c in (*_COUNTS, *_VERDICT_COLUMNS)), "row_id")
_JUDGED_UPDATE = (
    update(_CHECKS)
    .where(_CHECKS.c.id == bindparam("row_id"))
    .values(
        {c: bindparam(f"v_{c}", type_=_CHECKS.c[c].type) for c in (*_COUNTS, *_VERDICT_COLUMNS)}
    )
)
_MEMOS: Table = PageMemo.__table__  # type: ignore[assignment]
_MEMO_RENEWED = ("scan_id", "fetched_at", "etag", "last_modified")
_MEMO_RENEW_BINDS = (*(f"v_{c}" for c in _MEMO_RENEWED), "w_site_id", "w_url")
_MEMO_RENEW = (
    update(_MEMOS)
    .where(_MEMOS.c.site_id == bindparam("w_site_id"), _MEMOS.c.url == bindparam("w_url"))
    .values({c: bindparam(f"v_{c}", type_=_MEMOS.c[c].type) for c in _MEMO_RENEWED})
)


# A verdict's stored value → its member: a dict look-up, not `LinkVerdict(value)` (the
# enum's call machinery, ≈ 4,000 times a night for the pages read and replayed).
_VERDICT_OF: dict[str, LinkVerdict] = {v.value: v for v in LinkVerdict}


def _verdict_tuple(result: Result | None, recheck_delay: float) -> tuple[Any, ...]:
    """`verdict_values` as a tuple in `_VERDICT_COLUMNS` order (no verdict: all empty)."""
    if result is None or not result[1]:
        return _NO_VERDICT
    verdict, kind, status, failure, final_url, at = result
    broken = verdict == LinkVerdict.BROKEN.value
    due = recheck_due_at(at, recheck_delay) if broken else None
    return (_VERDICT_OF[verdict], kind, status, failure, final_url, at, due)


def verdict_values(result: Result, recheck_delay: float) -> dict[str, Any]:
    """A check's verdict as `link_checks` columns; a broken one is due its confirming
    re-check ``recheck_delay`` seconds later."""
    verdict, kind, status, failure, final_url, at = result
    broken = verdict == LinkVerdict.BROKEN.value
    return {
        "verdict": _VERDICT_OF[verdict],
        "kind": kind,
        "status_code": status,
        "failure": failure,
        "final_url": final_url,
        "checked_at": at,
        "recheck_due": recheck_due_at(at, recheck_delay) if broken else None,
    }


def _previous_done(session: Session, site_id: int, scan_id: int) -> int | None:
    """The site's last finished scan before ``scan_id``: the night whose verdicts a later one
    may lean on."""
    return session.scalar(
        select(func.max(Scan.id)).where(
            Scan.site_id == site_id, Scan.status == "done", Scan.id < scan_id
        )
    )


def update_by_id(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by their ``id`` (executemany), one statement per set of columns given."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, group in groups.items():
        columns = [k for k in keys if k != "id"]
        if not columns:
            continue
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({k: bindparam(f"v_{k}", type_=table.c[k].type) for k in columns})
        )
        names = {"row_id": "id", **{f"v_{k}": k for k in columns}}
        driver_executemany(session, stmt, group, names, key=(table.name, "update", keys))


_COMPILED: dict[tuple[Any, ...], tuple[str, bool, list[tuple[str, Any]]]] = {}


def driver_executemany(
    session: Session,
    stmt: Any,
    rows: list[dict[str, Any]],
    names: dict[str, str] | None = None,
    *,
    key: tuple[Any, ...] | None = None,
) -> None:
    """``stmt`` once per row, as one executemany straight to the driver, in the session's
    connection and transaction.

    SQLAlchemy's own executemany builds and processes a parameter dict per row; here each
    value goes through its column type's bind processor (the same conversion SQLAlchemy
    applies: dates on SQLite, enums, JSON) only where the type has one, into the tuple or dict
    the driver takes. ``names`` maps a bind parameter to the row key it takes (default: the
    same name); ``key`` caches the compiled statement (one per shape and dialect). Every
    parameter of the statement must come from the rows.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    cache_key = None if key is None else (type(dialect), dialect.paramstyle, *key)
    prepared = _COMPILED.get(cache_key) if cache_key is not None else None
    if prepared is None:
        column_keys = list(rows[0]) if isinstance(stmt, Insert) else None
        compiled = stmt.compile(dialect=dialect, column_keys=column_keys, for_executemany=True)
        order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        fields: list[tuple[str, Any]] = []
        for name in order:
            bind = compiled.binds[name]
            fields.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        prepared = (str(compiled), compiled.positional, fields)
        if cache_key is not None:
            _COMPILED[cache_key] = prepared
    sql, positional, fields = prepared
    names = names or {}
    plan = [(bind, names.get(bind, bind), proc) for bind, proc in fields]
    if any(len(row) != len(plan) for row in rows):  # a value the statement has no place for
        raise ValueError(f"rows do not match the statement's {len(plan)} parameters")
    # Column by column: each row's values taken out in C, each type's conversion applied down
    # its column (`_processed`), the rows put back together in C.
    if len(plan) == 1:
        columns = [[row[plan[0][1]] for row in rows]]
    else:
        columns = [
            list(c) for c in zip(*map(itemgetter(*[k for _, k, _ in plan]), rows), strict=True)
        ]
    session.connection().exec_driver_sql(
        sql, _params(positional, [b for b, _, _ in plan], [p for _, _, p in plan], columns)
    )


def _rowids(s: Session, scan_id: int, rows: list[tuple[Any, ...]]) -> int | None:
    """The first id of the `link_checks` rows the last executemany inserted on SQLite —
    ``rows``, ids consecutive up to ``last_insert_rowid()`` — if the first and the last row
    hold the targets expected there (else None: read the ids back)."""
    conn = s.connection()
    last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar() or 0)
    first = last - len(rows) + 1
    ends = dict(
        conn.execute(
            select(_CHECKS.c.id, _CHECKS.c.target).where(
                _CHECKS.c.scan_id == scan_id, _CHECKS.c.id.in_((first, last))
            )
        ).all()
    )
    if ends.get(first) == rows[0][1] and ends.get(last) == rows[-1][1]:
        return first
    return None


def tuple_executemany(
    session: Session,
    stmt: Any,
    binds: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    key: tuple[Any, ...],
) -> None:
    """`driver_executemany` for rows given as tuples of ``stmt``'s bind parameters in
    ``binds`` order (an INSERT's: its column names): no dict per row. Each value goes through
    its column type's bind processor where the type has one (the conversion SQLAlchemy
    applies); where none has one and the order is the driver's, the tuples go as they are."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    cache_key = (type(dialect), dialect.paramstyle, "tuples", *key)
    prepared = _TUPLE_PLANS.get(cache_key)
    if prepared is None:
        column_keys = list(binds) if isinstance(stmt, Insert) else None
        compiled = stmt.compile(dialect=dialect, column_keys=column_keys, for_executemany=True)
        order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        if sorted(order) != sorted(binds):
            raise ValueError(f"the statement's parameters {order} are not {list(binds)}")
        plan = [
            (
                binds.index(name),
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in order
        ]
        as_is = compiled.positional and all(p is None and i == n for n, (i, p) in enumerate(plan))
        prepared = (str(compiled), compiled.positional, order, plan, as_is)
        _TUPLE_PLANS[cache_key] = prepared
    sql, positional, order, plan, as_is = prepared
    if any(len(row) != len(binds) for row in rows):
        raise ValueError(f"rows do not match the statement's {len(binds)} parameters")
    if as_is:
        session.connection().exec_driver_sql(sql, rows)
        return
    by_column = list(zip(*rows, strict=True))
    columns = [list(by_column[i]) for i, _ in plan]
    session.connection().exec_driver_sql(
        sql, _params(positional, order, [p for _, p in plan], columns)
    )


def _params(
    positional: bool, order: list[str], processors: list[Any], columns: list[list[Any]]
) -> list[Any]:
    """The driver's parameters from the statement's columns of values, in its bind order."""
    values = [
        col if p is None else _processed(col, p) for col, p in zip(columns, processors, strict=True)
    ]
    if positional:
        return list(zip(*values, strict=True))
    return [dict(zip(order, row, strict=True)) for row in zip(*values, strict=True)]


def _processed(column: list[Any], processor: Callable[[Any], Any]) -> list[Any]:
    """``processor`` (a type's bind conversion: a pure function of the value) down a column:
    for a column of only True, False and None — flags, an unjudged target's empty verdict —
    once per distinct value; otherwise once per value, None's result worked out once."""
    kinds = set(map(type, column))
    if kinds <= _FLAGS:
        table = {value: processor(value) for value in set(column)}
        return list(map(table.__getitem__, column))
    if type(None) not in kinds:
        return list(map(processor, column))
    empty = processor(None)
    return [empty if value is None else processor(value) for value in column]


_FLAGS = frozenset((bool, type(None)))


_TUPLE_PLANS: dict[tuple[Any, ...], tuple[str, bool, list[str], list[tuple[int, Any]], bool]] = {}

_MEMO_UPDATE = (
    "scan_id",
    "fetched_at",
    "status",
    "final_url",
    "etag",
    "last_modified",
    "content_hash",
    "content_type",
    "size",
    "links",
)


def _insert_occurrences(session: Session, rows: list[Occurrence]) -> None:
    """Evidence rows. A page's links may arrive twice (resumed scans, a page reached under two
    URLs): an occurrence already stored is the same evidence, kept once."""
    if rows:
        plain_executemany(
            session,
            insert_ignoring_duplicates(session, LinkOccurrence.__table__),
            ("link_id", "page_url", "tag", "text"),
            [(st.id, page, tag, text) for st, page, tag, text in rows],
        )


def upsert(session: Session, model: type[Any]) -> Any:
    """The dialect's INSERT that can say ON CONFLICT … DO UPDATE (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model)


def insert_ignoring_duplicates(session: Session, model: Any) -> Insert:
    """An INSERT that skips rows breaking a unique constraint (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).on_conflict_do_nothing()


def plain_executemany(
    session: Session, stmt: Insert, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """An executemany straight to the driver, for a table of plain ints and strings (no type
    converts its values): the evidence rows, ≈ 20,000 a night on the peers site, whose
    per-row parameter processing in SQLAlchemy cost more than SQLite's insert."""
    dialect = session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup or ()]
        params: list[Any] = rows
        if order != list(range(len(columns))):
            params = [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    session.connection().exec_driver_sql(str(compiled), params)


def recheck_due_at(checked_at: datetime, delay: float) -> datetime:
    return checked_at + timedelta(seconds=delay)
