"""Each real page of the corpus, read as `census inspect` reads it, against what a person read.

Parametrised by page id so a page that regresses fails by name. The bytes are third-party
copies kept outside git (see tests/realpages/corpus.py); without them the whole module skips
with the reason, unless CENSUS_TEST_REALPAGES=required makes their absence an error.
"""

from __future__ import annotations

import os
from urllib.parse import urljoin

import pytest

from probes.guides import ELEMENTS, read_guide
from probes.listpage import page_day_first, parse_html
from probes.messages import read_message_list, read_message_page
from probes.page import decode_html
from tests.realpages.corpus import REQUIRED_ENV, Page, as_of, load, page_bytes, pages_dir
from tests.realpages.reading import read

PAGES = load()
DIRECTORY = pages_dir()

if DIRECTORY is None:
    if os.environ.get(REQUIRED_ENV) == "required":
        raise RuntimeError(f"{REQUIRED_ENV}=required but no real-page corpus was found")
    pytest.skip(
        "the real-page corpus is not materialised (python -m tests.realpages.corpus --mirror DIR)",
        allow_module_level=True,
    )


# Pages the reader still misreads, each with the reason (docs/dates-and-lists.md). Strict: a page
# that starts passing fails here until it is taken off the list.
KNOWN_MISSES = {
    "dyqtaiyuan.gov.cn": "an undated museum page: no date, no ArticleTitle meta, read as other",
    "bjgjj.gov.cn": (
        "five year-less 政策法规 entries listed by issue date, out of order, shown months after"
        " their URL's date: labelled the year before the URL's, the reader's walk gives others"
        " (ambiguous on the page; see the label's note)"
    ),
    "moe.gov.cn": (
        "59 of 62 entries: the three 教育要闻 rows (<li><span>MM-DD</span><div><a>) are not read,"
        " and two pane headings (工作动态, 主动公开基本目录) take their first row's date"
    ),
    "bjjtgl.gov.cn": (
        "all 19 dated entries read, plus one undated row: 网上公示's first <li> has an empty"
        " <span></span> and takes the 2018-03-16 of the row after it"
    ),
    "mof.gov.cn": (
        "a user-agent-branching script redirect: the reader takes the first location.href written"
        " (the mobile branch, m.mof.gov.cn), a desktop browser goes to the else branch (www)"
    ),
}


def _param(page: Page) -> object:
    reason = KNOWN_MISSES.get(page.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(page, id=page.id, marks=marks)


def test_manifest_covers_the_corpus() -> None:
    assert len(PAGES) == len({page.id for page in PAGES})
    assert len({page.site for page in PAGES}) >= 30


@pytest.mark.parametrize("page", [_param(page) for page in PAGES])
def test_page(page: Page) -> None:
    assert DIRECTORY is not None
    reading = read(page, page_bytes(page, DIRECTORY))
    assert reading.kind == page.kind
    if page.kind in ("article", "guide"):
        assert reading.published == page.published
    if page.kind == "redirect":
        assert reading.redirect == page.redirect
    assert reading.newest == page.newest
    assert reading.items == reading.truth_items


@pytest.mark.parametrize(
    "page",
    [pytest.param(page, id=page.id) for page in PAGES if page.kind == "messages" and page.items],
)
def test_message_list(page: Page) -> None:
    """What the message checks read from a real 信箱 list: each letter's link, the date it was
    asked and whether the list shows it answered, against the labels."""
    assert DIRECTORY is not None
    html, _ = decode_html(page_bytes(page, DIRECTORY), None)
    records = read_message_list(html, page.url, as_of=as_of(page))
    got = [(r.url, r.asked_on, r.state) for r in records]
    assert got == [(urljoin(page.url, i.href), i.date, i.state) for i in page.items]


@pytest.mark.parametrize(
    "page", [pytest.param(page, id=page.id) for page in PAGES if page.message is not None]
)
def test_message_page(page: Page) -> None:
    """What the message checks read from one real letter's page: asked, answered, state."""
    assert DIRECTORY is not None and page.message is not None
    html, _ = decode_html(page_bytes(page, DIRECTORY), None)
    got = read_message_page(html, page.url, as_of=as_of(page))
    assert (got.asked_on, got.answered_on, got.state) == page.message


@pytest.mark.parametrize(
    "page", [pytest.param(page, id=page.id) for page in PAGES if page.kind == "guide"]
)
def test_guide_elements(page: Page) -> None:
    """What `service.guide` reads from a real 办事指南 page: each of the eight element categories
    the page shows, with the label it shows it under, against the labels."""
    assert DIRECTORY is not None and page.guide
    html, _ = decode_html(page_bytes(page, DIRECTORY), None)
    got = read_guide(html, page.url)
    assert sorted(got.present.items()) == sorted(page.guide)
    assert got.missing == [e for e in ELEMENTS if e not in dict(page.guide)]


def test_only_the_hong_kong_pages_read_slash_dates_day_first() -> None:
    """The mainland pages print no ``N/N/YYYY`` date (checked by hand with grep over their
    bytes): none may be read day-first. The nine GovHK search pages all are."""
    assert DIRECTORY is not None
    day_first = set()
    for page in PAGES:
        html, _ = decode_html(page_bytes(page, DIRECTORY), None)
        if page_day_first(parse_html(html), page.url, html):
            day_first.add(page.id)
    assert day_first == {page.id for page in PAGES if page.cms == "govhk-search"}
    assert len(day_first) == 9
