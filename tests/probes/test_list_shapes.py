"""Shapes real CMS templates give a column list, each as a minimal hand-written snippet.

Each test is one thing the reader must get right on real pages (docs/dates-and-lists.md,
"What the corpus taught"): lists split over same-shaped wrappers, undated lead cards and
"更多" links inside a dated list, script pagers, Hanweb's meta date format, GBK without a
declared charset. Expectations are written by hand from the snippet.
"""

from __future__ import annotations

from datetime import date

import pytest

from probes.listpage import read_homepage, read_list
from probes.page import meta_published, summarize_page

AS_OF = date(2024, 3, 1)
COLUMN = "http://www.example-town.gov.cn/zwgk/tzgg/index.html"
BASE = "http://www.example-town.gov.cn/zwgk/tzgg/"
TITLES = {
    20: "关于开展春季森林防火专项检查的通知",
    19: "镇人民政府关于调整部分村级组织负责人的公告",
    18: "关于做好2024年度城乡居民医保缴费工作的通知",
    17: "关于公布第一批镇级非物质文化遗产代表性项目的通告",
    16: "镇党委理论学习中心组召开专题学习会议",
    15: "关于征集2024年民生实事项目意见建议的公告",
    14: "关于印发镇防汛抗旱应急预案的通知",
    13: "镇人大主席团召开代表联络站建设推进会",
    12: "关于开展农村住房安全隐患排查整治的通知",
    11: "关于春节期间烟花爆竹燃放管理的通告",
}


def entry(day: int, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return (
        f'<li{attr}><a href="./202402/t202402{day:02d}_{day}.html">{TITLES[day]}</a>'
        f"<span>2024-02-{day:02d}</span></li>"
    )


def expected(days: range | list[int]) -> list[tuple[str, str, date]]:
    return [(TITLES[d], f"{BASE}202402/t202402{d:02d}_{d}.html", date(2024, 2, d)) for d in days]


def read(html: str) -> list[tuple[str, str, date | None]]:
    return [(it.title, it.url, it.date) for it in read_list(html, COLUMN, as_of=AS_OF)]


def test_list_split_over_same_shaped_wrappers() -> None:
    # Each group of five sits in its own <div class="part"><ul>: one list, ten entries.
    parts = "".join(
        '<div class="part"><ul>' + "".join(entry(d) for d in range(k, k - 5, -1)) + "</ul></div>"
        for k in (20, 15)
    )
    html = f'<div class="sidebar"><ul><li><a href="/a">机构设置</a></li></ul></div>{parts}'
    assert read(f'<div class="listbox">{parts}</div>') == expected(range(20, 10, -1))
    assert read(html) == expected(range(20, 10, -1))


def test_wrappers_of_another_shape_are_not_merged() -> None:
    # A dated box of another class next to the main list is a different list.
    main = '<div class="part"><ul>' + "".join(entry(d) for d in range(20, 14, -1)) + "</ul></div>"
    other = '<div class="hot"><ul>' + "".join(entry(d) for d in (12, 11)) + "</ul></div>"
    assert read(f"<div>{main}{other}</div>") == expected(range(20, 14, -1))


def test_undated_lead_card_is_not_an_item() -> None:
    lead = (
        '<li class="pic"><a href="./202402/t20240221_99.html"><img src="lead.jpg" alt=""></a>'
        '<a href="./202402/t20240221_99.html">镇长带队检查节后复工复产安全生产工作</a>'
        "<p>2月21日上午，镇长带队深入辖区企业检查复工复产和安全生产情况……</p></li>"
    )
    html = '<ul class="news">' + lead + "".join(entry(d) for d in range(20, 15, -1)) + "</ul>"
    assert read(html) == expected(range(20, 15, -1))


def test_undated_row_shaped_like_the_others_stays() -> None:
    # A row whose date is missing is still an entry of the column.
    row = '<li><a href="./202402/t20240219_19.html">' + TITLES[19] + "</a><span></span></li>"
    html = "<ul>" + entry(20) + row + "".join(entry(d) for d in (18, 17, 16)) + "</ul>"
    days = [r[2] for r in read(html)]
    assert days == [date(2024, 2, 20), None, *(date(2024, 2, d) for d in (18, 17, 16))]


@pytest.mark.parametrize("more", ["更多&gt;&gt;", "更多+", "MORE", "查看更多 »", "&gt;&gt;更多"])
def test_more_link_closing_the_list_is_not_an_item(more: str) -> None:
    html = (
        '<ul class="list">' + "".join(entry(d) for d in range(20, 14, -1))
        + f'<li class="more"><a href="./index_1.html">{more}</a></li></ul>'
    )  # fmt: skip
    assert read(html) == expected(range(20, 14, -1))


def test_title_containing_more_is_an_item() -> None:
    html = (
        "<ul>" + "".join(entry(d) for d in range(20, 16, -1))
        + '<li><a href="./202402/t20240216_16.html">关于征集更多民生实事项目的公告</a>'
        "<span>2024-02-16</span></li></ul>"
    )  # fmt: skip
    assert [r[0] for r in read(html)][-1] == "关于征集更多民生实事项目的公告"


def test_script_pager_is_pagination_not_items() -> None:
    # TRS writes its pager with createPageHTML(); the page's own links are first/next/last.
    html = (
        '<div class="main"><ul class="list">' + "".join(entry(d) for d in range(20, 14, -1))
        + '</ul><div class="page"><script>createPageHTML(12, 0, "index", "html");</script>'
        '<a href="index.html">首页</a><a href="index_1.html">下一页</a>'
        '<a href="index_11.html">尾页</a></div></div>'
    )  # fmt: skip
    assert read(html) == expected(range(20, 14, -1))


def test_homepage_keeps_dated_entries_without_lead_and_more() -> None:
    box = (
        '<div class="box"><h3>通知公告<a class="more" href="/tzgg/">更多&gt;&gt;</a></h3><ul>'
        + "".join(entry(d) for d in range(20, 16, -1)) + "</ul></div>"
    )  # fmt: skip
    items = read_homepage(box, "http://www.example-town.gov.cn/", as_of=AS_OF)
    assert [it.date for it in items] == [date(2024, 2, d) for d in range(20, 16, -1)]


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2021-06-04-16:21:51", date(2021, 6, 4)),  # 大汉 Hanweb
        ("2021-06-04 16:21", date(2021, 6, 4)),
        ("20210604", date(2021, 6, 4)),
        ("20210604162151", date(2021, 6, 4)),
        ("2021年06月04日", date(2021, 6, 4)),
        ("2021-02-30", None),
        ("1234", None),
    ],
)
def test_meta_publication_formats(value: str, day: date | None) -> None:
    assert meta_published({"pubdate": value}) == day


