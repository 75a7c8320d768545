"""The `census inspect` object: keys, kinds, publication dates, links, encodings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from probes.blank import ColumnState, column_state, explains_absence
from probes.page import decode_html, inspect_page, page_links, summarize_page

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = date(2024, 1, 10)
COUNTY = "http://www.example-county.gov.cn"


def summary(name: str, url: str, **kw: object) -> dict:
    return summarize_page((FIXTURES / name).read_bytes(), url, as_of=AS_OF, **kw)  # type: ignore[arg-type]


def test_contract_keys_in_order() -> None:
    s = summary("trs_list.html", "http://www.example-city.gov.cn/zwgk/tzgg/", status=200)
    assert list(s) == [
        "url", "final_url", "status", "encoding", "title", "kind", "meta", "links", "items",
        "newest_date", "published",
    ]  # fmt: skip
    assert list(s["meta"]) == ["SiteName", "SiteIDCode", "ColumnName", "ColumnType", "PubDate"]
    assert s["meta"]["SiteIDCode"] == "4101000001"
    assert s["status"] == 200 and s["encoding"] == "utf-8"
    assert s["kind"] == "list"
    assert s["newest_date"] == "2024-01-05"  # not the header clock, not the footer update
    assert s["published"] is None
    assert all(set(it) == {"title", "url", "date"} for it in s["items"])


@pytest.mark.parametrize(
    ("name", "url", "kind"),
    [
        ("trs_list.html", "http://www.example-city.gov.cn/zwgk/tzgg/index.html", "list"),
        ("table_list.gbk.html", "http://xxgk.example-county.gov.cn/zcwj/", "list"),
        ("cards_list.html", "https://fgw.example.gov.cn/gzdt/", "list"),
        ("kaipuyun_list.gbk.html", COUNTY + "/col/col7/index.html", "list"),
        ("homepage.gbk.html", COUNTY + "/", "homepage"),
        ("homepage.gbk.html", COUNTY + "/index.html", "homepage"),
        ("article.html", "http://www.example-city.gov.cn/zwgk/tzgg/202401/t20240105_1.html",
         "article"),
        ("article_meta_only.html", COUNTY + "/zjmx/gk.html", "article"),
        ("messages.html", COUNTY + "/hdjl/xzxx/list.jsp", "messages"),
        ("guide.html", COUNTY + "/bszn/gtgsh.html", "guide"),
        ("blank.html", COUNTY + "/zwgk/ghjh/", "list"),
    ],
)  # fmt: skip
def test_kinds(name: str, url: str, kind: str) -> None:
    assert summary(name, url)["kind"] == kind


def test_gbk_page_and_homepage_items() -> None:
    s = summary("homepage.gbk.html", COUNTY + "/")
    assert s["encoding"] == "gb18030"
    assert s["title"] == "某县人民政府门户网站"
    assert s["meta"]["SiteName"] == "某县人民政府门户网站"
    assert len(s["items"]) == 7 and all(it["date"] for it in s["items"])
    assert s["newest_date"] == "2024-01-09"  # the clock says 2024-01-10: a decoy
    titles = [it["title"] for it in s["items"]]
    assert "政府信息公开专栏" not in titles  # an undated block is not a column of updates


def test_visible_date_beats_pubdate_meta() -> None:
    s = summary("article.html", "http://www.example-city.gov.cn/zwgk/tzgg/202401/t20240105_1.html")
    assert s["meta"]["PubDate"] == "2024-01-09 23:10"
    assert s["published"] == "2024-01-05"
    assert s["items"] == []


def test_pubdate_meta_when_no_visible_date() -> None:
    s = summary("article_meta_only.html", COUNTY + "/zjmx/gk.html")
    assert s["published"] == "2019-06-01"  # the header clock (2024-01-10) is no date of it


def test_unlabelled_date_line_under_heading() -> None:
    html = """<html><head><title>某局召开会议</title></head><body>
    <div class="top">今天是2024年1月10日 星期三</div>
    <h1>某局召开2024年第一次党组会议</h1><div class="info">2024-01-06 来源：办公室</div>
    <p>1月6日，某局召开2024年第一次党组会议，传达学习有关会议精神，研究部署下一步工作。会议强调，
    要认真贯彻落实各项部署要求，扎实做好各项工作，确保全年目标任务圆满完成，为全县发展作出贡献。
    会议还研究了其他事项。同时要求各科室各单位抓好落实，及时报送工作进展情况，确保取得实效。</p>
    <p>会议指出，2023年12月1日以来全局工作取得积极进展，各项任务有序推进，成效明显，值得肯定。</p>
    </body></html>"""
    s = summarize_page(html, COUNTY + "/xwdt/t20240106_5.html", as_of=AS_OF)
    assert s["kind"] == "article"
    assert s["published"] == "2024-01-06"


def test_links_absolute_from_base_and_filtered() -> None:
    s = summary("article.html", "http://mirror.example.net/some/where.html")
    urls = [(link["tag"], link["url"]) for link in s["links"]]
    # <base href="http://www.example-city.gov.cn/"> governs relative references.
    assert ("a", "http://www.example-city.gov.cn/zwgk/") in urls
    assert ("a", "http://www.example-city.gov.cn/zwgk/tzgg/202401/P020240105_1.pdf") in urls
    assert not any(u.startswith(("javascript:", "tel:", "mailto:")) for _, u in urls)
    assert not any(u.endswith("#") for _, u in urls)
    pdf = next(link for link in s["links"] if link["url"].endswith(".pdf"))
    assert pdf["text"] == "春节期间值班表.pdf"


def test_links_cover_every_tag_in_page_order() -> None:
    html = """<html><head><link rel="stylesheet" href="/c.css"><script src="j.js"></script></head>
    <body><a href="a.html">A</a><img src="i.png" alt="图"><iframe src="/f.html"></iframe>
    <map><area href="/m.html" alt="区"></map><embed src="e.swf"><object data="o.swf"></object>
    <a href="a.html">A again</a><a href="#">top</a><a href="mailto:x@y.cn">mail</a></body></html>"""
    s = summarize_page(html, "http://x.gov.cn/d/p.html", as_of=AS_OF)
    assert [(link["tag"], link["url"], link["text"]) for link in s["links"]] == [
        ("link", "http://x.gov.cn/c.css", ""),
        ("script", "http://x.gov.cn/d/j.js", ""),
        ("a", "http://x.gov.cn/d/a.html", "A"),
        ("img", "http://x.gov.cn/d/i.png", "图"),
        ("iframe", "http://x.gov.cn/f.html", ""),
        ("area", "http://x.gov.cn/m.html", "区"),
        ("embed", "http://x.gov.cn/d/e.swf", ""),
        ("object", "http://x.gov.cn/d/o.swf", ""),
    ]


def test_final_url_resolves_links() -> None:
    html = '<a href="x.html">X</a>'
    s = summarize_page(html, "http://a.gov.cn/old/", final_url="http://a.gov.cn/new/", as_of=AS_OF)
    assert s["url"] == "http://a.gov.cn/old/" and s["final_url"] == "http://a.gov.cn/new/"
    assert s["links"][0]["url"] == "http://a.gov.cn/new/x.html"
    assert s["encoding"] is None  # text in, nothing decoded


def test_decode_html() -> None:
    text = "<meta charset='gb2312'><p>政务公开</p>"
    raw = text.encode("gbk")
    assert decode_html(raw) == (text, "gb18030")
    assert decode_html(raw, "iso-8859-1") == (text, "gb18030")  # server default loses to meta
    assert decode_html("<p>公开</p>".encode(), None) == ("<p>公开</p>", "utf-8")
    assert decode_html("<p>公开</p>".encode("gbk"), None)[0] == "<p>公开</p>"  # sniffed
    assert decode_html(b"\xef\xbb\xbf<p>x</p>", "gbk") == ("<p>x</p>", "utf-8")


def test_blank_and_exempt() -> None:
    blank = inspect_page((FIXTURES / "blank.html").read_bytes(), COUNTY + "/zwgk/ghjh/",
                         as_of=AS_OF)  # fmt: skip
    exempt = inspect_page((FIXTURES / "exempt.html").read_bytes(), COUNTY + "/zwgk/ghjh/",
                          as_of=AS_OF)  # fmt: skip
    listed = inspect_page((FIXTURES / "trs_list.html").read_bytes(), COUNTY + "/tzgg/",
                          as_of=AS_OF)  # fmt: skip
    assert column_state(blank) is ColumnState.BLANK
    assert column_state(exempt) is ColumnState.EXEMPT
    assert column_state(listed) is ColumnState.OK


@pytest.mark.parametrize(
    ("text", "exempt"),
    [
        ("暂无信息", False),
        ("本栏目暂无内容", False),
        ("没有找到相关记录", False),
        ("根据三定方案，本单位不产生此类信息", True),
        ("本机关无此项职能，不产生规划计划类信息", True),
        ("该项职能已划转至县发展改革局", True),
        ("本单位不涉及此类信息", True),
    ],
)
def test_explanations(text: str, exempt: bool) -> None:
    assert explains_absence(text) is exempt
    assert column_state(items=[], text=text) is (
        ColumnState.EXEMPT if exempt else ColumnState.BLANK
    )


def test_one_message_page_is_dated_by_what_it_shows() -> None:
    """A letter's own page (no list): kind messages, newest its latest shown date (the reply)."""
    html = """<html><head><meta name="ArticleTitle" content="路灯不亮"></head><body>
    <h1>路灯不亮</h1><table><tr><th>来信时间：</th><td>2023-11-02 08:10</td></tr>
    <tr><th>内容：</th><td>小区路灯坏了两个月。</td></tr>
    <tr><th>答复情况：</th><td>答复单位：城管局 答复时间：2023-11-20
    答复内容：已于11月18日修复。</td></tr></table></body></html>"""
    s = summarize_page(html.encode(), COUNTY + "/content/article/9", as_of=AS_OF)
    assert (s["kind"], s["newest_date"], s["items"]) == ("messages", "2023-11-20", [])


