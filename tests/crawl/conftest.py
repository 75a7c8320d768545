"""A demo farm per module and a scanned database built from it, judged against farm.truth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.crawl import Scanner, load_sites
from scanner.db import Database
from scanner.registry.importer import import_file
from scanner.settings import Settings, load_settings


def fast_settings(farm: FarmThread, database_url: str, **over: Any) -> Settings:
    """Politeness kept in shape (2 connections a host) but fast: seconds, not hours."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "host_map": farm.host_map,
        "extra_ca_file": farm.ca_pem,
        "per_host_rate": 500.0,
        # The stalled page must time out, yet a loaded machine must not turn a redirect loop
        # (ten round trips to the farm thread sharing our GIL) into a timeout.
        "page_timeout": 6.0,
        "retry_after_cap": 0.3,
        "link_recheck_delay": 0.2,
        "link_recheck_wait": 5.0,
        "crawl_query_cap": 5,
    }
    return load_settings(**(values | over))


def registered_db(farm: FarmThread, folder: Path) -> Database:
    db = Database(f"sqlite:///{folder / 'census.db'}")
    db.upgrade()
    registry = folder / "registry.yaml"
    registry.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, registry, datetime.now(UTC))
    return db


def scan(
    db: Database, settings: Settings, keys: list[str] | None = None, **kwargs: Any
) -> tuple[dict[str, int], Scanner]:
    async def go() -> tuple[dict[str, int], Scanner]:
        async with Scanner(db, settings) as scanner:
            return await scanner.scan(load_sites(db, keys), **kwargs), scanner

    return asyncio.run(go())


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    with FarmThread(scenario("demo"), now=midday_clock()) as f:
        yield f
