"""A column whose address is a redirect stub is read at the page the stub sends a browser to."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx

from probes.columns import read_page

STUB = b'<html><head><meta http-equiv="refresh" content="0;url=/col/col7/index.html"></head></html>'
SCRIPT_STUB = (
    b'<html><body><script>window.location.href="/col/col7/index.html";</script></body></html>'
)
LIST = (
    '<html><head><meta charset="utf-8"><title>通知公告</title></head><body><ul class="list">'
    + "".join(
        f'<li><a href="/art/2024/2/{d}/art_7_{d}.html">关于做好第{d}项重点工作的通知</a>'
        f"<span>2024-02-{d:02d}</span></li>"
        for d in (27, 20, 13)
    )
    + "</ul></body></html>"
).encode()


def _read(first: bytes) -> tuple[list[tuple[str, date | None]], list[str]]:
    seen: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        body = LIST if request.url.path == "/col/col7/index.html" else first
        return httpx.Response(200, content=body, headers={"content-type": "text/html"})

    async def run() -> list[tuple[str, date | None]]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
            read = await read_page(
                client, "http://www.example.gov.cn/tzgg/", as_of=date(2024, 3, 1)
            )
        assert read.ok and read.kind == "list"
        return [(i.url, i.date) for i in read.items]

    return asyncio.run(run()), seen


def test_meta_refresh_and_script_stubs_are_followed() -> None:
    for stub in (STUB, SCRIPT_STUB):
        items, seen = _read(stub)
        assert seen == ["/tzgg/", "/col/col7/index.html"]
        assert items == [
            (f"http://www.example.gov.cn/art/2024/2/{d}/art_7_{d}.html", date(2024, 2, d))
            for d in (27, 20, 13)
        ]
