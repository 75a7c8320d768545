"""Class 2: a hostile body (a compression bomb, a corrupt stream) cannot stall the event loop
that times every other site's probes, nor grow the scanner's memory past the body cap."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import select

from scanner.db.models import Page, ProbeResult, Scan
from scanner.http import FailureKind, FetchFailed, build_client, fetch
from scanner.http.decoding import PIECE
from scanner.settings import load_settings
from tests.hostile.conftest import (
    CODE,
    Census,
    HostileSite,
    Route,
    assert_clean,
    env_for,
    fresh_db,
    html_page,
    import_registry,
    registry_yaml,
)

INFLATED = 48 * 1024 * 1024  # what each bomb inflates to
CAP = 1024 * 1024  # the body cap the fetch is given


def _deflate_raw(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


@pytest.fixture(scope="module")
def zeros() -> bytes:
    return bytes(INFLATED)


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda b: gzip.compress(b, 9),
    "x-gzip": lambda b: gzip.compress(b, 9),
    "deflate": lambda b: zlib.compress(b, 9),
    "deflate-raw": _deflate_raw,
    "gzip, gzip": lambda b: gzip.compress(gzip.compress(b, 9), 9),
    "deflate, gzip": lambda b: gzip.compress(zlib.compress(b, 9), 9),
}


def _header(name: str) -> str:
    return "deflate" if name == "deflate-raw" else name


# Both transports `build_client` can put under httpx: httpcore (probes) and lean (the crawl).
ENGINES = pytest.mark.parametrize("engine", ["httpcore", "lean"])


async def _fetch_with_ticker(
    url: str, host_map: str, cap: int, engine: Literal["httpcore", "lean"]
) -> tuple[object, int]:
    """Fetch while another task counts how often it gets the loop."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    async with build_client(load_settings(host_map=host_map), engine=engine) as client:
        try:
            got: object = await fetch(client, url, deadline=60, max_bytes=cap)
        except FetchFailed as exc:
            got = exc
    stop.set()
    await task
    return got, ticks


@ENGINES
@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_a_compression_bomb_is_cut_at_the_cap_in_bounded_pieces(
    site: HostileSite, zeros: bytes, encoding: str, engine: Literal["httpcore", "lean"]
) -> None:
    site.routes["/"] = Route(
        body=ENCODERS[encoding](zeros), headers={"Content-Encoding": _header(encoding)}
    )
    tracemalloc.start()
    try:
        got, ticks = asyncio.run(_fetch_with_ticker(site.url(), site.host_map, CAP, engine))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not isinstance(got, FetchFailed), got
    assert got.truncated and len(got.content) == CAP  # type: ignore[attr-defined]
    # Memory (the client and the server thread included): a few MiB, never the inflated
    # 48 MiB — inflating each network chunk whole, as httpx does, peaks above it.
    assert peak < INFLATED // 3, peak
    # The loop was given back between pieces: another task ran at least once per piece.
    assert ticks >= CAP // PIECE, ticks


@ENGINES
@pytest.mark.parametrize("encoding", [*ENCODERS, "identity", "br", "utf-8"])
def test_every_encoding_still_reads_an_honest_page_exactly(
    site: HostileSite, encoding: str, engine: Literal["httpcore", "lean"]
) -> None:
    page = html_page("县人民政府", "通知公告 " * 5000).encode()
    body = ENCODERS[encoding](page) if encoding in ENCODERS else page
    site.routes["/"] = Route(body=body, headers={"Content-Encoding": _header(encoding)})
    got, _ = asyncio.run(_fetch_with_ticker(site.url(), site.host_map, 8 * 1024 * 1024, engine))
    assert not isinstance(got, FetchFailed), got
    assert got.content == page and not got.truncated  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        pytest.param("gzip", b"\x1f\x8b\x08\x00garbage" * 100, id="corrupt-gzip"),
        pytest.param("deflate", b"\x00\xff" * 500, id="corrupt-deflate"),
        pytest.param("gzip", gzip.compress(b"<html>" * 1000)[:-200], id="truncated-gzip"),
    ],
)
@ENGINES
def test_a_corrupt_stream_is_a_recorded_failure(
    site: HostileSite, encoding: str, body: bytes, engine: Literal["httpcore", "lean"]
) -> None:
    site.routes["/"] = Route(body=body, headers={"Content-Encoding": encoding})
    got, _ = asyncio.run(_fetch_with_ticker(site.url(), site.host_map, CAP, engine))
    if isinstance(got, FetchFailed):
        assert got.kind == "protocol"
    else:  # a truncated stream ends early: what arrived is kept, nothing raised
        assert len(got.content) < 6000  # type: ignore[attr-defined]


def test_probe_of_a_bomb_homepage_is_too_large_and_others_unaffected(
    site: HostileSite, census: Census, tmp_path: Path, zeros: bytes
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    site.routes["/"] = Route(body=gzip.compress(zeros, 9), headers={"Content-Encoding": "gzip"})
    census.env = env_for(site, url, CENSUS_MAX_BODY_BYTES=str(CAP))
    ran = census("probe", "--once")
    assert_clean(ran)
    assert ran.code == 0, ran.text
    assert "页面过大" in ran.out
    with db.session() as s:
        result = s.scalars(select(ProbeResult)).one()
        assert result.failure is FailureKind.TOO_LARGE and not result.ok
        assert result.bytes is not None and result.bytes <= CAP
    db.dispose()


def test_a_scan_of_a_bomb_site_ends_and_records_the_homepage(
    site: HostileSite, census: Census, tmp_path: Path, zeros: bytes
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    bomb = gzip.compress(html_page("首页", '<a href="/a.html">a</a>').encode() + zeros, 9)
    site.routes["/"] = Route(body=bomb, headers={"Content-Encoding": "gzip"})
    site.page("/a.html", html_page("文章", "正文"))
    census.env = env_for(site, url, CENSUS_MAX_BODY_BYTES=str(CAP))
    ran = census("scan", CODE)
    assert_clean(ran)
    assert ran.code == 0, ran.text
    with db.session() as s:
        scan = s.scalars(select(Scan)).one()
        assert scan.status in ("done", "homepage_failed"), scan.error
        home = s.scalars(select(Page).where(Page.depth == 0)).one()
        assert home.bytes is not None and home.bytes <= CAP
    db.dispose()
