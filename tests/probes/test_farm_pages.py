"""Cross-check against the simulated farm's ground truth (rendered in-process, no sockets).

The farm records every dated item and publication date as it writes a page, so any difference
is the reader's mistake (or a contract difference, noted below).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from farm import builtin as farm_builtin
from farm import catalog as farm_catalog
from farm import render as farm_render
from farm import scenario as farm_scenario
from probes.page import summarize_page

TODAY = date(2024, 3, 15)
PAGE_KINDS = {"homepage", "list", "article", "guide", "message", "system", "other"}
# The farm's kind → the inspect contract's kind. A consult column's list is "messages" in the
# contract (留言/信件 lists with 回复/办理状态), a plain "list" in the farm.
EQUIVALENT = {("message", "messages"), ("system", "other"), ("list", "messages")}
# Lists a script builds from data no static read of the page holds (farm ColumnSpec.script): the
# page itself lists nothing; the reader fetches the endpoint or renders (tests/columns).
NOT_IN_MARKUP = ("json", "getjson", "docwrite", "computed")


def farm_pages() -> list[tuple[str, Any, bool]]:
    catalog = farm_catalog.Catalog(farm_builtin.demo(), TODAY)
    now = datetime.combine(TODAY, time(12), tzinfo=farm_scenario.CST)
    pages = []
    for host in catalog.hosts():
        site = catalog.get(host)
        if site is None:
            continue
        for n, path in enumerate(site.page_paths()):
            target = site.locate(path, faults=False)
            if target.kind not in PAGE_KINDS:
                continue
            if target.kind == "article" and n % 7:
                continue  # a sample of articles keeps the test fast
            rendered = farm_render.PageBuilder(site, now).render(target, path)
            col = target.column
            scripted = (
                target.kind == "list"
                and col is not None
                and col.script in NOT_IN_MARKUP
                and target.index == 0
            )
            pages.append((site.url(path), rendered, scripted))
    return pages


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, Any, bool]]:
    return farm_pages()  # a farm API change fails here, loudly: never a skip


def test_items_kinds_and_published_match_the_farm(pages: list[tuple[str, Any, bool]]) -> None:
    problems = []
    for url, r, scripted in pages:
        s = summarize_page(r.html, url, as_of=TODAY)
        if scripted:  # nothing in the markup: the page must say so, not make entries up
            if s["items"] or s["kind"] != "list":
                problems.append(f"{url}: a script-built list read statically as {s['kind']}")
            continue
        if s["kind"] != r.kind and (r.kind, s["kind"]) not in EQUIVALENT:
            problems.append(f"{url}: kind {s['kind']} != {r.kind}")
        got = [(i["title"], i["url"], i["date"]) for i in s["items"]]
        shown = [(i.title, i.url, i.date.isoformat() if i.date else None) for i in r.items]
        if r.kind == "homepage":
            shown = [row for row in shown if row[2]]  # the contract: a homepage's dated entries
        if r.kind in ("list", "homepage") and got != shown:
            problems.append(f"{url}: items differ")
        if r.kind == "article":
            want = r.published.isoformat() if r.published else None
            if s["published"] != want:
                problems.append(f"{url}: published {s['published']} != {want}")
    assert not problems, "\n".join(problems[:20])
    assert len(pages) > 100