def test_a_guide_page_is_dated_by_the_date_it_shows() -> None:
    """A 办事指南 page is content like an article: `census inspect` gives the date shown under its
    heading as its publication and newest date (learned from 广东侨网's 办事指引 pages)."""
    html = """<html><head><title>某证明办理_某县侨务局</title></head><body>
    <div class="pos"><a href="/">首页</a> &gt; 办事服务 &gt; 办事指引</div>
    <h3 class="zw-title">某证明办理</h3>
    <div class="zw-info"><span class="time">时间:2018-08-22</span><span>来源:某县侨务局</span></div>
    <div class="zw"><p><strong>服务事项</strong></p><p>某证明办理</p>
    <p><strong>办理条件</strong></p><p>户籍在本县的申请人</p>
    <p><strong>所需材料</strong></p><p>居民户口簿、身份证</p>
    <p><strong>办理流程</strong></p><p>1、申请人提出申请；2、审核后开具证明。受理申请时间为每年8月15日至9月30日。</p>
    <p><strong>工作时间：</strong>正常工作日</p><p><strong>联系电话：</strong>0000-1234567</p>
    <p><strong>收费标准</strong></p><p>免费</p>
    <p><strong>办理依据</strong></p><p>《某某条例》</p></div>
    </body></html>"""
    s = summarize_page(html, COUNTY + "/bszy/content/post_1.html", as_of=AS_OF)
    assert s["kind"] == "guide"
    assert s["published"] == "2018-08-22"
    assert s["newest_date"] == "2018-08-22"  # 8月15日 and 9月30日 are yearly deadlines


