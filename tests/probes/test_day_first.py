"""Day-first slash dates (05/08/2016 = 5 August) are read only where the page settles the order.

The truths here are written by hand: which day each shown date is, and which pages must not be
read day-first (a mainland page's ambiguous ``03/04/2024`` read as 3 April could age a page
and blame its site). The generated test holds the day-first grammar to the plain one: it finds
everything the plain grammar finds, and more only on ``N/N/YYYY`` spans.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from probes import dates
from probes.dates import find_dates, slash_day_first
from probes.listpage import read_homepage, read_list
from probes.page import inspect_page

AS_OF = date(2024, 6, 30)
MAINLAND = "http://www.example.gov.cn/xwzx/tzgg/"
HK = "https://www.info.gov.hk/gia/general/"


def _page(rows: list[tuple[str, str]], *, lang: str = "zh-CN", extra: str = "") -> str:
    items = "\n".join(
        f'<li><a href="/a/{n}.html">{title}</a><span>{shown}</span></li>'
        for n, (title, shown) in enumerate(rows)
    )
    return (
        f'<html lang="{lang}"><head><title>通知公告</title></head><body>'
        f'<div class="main"><ul class="list">{items}</ul></div>{extra}</body></html>'
    )


_ROWS = [
    ("关于开展年度检查工作的通知", "03/04/2024"),
    ("关于公布第一批名单的公告", "02/04/2024"),
    ("关于调整办公时间的通知", "01/03/2024"),
    ("关于征求意见的公告", "05/02/2024"),
]


def _dates(html: str, url: str) -> list[date | None]:
    return [it.date for it in read_list(html, url, as_of=AS_OF)]


# -- the page-level rule ------------------------------------------------------------------


def test_a_mainland_page_with_only_ambiguous_slash_dates_is_not_read_day_first() -> None:
    html = _page(_ROWS)
    assert slash_day_first(html, MAINLAND, "zh-CN") is False
    # Neither 3 April nor 4 March: the entries stay undated (the column is not judged on them).
    assert _dates(html, MAINLAND) == [None, None, None, None]
    summary = inspect_page(html.encode(), MAINLAND, as_of=AS_OF)
    assert summary.newest_date is None
    assert all(it.date is None for it in summary.items)


def test_a_hong_kong_government_host_settles_the_order() -> None:
    html = _page(_ROWS, lang="en")
    assert slash_day_first(html, HK, "en") is True
    assert _dates(html, HK) == [
        date(2024, 4, 3), date(2024, 4, 2), date(2024, 3, 1), date(2024, 2, 5),
    ]  # fmt: skip
    assert inspect_page(html, HK, as_of=AS_OF).newest_date == date(2024, 4, 3)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.gov.mo/zh-hant/news/", True),
        ("http://gov.hk/", True),
        ("http://WWW.GOV.HK./list/", True),
        ("http://www.gov.hk.example.cn/list/", False),
        ("http://notgov.hk/list/", False),
        ("http://www.example.com.hk/list/", False),
        ("http://www.hk.gov.cn/list/", False),
    ],
)
def test_hosts_that_settle_the_order(url: str, expected: bool) -> None:
    assert slash_day_first(_page(_ROWS, lang=""), url, None) is expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-HK", True), ("en-HK", True), ("zh-MO", True), ("zh-Hant-HK", True), ("pt-MO", True),
        ("zh-CN", False), ("zh", False), ("en", False), ("en-US", False), ("zh-TW", False),
        ("", False), (None, False),
    ],
)  # fmt: skip
def test_html_lang_that_settles_the_order(lang: str | None, expected: bool) -> None:
    html = _page(_ROWS, lang=lang or "")
    assert slash_day_first(html, MAINLAND, lang) is expected
    tree_read = _dates(html, MAINLAND)  # read_list reads <html lang> itself
    assert (tree_read[0] == date(2024, 4, 3)) is expected


def test_a_shown_first_field_over_12_settles_the_order_on_any_host() -> None:
    rows = [*_ROWS, ("关于下半年工作安排的通知", "20/01/2024")]
    html = _page(rows)
    assert slash_day_first(html, MAINLAND, "zh-CN") is True
    assert _dates(html, MAINLAND) == [
        date(2024, 4, 3), date(2024, 4, 2), date(2024, 3, 1), date(2024, 2, 5), date(2024, 1, 20),
    ]  # fmt: skip


def test_a_page_mixing_both_orders_is_ambiguous_and_not_read() -> None:
    rows = [
        ("关于甲项工作的通知", "13/04/2024"),
        ("关于乙项工作的通知", "04/13/2024"),
        ("关于丙项工作的通知", "03/04/2024"),
    ]
    for url in (MAINLAND, HK):
        html = _page(rows, lang="zh-HK")
        assert slash_day_first(html, url, "zh-HK") is False
        assert _dates(html, url) == [None, None, None]


def test_a_month_first_page_on_a_hong_kong_host_is_not_read_day_first() -> None:
    rows = [("Notice A", "04/13/2024"), ("Notice B", "03/04/2024"), ("Notice C", "02/28/2024")]
    html = _page(rows, lang="en-HK")
    assert slash_day_first(html, HK, "en-HK") is False
    assert _dates(html, HK) == [None, None, None]


@pytest.mark.parametrize(
    "hidden",
    [
        "<script>var built = '20/01/2024';</script>",
        "<!-- saved 20/01/2024 -->",
        "<style>/* 20/01/2024 */</style>",
        '<img alt="x" data-day="20/01/2024" src="/a.png">',
        "<SCRIPT type='text/javascript'>d = \"25/12/2023\"</SCRIPT>",
    ],
)
def test_evidence_must_be_shown(hidden: str) -> None:
    html = _page(_ROWS, extra=hidden)
    assert slash_day_first(html, MAINLAND, "zh-CN") is False
    assert _dates(html, MAINLAND) == [None, None, None, None]


def test_a_page_without_slash_dates_is_not_day_first_even_in_hong_kong() -> None:
    html = _page(
        [("关于甲项工作的通知", "2024-04-03"), ("关于乙项工作的公告", "2024年4月2日")], lang="zh-HK"
    )
    assert slash_day_first(html, HK, "zh-HK") is False
    assert _dates(html, HK) == [date(2024, 4, 3), date(2024, 4, 2)]


def test_a_mainland_page_with_year_first_dates_reads_as_before() -> None:
    rows = [
        ("关于甲项工作的通知", "2024/04/03"),
        ("关于乙项工作的公告", "2024-03-01"),
        ("关于丙项工作的意见", "[05-02]"),
    ]
    html = _page(rows, extra="<p>联系电话：0371-12345678 版本 2024.01.05</p>")
    assert slash_day_first(html, MAINLAND, "zh-CN") is False
    # [05-02] is year-less month-first (2 May), a year before 2024-03-01 in a newest-first list.
    assert _dates(html, MAINLAND) == [date(2024, 4, 3), date(2024, 3, 1), date(2023, 5, 2)]


def test_read_homepage_reads_day_first_only_on_a_settled_page() -> None:
    rows = [(f"香港特区政府新闻公报第{n}号", f"{n:02d}/06/2024") for n in range(20, 14, -1)]
    html = _page(rows)
    home = "https://www.gov.hk/"
    assert [it.date for it in read_homepage(html, home, as_of=AS_OF)] == [
        date(2024, 6, n) for n in range(20, 14, -1)
    ]
    # The same shown days are over 12: they settle the order on any host.
    assert len(read_homepage(html, "http://www.example.gov.cn/", as_of=AS_OF)) == 6
    ambiguous = _page([(f"通知公告第{n}号", f"{n:02d}/06/2024") for n in range(12, 6, -1)])
    assert read_homepage(ambiguous, "http://www.example.gov.cn/", as_of=AS_OF) == []


# -- the grammar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/08/2016", (2016, 8, 5)),
        ("5/8/2016", (2016, 8, 5)),
        ("31/12/2023", (2023, 12, 31)),
        ("29/02/2024", (2024, 2, 29)),
        ("日期：05/08/2016 10:30", (2016, 8, 5)),
        ("２０/０７/２０１６", (2016, 7, 20)),
        ("[05/08/2016]", (2016, 8, 5)),
    ],
)
def test_day_first_forms(text: str, expected: tuple[int, int, int]) -> None:
    found = find_dates(text, day_first=True)
    assert [(m.year, m.month, m.day) for m in found] == [expected]
    assert find_dates(text) == []  # not read at all without the page's word


@pytest.mark.parametrize(
    "text",
    [
        "29/02/2023",  # not a leap year
        "31/04/2024",
        "05/13/2016",  # month 13: month-first, not read
        "00/08/2016",
        "105/08/2016",  # digits run on
        "05/08/20161",
        "05/08/2016/3",
        "a05/08/2016",
        "1.05/08/2016",
        "05/08/1969",
        "05-08-2016",  # only the slash form is day-first
        "05.08.2016",
    ],
)
def test_not_day_first_dates(text: str) -> None:
    assert find_dates(text, day_first=True) == find_dates(text) == []


def test_never_a_year_less_date_out_of_a_day_first_one() -> None:
    for text in ("05/08/2016", "更新：05/08/2016", "(05/08/2016)", "05/08/2016 - 页库存档"):
        for day_first in (False, True):
            assert all(m.year is not None for m in find_dates(text, day_first=day_first))
    assert find_dates("05/08/2016") == []


def test_a_year_followed_by_nian_keeps_its_chinese_date() -> None:
    for day_first in (False, True):
        found = find_dates("05/08/2016年3月4日", day_first=day_first)
        assert [(m.year, m.month, m.day) for m in found] == [(2016, 3, 4)]


_SLASH_SPAN_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_PIECES = [
    "2016", "2024", "/", "-", ".", "年", "月", "日", "05", "5", "08", "12", "13", "31", "29", "02",
    "[", "]", "(", ")", "（", "）", " ", "10:30", "a", "T", "发布时间：", "版本", "\n", "１",
    "／", "0", "1", "19", "20",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
@example("05/08/2016年3月4日")
@example("01/02/2024-05-06")
@example("12/2024/05/06")
@example("(05/08/2016)")
@example("2024/05/08/2016")
def test_day_first_grammar_only_adds_slash_spans(text: str) -> None:
    plain = find_dates(text)
    wide = find_dates(text, day_first=True)
    norm = dates._normalise(text)
    added = [m for m in wide if m not in plain]
    assert [m for m in wide if m in plain] == plain  # everything, in the same order
    for m in added:
        span = _SLASH_SPAN_RE.match(norm, m.start)
        assert span is not None
        day, month, year = map(int, span.group().split("/"))
        assert (m.year, m.month, m.day) == (year, month, day)
