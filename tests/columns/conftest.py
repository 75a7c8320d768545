"""One demo farm for the column tests (today, China time) and the settings pointing at it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime

import pytest

from farm import FarmThread
from farm.builtin import scenario
from scanner.monitor.stats import CST

# The farm's today is the CLI's today (China time): `census columns read/discover` resolve
# year-less dates such as [03-02] against the real day, so the truth must be built for it too.
AT = datetime.now(CST).date()


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
