"""One fetched page turned into the ``census inspect`` object (everything but the fetching).

`inspect_page` keeps the parsed facts (including the page's visible text, which the blank /
exempt helpers need); `summarize_page` is its JSON form with the contract's keys in order.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from probes.dates import DateMatch, find_dates, parse_date
from probes.listpage import (
    Item,
    Regions,
    collapse_space,
    find_lists,
    homepage_blocks,
    main_list,
    page_base,
    page_day_first,
    skip_href,
    visible_text,
)
from probes.redirects import redirect_target
from probes.scripted import (
    Endpoint,
    data_endpoints,
    expand_datastore,
    inline_items,
    pager_links,
    script_built,
)
from scanner.http.charset import codec_name, decode_html
from scanner.http.urls import join_href

__all__ = ["META_KEYS", "Link", "PageKind", "PageLinks", "PageSummary", "decode_html",
           "inspect_page", "meta_published", "page_links", "summarize_page"]  # fmt: skip

PageKind = Literal["homepage", "list", "article", "guide", "messages", "other"]
META_KEYS = ("SiteName", "SiteIDCode", "ColumnName", "ColumnType", "PubDate")

_LINK_SELECTOR = (
    "a[href], area[href], link[href], img[src], script[src], iframe[src], frame[src], "
    "embed[src], object[data]"
)
# What `_LINK_SELECTOR` finds, as lexbor finds it in half the time (three simple selectors
# instead of nine compound ones): every element with one of the attributes, whose tag and
# attribute `_LINK_ATTR` then sorts out in page order. An element the long selector would not
# take (``<div href>``, ``<base href>``, ``<img href>`` without ``src``) has no such tag, or
# an empty value for its tag's attribute, and is passed over without a count either way.
_LINK_NODES = "[href], [src], object[data]"
_LINK_ATTR = {
    "a": "href", "area": "href", "link": "href", "img": "src", "script": "src",
    "iframe": "src", "frame": "src", "embed": "src", "object": "data",
}  # fmt: skip
_HOMEPAGE_PATH_RE = re.compile(
    r"^/?(?:(?:index|default|home|main|portal)\.(?:s?html?|jsp|php|aspx?|do))?$", re.I
)
_ARTICLE_URL_RE = re.compile(
    r"/t\d{8}_\d+\.s?html?$|content_\d+\.s?html?$|/art_\d+_\d+\.html$|/art/\d{4}/"
    r"|/(?:detail|show|view|article|content|info)(?:[/_\-.]|$)|[?&](?:article|content|info)?id=\d",
    re.I,
)
_GUIDE_LABELS = (
    "事项名称", "设定依据", "办理依据", "申请条件", "受理条件", "办理材料", "申请材料",
    "办理地点", "办理时间", "联系电话", "咨询电话", "办理流程", "办理程序", "收费标准", "法定期限",
    "承诺时限", "承诺期限",
)  # fmt: skip
_MESSAGE_STATUS_RE = re.compile(
    r"已回复|未回复|已答复|未答复|待回复|待答复|已办结|未办结|办理中|处理中|待处理|已处理|已受理|"
    r"办理状态|回复状态|处理状态"
)
_MESSAGE_WORD_RE = re.compile(r"留言|信件|来信|信箱|咨询|投诉|诉求")
_MESSAGE_DETAIL_RE = (
    re.compile(r"(?:留言|来信|信件|咨询|诉求)(?:内容|时间|主题|标题|日期)"),
    re.compile(r"(?:回复|答复|办理|处理)(?:内容|时间|单位|部门|意见|结果|日期)"),
)


class Link(NamedTuple):
    """One reference of a page. A named tuple: built for every link of every crawled page
    (≈ 0.3 µs against a frozen dataclass's 0.6)."""

    url: str
    text: str
    tag: str
    valid: bool = True  # False: the href cannot be a URL (``url`` holds it as written)

    def as_json(self) -> dict[str, str]:
        return {"url": self.url, "text": self.text, "tag": self.tag}


@dataclass(slots=True)
class PageSummary:
    """The facts `census inspect` prints, plus the visible text the column helpers read."""

    url: str
    final_url: str
    status: int | None
    encoding: str | None
    title: str
    kind: PageKind
    meta: dict[str, str | None]
    links: list[Link]
    items: list[Item]
    newest_date: date | None
    published: date | None
    text: str  # visible text outside navigation/header/footer regions
    # When the markup lists nothing: does the page look script-built, and which data URLs do
    # its scripts request (`probes.scripted`)? The caller may fetch them or render the page.
    scripted: bool = False
    endpoints: list[Endpoint] = field(default_factory=list)
    redirect: str | None = None  # where a redirect stub (meta refresh, location=…) points

    def to_json(self) -> dict[str, Any]:
        """The contract's object, keys in the contract's order."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "encoding": self.encoding,
            "title": self.title,
            "kind": self.kind,
            "meta": dict(self.meta),
            "links": [link.as_json() for link in self.links],
            "items": [item.as_json() for item in self.items],
            "newest_date": self.newest_date.isoformat() if self.newest_date else None,
            "published": self.published.isoformat() if self.published else None,
        }


def _meta(tree: LexborHTMLParser) -> tuple[dict[str, str | None], dict[str, str]]:
    """The contract's five meta names (case-insensitive) and every named meta, lower-cased."""
    every: dict[str, str] = {}
    for node in tree.css("meta[name]"):
        name = (node.attrs.get("name") or "").strip().lower()
        if name and name not in every:
            every[name] = collapse_space(node.attrs.get("content"))
    return {key: every.get(key.lower()) or None for key in META_KEYS}, every


# A site's hrefs as `join_href` joined them, keyed by the part of the base the join depends
# on: the origin for a rooted href (``/a/b.html``) or an absolute one, the directory for a
# plain relative one. `join_href`'s own memo is keyed by the whole base, the page's URL, and
# so misses on every page (68,672 misses, 3,999 hits in a peers scan); keyed so, 74 % of a
# peers scan's hrefs were joined before. Bounded: emptied when full (the navigation's hrefs
# come back at once).
_JOINS: dict[tuple[str, str], str | None] = {}
_JOINS_MAX = 8192
_PLAIN_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-~%")


def _base_prefixes(base: str) -> tuple[str, str] | None:
    """The base's origin (``scheme://host``) and directory (up to its path's last ``/``), or
    None when it has no path after its host (every join is then left to `join_href`)."""
    head = base.partition("#")[0].partition("?")[0]
    scheme_end = head.find("://")
    slash = head.find("/", scheme_end + 3) if scheme_end > 0 else -1
    if slash < 0:
        return None
    return head[:slash], head[: head.rfind("/") + 1]


def _join_key(prefixes: tuple[str, str] | None, raw: str) -> tuple[str, str] | None:
    """The `_JOINS` key of ``raw`` on a page with these base prefixes: (origin, href) when its
    join depends on the base's scheme and host alone — a rooted or scheme-relative href, an
    absolute http(s) one with a host —, (directory, href) when on its directory alone — a
    plain relative href: a letter, digit or ``.`` first, no colon (``http:?x`` takes the
    base's path and query) —; None for any other (a query or a fragment alone, a tab or a
    newline: `join_href` every time)."""
    if prefixes is None or "\t" in raw or "\n" in raw or "\r" in raw:
        return None  # what `urljoin` deletes from an href before it splits
    first = raw[0]
    if first == "/" and raw[1:2] != "/":
        return prefixes[0], raw
    if raw.startswith(("//", "http://", "https://")):
        # with an empty host (``//``, ``http://?x``) the base's path counts: none of these
        at = raw.index("//") + 2
        return (prefixes[0], raw) if raw[at : at + 1].isalnum() else None
    if first in _PLAIN_START and ":" not in raw:
        return prefixes[1], raw
    return None


def _links(tree: LexborHTMLParser, base: str, skipped: list[str] | None = None) -> list[Link]:
    """Every fetchable reference in page order, one per (tag, url); ``skipped`` collects the
    hrefs left out (javascript:, mailto:, tel:, bare '#')."""
    seen: set[tuple[str, str]] = set()
    out: list[Link] = []
    attr_of = _LINK_ATTR.get
    prefixes = _base_prefixes(base)
    joins = _JOINS
    for node in tree.css(_LINK_NODES):
        tag = node.tag or ""
        name = attr_of(tag)
        if name is None:
            continue
        attrs = node.attrs
        raw = (attrs.get(name) or "").strip()
        if skip_href(raw):
            if skipped is not None and raw:
                skipped.append(raw)
            continue
        key = _join_key(prefixes, raw)
        if key is None:
            joined = join_href(base, raw)
        else:
            try:
                joined = joins[key]
            except KeyError:
                if len(joins) >= _JOINS_MAX:
                    joins.clear()
                joined = joins[key] = join_href(base, raw)
        url = raw if joined is None else joined
        if (tag, url) in seen:
            continue
        seen.add((tag, url))
        if tag == "a":
            text = collapse_space(node.text()) or collapse_space(attrs.get("title"))
        elif tag in ("img", "area"):
            text = collapse_space(attrs.get("alt") or attrs.get("title"))
        else:
            text = ""
        out.append(Link(url, text, tag, joined is not None))
    return out


def _pager(tree: LexborHTMLParser, base: str, links: list[Link]) -> list[Link]:
    """The pages a createPageHTML pager links (`probes.scripted.pager_links`) not yet linked."""
    seen = {link.url for link in links if link.tag == "a"}
    out = []
    for url, text in pager_links(tree, base):
        if url not in seen:
            seen.add(url)
            out.append(Link(url=url, text=text, tag="a"))
    return out


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What the crawler needs from a page: its title, its links, and how many were skipped."""

    title: str
    links: list[Link]
    skipped: int  # javascript:, mailto:, tel:, bare '#'
    text: str  # the body's text, only when the page is short (a soft 404 says so there)


def page_links(
    html: str,
    url: str,
    *,
    short_text: int = 2000,
    want_text: Callable[[str], bool] | None = None,
    content: bytes | None = None,
    encoding: str | None = None,
) -> PageLinks:
    """Title, links (resolved against ``<base href>``) and skipped hrefs of one page.

    The crawler calls this for every page, so it parses once and skips the list and date
    heuristics of `inspect_page`; ``want_text`` (a cheap test of the body's raw text) spares
    the body text of pages that cannot need it. ``content`` and ``encoding``, the bytes
    ``html`` was decoded from and how, let lexbor parse the bytes themselves when they are
    exactly ``html`` in UTF-8 (`_parser_input`: 28 µs instead of 38 a peers page).
    """
    source = expand_datastore(html)  # jpage records are real links
    if content is not None and source is html:
        tree = LexborHTMLParser(_parser_input(content, html, encoding))
    else:
        tree = LexborHTMLParser(source)
    base = page_base(tree, url, source)
    title_node = tree.css_first("title")
    title = collapse_space(title_node.text()) if title_node is not None else ""
    skipped: list[str] = []
    links = _links(tree, base, skipped)
    if "createPageHTML" in html:
        links += _pager(tree, base, links)
    stub = "location" in html and sum(1 for link in links if link.tag == "a") <= 3
    if stub or "refresh" in html:  # a redirect stub leads on like a link
        target = redirect_target(tree, url)
        if target is not None and all(link.url != target for link in links):
            links.append(Link(url=target, text="", tag="a"))
    text = ""
    body = tree.body
    # ``want_text`` reads the body's text as it comes (script and style still in): a few KB
    # where the HTML is 16 — the text tests can only match there, and it is what the text
    # below is cut from, with the same separator (0.13 → 0.05 ms a peers page).
    if (
        body is not None
        and len(html) < 64 * 1024
        and (want_text is None or want_text(body.text(separator=" ")))
    ):
        for node in body.css("script, style"):
            node.decompose()
        text = collapse_space(body.text(separator=" "))
        if len(text) > short_text:
            text = ""
    return PageLinks(title=title, links=links, skipped=len(skipped), text=text)


def _heading_offset(tree: LexborHTMLParser, text: str, title: str) -> int | None:
    """Where the article's heading sits in the visible text (its date line follows it)."""
    for selector in ("h1", "h2", "h3", ".title", "#title"):
        for node in tree.css(selector):
            heading = collapse_space(node.text())
            if len(heading) >= 4:
                at = text.find(heading[:20])
                if at >= 0 and (selector == "h1" or heading[:10] in title):
                    return at + len(heading)
    return None


# A label that names the publication itself; 生成日期 / 成文日期 in a 信息公开 table name the
# document's own days, which may be weeks before it was published.
_PUBLICATION_LABEL_RE = re.compile(r"(?:发布|公布|发表|更新)(?:时间|日期)|(?:时间|日期)发布")


def _heading_date(
    tree: LexborHTMLParser, text: str, real: list[DateMatch], title: str
) -> date | None:
    """The first full date within 300 characters after the article's heading."""
    heading_end = _heading_offset(tree, text, title)
    if heading_end is not None:
        for m in real:
            if heading_end <= m.start <= heading_end + 300:
                return m.to_date()
    return None


def _published(
    tree: LexborHTMLParser, text: str, matches: list[DateMatch], meta: dict[str, str], title: str
) -> date | None:
    """A date labelled as the publication, another labelled date, the date line under the
    heading, then the PubDate meta."""
    real = [m for m in matches if m.full and not m.decoy]
    labelled = [m for m in real if m.labelled]
    for m in labelled:
        if _PUBLICATION_LABEL_RE.search(text, max(0, m.start - 12), m.start):
            return m.to_date()
    if labelled:
        return labelled[0].to_date()
    heading = _heading_date(tree, text, real, title)
    if heading is not None:
        return heading
    return meta_published(meta)


# Publication metas in the order they are trusted; maketime / htmlgeneratetime / createdate are
# when the CMS built the file, not when the page was published.
_PUBLISHED_METAS = ("pubdate", "publishdate", "firstpublishedtime", "published", "publishtime")
# What CMSs write there besides the grammar's forms: 大汉 Hanweb's ``2021-06-04-16:21:51`` (a
# date glued to its time by a hyphen, which the grammar refuses as a landline shape) and bare
# ``20210604`` / ``20210604162151`` stamps.
_META_DATE_RE = re.compile(
    r"^\s*(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})(?!\d)|(\d{2})(\d{2})(?:\d{4}(?:\d{2})?)?$)"
)


def meta_published(meta: dict[str, str]) -> date | None:
    """The publication date a page's metas state (``PubDate`` and its kin), or None."""
    for name in _PUBLISHED_METAS:
        value = meta.get(name)
        if not value:
            continue
        day = parse_date(value)
        if day is None and (m := _META_DATE_RE.match(value)):
            year, month, dom = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
            try:
                day = date(int(year), int(month), int(dom))
            except ValueError:
                day = None
            if day is not None and not 1970 <= day.year <= 2099:
                day = None
        if day is not None:
            return day
    return None


def _content_paragraphs(tree: LexborHTMLParser) -> int:
    """Characters of paragraphs outside navigation/header/footer regions."""
    regions = Regions()
    return sum(len(collapse_space(p.text())) for p in tree.css("p") if not regions.penalised(p))


def _form_captions(tree: LexborHTMLParser) -> str:
    """The captions of form fields: an article's comment box says 留言内容 / 回复内容 too."""
    return "\n".join(node.text() for node in tree.css("label"))


def _shown_outside(pattern: re.Pattern[str], text: str, captions: str) -> bool:
    """Whether ``pattern`` occurs in the text more often than in the form captions."""
    return len(pattern.findall(text)) > len(pattern.findall(captions))


def _classify(
    url: str,
    title: str,
    text: str,
    every_meta: dict[str, str],
    main: list[Item],
    labelled_date: bool,
    tree: LexborHTMLParser,
    heading_dated: Callable[[], bool],
) -> PageKind:
    path = urlsplit(url).path
    if _HOMEPAGE_PATH_RE.match(path):
        return "homepage"
    labels = sum(1 for label in _GUIDE_LABELS if label in text)
    if labels >= 4 or (labels >= 2 and "办事指南" in title + text[:500]):
        return "guide"
    statuses = len(_MESSAGE_STATUS_RE.findall(text))
    if statuses >= 2 and _MESSAGE_WORD_RE.search(title + text):
        return "messages"
    asked, answered = _MESSAGE_DETAIL_RE
    captions = _form_captions(tree)
    if (
        _shown_outside(asked, text, captions)
        and (_shown_outside(answered, text, captions) or statuses)
        and len(main) < 3
    ):
        return "messages"  # one message with its reply or status
    dated = sum(1 for it in main if it.date is not None)
    strong_list = dated >= 3 or (len(main) >= 5 and dated > 0)
    if every_meta.get("articletitle") or every_meta.get("contentid"):
        return "article"
    if _ARTICLE_URL_RE.search(url) and not strong_list:
        return "article"
    if strong_list:
        return "list"
    paragraphs = sum(len(collapse_space(p.text())) for p in tree.css("p"))
    if paragraphs >= 120 and labelled_date:
        return "article"
    if heading_dated() and _content_paragraphs(tree) >= 120:
        return "article"  # a date line under the heading, and a body outside header/footer
    if not main and len(tree.css("form input, form textarea, form select")) >= 2:
        return "other"  # an online application or query system, not a column of entries
    last = path.rsplit("/", 1)[-1].lower()
    if dated or every_meta.get("columnname") or not last or last.startswith(("index", "list")):
        return "list"
    return "other"  # a site map or an undated link page is not a column


def _parser_input(content: bytes | str, html: str, used: str | None) -> bytes | str:
    """What to hand lexbor for ``html``: the page's own bytes when they are exactly ``html``
    in UTF-8 (decoded strictly as UTF-8, no BOM), sparing lexbor the re-encoding."""
    if (
        isinstance(content, bytes)
        and used == "utf-8"
        and not content.startswith(codecs.BOM_UTF8)
        and "\ufffd" not in html  # or a lenient decode that replaced something
    ):
        return content
    return html


def inspect_page(
    content: bytes | str,
    url: str,
    *,
    final_url: str | None = None,
    status: int | None = None,
    encoding: str | None = None,
    as_of: date,
    selector: str | None = None,
) -> PageSummary:
    """Parse one page into its facts; ``selector`` (site config) overrides list heuristics."""
    used: str | None
    if isinstance(content, bytes):
        html, used = decode_html(content, encoding)
    else:
        html, used = content, (codec_name(encoding) if encoding else None)
    page_url = final_url or url
    expanded = expand_datastore(html)  # the same object when the page has no <datastore>
    tree = LexborHTMLParser(_parser_input(content, html, used) if expanded is html else expanded)
    base = page_base(tree, page_url)
    title_node = tree.css_first("title")
    title = collapse_space(title_node.text()) if title_node is not None else ""
    redirect = redirect_target(tree, page_url)
    meta, every_meta = _meta(tree)
    links = _links(tree, base)
    if "createPageHTML" in html:
        links += _pager(tree, base, links)
    # A page the CMS marks as an article (ArticleTitle) shows no column of its own: its lists
    # are sidebars, and finding them is most of a page's reading time.
    article = bool(every_meta.get("articletitle")) and not selector
    # 05/08/2016 is read (as 5 August) only where the page settles the order: a Hong Kong or
    # Macau page; never guessed on a mainland one (probes.dates.slash_day_first).
    day_first = page_day_first(tree, page_url, expanded)
    if article and not _HOMEPAGE_PATH_RE.match(urlsplit(page_url).path):
        blocks, main = [], []
    else:
        blocks = find_lists(tree, base, as_of=as_of, day_first=day_first)
        main = main_list(
            tree, base, as_of=as_of, selector=selector, blocks=blocks, day_first=day_first
        )
    home_items = [it for b in homepage_blocks(blocks) for it in b.items if it.date is not None]
    scripted, endpoints = False, []
    if (not main or not home_items) and not article:
        inline = inline_items(tree, page_url, as_of=as_of)  # before scripts are stripped
        main = main or inline
        home_items = home_items or [it for it in inline if it.date is not None]
        if not main:
            scripted, endpoints = script_built(tree), data_endpoints(tree, page_url)
    text = visible_text(tree)
    matches = find_dates(text, day_first=day_first)
    labelled = any(m.labelled and m.full and not m.decoy for m in matches)
    real = [m for m in matches if m.full and not m.decoy]
    kind = _classify(
        page_url, title, text, every_meta, main, labelled, tree,
        lambda: _heading_date(tree, text, real, title) is not None,
    )  # fmt: skip
    items: list[Item]
    if kind == "homepage":
        items = home_items
    elif kind == "messages":
        # Letters under a header naming their dates (留言时间 | 办理状态 | 信件标题): a channel
        # page's best dated block may be its 民意征集 or 访谈 list, not its letters. Imported
        # here: the crawl's `page_links` never reads letters (≈ 3 ms of `census scan`'s start).
        from probes.messages import structured_messages

        letters = structured_messages(tree, page_url, as_of=as_of)
        items = [Item(m.title, m.url, m.asked_on) for m in letters] or main
    elif kind == "list":
        items = main
    else:
        items = []
    # A guide is content like an article: the date under its heading is when it was published.
    dated_page = kind in ("article", "guide")
    published = _published(tree, text, matches, every_meta, title) if dated_page else None
    dates = [it.date for it in items if it.date is not None and it.date <= as_of]
    if kind == "messages" and not items:
        # One message and its reply (no list): its newest date is the latest one it shows.
        dates = [d for m in real if (d := m.to_date(as_of)) is not None and d <= as_of]
    newest = max(dates) if dates else published
    return PageSummary(
        url=url,
        final_url=page_url,
        status=status,
        encoding=used,
        title=title,
        kind=kind,
        meta=meta,
        links=links,
        items=items,
        newest_date=newest,
        published=published,
        text=text,
        scripted=scripted,
        endpoints=endpoints,
        redirect=redirect,
    )


def summarize_page(
    content: bytes | str,
    url: str,
    *,
    final_url: str | None = None,
    status: int | None = None,
    encoding: str | None = None,
    as_of: date,
    selector: str | None = None,
) -> dict[str, Any]:
    """The ``census inspect --json`` object for one page."""
    return inspect_page(
        content,
        url,
        final_url=final_url,
        status=status,
        encoding=encoding,
        as_of=as_of,
        selector=selector,
    ).to_json()
