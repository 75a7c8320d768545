"""The crawl client's own ``send`` (`scanner.http.client._Client.send` on `LeanTransport`) and
`plain_url` against httpx's: the same answers, redirects, cookies, history and errors, and the
same parsed URLs. Both lean on httpx internals (``_build_redirect_request``, ``ClientState``,
``BoundAsyncStream``, ``URL._uri_reference``); these tests fail if an httpx upgrade moves them."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.http import build_client
from scanner.http.client import _FAST_URL, plain_url
from scanner.settings import load_settings


@pytest.fixture(autouse=True)
def engine() -> str:
    """The lean transport only: the fast send exists on it alone."""
    return "lean"


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def final(request: web.Request) -> web.Response:
        cookie = request.headers.get("Cookie")
        return web.Response(text=f"{request.method} {request.path_qs} {cookie}")

    def moved(status: int, where: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": where})

        return handler

    async def login(request: web.Request) -> web.Response:
        return web.Response(
            status=302, headers={"Location": "/final", "Set-Cookie": "sid=abc; Path=/"}
        )

    app = web.Application()
    app.add_routes(
        [
            web.route("*", "/final", final),
            web.route("*", "/r301", moved(301, "/final")),
            web.route("*", "/r302", moved(302, "final?x=1")),
            web.route("*", "/r303", moved(303, "/r301")),
            web.route("*", "/r307", moved(307, "/final")),
            web.route("*", "/loop", moved(302, "/loop")),
            web.route("*", "/badloc", moved(302, "http://[bad")),
            web.route("*", "/login", login),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _client() -> httpx.AsyncClient:
    return build_client(
        load_settings(), trusted_hosts=("127.0.0.1",), engine="lean", max_redirects=4
    )


def _outcome(response: httpx.Response) -> dict[str, Any]:
    nxt = response.next_request
    return {
        "status": response.status_code,
        "url": str(response.url),
        "body": response.content,
        "sent": response.request.headers.raw,
        "method": response.request.method,
        "history": [(r.status_code, str(r.url), r.request.method) for r in response.history],
        "next": None if nxt is None else (nxt.method, str(nxt.url), nxt.headers.raw),
        "elapsed": response.elapsed.total_seconds() >= 0,
        "encoding": response.default_encoding,
    }


async def _both(url: str, method: str, follow: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """(ours, httpx's) for the same request, each on a fresh client (its own cookie jar)."""
    results = []
    general = httpx.AsyncClient._send_handling_auth
    calls = []

    async def counted(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> httpx.Response:
        calls.append(1)
        return await general(self, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "_send_handling_auth", counted)
    for send in ("ours", "httpx"):
        async with _client() as client:
            await client.get(url.rsplit("/", 1)[0] + "/final")  # a pooled connection, like a crawl
            before = len(calls)
            request = client.build_request(method, url)
            sender = client.send if send == "ours" else httpx.AsyncClient.send.__get__(client)
            try:
                response = await sender(request, follow_redirects=follow)
                results.append(_outcome(response))
            except httpx.HTTPError as exc:
                results.append(
                    {"error": type(exc), "message": str(exc), "request": str(exc.request.url)}
                )
            took_general = len(calls) > before
            assert took_general is (send == "httpx")  # ours never entered httpx's own path
    return results[0], results[1]


@pytest.mark.parametrize("path", ["/final", "/r301", "/r302", "/r303", "/r307", "/login"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("follow", [True, False])
async def test_the_lean_send_answers_as_httpx_s(
    site: str, path: str, method: str, follow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = await _both(site + path, method, follow, monkeypatch)
    assert ours == theirs


@pytest.mark.parametrize("path", ["/loop", "/badloc"])
async def test_the_lean_send_fails_as_httpx_s(
    site: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = await _both(site + path, "GET", True, monkeypatch)
    assert "error" in ours
    assert ours == theirs


async def test_a_cookie_set_on_a_redirect_is_sent_on_the_next_request(site: str) -> None:
    async with _client() as client:
        response = await client.get(site + "/login")
        again = await client.get(site + "/final")
    assert response.text == "GET /final sid=abc"
    assert again.text == "GET /final sid=abc"


async def test_a_refused_connection_names_its_request() -> None:
    async with _client() as client:
        request = client.build_request("GET", "http://127.0.0.1:9/x")
        with pytest.raises(httpx.ConnectError) as info:
            await client.send(request)
    assert info.value.request is request


async def test_auth_and_hooks_go_httpx_s_way(site: str) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with _client() as client:
        client.event_hooks = {"request": [hook], "response": []}
        await client.get(site + "/r301")
        response = await client.get(site + "/final", auth=("u", "p"))
    assert seen == [site + "/r301", site + "/final", site + "/final"]
    assert response.request.headers["authorization"].startswith("Basic ")


# -- plain_url -------------------------------------------------------------------------------


def _parsed(url: str) -> Any:
    try:
        return httpx.URL(url)._uri_reference
    except httpx.InvalidURL as exc:
        return ("error", str(exc))


def _ours(url: str) -> Any:
    try:
        return plain_url(url)._uri_reference
    except httpx.InvalidURL as exc:
        return ("error", str(exc))


EDGES = [
    "http://www.gov.cn/",
    "http://www.gov.cn",
    "https://www.gov.cn:443/a",
    "http://www.gov.cn:80/a",
    "http://www.gov.cn:8080/a/b.html",
    "http://www.gov.cn:0080/a",
    "http://127.0.0.1:8081/col/a.html",
    "http://999.1.1.1/",
    "http://1.2.3/",
    "http://01.2.3.4/",
    "http://a-.b/",
    "http://www.gov.cn/a/./b",
    "http://www.gov.cn/a/../b",
    "http://www.gov.cn/a/..",
    "http://www.gov.cn/.",
    "http://www.gov.cn/.hidden/x",
    "http://www.gov.cn/~user/",
    "http://www.gov.cn//double//slash",
    "http://www.gov.cn:99999/",
    "HTTP://www.gov.cn/",
    "http://WWW.gov.cn/",
    "http://www.gov.cn/a?b",
    "http://www.gov.cn/a#b",
    "http://u@www.gov.cn/",
    "ftp://www.gov.cn/",
    "http://www.gov.cn/col/%E9%99%84%E4%BB%B61.pdf",  # 附件1.pdf, as pages write it
    "http://www.gov.cn/%e9%99%84.pdf",
    "http://www.gov.cn/a/%2e%2e/b",
    "http://www.gov.cn/a/%2E%2E/b",
    "http://www.gov.cn/%2E/b",
    "http://www.gov.cn/a%2Fb",
    "http://www.gov.cn/a%25b",
    "http://www.gov.cn/a%",
    "http://www.gov.cn/a%4",
    "http://www.gov.cn/a%G1",
    "http://www.gov.cn/a%%41",
    "http://www.gov.cn/a%20b",
    "http://www.gov.cn/%00",
]


@pytest.mark.parametrize("url", EDGES)
def test_plain_url_parses_as_httpx(url: str) -> None:
    assert _FAST_URL  # the fast path is in use with this httpx
    assert _ours(url) == _parsed(url)
    if not isinstance(_parsed(url), tuple) or _parsed(url)[0] != "error":
        assert str(plain_url(url)) == str(httpx.URL(url))


_HOST_CHARS = string.ascii_lowercase + string.digits + "-."
_PATH_CHARS = string.ascii_letters + string.digits + "_.~/-%?#:@ "
_ESCAPES = [f"%{i:02X}" for i in range(256)] + ["%e9", "%2e", "%", "%G"]


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=st.text(_HOST_CHARS, min_size=1, max_size=30),
    port=st.one_of(st.none(), st.integers(0, 99999)),
    path=st.text(_PATH_CHARS, max_size=40),
)
def test_plain_url_parses_as_httpx_on_generated_urls(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}{'/' + path if path else ''}"
    assert _ours(url) == _parsed(url)


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(_ESCAPES), st.text(_PATH_CHARS, max_size=3)), max_size=12
    )
)
def test_plain_url_parses_percent_escapes_as_httpx(parts: list[str]) -> None:
    """Paths of escapes (every byte, lower-case, broken ones) among other characters."""
    url = "http://www.gov.cn/" + "".join(parts)
    assert _ours(url) == _parsed(url)
    if not isinstance(_parsed(url), tuple) or _parsed(url)[0] != "error":
        assert str(plain_url(url)) == str(httpx.URL(url))