def test_meta_kin_names_and_build_stamps() -> None:
    assert meta_published({"firstpublishedtime": "2021-06-04-16:21:51"}) == date(2021, 6, 4)
    # When the CMS built the file is not when the page was published.
    assert meta_published({"maketime": "2024-01-05 10:00:00"}) is None
    assert meta_published({"htmlgeneratetime": "2024-01-05 10:00:00"}) is None


def test_article_published_from_hanweb_meta() -> None:
    html = (
        '<html><head><meta name="ArticleTitle" content="镇政府召开会议">'
        '<meta name="firstpublishedtime" content="2023-11-02-09:15:00">'
        "<title>镇政府召开会议</title>"
        "</head><body><div class='text'><p>会议研究了冬季供暖等事项。</p></div></body></html>"
    )  # fmt: skip
    s = summarize_page(html.encode(), "http://www.example-town.gov.cn/art/2023/11/2/art_1_9.html",
                       as_of=AS_OF)  # fmt: skip
    assert s["kind"] == "article"
    assert s["published"] == "2023-11-02"


def test_gbk_list_without_declared_charset() -> None:
    html = "<html><head><title>通知公告</title></head><body><ul>"
    html += "".join(entry(d) for d in range(20, 14, -1)) + "</ul></body></html>"
    s = summarize_page(html.encode("gbk"), COLUMN, as_of=AS_OF)
    assert s["encoding"] == "gb18030"
    assert [(it["title"], it["date"]) for it in s["items"]] == [
        (TITLES[d], f"2024-02-{d:02d}") for d in range(20, 14, -1)
    ]


def test_undated_card_shaped_like_the_dated_cards_stays() -> None:
    # Cards that all carry a summary paragraph: the one without a date is still an entry.
    def card(day: int, shown: str) -> str:
        return (
            f'<div class="card"><h4><a href="./202402/t202402{day:02d}_{day}.html">{TITLES[day]}'
            f'</a></h4><p class="summary">{TITLES[day]}……</p><div class="info">{shown}</div></div>'
        )

    html = '<div class="news-list">' + "".join(
        card(d, "" if d == 18 else f"2024-02-{d:02d}") for d in range(20, 15, -1)
    ) + "</div>"  # fmt: skip
    assert [r[2] for r in read(html)] == [
        date(2024, 2, 20), date(2024, 2, 19), None, date(2024, 2, 17), date(2024, 2, 16)
    ]  # fmt: skip


