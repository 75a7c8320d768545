"""The demo farm and a registered database, with a nightly pass's settings made small."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.db import Database
from scanner.registry.importer import import_file
from scanner.settings import Settings, load_settings


def night_settings(farm: FarmThread, database_url: str, **over: Any) -> Settings:
    """Seconds, not hours: stalled pages give up fast, re-checks are due within the run."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "host_map": farm.host_map,
        "extra_ca_file": farm.ca_pem,
        "per_host_rate": 500.0,
        # Long enough that a loaded machine cannot turn a redirect loop into a timeout.
        "page_timeout": 6.0,
        "connect_timeout": 6.0,
        "retry_after_cap": 0.2,
        "link_recheck_delay": 0.2,
        "link_recheck_wait": 3.0,
        "crawl_query_cap": 3,
        "crawl_max_pages": 60,
        "nightly_sites_at_once": 4,
        "nightly_window": 0.0,
        # Ceilings, not targets: a loaded machine must not turn a healthy step into a timeout.
        "nightly_crawl_timeout": 120.0,
        "nightly_columns_timeout": 120.0,
        "nightly_checks_timeout": 120.0,
    }
    return load_settings(**(values | over))


def registered_db(farm: FarmThread, folder: Path, url: str | None = None) -> Database:
    db = Database(url or f"sqlite:///{folder / 'census.db'}")
    db.upgrade()
    registry = folder / "registry.yaml"
    registry.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, registry, datetime.now(UTC))
    return db


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    with FarmThread(scenario("demo"), now=midday_clock()) as f:
        yield f
