"""The collector's thresholds while crawls run: raised for the first, put back after the last."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from farm import FarmThread
from scanner.crawl import Scanner, load_sites
from scanner.crawl.collector import CRAWL_THRESHOLDS, crawl_collector
from tests.crawl.conftest import fast_settings, registered_db

ODD = (701, 11, 12)  # thresholds no code sets: whatever restores them must have saved them


@pytest.fixture
def odd_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*ODD)
    yield
    gc.set_threshold(*before)


def test_overlapping_crawls_restore_only_after_the_last(odd_thresholds: None) -> None:
    first, second = crawl_collector(), crawl_collector()
    first.__enter__()
    assert gc.get_threshold() == CRAWL_THRESHOLDS
    second.__enter__()
    first.__exit__(None, None, None)  # the first crawl ends while the second still runs
    assert gc.get_threshold() == CRAWL_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == ODD


def test_crawls_in_threads_share_one_raise(odd_thresholds: None) -> None:
    inside = threading.Barrier(4)
    seen: list[tuple[int, int, int]] = []

    def crawl() -> None:
        with crawl_collector():
            inside.wait(timeout=10)  # all four inside at once
            seen.append(gc.get_threshold())
            inside.wait(timeout=10)

    threads = [threading.Thread(target=crawl) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert seen == [CRAWL_THRESHOLDS] * 4
    assert gc.get_threshold() == ODD


def test_a_failing_crawl_puts_them_back(odd_thresholds: None) -> None:
    with pytest.raises(RuntimeError), crawl_collector():
        raise RuntimeError("a crawl's own error")
    assert gc.get_threshold() == ODD


def test_a_real_scan_runs_under_the_raised_thresholds(
    farm: FarmThread, tmp_path: Path, odd_thresholds: None
) -> None:
    db = registered_db(farm, tmp_path)
    settings = fast_settings(farm, db.url)
    samples: list[tuple[int, int, int]] = []

    async def go() -> dict[str, int]:
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                samples.append(gc.get_threshold())
                await asyncio.sleep(0.002)

        watcher = asyncio.create_task(watch())
        try:
            async with Scanner(db, settings) as scanner:
                return await scanner.scan(load_sites(db, None)[:2])
        finally:
            done.set()
            await watcher

    try:
        scans = asyncio.run(go())
    finally:
        db.dispose()
    assert len(scans) == 2
    assert CRAWL_THRESHOLDS in samples  # while the sites' crawls ran
    assert gc.get_threshold() == ODD  # and as before once both ended
