"""The probe against real faults on loopback: every failure kind from a socket doing it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from probes.availability import probe_homepage
from scanner.clock import SimulatedClock
from scanner.http import FailureKind
from tests.availability.conftest import SUFFIX, Loopback

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

CASES = [
    ("http://nosuch.example.org/", FailureKind.DNS),
    ("http://closed.other.gov.cn/", FailureKind.CONNECT),
    ("https://wrong.tls.gov.cn/", FailureKind.TLS),
    (f"http://stall.{SUFFIX}/", FailureKind.TIMEOUT),
    (f"http://unavailable.{SUFFIX}/", FailureKind.HTTP_STATUS),
    (f"http://loop.{SUFFIX}/", FailureKind.REDIRECT_LOOP),
    (f"http://empty.{SUFFIX}/", FailureKind.EMPTY),
    (f"http://huge.{SUFFIX}/", FailureKind.TOO_LARGE),
    (f"http://reset.{SUFFIX}/", FailureKind.PROTOCOL),
    (f"http://garbage.{SUFFIX}/", FailureKind.PROTOCOL),
]


@pytest.mark.parametrize(("url", "kind"), CASES, ids=[k.value + ":" + u for u, k in CASES])
async def test_each_failure_kind_comes_from_a_real_fault(
    loopback: Loopback, url: str, kind: FailureKind
) -> None:
    clock = SimulatedClock(T0)
    # Only the stalled body needs a short deadline; the others answer at once, and a long one
    # keeps a busy machine from turning their real fault into a timeout.
    timeout = 0.5 if kind is FailureKind.TIMEOUT else 30
    async with loopback.client() as client:
        record = await probe_homepage(client, url, clock=clock, timeout=timeout, max_bytes=100_000)
    assert record.failure is kind, record.detail
    assert record.ok is False
    assert record.started_at == T0
    assert record.url == url


async def test_a_stalled_body_is_a_timeout_at_the_deadline_not_a_hang(loopback: Loopback) -> None:
    async with loopback.client() as client:
        record = await asyncio.wait_for(
            probe_homepage(
                client, f"http://stall.{SUFFIX}/", clock=SimulatedClock(T0), timeout=0.4
            ),
            timeout=60,  # a hang guard only: the server stalls for an hour
        )
    assert record.failure is FailureKind.TIMEOUT
    assert record.total_ms >= 400  # the whole deadline was waited, no less


async def test_a_good_page_records_status_url_bytes_and_phases(loopback: Loopback) -> None:
    async with loopback.client() as client:
        record = await probe_homepage(client, f"http://moved.{SUFFIX}/", clock=SimulatedClock(T0))
    assert record.ok and record.failure is None
    assert record.status_code == 200
    assert record.final_url == f"http://ok.{SUFFIX}/index.html"
    assert record.bytes and record.bytes > 50
    assert record.dns_ms == 0.0  # mapped host: no lookup
    assert record.connect_ms is not None and record.first_byte_ms is not None
    assert record.body_ms is not None
    assert record.total_ms >= record.first_byte_ms


async def test_tls_phase_is_timed_on_a_good_certificate(loopback: Loopback) -> None:
    async with loopback.client() as client:
        record = await probe_homepage(client, "https://good.tls.gov.cn/", clock=SimulatedClock(T0))
    assert record.ok, record.detail
    assert record.tls_ms is not None and record.tls_ms > 0


async def test_a_hundred_probes_run_at_once_and_none_is_faster_than_the_delay(
    loopback: Loopback,
) -> None:
    """A hundred probes run at once, and none reports less than the server held it.

    The server holds every request until all hundred are in flight together: probes queued
    behind each other (a shared connection, a blocking call) would never get through and time
    out. The measured-time accuracy (≤ 50 ms p99) is a speed figure, measured by
    bench/bench_probes.py, not asserted here, since a busy test machine moves it.
    """
    hosts = [f"delay{i}.{SUFFIX}" for i in range(100)]
    for host in hosts:
        loopback.farm.delays[host] = 0.3
    loopback.farm.together = len(hosts)
    clock = SimulatedClock(T0)
    async with loopback.client() as client:
        records = await asyncio.gather(
            *(probe_homepage(client, f"http://{h}/", clock=clock, timeout=60) for h in hosts)
        )
    assert [r.failure for r in records] == [None] * len(hosts), records[0].detail
    assert loopback.farm.max_in_flight == len(hosts)
    assert min(r.total_ms for r in records) >= 300  # never faster than the server's delay