def test_pane_under_a_tab_menu_is_a_homepage_block() -> None:
    # 重庆市政府网 (2018): tab menus and their panes, classed work_menu / work_menu_list. The
    # pane holds the entries; "menu" in its class names the menu it belongs to, not a menu.
    def box(menu: str, pane: str, days: range) -> str:
        tabs = "".join(f'<li><a href="/zfxx/{k}/">栏目{k}</a></li>' for k in range(3))
        rows = "".join(
            f'<li><a href="/zwgk/{d}.shtml" title="{TITLES[d]}">{TITLES[d]}</a>'
            f"<span>(02-{d:02d})</span></li>"
            for d in days
        )
        return f'<div class="{menu}">{tabs}</div><div class="{pane}"><ul>{rows}</ul></div>'

    html = (
        '<html><body><div class="menu_main"><ul><li><a href="/">首页</a></li>'
        '<li><a href="/zfxx/">政府信息</a></li></ul></div>'
        + box("work_menu", "work_menu_list", range(20, 18, -1))
        + box("mail_menu", "mail_menu_list", range(17, 12, -1))
        + "</body></html>"
    )
    got = [(it.url, it.date) for it in read_homepage(html, "http://www.example-city.gov.cn/",
                                                     as_of=AS_OF)]  # fmt: skip
    want = [(f"http://www.example-city.gov.cn/zwgk/{d}.shtml", date(2024, 2, d))
            for d in [20, 19, 17, 16, 15, 14, 13]]  # fmt: skip
    assert got == want


def test_two_short_panes_are_read_as_two_lists_not_one() -> None:
    # 重庆市政府网 (2018): two tab boxes of two entries each in one column. Read pane by pane,
    # the column looks like a list of two (each pane's first link) scoring as high as each
    # pane's own list; the panes are the lists, and both of each pane's entries count.
    def box(first: int) -> str:
        tabs = "".join(f'<li><a href="/zfxx/{first}/{k}.shtml">栏目{k}</a></li>' for k in range(4))
        rows = "".join(
            f'<li><a href="/xxgk/{d}.shtml" title="{TITLES[d]}">{TITLES[d]}</a>'
            f"<span>(02-{d:02d})</span></li>"
            for d in (first, first - 1)
        )
        menu = f'<div class="work_menu">{tabs}</div>'
        return f'{menu}<div class="work_menu_list"><ul>{rows}</ul></div>'

    html = f'<html><body><div class="open_left">{box(20)}{box(18)}</div></body></html>'
    got = [it.date for it in read_homepage(html, "http://www.example-city.gov.cn/", as_of=AS_OF)]
    assert got == [date(2024, 2, d) for d in (20, 19, 18, 17)]


def test_dated_column_inside_the_header_tab_bar_is_read() -> None:
    # 北京市人社局 (2018): the header's navigation bar switches panes, and the 首页 pane shown by
    # default holds 工作动态, five dated rows. Menus do not date their links: a block whose every
    # entry shows a date counts even inside a region named as navigation; the menu does not.
    rows = "".join(
        f'<dd><a href="./xxgk/gzdt/202402/t202402{d:02d}_{d}.html" title="{TITLES[d]}">'
        f"{TITLES[d]}</a> 02-{d:02d}</dd>"
        for d in range(20, 15, -1)
    )
    menu = "".join(f'<li class="m"><a href="./lm{k}/">栏目{k}</a></li>' for k in range(6))
    html = (
        f'<html><body><div class="navBar"><ul class="nav">{menu}</ul><div class="subNav">'
        f'<div><dl class="list04">{rows}</dl></div></div></div></body></html>'
    )
    found = read_homepage(html, "http://www.example-city.gov.cn/", as_of=AS_OF)
    got = [(it.url.rsplit("/", 1)[-1], it.date) for it in found]
    assert got == [(f"t202402{d:02d}_{d}.html", date(2024, 2, d)) for d in range(20, 15, -1)]