@pytest.mark.parametrize(
    ("tag", "resolves"),
    [
        ('<base href="http://www.b.gov.cn/x/">', True),
        ('<BASE\n  HREF="http://www.b.gov.cn/x/">', True),  # any case, any whitespace
        ('<Base\thref="http://www.b.gov.cn/x/"/>', True),
        ('<base/href="http://www.b.gov.cn/x/">', True),  # "/" ends the tag name too
        ('<basefont href="http://www.b.gov.cn/x/">', False),  # another element
        ('<!-- <base href="http://www.b.gov.cn/x/"> -->', False),  # a comment
    ],
)
def test_the_crawls_links_resolve_against_base_only_when_there_is_one(
    tag: str, resolves: bool
) -> None:
    """The crawl skips the tree search for <base> when the source has no base tag: every form
    of the tag the HTML tokenizer reads as one still governs the page's relative links."""
    html = f"<html><head><title>t</title>{tag}</head><body><a href='a.html'>A</a></body></html>"
    found = page_links(html, "http://www.site.gov.cn/dir/page.html")
    expected = "http://www.b.gov.cn/x/a.html" if resolves else "http://www.site.gov.cn/dir/a.html"
    assert [link.url for link in found.links] == [expected]


def test_only_the_link_tags_attributes_count_as_links() -> None:
    """The crawl finds links by attribute (``[href], [src], object[data]``) and sorts them by
    tag: elements that carry such an attribute but are no link of the census's kind (a
    ``<div href>``, ``<base href>``, ``<img href>`` without ``src``, ``<source src>``, an
    ``<a src>`` without ``href``) give no link and no skipped count; the rest keep page order."""
    html = """<html><head><base href="/b/"><link src="l.css"><link href="s.css"></head><body>
    <div href="d.html">d</div><img href="nohref.png"><a src="q.html">q</a>
    <svg><a href="svg.html">S</a><image href="i.png"/><script href="x.js"></script></svg>
    <object src="o.swf" data="od.swf"></object><object data=""></object>
    <A HREF="UP.html" title="上">  </A><iframe href="if.html"></iframe><embed src="e.swf">
    <input type="image" src="inp.png"><video src="v.mp4"><source src="s.mp4"></video>
    <area href="mailto:x@y.cn"><img src="i.png" title="图"></body></html>"""
    found = page_links(html, "http://x.gov.cn/d/p.html")
    assert [(link.tag, link.url, link.text) for link in found.links] == [
        ("link", "http://x.gov.cn/b/s.css", ""),
        ("a", "http://x.gov.cn/b/svg.html", "S"),
        ("object", "http://x.gov.cn/b/od.swf", ""),
        ("a", "http://x.gov.cn/b/UP.html", "上"),
        ("embed", "http://x.gov.cn/b/e.swf", ""),
        ("img", "http://x.gov.cn/b/i.png", "图"),
    ]
    assert found.skipped == 1  # the mailto: area


@pytest.mark.parametrize(
    "raw",
    [
        "<title>标题</title><a href='中文.html'>中文</a>".encode(),
        "<meta charset='gbk'><title>标题</title><a href='中文.html'>中文</a>".encode("gbk"),
        "\ufeff<title>标题</title><a href='b.html'>B</a>".encode(),  # a BOM
        b"<title>t</title><a href='x.html'>\xff\xfe cut</a>",  # not UTF-8: decoded with loss
    ],
)
def test_the_crawl_parses_utf8_bytes_as_their_text(raw: bytes) -> None:
    """Handed the page's bytes as well, the crawl's reader lets lexbor parse them only when
    they are exactly the decoded text in UTF-8: the title and links are the text's."""
    html, used = decode_html(raw)
    url = "http://x.gov.cn/d/p.html"
    assert page_links(html, url, content=raw, encoding=used) == page_links(html, url)
    assert page_links(html, url).links  # something to compare
