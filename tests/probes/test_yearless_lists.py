"""Year-less dates on whole lists: order, URLs and pinned (置顶) entries give the years."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from probes.dates import DateMatch, resolve_list_dates, url_date
from probes.listpage import read_list

AS_OF = date(2026, 11, 23)


def md(day: date) -> DateMatch:
    """A year-less match as the grammar returns it for ``[MM-DD]``."""
    return DateMatch(0, 7, None, day.month, day.day)


def full(day: date) -> DateMatch:
    return DateMatch(0, 10, day.year, day.month, day.day)


@st.composite
def newest_first(draw: st.DrawFn, max_gap: int = 300) -> tuple[date, list[date]]:
    """A scan day and a list newest first: the newest within a year, then gaps of any size
    the walk can tell from a year boundary (< 334 days), spanning up to several years.

    The first gap stays within two months: a longer one above a busier list reads as a pinned
    entry (`test_pinned_by_position`)."""
    as_of = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)))
    first = as_of - timedelta(days=draw(st.integers(0, 364)))
    gaps = [draw(st.integers(0, 60))]
    gaps += draw(st.lists(st.integers(0, max_gap), max_size=40))
    days = [first]
    for g in gaps:
        if days[-1] - timedelta(days=g) < date(1970, 1, 1):
            break  # the grammar's years start at 1970 (900-day gaps from 2000 reach 1969)
        days.append(days[-1] - timedelta(days=g))
    return as_of, days


@settings(max_examples=300, deadline=None)
@given(newest_first())
def test_a_sorted_yearless_list_resolves_exactly(case: tuple[date, list[date]]) -> None:
    as_of, days = case
    assert resolve_list_dates([md(d) for d in days], as_of=as_of) == days


@settings(max_examples=200, deadline=None)
@given(newest_first(), st.integers(0, 5))
def test_undated_entries_do_not_break_the_walk(case: tuple[date, list[date]], k: int) -> None:
    as_of, days = case
    matches: list[DateMatch | None] = [md(d) for d in days]
    want: list[date | None] = list(days)
    for pos in range(k % len(days), len(days) + 1, 4):  # undated rows every fourth place
        matches.insert(pos, None)
        want.insert(pos, None)
    assert resolve_list_dates(matches, as_of=as_of) == want


@settings(max_examples=200, deadline=None)
@given(newest_first(max_gap=900))
def test_dated_urls_give_the_year_whatever_the_gaps(case: tuple[date, list[date]]) -> None:
    as_of, days = case
    urls = [f"./{d:%Y%m}/t{d:%Y%m%d}_{i}.html" for i, d in enumerate(days)]
    assert resolve_list_dates([md(d) for d in days], as_of=as_of, urls=urls) == days


@settings(max_examples=200, deadline=None)
@given(newest_first(max_gap=20), st.integers(30, 700))
def test_a_marked_pinned_entry_stays_out_of_the_walk(
    case: tuple[date, list[date]], age: int
) -> None:
    as_of, days = case
    assume(len(days) >= 3)
    pinned_day = as_of - timedelta(days=age % 365)  # only its month-day is shown
    matches = [md(pinned_day), *(md(d) for d in days)]
    got = resolve_list_dates(matches, as_of=as_of, pinned=[True] + [False] * len(days))
    assert got[1:] == days
    assert got[0] == pinned_day


def test_walk_examples() -> None:
    # Entries really from 2026 and 2025 and 2024: each later month-day is a year further back.
    shown = [date(2026, 10, 2), date(2026, 3, 1), date(2025, 11, 30), date(2025, 2, 1),
             date(2024, 11, 2), date(2024, 6, 1)]  # fmt: skip
    assert resolve_list_dates([md(d) for d in shown], as_of=AS_OF) == shown
    # A small ordering slip (11-21 below 11-20) keeps its year instead of moving the rest back.
    slip = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 5), date(2026, 10, 1)]
    assert resolve_list_dates([md(d) for d in slip], as_of=AS_OF) == slip
    # Year-bearing dates are checkpoints: the walk continues down from them, and the entries
    # above the first one take the earliest year that keeps them above it.
    mixed = [md(date(2025, 1, 5)), full(date(2024, 12, 20)), md(date(2024, 12, 1))]
    got = resolve_list_dates(mixed, as_of=AS_OF)
    assert got == [date(2025, 1, 5), date(2024, 12, 20), date(2024, 12, 1)]
    around_new_year = [md(date(2024, 1, 5)), md(date(2023, 12, 28)), full(date(2023, 12, 20))]
    got = resolve_list_dates(around_new_year, as_of=date(2024, 1, 10))
    assert got == [date(2024, 1, 5), date(2023, 12, 28), date(2023, 12, 20)]
    # The old rule still holds: a list that stopped in 2019 keeps its year-less tail there.
    stale = [full(date(2019, 12, 20)), md(date(2019, 12, 5)), md(date(2019, 10, 11))]
    assert resolve_list_dates(stale, as_of=AS_OF)[1:] == [date(2019, 12, 5), date(2019, 10, 11)]


def test_pinned_by_position() -> None:
    fresh = [AS_OF - timedelta(days=3 * k + 1) for k in range(10)]
    # An unmarked old notice above a list updated every 3 days: pinned, the list stays fresh.
    old = date(2026, 3, 1)
    got = resolve_list_dates([md(old), *(md(d) for d in fresh)], as_of=AS_OF)
    assert got == [old, *fresh]
    # Two of them (the limit is three).
    got = resolve_list_dates([md(old), md(date(2026, 5, 9)), *(md(d) for d in fresh)], as_of=AS_OF)
    assert got == [old, date(2026, 5, 9), *fresh]
    # A column that stopped: its last entry in January, the ones before it every ~80 days from
    # the previous October. Reading the top entry as pinned would need no gap at all, but the
    # in-order reading needs one (87 days) in the list's own rhythm: not pinned, stale.
    stopped = [date(2026, 1, 5), date(2025, 10, 10), date(2025, 7, 20), date(2025, 5, 1),
               date(2025, 2, 10)]  # fmt: skip
    assert resolve_list_dates([md(d) for d in stopped], as_of=AS_OF) == stopped
    # When the entry below carries its year, the order is simply known.
    got = resolve_list_dates([md(old), full(date(2026, 11, 20))], as_of=AS_OF)
    assert got == [old, date(2026, 11, 20)]


def test_url_dates() -> None:
    assert url_date("http://x.gov.cn/xwdt/202411/t20241102_5.html") == (2024, 11, 2)
    assert url_date("./202411/t20241102_5.html") == (2024, 11, 2)
    assert url_date("/art/2024/1/5/art_7_3.html") == (2024, 1, 5)
    assert url_date("/gzdt/2024/01/09/12345.shtml") == (2024, 1, 9)
    assert url_date("/c/2024-11-02/x.html") == (2024, 11, 2)
    assert url_date("/zwgk/202411/") == (2024, 11, None)
    # Not dates: an id, a bare year, an impossible month, the host name.
    assert url_date("/content_2024110212345.html") is None
    assert url_date("/2024/123.html") is None
    assert url_date("/a/202413/x.html") is None
    assert url_date("http://www20241102.gov.cn/a.html") is None
    # A URL date far from the shown month-day is not used (the walk decides instead).
    shown = md(date(2026, 6, 1))
    assert resolve_list_dates([shown], as_of=AS_OF, urls=["/202401/t20240105_1.html"]) == [
        date(2026, 6, 1)
    ]


def _page(rows: str) -> str:
    return f"""<html><body><div class="nav"><a href="/">首页</a><a href="/tzgg/">通知公告</a></div>
    <div class="list">{rows}</div><div class="footer">网站标识码：4101000001</div></body></html>"""


def test_html_list_spanning_two_years_and_split_uls() -> None:
    days = [AS_OF - timedelta(days=45 * k + 2) for k in range(20)]  # back to 2024
    lis = [
        f'<li><a href="../a{k}.html">县政府召开第{k}次常务会议研究部署工作</a>'
        f"<span>[{d:%m-%d}]</span></li>"
        for k, d in enumerate(days)
    ]
    uls = "".join("<ul>" + "".join(lis[i : i + 5]) + "</ul>" for i in range(0, 20, 5))
    items = read_list(_page(uls), "http://x.gov.cn/tzgg/", as_of=AS_OF)
    assert [it.date for it in items] == days


def test_html_pinned_markers() -> None:
    fresh = [AS_OF - timedelta(days=20 * k + 1) for k in range(8)]
    rows = [
        '<li><img src="/images/top.gif"><a href="/p1.html">关于规范政府网站信息发布的通知</a>'
        "<span>[03-01]</span></li>",
        '<li><a href="/p2.html">【置顶】关于开展年度政务公开考评的通知</a>'
        "<span>[05-09]</span></li>",
        *(
            f'<li><a href="/n{k}.html">县政府办公室关于第{k}批事项的公告</a>'
            f"<span>[{d:%m-%d}]</span></li>"
            for k, d in enumerate(fresh)
        ),
    ]
    items = read_list(_page("<ul>" + "".join(rows) + "</ul>"), "http://x.gov.cn/", as_of=AS_OF)
    assert [it.date for it in items] == [date(2026, 3, 1), date(2026, 5, 9), *fresh]


def test_url_year_for_a_date_far_before_the_urls() -> None:
    # A regulations column lists documents by their issue dates, out of order and years back,
    # each re-posted under a dated URL (北京住房公积金网, 2018): a shown month-day that fits
    # before its URL's date is in the URL's year, whatever the order of the list.
    shown = [md(date(2015, 1, 20)), md(date(2010, 11, 2)), md(date(2012, 2, 21))]
    urls = ["./201503/t20150331_3456.html", "./201012/t20101201_2891.html",
            "./201205/t20120510_3055.html"]  # fmt: skip
    got = resolve_list_dates(shown, as_of=date(2018, 3, 21), urls=urls)
    assert got == [date(2015, 1, 20), date(2010, 11, 2), date(2012, 2, 21)]
    # A shown date a day after its URL's (the CMS made the page the day before) keeps the year.
    got = resolve_list_dates([md(date(2018, 3, 8))], as_of=date(2018, 3, 21),
                             urls=["./201803/t20180307_4752.html"])  # fmt: skip
    assert got == [date(2018, 3, 8)]
    # A month-only URL counts to the month's end: 01-30 under /201706/ is 2017.
    got = resolve_list_dates([md(date(2017, 1, 30))], as_of=date(2018, 1, 1),
                             urls=["/dffg/201706/a.html"])  # fmt: skip
    assert got == [date(2017, 1, 30)]
