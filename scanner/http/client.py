"""The one place that builds HTTP clients: host map, User-Agent, timeouts, TLS trust.

Probes and the crawler receive a client built here and never build their own, so tests can pass
``transport=httpx.MockTransport(...)`` or point the host map at the simulated farm.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import ssl
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import certifi
import httpcore
import httpx
from httpx._client import BoundAsyncStream, ClientState
from httpx._urlparse import MAX_URL_LENGTH, ParseResult

from scanner.clock import stopwatch
from scanner.http.addresses import AddressPolicy
from scanner.http.hostmap import HostMap, HostMapBackend
from scanner.http.lean import LeanAnswer, LeanTransport
from scanner.http.streams import use_asyncio_primitives
from scanner.settings import Settings, parse_networks


class _MappedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with our network backend underneath (for the host map)."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        host_map: HostMap,
        policy: AddressPolicy,
    ):
        super().__init__(verify=ssl_context, limits=limits)
        # httpx does not take a network backend; rebuild its pool with the same options plus ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=HostMapBackend(host_map, policy=policy),
        )


# Request extension carrying the per-host slot number (`HostLimiter.slot`): the sharded transport
# sends slot k of every host through pool k.
SLOT_EXTENSION = "census_slot"


class _ShardedTransport(httpx.AsyncBaseTransport):
    """Several small connection pools instead of one big one; slot k of a host always uses
    pool k, so a host still never has more connections than it has slots.

    httpcore re-examines every pooled connection for every queued request, each time a request
    starts or ends — quadratic in the pool's size. Ten pools of one slot each take about half
    the CPU per request of one pool of ten (``bench/bench_http.py``: 0.94 → 0.49 ms).
    """

    def __init__(self, shards: Sequence[httpx.AsyncBaseTransport]):
        self.shards = shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        slot = request.extensions.get(SLOT_EXTENSION, 0)
        return await self.shards[slot % len(self.shards)].handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()


def ssl_context_for(settings: Settings) -> ssl.SSLContext:
    """One context per trust configuration, shared by every client: loading the CA bundle costs
    ≈ 10 ms and 0.5 MB, and a scan of many sites builds a client per site."""
    return _ssl_context(settings.verify_tls, settings.extra_ca_file)


@lru_cache(maxsize=8)
def _ssl_context(verify_tls: bool, extra_ca_file: str) -> ssl.SSLContext:
    if not verify_tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context(cafile=certifi.where())
    if extra_ca_file:
        ctx.load_verify_locations(cafile=extra_ca_file)
    return ctx


def build_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 200,
    shards: int = 1,
    follow_redirects: bool = True,
    max_redirects: int = 10,
    host_map_exclusive: bool | None = None,
    trusted_hosts: Sequence[str] = (),
    engine: Literal["httpcore", "lean"] = "httpcore",
) -> httpx.AsyncClient:
    """An AsyncClient configured from settings.

    ``host_map_exclusive`` (default: true whenever a host map is set) makes hosts outside the map
    fail as DNS errors, so a test or demo pointed at the farm can never reach the internet.
    ``shards`` splits the pool (``max_connections`` each) by `HostLimiter` slot, for clients
    that make many requests to each host through a limiter (the crawl). ``trusted_hosts``
    (a site's registered hosts, operator input) may be connected to at any address.
    ``engine="lean"`` puts `LeanTransport` under httpx instead of httpcore (the crawl: a third
    of the CPU per request, docs/crawl.md); it has no ``trace`` extension (the availability
    probe's phase times), so the probes keep httpcore.
    """
    timeout = httpx.Timeout(settings.page_timeout, connect=settings.connect_timeout)
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
        "Accept-Language": "zh-CN,zh;q=0.9",
    }
    if transport is None:
        mapping = settings.host_map_parsed
        exclusive = bool(mapping) if host_map_exclusive is None else host_map_exclusive
        host_map = HostMap(mapping, exclusive=exclusive)
        policy = AddressPolicy(parse_networks(settings.allowed_networks), trusted_hosts)
        if engine == "lean":
            transport = LeanTransport(
                ssl_context=lambda: ssl_context_for(settings),
                backend=HostMapBackend(host_map, policy=policy),
                max_per_origin=max_connections * max(1, shards),
            )
        else:
            use_asyncio_primitives()  # our own backend runs on asyncio: so do httpcore's locks
            limits = httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            )
            pools: list[httpx.AsyncBaseTransport] = [
                _MappedTransport(
                    ssl_context=ssl_context_for(settings),
                    limits=limits,
                    host_map=host_map,
                    policy=policy,
                )
                for _ in range(max(1, shards))
            ]
            transport = pools[0] if len(pools) == 1 else _ShardedTransport(pools)
    client = _Client(
        transport=transport,
        headers=headers,
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        trust_env=False,
    )
    client._cookies = _SetCookieJar()  # the public setter would wrap it back into Cookies
    return client


# A URL httpx's parser would give back as it is (http or https, a lower-case host of plain
# labels, an optional port, a path of unreserved characters and upper-case percent escapes —
# which httpx's quoting keeps as they are: 附件.pdf written out —; no user, query or fragment):
# most of a crawl's URLs, already normalised. `plain_url` builds its `httpx.URL` without the
# parse.
_PLAIN_URL_RE = re.compile(
    r"(https?)://((?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63})(?::([0-9]{1,5}))?"
    r"(/(?:[A-Za-z0-9_.~/-]|%[0-9A-F]{2})*)?"
)
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_DEFAULT_PORT = {"http": 80, "https": 443}


def plain_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, without httpx's general parse (quoting, IDNA, dot segments …) for
    a URL that has nothing of the kind (`_PLAIN_URL_RE`): its parsed form is the text's own
    parts. ≈ 1 µs instead of ≈ 10; tests/http/test_client.py compares the two on edge cases
    and generated URLs. Anything else, or an httpx whose URL is built otherwise, is httpx's
    parse (and its errors)."""
    parts = _plain_parts(url)
    if parts is None:
        return httpx.URL(url)
    scheme, host, port, path = parts
    parsed = httpx.URL.__new__(httpx.URL)
    parsed._uri_reference = ParseResult(scheme, "", host, port, path, None, None)
    return parsed


def _plain_parts(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port or None for the default, path) of a URL `plain_url` builds
    without httpx's parse; None for any other."""
    match = _PLAIN_URL_RE.fullmatch(url)
    if match is None or not _FAST_URL or len(url) > MAX_URL_LENGTH or "/." in url:
        return None
    scheme, host, port_text, path = match.groups()
    if _IPV4_STYLE.fullmatch(host) and not _valid_ipv4(host):
        return None  # httpx's own error for it
    port = int(port_text) if port_text else None
    if port == _DEFAULT_PORT[scheme]:
        port = None
    return scheme, host, port, path or ""


@lru_cache(maxsize=256)
def _valid_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ipaddress.AddressValueError:
        return False
    return True


def _fast_url_works() -> bool:
    """Whether this httpx keeps a URL as `plain_url` builds it (its internals could change:
    then every URL goes through httpx's parse)."""
    try:
        sample = "http://127.0.0.1:8081/a/b.html"
        built = httpx.URL.__new__(httpx.URL)
        built._uri_reference = ParseResult("http", "", "127.0.0.1", 8081, "/a/b.html", None, None)
        theirs = httpx.URL(sample)
        return built._uri_reference == theirs._uri_reference and str(built) == sample
    except Exception:  # any difference: the general parse
        return False


_FAST_URL = _fast_url_works()

# Request headers that make httpx's build_request do more than copy the client's headers.
_SPECIAL_HEADERS = frozenset(("host", "content-type", "content-length", "transfer-encoding"))


class _Client(httpx.AsyncClient):
    """httpx's client, with a cheaper `build_request` for a crawler's plain request.

    httpx builds every request through its general path: the URL parsed twice (merged with
    ``base_url``, then copied into the request), the client's headers copied twice, a body
    encoder run for no body, and a ``content-type`` lookup whose miss raises and catches a
    ``KeyError``: 20.6 µs a request, 16.1 here (≈ 10 of them httpx's URL parse). A GET or
    HEAD with no body, query parameters, cookies or base URL gets the same `httpx.Request`
    here (same method, URL, headers in the same order, extensions, empty body already read;
    tests/http/test_client.py compares the two) with one URL parse and one header copy;
    anything else goes the usual way.
    """

    def build_request(  # type: ignore[override]
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Request:
        plain = (
            content is None
            and data is None
            and files is None
            and json is None
            and params is None
            and not cookies
            and timeout is httpx.USE_CLIENT_DEFAULT
            and (headers is None or isinstance(headers, dict))
            and not self.params
            and not self.cookies
        )
        if plain and headers:
            plain = not any(name.lower() in _SPECIAL_HEADERS for name in headers)
        if plain:
            parsed = plain_url(url) if isinstance(url, str) else httpx.URL(url)
            if parsed.is_absolute_url and parsed.host:
                request = self._plain_request(method, parsed, headers, extensions)
                if request is not None:
                    return request
        return super().build_request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            extensions=extensions,
        )

    def _plain_request(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str] | None,
        extensions: dict[str, Any] | None,
    ) -> httpx.Request | None:
        """What httpx's build_request makes for a request without a body (see the class);
        None when the client's own headers name a Host (httpx then adds none)."""
        if headers:
            merged = httpx.Headers(self.headers)
            merged.update(headers)
            raw = merged.raw
        else:
            raw = self.headers.raw
        if any(name.lower() == b"host" for name, _ in raw):
            return None
        extensions = {} if extensions is None else extensions
        if "timeout" not in extensions:
            extensions = dict(**extensions, timeout=self.timeout.as_dict())
        request = httpx.Request(
            method,
            url,
            headers=httpx.Headers([(b"Host", url.netloc), *raw]),
            stream=httpx.ByteStream(b""),
            extensions=extensions,
        )
        request.read()
        return request

    def lean_target(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> LeanTarget | None:
        """A GET or HEAD of ``url`` with the client's own headers (and ``headers``: a
        conditional request's validators), written out for `send_target`; None when httpx's
        way must take it: another method, a URL that is not plain (`_plain_parts`), a header
        httpx treats apart (`_SPECIAL_HEADERS`), or a client with anything that would make
        httpx build or handle the request otherwise (`_lean_client`)."""
        if method not in _LEAN_METHODS or not self._lean_client():
            return None
        parts = _plain_parts(url)
        if parts is None:
            return None
        scheme, host, port, path = parts
        netloc = host if port is None else f"{host}:{port}"
        if headers:
            if any(name.lower() in _SPECIAL_HEADERS for name in headers):
                return None
            merged = httpx.Headers(self.headers)  # as `_plain_request` merges them
            merged.update(headers)
            block = _written(merged.raw)
        else:
            block = self._header_block()
        if block is None:
            return None
        data = b"%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (
            _LEAN_METHODS[method],
            (path or "/").encode("ascii"),
            netloc.encode("ascii"),
            block,
        )
        origin = (scheme.encode("ascii"), host.encode("ascii"), port or _DEFAULT_PORT[scheme])
        return LeanTarget(method, url, host, f"{scheme}://{netloc}{path}", origin, data)

    def _lean_client(self) -> bool:
        """Whether this client's requests may skip httpx's models: what `send` and
        `_plain_request` each require of the client, together."""
        return (
            self._auth is None
            and isinstance(self._transport, LeanTransport)
            and not self._mounts
            and not self._event_hooks["request"]
            and not self._event_hooks["response"]
            and self._state is not ClientState.CLOSED  # unopened: opened below, as httpx does
            and not self.params
            and not self.cookies
        )

    def _header_block(self) -> bytes | None:
        """The client's own headers as `_serialize` writes them (after the Host line), kept
        while they stay the same; None when httpx would add no Host (the client names one) or
        a header could not be written (`_serialize`'s error then comes httpx's way)."""
        raw = self.headers.raw
        cached = self._block_for
        if cached is not None and cached[0] == raw:
            return cached[1]
        block = _written(raw)
        self._block_for = (raw, block)
        return block

    _block_for: tuple[list[tuple[bytes, bytes]], bytes | None] | None = None

    async def send_target(
        self, target: LeanTarget, deadline: float | None
    ) -> httpx.Response | LeanAnswer:
        """A crawl's GET or HEAD without httpx's models (docs/crawl.md, "Eighth round (a)"): the
        request's bytes straight to `LeanTransport.exchange`, and for a usual answer the
        answer itself (`LeanAnswer`: status, header lines, the raw body to read, then to
        close). An answer httpx's client does more with — a redirect (followed, or not, as
        `send` would), a cookie set, httpx's log line wanted — becomes httpx's request and
        response and goes on through `send`'s own loop (`_send_lean`), so nothing is sent
        twice. ``deadline``: the caller's whole deadline, started before this; a read timeout
        no shorter than it could never fire first, and is left out (one timer a read, not
        two)."""
        timeout = self.timeout
        read = timeout.read
        if read is not None and deadline is not None and read >= deadline:
            read = None
        timeouts = {
            "connect": timeout.connect,
            "read": read,
            "write": timeout.write,
            "pool": timeout.pool,
        }
        transport = self._transport
        assert isinstance(transport, LeanTransport)
        self._state = ClientState.OPENED
        start = stopwatch()
        method = _LEAN_METHODS[target.method]
        try:
            body = await transport.exchange(target.origin, method, target.data, timeouts)
        except httpx.RequestError as exc:
            exc.request = self.request_for(target)  # as `send` does
            raise
        if (
            body.status not in _REDIRECT_STATUSES
            and not any(name.lower() == b"set-cookie" for name, _ in body.headers)
            and not _LOG.isEnabledFor(logging.INFO)
        ):
            return body
        response = body.response()
        try:
            request = self.request_for(target)
        except BaseException:
            await response.aclose()
            raise
        return await self._send_lean(request, self.follow_redirects, (response, start))

    def request_for(self, target: LeanTarget) -> httpx.Request:
        """The httpx request ``target`` stands for (what an error raised on the way carries)."""
        return self.build_request(target.method, target.url)

    async def send(  # type: ignore[override]
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """httpx's ``send`` for the crawl's requests on `LeanTransport`, without the machinery
        they never use: no auth flow (an async generator per request), no event hooks, no
        mounted transports. What it does is what httpx's ``send``, ``_send_handling_redirects``
        and ``_send_single_request`` do for such a request — the client's timeout, the
        request attached to transport errors, the response bound to its request with
        ``elapsed`` set on close, cookies taken from answers that set one, redirects followed
        up to ``max_redirects`` through httpx's own ``_build_redirect_request``, the history,
        ``next_request`` when not following — and tests/http/test_client.py compares the two
        sends answer by answer. Any other request or client goes httpx's way."""
        if (
            auth is not httpx.USE_CLIENT_DEFAULT
            or self._auth is not None
            or not isinstance(self._transport, LeanTransport)
            or self._mounts
            or self._event_hooks["request"]
            or self._event_hooks["response"]
            or self._state is not ClientState.OPENED
            or request.url.userinfo
            or not isinstance(request.stream, httpx.AsyncByteStream)
        ):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        follow = (
            self.follow_redirects
            if follow_redirects is httpx.USE_CLIENT_DEFAULT
            else bool(follow_redirects)
        )
        self._set_timeout(request)
        response = await self._send_lean(request, follow)
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response

    async def _send_lean(
        self,
        request: httpx.Request,
        follow: bool,
        first: tuple[httpx.Response, float] | None = None,
    ) -> httpx.Response:
        """``first``: the answer to ``request`` already received (by `send_target`) and when
        it was sent; the loop takes it from there as if it had sent it."""
        history: list[httpx.Response] = []
        transport = self._transport
        while True:
            if len(history) > self.max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=request)
            if first is not None:
                (response, start), first = first, None
            else:
                start = stopwatch()
                try:
                    response = await transport.handle_async_request(request)
                except httpx.RequestError as exc:
                    exc.request = request
                    raise
            response.request = request
            response.stream = BoundAsyncStream(
                response.stream,  # type: ignore[arg-type]
                response=response,
                start=start,
            )
            try:
                self._cookies.extract_cookies(response)
                response.default_encoding = self._default_encoding
                if _LOG.isEnabledFor(logging.INFO):
                    _LOG.info(
                        'HTTP Request: %s %s "%s %d %s"',
                        request.method,
                        request.url,
                        response.http_version,
                        response.status_code,
                        response.reason_phrase,
                    )
                response.history = list(history)
                if not response.has_redirect_location:
                    return response
                request = self._build_redirect_request(request, response)
                history = [*history, response]
                if not follow:
                    response.next_request = request
                    return response
                await response.aread()
            except BaseException:
                await response.aclose()
                raise


_LOG = logging.getLogger("httpx")  # httpx's own logger: its "HTTP Request: …" lines
_REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))  # httpx's `has_redirect_location`


