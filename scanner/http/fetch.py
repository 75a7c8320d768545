"""Fetching one resource completely, within a deadline, without reading more than a cap.

httpx's timeouts are per phase (a read timeout restarts with every chunk), so a body that
trickles in would never time out; the whole fetch runs under one deadline instead — the census
counts a page as not opened when it has not *fully loaded* within 15 seconds.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx

from scanner.clock import stopwatch
from scanner.errors import FetchFailed
from scanner.http.charset import charset_of, decode_html
from scanner.http.client import SLOT_EXTENSION, lean_target
from scanner.http.decoding import BoundedDecoder
from scanner.http.failures import address_refused, classify_exception
from scanner.http.lean import EMPTY_BODY, LeanAnswer
from scanner.http.limits import Held, HostLimiter, host_of


async def _read_bounded(response: httpx.Response, cap: int) -> tuple[list[bytes], bool]:
    """The decoded body up to ``cap`` bytes, and whether it was cut: decoded `PIECE` by
    `PIECE`, yielding to the loop between pieces (see `scanner.http.decoding`)."""
    if response.is_stream_consumed:  # read before us (a test's MockTransport): httpx decoded it
        body = response.content
        return [body[:cap]], len(body) > cap
    if response.extensions.get(EMPTY_BODY):
        # `LeanTransport`'s empty body (a HEAD's answer): complete, nothing to iterate — three
        # async generators spared on each of a scan's thousands of HEADs.
        return [], False
    return await _read_raw(response.aiter_raw(), response.headers, cap)


async def _read_raw(
    raw: AsyncIterable[bytes], headers: httpx.Headers, cap: int
) -> tuple[list[bytes], bool]:
    """`_read_bounded` of a raw body: httpx's raw iteration, or `LeanTransport`'s own body."""
    decoder = BoundedDecoder(headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    size = 0
    async for data in raw:
        for index, piece in enumerate(decoder.feed(data)):
            if index:
                await asyncio.sleep(0)  # one chunk inflating into many pieces: let others run
            size += len(piece)
            if size > cap:
                chunks.append(piece[: len(piece) - (size - cap)])
                return chunks, True
            chunks.append(piece)
    return chunks, False


@dataclass
class Fetched:
    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    content: bytes
    truncated: bool
    elapsed_ms: float
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> tuple[str, str]:
        """Decoded body and the encoding used (header, meta, UTF-8, GB18030)."""
        return decode_html(self.content, charset_of(self.content_type))


def _attach_request(exc: httpx.RequestError, client: httpx.AsyncClient, target: Any) -> None:
    """An error met reading a lean answer's body carries its request, as httpx's raw
    iteration attaches it."""
    try:
        exc.request  # noqa: B018 - set already?
    except RuntimeError:
        exc.request = client.request_for(target)  # type: ignore[attr-defined]


_SPENT = httpx.ByteStream(b"")  # what a closed response's stream is left as (see `fetch`)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float,
    max_bytes: int | Callable[[httpx.Headers], int],
    method: str = "GET",
    limiter: HostLimiter | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
    data: dict[str, str] | None = None,
) -> Fetched:
    """Fetch ``url`` completely within ``deadline`` seconds, reading at most ``max_bytes``
    (or as many as ``max_bytes(headers)`` allows once the answer's headers are in).

    ``extensions`` go to the request as-is (e.g. httpcore's ``trace`` hook, which the
    availability probe uses for phase times); httpx keeps them across redirects. ``data`` is
    a form body (a script's POST to a list endpoint).
    """
    started = stopwatch()
    held: Held | None = None
    other: AbstractAsyncContextManager[int] | None = None
    response: httpx.Response | None = None
    # A crawl's GET or HEAD of a plain URL (its headers, if any, a conditional request's
    # validators): sent and read without httpx's request and response models
    # (`_Client.send_target`, docs/crawl.md "Eighth round (a)"); anything else, and any answer
    # httpx's client does more with (redirects, cookies), httpx's way.
    target = (
        lean_target(client, method, url, headers) if extensions is None and data is None else None
    )
    answer: LeanAnswer | None = None
    answer_headers: httpx.Headers | None = None
    try:
        # What `client.stream` inside `limiter.slot` does, without their two context managers
        # and the exit stack (a crawl makes thousands of requests a second): the slot taken
        # outside the deadline, the response closed, then the slot given back, whatever happens.
        # A limiter with its own `slot` (the workers' Redis-shared one) is used through it.
        try:
            if limiter is not None:
                host = host_of(url) if target is None else target.host
                if type(limiter).slot is HostLimiter.slot:
                    held = await limiter.take(host)
                    number = held.number
                else:
                    other = limiter.slot(host)
                    number = await other.__aenter__()
                if target is None:
                    extensions = {**(extensions or {}), SLOT_EXTENSION: number}
            async with asyncio.timeout(deadline):
                if target is None:
                    request = client.build_request(
                        method, url, headers=headers, extensions=extensions, data=data
                    )
                    response = await client.send(request, stream=True)
                else:
                    sent = await client.send_target(target, deadline)  # type: ignore[attr-defined]
                    if isinstance(sent, httpx.Response):
                        response = sent
                    else:
                        answer = sent
                if response is not None:
                    cap = max_bytes(response.headers) if callable(max_bytes) else max_bytes
                    chunks, truncated = await _read_bounded(response, cap)
                else:
                    assert answer is not None
                    answer_headers = httpx.Headers(answer.headers)
                    cap = max_bytes(answer_headers) if callable(max_bytes) else max_bytes
                    if answer.done:  # an empty body (a HEAD's answer): nothing to iterate
                        chunks, truncated = [], False
                    else:
                        chunks, truncated = await _read_raw(answer, answer_headers, cap)
        finally:
            if response is not None:
                await response.aclose()
            if answer is not None:
                answer.close()  # pooled if read whole, else closed
            if held is not None:
                HostLimiter.give(held)
            if other is not None:
                await other.__aexit__(None, None, None)
    except (
        httpx.HTTPError,
        httpx.InvalidURL,
        TimeoutError,
        OSError,
        ValueError,
        zlib.error,
    ) as exc:
        # ValueError: a URL the parsers refuse (a bad IPv6 literal or port) — the site's error.
        if answer is not None and isinstance(exc, httpx.RequestError):
            _attach_request(exc, client, target)
        elapsed = (stopwatch() - started) * 1000
        kind = classify_exception(exc)
        detail = str(exc) or type(exc).__name__
        raise FetchFailed(kind, detail, elapsed, refused=address_refused(exc)) from exc
    elapsed = (stopwatch() - started) * 1000
    content = b"".join(chunks)
    if answer is not None:
        assert target is not None and answer_headers is not None
        return Fetched(
            url=url,
            final_url=target.final_url,
            status=answer.status,
            headers=answer_headers,
            content=content,
            truncated=truncated,
            elapsed_ms=elapsed,
        )
    assert response is not None  # sent, or the send's error was raised above
    for spent in (*response.history, response):
        # httpx's response and its stream refer to each other: left so, every response (with
        # its last body chunk) is garbage only the collector frees — 81 responses waited for
        # each young collection of a scan. Closed now, it is freed when it is dropped.
        spent.stream = _SPENT
    return Fetched(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        headers=response.headers,
        content=content,
        truncated=truncated,
        elapsed_ms=elapsed,
        redirects=[str(r.url) for r in response.history],
    )