def search_result(n: int, title: str, shown: str, *, url: str) -> str:
    """One result of a site search: title link, extract, address, size, date and a cache
    link, the date three nodes away from the title (as 香港政府一站通's search prints it)."""
    return (
        f'<li><h3><a class="t" href="{url}/r{n}.html"><span>{title}</span></a></h3>'
        f"<p><span>……本镇{title}相关工作的摘要，共计若干字……</span></p>"
        f"<p><!-- Last Modified Date: 2011-11-09 --><span>{url[7:]}/r{n}.html</span> - "
        f"<span>10.5K</span><span> - </span><span>{shown}</span><span> - </span>"
        f'<a class="c" href="http://search.example.org/cache?ref=r{n}"><span>页库存档</span></a>'
        "</p></li>"
    )


def test_search_results_take_the_title_link_not_the_recurring_cache_link() -> None:
    shown = ["2024-02-20", "2024-02-18", "2024-01-05", "2023-12-28", "2023-11-30"]
    titles = ["缉毒", "禁毒宣传", "关于开展禁毒宣传月活动的通知", "禁毒", "戒毒康复"]
    url = "http://www.example-town.gov.cn/so"
    html = (
        "<html><body><div class='results'><ol>"
        + "".join(
            search_result(n, t, d, url=url)
            for n, (t, d) in enumerate(zip(titles, shown, strict=True))
        )
        + "</ol></div></body></html>"
    )
    items = read_list(html, "http://www.example-town.gov.cn/so/search?q=%E6%AF%92", as_of=AS_OF)
    assert [(it.title, it.url, it.date) for it in items] == [
        (t, f"{url}/r{n}.html", date.fromisoformat(d))
        for n, (t, d) in enumerate(zip(titles, shown, strict=True))
    ]


def test_a_link_text_recurring_in_too_few_entries_is_still_a_title() -> None:
    # Two entries of five offer 下载 beside a shorter title: not every entry's action, so the
    # longest link stays the title (as before).
    rows = [
        '<li><a href="/a1.html">公示</a><a href="/f1.pdf">附件下载</a><span>2024-02-20</span></li>',
        '<li><a href="/a2.html">公告</a><a href="/f2.pdf">附件下载</a><span>2024-02-19</span></li>',
        '<li><a href="/a3.html">关于开展春季森林防火专项检查的通知</a><span>2024-02-18</span></li>',
        '<li><a href="/a4.html">关于调整部分村级组织负责人的公告</a><span>2024-02-17</span></li>',
        '<li><a href="/a5.html">关于做好城乡居民医保缴费工作的通知</a><span>2024-02-16</span></li>',
    ]
    html = f"<html><body><ul class='list'>{''.join(rows)}</ul></body></html>"
    items = read_list(html, COLUMN, as_of=AS_OF)
    assert [it.url.rsplit("/", 1)[1] for it in items] == ["f1.pdf", "f2.pdf", "a3.html",
                                                          "a4.html", "a5.html"]  # fmt: skip


def test_a_dated_title_does_not_take_the_rows_own_date() -> None:
    # 柘城's 视频新闻 pane (tests/realpages zhecheng.gov.cn): a broadcast named by its day,
    # "2018-07-03新闻", then the row's own year-less date cell 07-06. Two characters beside a
    # date made the title's date the row's; the date standing alone in its cell is the row's.
    rows = [
        '<li><a href="/spxw/802.html">2024-02-13新闻</a> <span>02-16</span></li>',
        '<li><a href="/spxw/801.html">2024-02-12新闻</a> <span>02-16</span></li>',
        '<li><a href="/spxw/800.html">2024-02-10新闻</a> <span>02-11</span></li>',
    ]
    html = f"<html><body><ul class='list'>{''.join(rows)}</ul></body></html>"
    items = read_list(html, COLUMN, as_of=AS_OF)
    assert [(it.url.rsplit("/", 1)[1], it.date) for it in items] == [
        ("802.html", date(2024, 2, 16)),
        ("801.html", date(2024, 2, 16)),
        ("800.html", date(2024, 2, 11)),
    ]


