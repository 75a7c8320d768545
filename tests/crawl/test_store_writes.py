"""What `ScanStore.flush` writes: every new target gets its own row's id (on SQLite without
reading the ids back), the evidence and the counts land on the right targets, and a page seen
unchanged renews its memo's time, validators and scan while its stored links stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from scanner.crawl import store as store_module
from scanner.crawl.store import Batch, Memo, ScanStore, TargetState
from scanner.db import Database
from scanner.db.models import LinkCheck, LinkOccurrence, LinkVerdict, PageMemo
from tests.crawl.test_politeness import _register

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _batch(scan_id: int, targets: list[str], page: str) -> tuple[Batch, dict[str, TargetState]]:
    """New targets, each seen once on ``page`` (its evidence) and counted once."""
    batch = Batch()
    states: dict[str, TargetState] = {}
    for target in targets:
        state = states[target] = TargetState()
        state.count = 1
        row = {
            "scan_id": scan_id,
            "target": target,
            "external": False,
            "on_homepage": False,
            "on_second_level": False,
            "occurrences": 0,
        }
        batch.new_targets.append((state, row))
        batch.touch(state)
        batch.occurrences.append((state, page, "a", f"text of {target}"))
    return batch, states


def _stored(db: Database, scan_id: int) -> dict[str, tuple[int, int, str | None, list[str]]]:
    """target → (id, occurrences, verdict, the pages of its evidence), as stored."""
    with db.session() as s:
        evidence: dict[int, list[str]] = {}
        for link_id, page in s.execute(
            select(LinkOccurrence.link_id, LinkOccurrence.page_url).order_by(LinkOccurrence.id)
        ):
            evidence.setdefault(link_id, []).append(page)
        return {
            c.target: (
                c.id,
                c.occurrences,
                c.verdict.value if c.verdict else None,
                evidence.get(c.id, []),
            )
            for c in s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan_id))
        }


def _interleaved_scans(db: Database) -> None:
    """Two scans writing in turn, the last row of one deleted between (its rowid given again):
    every target's state holds its own row's id, and its evidence and counts are its own."""
    site = _register(db)
    store = ScanStore(db)
    a, _ = store.open_scan(site.id, "http://a.example/", restart=False, now=T0)
    first, states_a = _batch(a, [f"http://a.example/{i}" for i in range(10)], "http://a.example/")
    store.flush(a, first, {}, 60.0)
    # A second scan (as another process scanning in parallel would write, between two batches).
    b, _ = store.open_scan(site.id, "http://b.example/", restart=True, now=T0)
    other, states_b = _batch(b, [f"http://b.example/{i}" for i in range(5)], "http://b.example/")
    store.flush(b, other, {}, 60.0)
    with db.session() as s:
        top = s.scalar(select(func.max(LinkCheck.id)))
        s.execute(delete(LinkCheck).where(LinkCheck.id == top))  # b/4: its rowid is free again
    del states_b["http://b.example/4"]
    second, more = _batch(a, [f"http://a.example/{i}" for i in range(10, 25)], "http://a.example/x")
    # Two targets of the first batch seen again: one counted, one judged as a crawled page.
    again, judged = states_a["http://a.example/1"], states_a["http://a.example/2"]
    again.count, again.home = 3, True
    judged.count = 2
    judged.result = ("broken", "not_found", 404, "", None, T0 + timedelta(minutes=1))
    second.touch(again)
    second.touch(judged)
    store.flush(a, second, {}, 60.0)

    stored_a, stored_b = _stored(db, a), _stored(db, b)
    states_a |= more
    assert set(stored_a) == set(states_a)
    for target, state in states_a.items():
        assert stored_a[target][0] == state.id, target
    for target, state in states_b.items():
        assert stored_b[target][0] == state.id, target
    assert stored_a["http://a.example/13"][3] == ["http://a.example/x"]
    assert stored_a["http://a.example/3"][3] == ["http://a.example/"]
    assert stored_a["http://a.example/1"][1:3] == (3, None)
    assert stored_a["http://a.example/2"][1:3] == (2, LinkVerdict.BROKEN.value)
    assert stored_a["http://a.example/20"][1:3] == (1, None)
    with db.session() as s:
        row = s.scalar(select(LinkCheck).where(LinkCheck.target == "http://a.example/2"))
        assert row is not None and row.kind == "not_found" and row.status_code == 404
        assert row.recheck_due is not None
        assert row.recheck_due.replace(tzinfo=UTC) == T0 + timedelta(minutes=2)
        home = s.scalar(select(LinkCheck).where(LinkCheck.target == "http://a.example/1"))
        assert home is not None and home.on_homepage is True


def test_new_targets_get_their_own_ids_on_sqlite(db: Database) -> None:
    _interleaved_scans(db)


def test_ids_read_back_when_the_rowids_are_not_as_expected(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-back that stands in when the rowid arithmetic's check fails."""
    calls: list[int] = []

    def refuse(*args: object) -> None:
        calls.append(1)
        return None

    monkeypatch.setattr(store_module, "_rowids", refuse)
    _interleaved_scans(db)
    assert calls  # the fallback was taken, and every id above was still right


@pytest.mark.postgres
def test_new_targets_get_their_own_ids_on_postgres(postgres_db: Database) -> None:
    _interleaved_scans(postgres_db)


def _memo(url: str, at: datetime, etag: str, links: bytes) -> Memo:
    return Memo(url, at, 200, None, etag, "Mon, 01 Dec 2026 00:00:00 GMT", "ab" * 32,
                "text/html", 1234, links)  # fmt: skip


def _memos_renewed(db: Database) -> None:
    site = _register(db)
    store = ScanStore(db)
    one, _ = store.open_scan(site.id, "http://m.example/", restart=False, now=T0)
    batch = Batch()
    batch.memos = [_memo(f"http://m.example/{i}", T0, f'"v{i}"', bytes([i]) * 50) for i in range(3)]
    store.flush(one, batch, {}, 60.0, site.id)
    two, _ = store.open_scan(site.id, "http://m.example/", restart=True, now=T0)
    later = T0 + timedelta(days=1)
    memos = store.load_memos(site.id)
    renewed = memos["http://m.example/0"]
    renewed.fetched_at, renewed.etag, renewed.renewed = later, '"v0-again"', True
    changed = _memo("http://m.example/1", later, '"v1-new"', b"new links")
    batch = Batch()
    batch.memos = [renewed, changed]
    store.flush(two, batch, {}, 60.0, site.id)
    with db.session() as s:
        rows = {m.url: m for m in s.scalars(select(PageMemo).where(PageMemo.site_id == site.id))}
    got = {
        url: (m.scan_id, m.fetched_at.replace(tzinfo=UTC), m.etag, m.links, m.status, m.size)
        for url, m in rows.items()
    }
    assert got == {
        "http://m.example/0": (two, later, '"v0-again"', bytes([0]) * 50, 200, 1234),
        "http://m.example/1": (two, later, '"v1-new"', b"new links", 200, 1234),
        "http://m.example/2": (one, T0, '"v2"', bytes([2]) * 50, 200, 1234),
    }


def test_an_unchanged_page_renews_its_memo(db: Database) -> None:
    _memos_renewed(db)


@pytest.mark.postgres
def test_an_unchanged_page_renews_its_memo_on_postgres(postgres_db: Database) -> None:
    _memos_renewed(postgres_db)
