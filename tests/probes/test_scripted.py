# ruff: noqa: E501  (HTML fixtures keep their real one-line shape)
"""Lists built by scripts, read without running them: jpage datastores, inline JSON, endpoints."""

from __future__ import annotations

from datetime import date

from probes.listpage import parse_html
from probes.page import page_links, summarize_page
from probes.scripted import (
    Endpoint,
    data_endpoints,
    expand_datastore,
    inline_items,
    pager_links,
    payload_items,
    script_built,
)

AS_OF = date(2024, 3, 1)
URL = "http://www.example.gov.cn/col/col123/index.html"

# The shape 大汉 jpage prints (records as CDATA inside an XML script), three entries.
JPAGE = """<html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/col/col1/index.html">政务公开</a></div>
<div id="4321"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=123&unitid=4321"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2024/2/27/art_123_901.html" title="关于做好春季森林防火工作的通知">关于做好春季森林防火工作的通知</a><span>2024-02-27</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/2/20/art_123_900.html" title="关于开展安全生产大检查的通知">关于开展安全生产大检查的通知</a><span>2024-02-20</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/1/31/art_123_899.html" title="关于春节期间值班安排的公告">关于春节期间值班安排的公告</a><span>2024-01-31</span></li>]]></record>
</recordset></datastore></script>
<script>$("#4321").jpage({dataStore: dataStore, perPage: 15, totalRecord: 42});</script></div>
</body></html>"""


def test_jpage_records_become_markup() -> None:
    assert 'class="jpage-records"' in expand_datastore(JPAGE)
    assert expand_datastore("<p>no store</p>") == "<p>no store</p>"


def test_a_jpage_column_reads_as_a_list() -> None:
    s = summarize_page(JPAGE.encode(), URL, as_of=AS_OF)
    assert s["kind"] == "list"
    assert [(i["url"], i["date"]) for i in s["items"]] == [
        ("http://www.example.gov.cn/art/2024/2/27/art_123_901.html", "2024-02-27"),
        ("http://www.example.gov.cn/art/2024/2/20/art_123_900.html", "2024-02-20"),
        ("http://www.example.gov.cn/art/2024/1/31/art_123_899.html", "2024-01-31"),
    ]
    assert s["newest_date"] == "2024-02-27"


VUE = """<html><head><meta charset="utf-8"><title>政策文件</title></head><body>
<div id="app"><ul class="news-list"><li v-for="item in list"><a :href="item.url">{{item.title}}</a>
<span>{{item.pubDate}}</span></li></ul></div>
<script>var list = [
 {"title": "某县人民政府关于印发2024年重点工作任务的通知", "url": "./202402/t20240226_11.html", "pubDate": "2024-02-26 09:30:00"},
 {"title": "某县人民政府办公室关于调整部分议事协调机构的通知", "url": "./202402/t20240219_10.html", "pubDate": 1708300800000},
 {"title": "关于公布行政许可事项清单的通知", "url": "./202401/t20240105_9.html", "pubDate": "2024年1月5日"}
];
new Vue({el: "#app", data: {list: list}});</script></body></html>"""


def test_inline_json_entries_are_read() -> None:
    tree = parse_html(VUE)
    items = inline_items(tree, URL, as_of=AS_OF)
    assert [(i.url.rsplit("/", 1)[-1], i.date) for i in items] == [
        ("t20240226_11.html", date(2024, 2, 26)),
        ("t20240219_10.html", date(2024, 2, 19)),  # epoch milliseconds, Beijing time
        ("t20240105_9.html", date(2024, 1, 5)),
    ]
    s = summarize_page(VUE, URL, as_of=AS_OF)
    assert s["kind"] == "list" and len(s["items"]) == 3


AJAX = """<html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<div class="main"><h2>通知公告</h2><ul id="newsList" class="list"></ul><div id="page"></div></div>
<script>$.ajax({type: "post", url: "/api/content/list?channelId=12", dataType: "json",
 success: function (res) { $("#newsList").html(render(res.data.list)); }});</script>
<script src="/js/jquery.min.js"></script></body></html>"""


def test_an_empty_list_filled_by_a_script_is_flagged_with_its_endpoint() -> None:
    tree = parse_html(AJAX)
    assert script_built(tree)
    assert data_endpoints(tree, URL) == [
        Endpoint("http://www.example.gov.cn/api/content/list?channelId=12", "POST")
    ]
    s = summarize_page(AJAX, URL, as_of=AS_OF)
    assert s["items"] == []


def test_a_plain_article_is_not_script_built() -> None:
    html = """<html><body><h1>标题</h1><p>正文。</p><script>var a = 1;</script></body></html>"""
    assert not script_built(parse_html(html))
    assert data_endpoints(parse_html(html), URL) == []


def test_jpage_dataproxy_is_found_with_its_form() -> None:
    html = """<html><body><div id="4321"></div><script>$("#4321").jpage({
      url: '/module/web/jpage/dataproxy.jsp', columnid: 123, unitid: 4321, webid: '1'});
    </script></body></html>"""
    (endpoint,) = data_endpoints(parse_html(html), URL)
    assert endpoint.url == "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp"
    assert endpoint.method == "POST"
    assert ("columnid", "123") in endpoint.form and ("unitid", "4321") in endpoint.form