_LEAN_METHODS = {"GET": b"GET", "HEAD": b"HEAD"}  # the methods `send_target` sends


def _written(raw: list[tuple[bytes, bytes]]) -> bytes | None:
    """Header lines as `_serialize` writes them after the Host line; None when httpx would
    add no Host (one is named) or a line could not be written (`_serialize`'s error then
    comes httpx's way)."""
    if any(name.lower() == b"host" for name, _ in raw) or any(
        b"\r" in part or b"\n" in part for pair in raw for part in pair
    ):
        return None
    return b"".join(name + b": " + value + b"\r\n" for name, value in raw)


class LeanTarget:
    """A GET or HEAD written out (`_Client.lean_target`): the method, the URL, the host the
    limiter keys, the URL httpx would give the response (``final_url``), the origin, the
    request's bytes."""

    __slots__ = ("data", "final_url", "host", "method", "origin", "url")

    def __init__(
        self,
        method: str,
        url: str,
        host: str,
        final_url: str,
        origin: tuple[bytes, bytes, int],
        data: bytes,
    ):
        self.method, self.url, self.host, self.final_url = method, url, host, final_url
        self.origin, self.data = origin, data


def lean_target(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str] | None = None
) -> LeanTarget | None:
    """`_Client.lean_target` for a client built here, None for any other (httpx's way)."""
    return client.lean_target(method, url, headers) if isinstance(client, _Client) else None


class _SetCookieJar(httpx.Cookies):
    """The client's cookie jar, read only from responses that set a cookie: httpx hands every
    response to the standard library's cookie policy, which builds two adapter objects and
    parses the URL again even when there is no ``Set-Cookie`` (3 % of a crawl's CPU)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)
