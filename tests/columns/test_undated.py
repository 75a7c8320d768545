"""A list that shows no dates: its newest entries' own pages give the dates (MockTransport)."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx

from probes.columns import PageRead, read_page
from scanner.http import build_client
from scanner.settings import load_settings

AT = date(2024, 3, 1)
HOST = "http://www.mock-county.gov.cn"


def _list(n: int) -> str:
    rows = "".join(
        f'<li><a href="/tzgg/art_{k}.html">关于第{k}项工作安排的通知公告全文</a></li>'
        for k in range(1, n + 1)
    )
    return (
        '<html><head><title>通知公告</title><meta name="ColumnName" content="通知公告">'
        f'</head><body><ul class="list">{rows}</ul></body></html>'
    )


def _article(title: str, visible: str = "", pubdate: str = "") -> str:
    meta = f'<meta name="PubDate" content="{pubdate}">' if pubdate else ""
    line = f"<p>发布日期：{visible}</p>" if visible else ""
    return (
        f"<html><head><title>{title}</title>{meta}</head><body><h1>{title}</h1>{line}"
        f"<p>{'正文内容。' * 40}</p></body></html>"
    )


PAGES = {
    "/tzgg/": _list(6),
    "/tzgg/art_1.html": _article("关于第1项工作安排的通知公告全文", "2024年2月20日", "2024-02-29"),
    "/tzgg/art_2.html": _article("关于第2项工作安排的通知公告全文", pubdate="2024-02-10 08:00:00"),
    "/tzgg/art_3.html": _article("关于第3项工作安排的通知公告全文"),  # no date anywhere
}


def _read(open_undated: int) -> tuple[PageRead, list[str]]:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        html = PAGES.get(request.url.path)
        if html is None:
            return httpx.Response(404, text="not found")
        return httpx.Response(200, text=html, headers={"content-type": "text/html"})

    async def run() -> PageRead:
        transport = httpx.MockTransport(handler)
        async with build_client(load_settings(), transport=transport) as client:
            return await read_page(client, f"{HOST}/tzgg/", as_of=AT, open_undated=open_undated)

    return asyncio.run(run()), asked


def test_dates_come_from_the_entries_own_pages() -> None:
    read, asked = _read(open_undated=3)
    assert read.ok and read.state == "ok" and len(read.items) == 6
    assert [i.date for i in read.items[:3]] == [date(2024, 2, 20), date(2024, 2, 10), None]
    assert all(i.date is None for i in read.items[3:])
    assert read.newest == date(2024, 2, 20)  # the visible date beats the PubDate meta
    assert read.dated_from_pages == 2
    assert len(asked) == 4  # the list and three entries, no more


def test_zero_keeps_the_list_as_shown() -> None:
    read, asked = _read(open_undated=0)
    assert read.newest is None and all(i.date is None for i in read.items)
    assert asked == ["/tzgg/"]