def test_payloads_json_nested_and_jpage_xml() -> None:
    payload = (
        '{"code": 0, "data": {"total": 2, "list": ['
        '{"docTitle": "关于开展消防安全检查的通知", "docPubUrl": "/a/1.html", "docRelTime": "2024-02-28"},'
        '{"docTitle": "关于做好防汛准备工作的通知", "docPubUrl": "/a/2.html", "docRelTime": "2024-02-01"}]}}'
    )
    items = payload_items(payload, URL, as_of=AS_OF)
    assert [(i.url, i.date) for i in items] == [
        ("http://www.example.gov.cn/a/1.html", date(2024, 2, 28)),
        ("http://www.example.gov.cn/a/2.html", date(2024, 2, 1)),
    ]
    xml = expand_datastore(JPAGE).split("<body>")[0]  # no records left: nothing read
    assert payload_items(xml, URL, as_of=AS_OF) == []
    raw = JPAGE[JPAGE.index("<datastore>") : JPAGE.index("</datastore>") + 12]
    assert len(payload_items(raw, URL, as_of=AS_OF)) == 3


def test_future_and_garbage_dates_are_not_dates() -> None:
    payload = (
        '[{"title": "关于明年工作安排的通知", "url": "/a.html", "date": "2030-01-01"},'
        ' {"title": "另一条很长的标题内容", "url": "/b.html", "date": "不详"}]'
    )
    assert [i.date for i in payload_items(payload, URL, as_of=AS_OF)] == [None, None]


def test_a_list_written_by_document_write_is_flagged() -> None:
    html = """<html><body><div class="main"><ul class="list"><script>
    document.write("<li><a href='/a/1.html'>关于开展春季植树活动的通知</a><span>2024-02-27</span></li>");
    </script></ul></div></body></html>"""
    tree = parse_html(html)
    assert script_built(tree)
    assert summarize_page(html, URL, as_of=AS_OF)["items"] == []  # only a browser reads it


def test_a_createpagehtml_pager_links_every_other_page() -> None:
    """TRS writes its pager in the browser; the crawl must still reach index_1.html …"""
    html = """<html><body><ul class="list"><li><a href="./202402/t20240227_1.html">关于做好春季森林防火工作的通知</a></li></ul>
<div class="page"><script type="text/javascript">createPageHTML(4, 1, "index", "html");</script></div></body></html>"""
    url = "http://www.example.gov.cn/xwdt/index_1.html"
    base = "http://www.example.gov.cn/xwdt/"
    assert pager_links(parse_html(html), url) == [
        (base + "index.html", "1"), (base + "index_2.html", "3"), (base + "index_3.html", "4"),
    ]  # fmt: skip
    urls = [link.url for link in page_links(html, url).links]
    assert urls == [base + "202402/t20240227_1.html", base + "index.html",
                    base + "index_2.html", base + "index_3.html"]  # fmt: skip
    assert (
        pager_links(parse_html("<script>createPageHTML(1, 0, 'index', 'html');</script>"), url)
        == []
    )


def test_a_redirect_stub_and_jpage_records_are_links_to_the_crawl() -> None:
    stub = '<html><head><meta http-equiv="refresh" content="0;url=index.html"></head><body>页面跳转中……</body></html>'
    assert [link.url for link in page_links(stub, "http://www.example.gov.cn/rsxx/").links] == [
        "http://www.example.gov.cn/rsxx/index.html"
    ]
    script = '<html><body>正在跳转……<script>window.location.href = "/col/col5/index.html";</script></body></html>'
    assert [link.url for link in page_links(script, "http://www.example.gov.cn/ghjh/").links] == [
        "http://www.example.gov.cn/col/col5/index.html"
    ]
    found = {link.url for link in page_links(JPAGE, URL).links}
    assert "http://www.example.gov.cn/art/2024/2/27/art_123_901.html" in found


APP_SHELL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>某某市人民政府</title>
<script src="/js/chunk-vendors.js"></script></head><body>
<noscript>We're sorry but this site doesn't work properly without JavaScript enabled.</noscript>
<div id="app"></div><script src="/js/app.4f2c1e.js"></script></body></html>"""


def test_an_app_shell_homepage_is_script_built() -> None:
    """A homepage that is only a mount point shows nothing without a browser: unknown, never
    a homepage with no new entries."""
    assert script_built(parse_html(APP_SHELL))
    summary = summarize_page(APP_SHELL, "http://www.example.gov.cn/", as_of=AS_OF)
    assert summary["items"] == []


def test_a_short_page_with_its_links_is_not_an_app_shell() -> None:
    """A small real page (a few links, a line of text) is read as it is."""
    html = """<html><body><script>var _hmt = [];</script><h1>通知公告</h1>
    <ul><li><a href="/a/1.html">关于开展春季植树活动的通知</a></li>
    <li><a href="/a/2.html">关于做好防汛准备工作的通知</a></li>
    <li><a href="/a/3.html">关于调整办公时间的通知</a></li></ul></body></html>"""
    assert not script_built(parse_html(html))
    no_script = APP_SHELL.replace('<script src="/js/app.4f2c1e.js"></script>', "")
    no_script = no_script.replace('<script src="/js/chunk-vendors.js"></script>', "")
    assert not script_built(parse_html(no_script))  # an empty page with no script is blank
