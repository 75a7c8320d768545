"""The list reader on hand-written pages of each CMS template; expectations written by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probes.listpage import Item, read_homepage, read_list
from scanner.http.urls import join_href

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = date(2024, 1, 10)


def page(name: str) -> str:
    raw = (FIXTURES / name).read_bytes()
    return raw.decode("gb18030" if ".gbk." in name else "utf-8")


def rows(items: list[Item]) -> list[tuple[str, str, str | None]]:
    return [(it.title, it.url, it.date.isoformat() if it.date else None) for it in items]


CITY = "http://www.example-city.gov.cn/zwgk/tzgg/"

EXPECTED: dict[str, tuple[str, list[tuple[str, str, str | None]]]] = {
    "trs_list.html": (
        CITY + "index.html",
        [
            ("关于2024年元旦春节期间做好安全生产工作的通知",
             CITY + "202401/t20240105_1001.html", "2024-01-05"),
            ("某市人民政府关于公布第二批市级非物质文化遗产名录的通知",
             CITY + "202401/t20240103_1000.html", "2024-01-03"),
            ("关于开展冬季供暖安全检查的公告", CITY + "202312/t20231229_999.html", "2023-12-29"),
            ("2023年12月20日起部分道路交通管制的通告",
             CITY + "202312/t20231220_998.html", "2023-12-20"),
            ("关于征集2024年民生实事项目的公告",
             CITY + "202312/t20231215_997.html", "2023-12-15"),
            ("某市2023年第四季度公务员招录公告",
             CITY + "202312/t20231208_996.html", "2023-12-08"),
            ("省政府办公厅关于做好岁末年初有关工作的通知",
             "http://www.example-province.gov.cn/art/2023/12/1/art_11_22.html", "2023-12-01"),
        ],
    ),
    # GBK, table layout, 年月日 dates, <base href>, a row without a date.
    "table_list.gbk.html": (
        "http://elsewhere.example.org/ignored/by/base.html",
        [
            ("某县人民政府关于印发2024年政府工作要点的通知",
             "http://xxgk.example-county.gov.cn/zcwj/t20240108_5.html", "2024-01-08"),
            ("某县人民政府办公室关于进一步加强冬春季森林防火工作的通知",
             "http://xxgk.example-county.gov.cn/zcwj/t20231225_4.html", "2023-12-25"),
            ("某县人民政府关于调整县长工作分工的通知",
             "http://xxgk.example-county.gov.cn/zcwj/t20231130_3.html", "2023-11-30"),
            ("《某县农村人居环境整治实施方案》政策解读",
             "http://xxgk.example-county.gov.cn/zcjd/t20231101_2.html", None),
        ],
    ),
    # div cards with 2024.01.09 dates; the sidebar's dated "热点信息" stays out.
    "cards_list.html": (
        "https://fgw.example.gov.cn/gzdt/",
        [
            ("省发展改革委召开2024年全省发展改革工作会议",
             "https://fgw.example.gov.cn/gzdt/2024/01/09/12345.shtml", "2024-01-09"),
            ("我委赴重点项目现场开展调研督导",
             "https://fgw.example.gov.cn/gzdt/2024/01/04/12340.shtml", "2024-01-04"),
            ("省发展改革委举办“学习贯彻党的二十大精神”专题讲座",
             "https://fgw.example.gov.cn/gzdt/2023/12/28/12301.shtml", "2023-12-28"),
        ],
    ),
    # 大汉/开普云-style container, GBK, year-less [MM-DD] dates across a year boundary.
    "kaipuyun_list.gbk.html": (
        "http://www.example-county.gov.cn/col/col7/index.html",
        [
            ("县市场监管局开展节前食品安全专项检查",
             "http://www.example-county.gov.cn/art/2024/1/8/art_7_301.html", "2024-01-08"),
            ("县农业农村局部署冬春农业生产工作",
             "http://www.example-county.gov.cn/art/2024/1/2/art_7_300.html", "2024-01-02"),
            ("县教育局召开年度考核工作会议",
             "http://www.example-county.gov.cn/art/2023/12/29/art_7_299.html", "2023-12-29"),
            ("县卫健委开展冬季流感防控宣传",
             "http://www.example-county.gov.cn/art/2023/12/1/art_7_298.html", "2023-12-01"),
        ],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_list_templates(name: str) -> None:
    url, expected = EXPECTED[name]
    assert rows(read_list(page(name), url, as_of=AS_OF)) == expected


def test_bytes_input_is_read_as_utf8() -> None:
    url, expected = EXPECTED["trs_list.html"]
    raw = (FIXTURES / "trs_list.html").read_bytes()
    assert rows(read_list(raw, url, as_of=AS_OF)) == expected


def test_navigation_footer_and_decoys_stay_out() -> None:
    url, _ = EXPECTED["trs_list.html"]
    items = read_list(page("trs_list.html"), url, as_of=AS_OF)
    titles = {it.title for it in items}
    assert not titles & {"首页", "政务公开", "工作动态", "中国政府网", "下一页", "尾页"}
    # The header clock (2024-01-05 星期五) and footer 最后更新 2024-01-08 are not items.
    assert date(2024, 1, 8) not in {it.date for it in items}


def test_homepage_blocks_in_page_order() -> None:
    items = read_homepage(
        page("homepage.gbk.html"), "http://www.example-county.gov.cn/", as_of=AS_OF
    )
    host = "http://www.example-county.gov.cn"
    assert rows(items) == [
        ("县委常委会召开2024年第1次会议", host + "/ywdt/t20240109_88.html", "2024-01-09"),
        ("县长带队检查节前安全生产工作", host + "/ywdt/t20240108_87.html", "2024-01-08"),
        ("全县经济工作会议召开", host + "/ywdt/t20231230_86.html", "2023-12-30"),
        ("关于春节期间烟花爆竹禁放的通告", host + "/tzgg/t20240105_40.html", "2024-01-05"),
        ("关于2023年度社会保险缴费的公告", host + "/tzgg/t20231120_39.html", "2023-11-20"),
        ("某县人民政府关于印发优化营商环境若干措施的通知",
         host + "/zcwj/t20231215_12.html", "2023-12-15"),
        ("某县城乡居民基本医疗保险实施办法", host + "/zcwj/t20230601_11.html", "2023-06-01"),
    ]  # fmt: skip


def test_selector_overrides_heuristics() -> None:
    url, _ = EXPECTED["cards_list.html"]
    items = read_list(page("cards_list.html"), url, as_of=AS_OF, selector="aside.sidebar li")
    assert rows(items) == [
        ("关于印发全省重点建设项目管理办法的通知",
         "https://fgw.example.gov.cn/zcwj/2023/11/01/11111.shtml", "2023-11-01"),
        ("关于2023年第三季度全省经济运行情况的通报",
         "https://fgw.example.gov.cn/zcwj/2023/10/12/11000.shtml", "2023-10-12"),
    ]  # fmt: skip
    # A selector naming one container runs the heuristic inside it.
    inside = read_list(page("cards_list.html"), url, as_of=AS_OF, selector="aside.sidebar")
    assert rows(inside) == rows(items)
    # A selector that matches nothing falls back to the heuristic.
    fallback = read_list(page("cards_list.html"), url, as_of=AS_OF, selector="div.nothing")
    assert rows(fallback) == EXPECTED["cards_list.html"][1]


def test_date_inside_title_is_not_the_entry_date() -> None:
    html = """<ul class="list">
      <li><a href="/a1.html">关于2024年1月5日停电的通知</a></li>
      <li><a href="/a2.html">关于2023年12月1日起施行新规的公告</a></li>
      <li><a href="/a3.html">关于开展检查的通知 2023-11-02</a></li>
    </ul>"""
    items = read_list(html, "http://x.gov.cn/l/", as_of=AS_OF)
    assert [it.date for it in items] == [None, None, date(2023, 11, 2)]


def test_date_inside_the_link_is_not_in_the_title() -> None:
    html = """<div class="news"><ul>
      <li><a href="/a1.html"><span class="t">县政府召开常务会议</span>
        <span class="d">2024-01-08</span></a></li>
      <li><a href="/a2.html"><span class="t">县长调研春耕备耕工作</span>
        <span class="d">2024-01-03</span></a></li>
    </ul></div>"""
    items = read_list(html, "http://x.gov.cn/", as_of=AS_OF)
    assert rows(items) == [
        ("县政府召开常务会议", "http://x.gov.cn/a1.html", "2024-01-08"),
        ("县长调研春耕备耕工作", "http://x.gov.cn/a2.html", "2024-01-03"),
    ]


def test_bare_links_with_sibling_dates() -> None:
    html = """<div class="content">
      <a href="1.html">市政府第十次常务会议召开</a><span>2024-01-08</span><br>
      <a href="2.html">市长会见客商代表团一行</a><span>2024-01-02</span><br>
      <a href="3.html">全市安全生产工作会议召开</a><span>2023-12-28</span><br>
    </div>"""
    items = read_list(html, "http://x.gov.cn/sz/", as_of=AS_OF)
    assert [it.date.isoformat() if it.date else None for it in items] == [
        "2024-01-08",
        "2024-01-02",
        "2023-12-28",
    ]


def test_stale_yearless_list_follows_its_own_years() -> None:
    html = """<ul class="list">
      <li><a href="1.html">某局召开年度总结会议</a><span>2019-12-20</span></li>
      <li><a href="2.html">某局开展安全检查工作</a><span>[12-05]</span></li>
      <li><a href="3.html">某局部署秋冬季防火工作</a><span>[10-11]</span></li>
    </ul>"""
    items = read_list(html, "http://x.gov.cn/l/", as_of=AS_OF)
    assert [it.date for it in items] == [date(2019, 12, 20), date(2019, 12, 5), date(2019, 10, 11)]


def test_empty_list_page_has_no_items() -> None:
    assert read_list(page("blank.html"), "http://x.gov.cn/ghjh/", as_of=AS_OF) == []


_HREF_PARTS = st.sampled_from(
    [
        "/",
        "a",
        "..",
        ".",
        "b.html",
        "?q=1",
        "#top",
        "//",
        "http:",
        "https://h.gov.cn",
        "中文",
        " ",
        "\\",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(
        [
            "http://www.a.gov.cn/col/col1/index.html",
            "https://b.gov.cn",
            "http://c.cn:8080/x/y/",
            "file:///tmp/p.html",
        ]
    ),
    href=st.lists(_HREF_PARTS, max_size=6).map("".join),
)
def test_join_href_is_urljoin(base: str, href: str) -> None:
    """The shortcut for absolute and root-relative hrefs gives what ``urljoin`` gives, and an
    href the stdlib refuses is None."""
    try:
        expected: str | None = urljoin(base, href)
        urlsplit(expected).port  # noqa: B018 - a refused port makes the href malformed
    except ValueError:
        expected = None
    assert join_href(base, href) == expected
