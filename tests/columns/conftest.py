"""One demo farm for the column tests (fixed day), and the settings that point the CLI at it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date

import pytest

from farm import FarmThread
from farm.builtin import scenario

AT = date(2026, 3, 2)


@pytest.fixture(scope="session")
def farm() -> Iterator[FarmThread]:
    with FarmThread(dataclasses.replace(scenario("demo"), today=AT)) as running:
        yield running


@pytest.fixture
def farm_env(farm: FarmThread, monkeypatch: pytest.MonkeyPatch) -> FarmThread:
    """CENSUS_* settings for the farm: its host map (exclusive: nothing else resolves), its CA."""
    monkeypatch.setenv("CENSUS_HOST_MAP", farm.host_map)
    monkeypatch.setenv("CENSUS_EXTRA_CA_FILE", str(farm.ca_pem))
    monkeypatch.setenv("CENSUS_PER_HOST_RATE", "50")
    return farm
