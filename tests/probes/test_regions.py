"""Reading a page's text region-first must give what the plain definition gives.

The definition: a text node is left out when any element above it (below ``<body>``, up to the
first stop tag) marks a navigation/header/footer/sidebar region (`Regions.penalised`, an
ancestor walk from each node). `Regions.text_parts` finds the regions with one CSS query and
reads every other subtree in one call; these tests hold it to the definition on the corpus'
shapes and on generated markup, hostile pieces included.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from probes.listpage import Regions
from probes.page import inspect_page

_DAY = date(2024, 1, 10)


def by_definition(html: str) -> list[str] | None:
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript", "template"])
    body = tree.body
    if body is None:
        return None
    regions = Regions()
    parts = []
    for node in body.traverse(include_text=True):
        if node.tag == "-text":
            text = node.text(deep=False, strip=True)
            if text and not regions.penalised(node.parent):
                parts.append(text)
    return parts


def region_first(html: str) -> list[str] | None:
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript", "template"])
    body = tree.body
    if body is None:
        return None
    return Regions().text_parts(body)


PAGE = """<html><body>
<div class="top">今天是2024年1月5日</div>
<div id="main"><ul class="news-list"><li><a href="/a">标题一</a><span>2024-01-05</span></li>
<li><a href="/b">标题二</a> <span>2024-01-04</span></li></ul>
<div class="work_menu_list"><p>办事 <b>服务</b></p></div>
<nav><a href="/">首页</a><div class="inner">深层</div></nav>
<p>正文\u3000第一段</p><p>\u3000</p><!-- 注释 --><p>第二段</p></div>
<div class="footer-wrap"><div class="copyright">版权所有</div></div>
<div class="sidebar"><div class="nav"><div class="x">嵌套区域</div></div></div>
</body></html>"""


def test_a_page_with_regions_reads_as_defined() -> None:
    assert region_first(PAGE) == by_definition(PAGE)
    assert region_first(PAGE) == [
        "标题一", "2024-01-05", "标题二", "2024-01-04", "办事", "服务", "正文\u3000第一段",
        "第二段",
    ]  # fmt: skip


def test_a_stop_tag_inside_svg_leaves_the_page_to_the_ancestor_walk() -> None:
    html = '<body><div class="nav"><svg><html><p>在内</p></html></svg></div><p>正文</p></body>'
    assert region_first(html) is None  # lexbor makes an svg "html" element: walked per node
    assert inspect_page(html, "http://h.gov.cn/a/b.html", as_of=_DAY).text == "\n".join(
        by_definition(html) or []
    )


def test_lexbor_leaves_no_nul_in_text() -> None:
    """`Regions.text_parts` separates text nodes with U+0000: the parser must never keep one."""
    html = (
        "<body><p>a\x00b&#0;c&#x0;</p><svg><text>d\x00&#0;</text></svg>"
        "<textarea>e\x00</textarea><table>f\x00</table>"
    )
    root = LexborHTMLParser(html).root
    assert root is not None
    texts = [n.text(deep=False) for n in root.traverse(include_text=True) if n.is_text_node]
    assert texts and not any("\x00" in t for t in texts)


_TAGS = ["div", "p", "ul", "li", "a", "span", "table", "tr", "td", "nav", "header", "footer",
         "aside", "svg", "math", "html", "body", "template", "script", "noscript", "h1",
         "b"]  # fmt: skip
_NAMES = ["", "nav", "news-list", "footer", "menu", "work_menu_list", "top", "content", "Side Bar",
          "breadcrumb", "xglj", "main", "list", "pagination", "NAV"]  # fmt: skip
_TEXTS = ["标题", " ", "\u3000", "\n", "2024-01-05", "a\x00b", "&#0;", "&amp;", "<!-- c -->",
          "x y", "\t"]  # fmt: skip


@st.composite
def markup(draw: st.DrawFn, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 5 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            attrs = ""
            name = draw(st.sampled_from(_NAMES))
            if name:
                attrs = f' {draw(st.sampled_from(["class", "id"]))}="{name}"'
            inner = draw(markup(depth + 1))
            closed = draw(st.integers(0, 9)) > 0  # sometimes left open
            pieces.append(f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if closed else ""))
        else:
            pieces.append(draw(st.sampled_from(_TEXTS)))
    return "".join(pieces)


@settings(max_examples=400, deadline=None)
@given(body=markup())
def test_generated_markup_reads_as_defined(body: str) -> None:
    html = f"<html><body>{body}</body></html>"
    found = region_first(html)
    if found is not None:
        assert found == by_definition(html)