def test_a_row_dated_by_a_range_takes_its_start() -> None:
    # 萧县's 民意征集 (龙讯 lonsun; docs/dates-and-lists.md, "Two mirrors read further"): each row
    # shows only "2025-11-05 至 2025-11-30", or 征集时间：… 至 … on the channel page. The row is
    # dated by the day the consultation opened; the end is a deadline (here still ahead).
    rows = [
        '<li><a href="/c/3.html">关于征询社会公众意见的公告</a>'
        "<span>2024-02-20 至 2024-03-20</span></li>",
        '<li><a href="/c/2.html">关于征集民生实事项目的公告</a>'
        "<span>征集时间：2024-01-05 至 2024-02-04</span></li>",
        '<li><a href="/c/1.html">关于征集优化营商环境意见的公告</a>'
        "<span>2023-12-01～2023-12-29</span></li>",
    ]
    html = f"<html><body><ul class='list'>{''.join(rows)}</ul></body></html>"
    items = read_list(html, COLUMN, as_of=AS_OF)
    assert [(it.url.rsplit("/", 1)[1], it.date) for it in items] == [
        ("3.html", date(2024, 2, 20)),
        ("2.html", date(2024, 1, 5)),
        ("1.html", date(2023, 12, 1)),
    ]


def test_a_highlighted_title_opening_with_a_day_keeps_the_labelled_date() -> None:
    # 中国政府网's site search (tests/realpages sousuo.gov.cn-govall): the query word is
    # highlighted with <em>, which splits the title into text nodes, so a title opening with a
    # day (4月21日<em>疫情</em>防控…) leaves "4月21日" alone in one. The result's date is the
    # labelled 发布时间 below the extract, not the title's day.
    rows = [
        '<li class="res-list"><h3><a href="/x/3.html">2月20日<em>防汛</em>工作最新消息</a></h3>'
        '<p class="res-sub">全镇<em>防汛</em>物资储备于3月5日前完成。</p>'
        '<p class="res-other"><span class="sp">发布时间：2024.02.21</span></p></li>',
        '<li class="res-list"><h3><a href="/x/2.html">镇<em>防汛</em>抗旱指挥部召开会议</a></h3>'
        '<p class="res-sub">会议部署今年<em>防汛</em>工作。</p>'
        '<p class="res-other"><span class="sp">发布时间：2024.02.19</span></p></li>',
        '<li class="res-list"><h3><a href="/x/1.html">2月9日<em>防汛</em>值班安排</a></h3>'
        '<p class="res-sub">春节期间<em>防汛</em>值班表。</p>'
        '<p class="res-other"><span class="sp">发布时间：2024.02.08</span></p></li>',
    ]
    html = f"<html><body><div class='result'><ul>{''.join(rows)}</ul></div></body></html>"
    items = read_list(html, COLUMN, as_of=AS_OF)
    assert [(it.url.rsplit("/", 1)[1], it.date) for it in items] == [
        ("3.html", date(2024, 2, 21)),
        ("2.html", date(2024, 2, 19)),
        ("1.html", date(2024, 2, 8)),
    ]


def test_search_results_as_unwrapped_sibling_runs() -> None:
    # TRS WAS5's result page (tests/realpages chinacdc.cn-search): no wrapper per result, each a
    # run of siblings — <p class="search-title-text"><a>, an extract paragraph, then a
    # <span class="search-contxt-time">时间：…</span> — and "search" in the class names a search
    # box elsewhere, not here. Every result is an entry, dated by the span after its title —
    # not by a day its extract quotes (报送材料时间 2024年2月1日 至 …, a line of its own).
    def result(n: int, day: int, extract: str) -> str:
        return (
            f'<p class="search-title-text"><a href="/tzgg/t202402{day:02d}_{n}.html">'
            f"{TITLES[n]}</a></p>"
            f'<p class="search-con-text">{extract}</p>'
            f'<span class="search-contxt-time">时间：2024-02-{day:02d}</span>'
        )

    runs = (
        result(20, 20, "报送材料时间\n2024年2月1日 至 2024年2月29日\n报送地点")
        + result(19, 19, "经研究决定……")
        + result(18, 18, "各村（社区）：")
        + result(17, 16, "根据《非物质文化遗产法》……")
    )
    html = (
        '<html><body><div class="search"><form><input name="searchword"></form></div>'
        f'<div class="searchResult-con_news">{runs}</div></body></html>'
    )
    items = read_list(html, COLUMN, as_of=AS_OF)
    assert [(it.title, it.url.rsplit("/", 1)[1], it.date) for it in items] == [
        (TITLES[20], "t20240220_20.html", date(2024, 2, 20)),
        (TITLES[19], "t20240219_19.html", date(2024, 2, 19)),
        (TITLES[18], "t20240218_18.html", date(2024, 2, 18)),
        (TITLES[17], "t20240216_17.html", date(2024, 2, 16)),
    ]
