"""Finding a site's columns (栏目) from its homepage, and guessing each one's census category.

The census judges freshness per column, with a window that depends on the category (news two
weeks, notices and policies six months …), so a registry without columns cannot be scored.
Operators rarely have the list at hand; the homepage navigation and the CMS's own
``<meta name="ColumnName">``/``ColumnType`` on each column page are where it is written down.
This module proposes; an operator accepts (``census columns discover --accept``).

Categories are the ids of rules-2015.md, as plain strings: probes do not import storage.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from probes.blank import ColumnState, column_state, explains_absence
from probes.dates import find_dates, parse_date
from probes.listpage import Item, page_base, skip_href
from probes.page import PageSummary, inspect_page
from probes.scripted import payload_items
from scanner.errors import FetchFailed, RenderFailed
from scanner.http.charset import charset_of, decode_html
from scanner.http.failures import FailureKind
from scanner.http.fetch import Fetched, fetch
from scanner.http.limits import HostLimiter
from scanner.http.urls import join_href
from scoring.facts import Category

__all__ = [
    "CATEGORIES", "UNRENDERED", "Candidate", "Discovery", "Guess", "PageRead", "Proposal",
    "column_key", "discover", "guess_category", "guess_column", "heading_names",
    "nav_candidates", "propose", "read_page",
]  # fmt: skip

CATEGORIES = tuple(c.value for c in Category)

# First match wins, so the specific patterns come before the broad ones: 领导信箱 is consult
# before 领导 makes it other_info; 咨询投诉 is consult before 投诉 makes it report; 信息公开指南 is
# basic information before 指南 makes it a service guide.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        ("other_info", r"信息公开(?:指南|目录|年报|年度报告|制度)"),
        ("online_system", r"(?:在线|网上)(?:申报|办理|办事|申请|预约|查询)"
         r"|(?:查询|申报|办理|审批|办事|服务|申请|预约|管理)(?:系统|平台)$"),
        ("guide", r"办事指南|服务指南|办事须知|办事流程|指南"),
        ("interview", r"访谈|在线直播|直播间|嘉宾"),
        ("survey", r"征集|调查|征求意见|意见征求|民意|问卷"),
        ("report", r"举报"),
        ("consult", r"信箱|咨询|留言|来信|写信|问政|热线|互动交流|政民互动|诉求"),
        ("report", r"投诉"),
        ("personnel", r"人事|任免|招聘|招考|录用|任前公示|干部"),
        ("planning", r"规划|计划"),
        ("policy", r"政策|文件|法规|规章|解读|政府令|公报"),
        ("notice", r"通知|公告|公示|通告"),
        ("other_info", r"机构|职能|职责|领导|负责人|概况|简介|预决算|预算|决算|三公|统计"
         r"|基本信息|单位信息|部门信息|组织"),
        ("news", r"动态|要闻|新闻|资讯|快讯|简报|热点|头条|播报"),
    )
)  # fmt: skip

# Link texts that name a page which is never a column.
_NOT_COLUMN = re.compile(
    r"^(?:首页|网站首页|返回首页|主页|设为首页|加入收藏|收藏本站|网站地图|站点地图|联系我们|关于我们"
    r"|网站声明|免责声明|隐私(?:声明|政策)?|版权(?:声明|所有)?|无障碍.*|长者模式|关怀版|English|繁體"
    r"|简体|繁体|登录|注册|用户登录|退出|搜索|高级搜索|站内搜索|刷新|上一页|下一页|尾页|末页|首页"
    r"|打印|关闭|返回|返回顶部|分享|纠错|我要纠错|帮助|RSS)$",
    re.I,
)
# Link texts that point at a column without naming it.
_GENERIC = re.compile(r"^(?:更多|more|查看更多|详细|详情|进入|\+|>+|》+|…+)[>》+…\s.]*$", re.I)
_NAME_STRIP = re.compile(r"^[\s>》·•■□◆▪|｜]+|[\s>》·•■□◆▪|｜]+$")
_FILE_RE = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|jpe?g|png|gif|bmp|mp4|mp3|css|js|ico|txt|xml)$",
    re.I,
)
_ARTICLE_RE = re.compile(
    r"/t\d{8}_\d+\.s?html?$|content_\d+\.s?html?$|/art_\d+(?:_\d+)?\.html$|/art/\d{4}/"
    r"|/(?:msg|guide)_\d+\.s?html?$",
    re.I,
)
# Query parameters of calendars, searches and session ids: endless pages, never a column.
_TRAP_PARAMS = frozenset(
    """sid sessionid jsessionid phpsessid token month year day date ym q query keyword keywords
    searchword kw wd""".split()  # noqa: SIM905
)
_TRAP_PATH = re.compile(r"/(?:search|calendar|login|logout|register)(?:[/._?]|$)", re.I)
_INDEX_RE = re.compile(r"/(?:index|default)\.(?:s?html?|jsp|php|aspx?)$", re.I)
MAX_NAME = 16


@dataclass(frozen=True, slots=True)
class Guess:
    """A category and what it was read from (``name``, ``ColumnName`` or ``ColumnType``)."""

    category: str | None
    basis: str = ""


def guess_category(name: str | None) -> str | None:
    """The census category a column name says, or None when the name does not say."""
    if not name:
        return None
    text = re.sub(r"\s+", "", name)
    for category, pattern in _RULES:
        if pattern.search(text):
            return category
    return None


def guess_column(
    name: str | None, column_name: str | None = None, column_type: str | None = None
) -> Guess:
    """The shown name first (what the operator reads), then the CMS's ColumnName, ColumnType."""
    for basis, text in (("name", name), ("ColumnName", column_name), ("ColumnType", column_type)):
        category = guess_category(text)
        if category is not None:
            return Guess(category, basis)
    return Guess(None)


def column_key(url: str) -> str:
    """The same column however a link writes it: no fragment, no index file, lower-case host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # an href that is not a URL (kept as written): its own key
        return url.strip()
    path = _INDEX_RE.sub("/", parts.path) or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


@dataclass(slots=True)
class Candidate:
    """A homepage link that may be a column: its URL and every text it was linked with."""

    url: str
    texts: list[str] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        for text in self.texts:
            if not _GENERIC.match(text):
                return text
        return None


def _clean(text: str) -> str:
    return _NAME_STRIP.sub("", text)


def _looks_like_trap(url: str) -> bool:
    parts = urlsplit(url)
    if _TRAP_PATH.search(parts.path):
        return True
    return any(k.lower() in _TRAP_PARAMS for k, _ in parse_qsl(parts.query, keep_blank_values=True))


def heading_names(html: str, base_url: str) -> dict[str, str]:
    """Names for links that do not name their column themselves (column key → name).

    Homepages often title a block with plain text (``<h3>政务要闻</h3><a>更多>></a>``): the
    heading in the same small container names the "更多" link. An image button is named by its
    ``alt`` (navigation-only portals are often a grid of them).
    """
    tree = LexborHTMLParser(html)
    base = page_base(tree, base_url)
    names: dict[str, str] = {}
    for a in tree.css("a[href]"):
        text = _clean(a.text(strip=True))
        href = (a.attrs.get("href") or "").strip()
        if skip_href(href) or (text and not _GENERIC.match(text)):
            continue
        joined = join_href(base, href)
        if joined is None:
            continue
        key = column_key(joined)
        if not text:  # an image button: its alt text names it
            img = a.css_first("img")
            alt = _clean((img.attrs.get("alt") or img.attrs.get("title") or "") if img else "")
            if 2 <= len(alt) <= MAX_NAME:
                names.setdefault(key, alt)
            continue
        node = a.parent
        for _ in range(2):  # the link's own container, then the block around it
            if node is None or key in names:
                break
            heading = node.css_first("h1, h2, h3, h4, h5, h6, strong, b, span, em")
            for candidate in (
                heading.text(strip=True) if heading is not None else "",
                (node.text(strip=True) or "").replace(a.text(strip=True), ""),
            ):
                name = _clean(candidate)
                if (
                    2 <= len(name) <= MAX_NAME
                    and not _GENERIC.match(name)
                    and not any(ch.isdigit() for ch in name)
                ):
                    names[key] = name
                    break
            node = node.parent
    return names


def nav_candidates(
    page: PageSummary, hosts: Iterable[str] = (), headings: dict[str, str] | None = None
) -> list[Candidate]:
    """Same-site links of a homepage that can be columns, in page order, one per column URL.

    Entries of the homepage's lists, articles, files, traps and the site-furniture pages
    (网站地图, 联系我们 …) are left out; so are links whose text is too long to be a column name.
    ``headings`` (from `heading_names`) name the links that only say "更多".
    """
    headings = headings or {}
    own = {h.lower() for h in hosts} | {urlsplit(page.final_url).hostname or ""}
    home = column_key(page.final_url)
    entries = {column_key(it.url) for it in page.items}
    found: dict[str, Candidate] = {}
    for link in page.links:
        if link.tag not in ("a", "area") or not link.valid:
            continue
        parts = urlsplit(link.url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in own:
            continue
        key = column_key(link.url)
        text = _clean(link.text)
        if key == home or key in entries or _NOT_COLUMN.match(text) or len(text) > MAX_NAME:
            continue
        if _FILE_RE.search(parts.path) or _ARTICLE_RE.search(parts.path) or _looks_like_trap(key):
            continue
        candidate = found.setdefault(key, Candidate(link.url))
        if (not text or _GENERIC.match(text)) and key in headings:
            text = headings[key]
        if text and text not in candidate.texts:
            candidate.texts.append(text)
    return [c for c in found.values() if c.texts]


@dataclass(slots=True)
class Proposal:
    """A proposed column, with what its page showed when opened."""

    name: str
    url: str
    category: str | None
    basis: str  # what the category was read from; "" when unknown
    # ColumnState value, "system" for online systems, "scripted" for a list a script builds
    # (read through its endpoint or the browser when the column is read), None when not opened
    state: str | None
    kind: str | None = None
    items: int = 0
    newest: date | None = None
    column_name: str | None = None  # <meta name="ColumnName">
    column_type: str | None = None  # <meta name="ColumnType">
    error: str = ""

    @property
    def flagged(self) -> bool:
        """No category could be guessed: an operator must choose one before it can be stored."""
        return self.category is None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "category": self.category,
            "basis": self.basis,
            "flagged": self.flagged,
            "state": self.state,
            "kind": self.kind,
            "items": self.items,
            "newest_date": self.newest.isoformat() if self.newest else None,
            "meta": {"ColumnName": self.column_name, "ColumnType": self.column_type},
            "error": self.error,
        }


@dataclass(slots=True)
class Discovery:
    """What a homepage proposes, and the candidates left out with the reason."""

    homepage: str
    final_url: str
    navigation_only: bool  # the homepage lists no dated entries of its own
    proposals: list[Proposal]
    rejected: list[tuple[str, str, str]]  # (link text, url, reason)


def propose(candidate: Candidate, page: PageSummary | None, error: str = "") -> Proposal | None:
    """Turn an opened candidate into a proposal, or None when its page is not a column.

    A page counts as a column when its CMS says so (ColumnName meta), when it is a list, a
    message list or a guide, or when the link text names a census category (an online system is
    a form, not a list). A page that could not be opened is proposed only when its name does.
    """
    if page is None:
        guess = guess_column(candidate.name)
        if guess.category is None:
            return None
        return Proposal(candidate.name or candidate.url, candidate.url, guess.category,
                        guess.basis, None, error=error)  # fmt: skip
    meta_name, meta_type = page.meta.get("ColumnName"), page.meta.get("ColumnType")
    guess = guess_column(candidate.name, meta_name, meta_type)
    looks = bool(meta_name) or page.kind in ("list", "messages", "guide")
    if not looks and guess.basis != "name":
        return None
    # an online system is a form to fill in: neither blank nor stale; a list a script builds
    # is read later through its endpoint or the browser (`read_page`), never called blank here
    if guess.category == "online_system":
        state = "system"
    elif page.scripted and not page.items:
        state = SCRIPTED
    else:
        state = column_state(page).value
    return Proposal(
        name=candidate.name or meta_name or page.title or candidate.url,
        url=candidate.url,
        category=guess.category,
        basis=guess.basis,
        state=state,
        kind=page.kind,
        items=len(page.items),
        newest=page.newest_date,
        column_name=meta_name,
        column_type=meta_type,
    )


async def _open(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    limiter: HostLimiter | None,
    method: str = "GET",
    data: dict[str, str] | None = None,
) -> Fetched:
    """Fetch, with a 4xx/5xx status, an empty or a cut-off body as failures like the others."""
    got = await fetch(
        client, url, deadline=deadline, max_bytes=max_bytes, limiter=limiter, method=method,
        data=data,
    )  # fmt: skip
    if got.status >= 400:
        raise FetchFailed(FailureKind.HTTP_STATUS, f"HTTP {got.status}", got.elapsed_ms)
    if not got.content.strip():
        raise FetchFailed(FailureKind.EMPTY, "empty body", got.elapsed_ms)
    if got.truncated:
        raise FetchFailed(FailureKind.TOO_LARGE, f"more than {max_bytes} bytes", got.elapsed_ms)
    return got


def _summary(got: Fetched, url: str, as_of: date, selector: str | None = None) -> PageSummary:
    return inspect_page(
        got.content,
        url,
        final_url=got.final_url,
        status=got.status,
        encoding=charset_of(got.content_type),
        as_of=as_of,
        selector=selector,
    )


def _may_redirect(got: Fetched) -> bool:
    """Cheap first test for a redirect stub: only such a page is summarised before it is used."""
    head = got.content[:65536].lower()
    return b"refresh" in head or b"location" in head


def _stub_target(page: PageSummary) -> str | None:
    """Where a redirect stub points (None for a page with entries or no redirect)."""
    return page.redirect if not page.items else None


def _channel_like(page: PageSummary) -> bool:
    """No entries and no ColumnName: maybe a channel; a CMS column without entries is blank."""
    return not page.items and not page.meta.get("ColumnName")


async def discover(
    client: httpx.AsyncClient,
    homepage: str,
    *,
    as_of: date,
    deadline: float = 15.0,
    max_bytes: int = 8 * 1024 * 1024,
    limiter: HostLimiter | None = None,
    hosts: Iterable[str] = (),
    max_candidates: int = 100,
    depth: int = 2,
) -> Discovery:
    """Open the homepage and every candidate column it links; raises FetchFailed for the home.

    With ``depth`` 2, a linked page that is not a column itself, whose name says nothing, or
    that lists no entries and has no ColumnName (a channel such as 政务公开 or 互动交流 holding
    the real columns) is searched for further candidates the same way; it is dropped as a
    channel once one of them opens as a column. ``hosts`` are further host names of the site;
    ``max_candidates`` bounds the pages opened in all, for a site that links far more than its
    columns.
    """
    limiter = limiter or HostLimiter()
    got = await _open(client, homepage, deadline=deadline, max_bytes=max_bytes, limiter=limiter)
    home = _summary(got, homepage, as_of)
    html, _ = decode_html(got.content, charset_of(got.content_type))
    # the registered host counts as the site's own even when the homepage redirects elsewhere
    hosts = [*hosts, urlsplit(homepage).hostname or ""]
    visited = {column_key(homepage), column_key(home.final_url)}
    rejected: list[tuple[str, str, str]] = []
    budget = max_candidates

    def fresh(candidates: list[Candidate]) -> list[Candidate]:
        nonlocal budget
        out = []
        for c in candidates:
            key = column_key(c.url)
            if key in visited:
                continue
            visited.add(key)
            if budget <= 0:
                rejected.append((c.name or "", c.url, "超出上限"))
                continue
            budget -= 1
            out.append(c)
        return out

    async def one(
        candidate: Candidate,
    ) -> tuple[Candidate, Fetched | None, PageSummary | None, str]:
        """The candidate opened (through redirect stubs), with its summary when already read."""
        page: PageSummary | None = None
        try:
            opened = await _open(
                client, candidate.url, deadline=deadline, max_bytes=max_bytes, limiter=limiter
            )
            for _ in range(MAX_STUB_HOPS):  # a redirect stub: the column is where it points
                if not _may_redirect(opened):
                    break
                page = _summary(opened, candidate.url, as_of)
                target = _stub_target(page)
                if target is None:
                    break
                page = None
                opened = await _open(
                    client, target, deadline=deadline, max_bytes=max_bytes, limiter=limiter
                )
        except FetchFailed as exc:
            return candidate, None, None, exc.kind
        return candidate, opened, page, ""

    proposals: list[Proposal] = []
    seen: set[str] = set()
    # A page without entries whose links lead to columns is a channel (政务公开), not a blank
    # column: it is dropped once one of its links turns out to be a column.
    parent_of: dict[str, Proposal] = {}
    channels: set[int] = set()
    level = fresh(nav_candidates(home, hosts, heading_names(html, home.final_url)))
    for round_ in range(1, max(1, depth) + 1):
        deeper: list[Candidate] = []
        for candidate, opened, read, error in await asyncio.gather(*(one(c) for c in level)):
            page = read
            if page is None and opened is not None:
                page = _summary(opened, candidate.url, as_of)
            proposal = propose(candidate, page, error)
            if (
                page is not None
                and opened is not None
                and round_ < depth
                and (proposal is None or proposal.flagged or _channel_like(page))
            ):
                text, _ = decode_html(opened.content, charset_of(opened.content_type))
                below = nav_candidates(page, hosts, heading_names(text, page.final_url))
                if proposal is not None and _channel_like(page):
                    for child in below:
                        if column_key(child.url) not in visited:
                            parent_of.setdefault(column_key(child.url), proposal)
                deeper += below
            if proposal is None:
                rejected.append((candidate.name or "", candidate.url, error or "不是栏目页面"))
                continue
            key = column_key(page.final_url) if page is not None else column_key(candidate.url)
            if key in seen:  # two links that redirect to one column
                rejected.append((candidate.name or "", candidate.url, "重复"))
                continue
            seen.add(key)
            proposals.append(proposal)
            parent = parent_of.get(column_key(candidate.url))
            if parent is not None and proposal.state is not None:
                channels.add(id(parent))
        level = fresh(deeper)
        if not level:
            break
    for p in proposals:
        if id(p) in channels:
            rejected.append((p.name, p.url, "栏目频道（下设栏目）"))
    return Discovery(
        homepage=homepage,
        final_url=home.final_url,
        navigation_only=home.kind == "homepage" and not home.items,
        proposals=[p for p in proposals if id(p) not in channels],
        rejected=rejected,
    )


# ---------------------------------------------------------------- reading a known column


@dataclass(slots=True)
class PageRead:
    """One read of a column's list page (or of the homepage): the facts a snapshot stores."""

    url: str
    ok: bool
    error: str = ""  # a FailureKind value when not ok
    kind: str | None = None
    items: list[Item] = field(default_factory=list)
    newest: date | None = None
    state: str | None = None  # ColumnState value; None when the page did not open
    exempt_note: str = ""  # the sentence that explains why the column has no entries
    dated_from_pages: int = 0  # undated entries whose date was read from their own page
    # How the entries were read: "static" (the markup, jpage records and inline JSON included),
    # "endpoint" (the data URL the page's script requests), "browser" (rendered), or
    # "unrendered": the page lists nothing, shows the signs of a script-built list, and no
    # browser could render it (rendering off, no Chromium, a failure or a spent budget) — the
    # list is unknown, so the column is not judged (`uncertain`), never blank or stale.
    read_via: str = "static"
    # A homepage's same-site links that can be second-level pages (`nav_candidates`), in page
    # order; only filled when asked (``homepage_links``).
    links: list[str] = field(default_factory=list)

    @property
    def uncertain(self) -> bool:
        """Opened, but what it lists could not be read (a script-built list left unrendered)."""
        return self.ok and self.read_via == UNRENDERED

    @property
    def dated(self) -> int:
        return sum(1 for item in self.items if item.date is not None)

    @property
    def navigation_only(self) -> bool | None:
        """Read as a homepage: no dated entries of its own (None when it did not open)."""
        return None if not self.ok else self.dated == 0

    @property
    def newest_item(self) -> Item | None:
        """The first entry showing the newest date (what an official opens to check)."""
        for item in self.items:
            if item.date is not None and item.date == self.newest:
                return item
        return None


def _exempt_note(page: PageSummary) -> str:
    for text in [*(it.title for it in page.items), *page.text.splitlines()]:
        if explains_absence(text):
            return text.strip()[:500]
    return ""


async def _published(
    client: httpx.AsyncClient,
    url: str,
    *,
    as_of: date,
    deadline: float,
    max_bytes: int,
    limiter: HostLimiter | None,
) -> date | None:
    """An entry's own publication date (visible 发布日期 first, then PubDate); None if unknown."""
    try:
        got = await _open(client, url, deadline=deadline, max_bytes=max_bytes, limiter=limiter)
    except FetchFailed:
        return None
    page = _summary(got, url, as_of)
    published = page.published  # only set when the page reads as an article
    if published is None:  # it is an entry of a list: take its labelled date or PubDate anyway
        labelled = [m for m in find_dates(page.text) if m.labelled and m.full and not m.decoy]
        pub = page.meta.get("PubDate")
        published = labelled[0].to_date() if labelled else parse_date(pub) if pub else None
    return published if published is not None and published <= as_of else None


# Renders a URL in a browser and returns (DOM html, final URL); `scanner.render` provides one.
Render = Callable[[str], Awaitable[tuple[str, str]]]
MAX_ENDPOINTS = 2  # data URLs tried per script-built page
UNRENDERED = "unrendered"  # read_via of a script-built list no browser could render
SCRIPTED = "scripted"  # a proposal's state: its list is built by a script (read when read)
MAX_STUB_HOPS = 2  # redirect stubs (meta refresh, location=…) followed per read


async def _endpoint_items(
    client: httpx.AsyncClient,
    page: PageSummary,
    *,
    as_of: date,
    deadline: float,
    max_bytes: int,
    limiter: HostLimiter | None,
) -> list[Item]:
    """The entries a script-built page's own data endpoint answers (the cheap path)."""
    for endpoint in page.endpoints[:MAX_ENDPOINTS]:
        try:
            got = await _open(
                client, endpoint.url, deadline=deadline, max_bytes=max_bytes, limiter=limiter,
                method=endpoint.method, data=dict(endpoint.form) if endpoint.form else None,
            )  # fmt: skip
        except FetchFailed:
            continue
        items = payload_items(got.content, got.final_url, as_of=as_of)
        if items:
            return items
    return []


async def read_page(
    client: httpx.AsyncClient,
    url: str,
    *,
    as_of: date,
    deadline: float = 15.0,
    max_bytes: int = 8 * 1024 * 1024,
    limiter: HostLimiter | None = None,
    selector: str | None = None,
    open_undated: int = 3,
    homepage_links: bool | None = False,
    hosts: Iterable[str] = (),
    render: Render | None = None,
    force_render: bool = False,
) -> PageRead:
    """Open a registered column (or homepage) and read its entries; failures are facts too.

    A list that shows no dates at all is not taken as never updated at once: its first
    ``open_undated`` entries are opened and their own publication dates used (the census
    counts an entry without any date as no update, not one whose date is on its own page).
    ``homepage_links`` (for a homepage): True collects its second-level links (``links``), None
    only when it shows no dated entries (navigation-only), False never; ``hosts`` are the
    site's other host names.

    A page that lists nothing but looks script-built is read further: first the data endpoint
    its script requests, then — when ``render`` is given — the page rendered in a browser;
    ``force_render`` (a column set to render) renders it whatever the static read found. A
    browser failure or a spent budget keeps the static reading. ``read_via`` says which won.
    """
    try:
        got = await _open(client, url, deadline=deadline, max_bytes=max_bytes, limiter=limiter)
    except FetchFailed as exc:
        return PageRead(url, ok=False, error=exc.kind)
    page = _summary(got, url, as_of, selector)
    for _ in range(MAX_STUB_HOPS):  # a redirect stub: read the page it sends a browser to
        if page.redirect is None or page.items:
            break
        try:
            got = await _open(
                client, page.redirect, deadline=deadline, max_bytes=max_bytes, limiter=limiter
            )
        except FetchFailed as exc:
            return PageRead(url, ok=False, error=exc.kind)
        page = _summary(got, url, as_of, selector)
    read_via = "static"
    listing = page.kind in ("list", "homepage", "messages", "other")
    if listing and not page.items and page.endpoints and not force_render:
        answered = await _endpoint_items(
            client, page, as_of=as_of, deadline=deadline, max_bytes=max_bytes, limiter=limiter
        )
        if answered:
            page.items, read_via = answered, "endpoint"
            page.newest_date = max((i.date for i in answered if i.date), default=None)
            page.kind = "list" if page.kind == "other" else page.kind
    needs_browser = listing and not page.items and page.scripted
    if render is not None and (force_render or needs_browser):
        try:
            html, final_url = await render(page.final_url)
        except RenderFailed:
            pass
        else:
            rendered = inspect_page(html, url, final_url=final_url, as_of=as_of, selector=selector)
            if rendered.items or force_render:
                page = rendered
            read_via = "browser"  # what it shows, even nothing, is what the browser showed
    if needs_browser and read_via == "static":
        read_via = UNRENDERED  # nobody could look: not blank, not stale — unknown
    state = column_state(page)
    items, newest, opened = list(page.items), page.newest_date, 0
    if page.kind == "list" and items and open_undated > 0 and all(i.date is None for i in items):
        first = items[:open_undated]
        found = await asyncio.gather(
            *(
                _published(client, it.url, as_of=as_of, deadline=deadline, max_bytes=max_bytes,
                           limiter=limiter)
                for it in first
            )
        )  # fmt: skip
        items = [Item(it.title, it.url, d) for it, d in zip(first, found, strict=True)]
        items += page.items[open_undated:]
        opened = sum(1 for d in found if d is not None)
        newest = max((d for d in found if d is not None), default=None)
    links: list[str] = []
    no_dates = not any(it.date is not None for it in items)
    if homepage_links or (homepage_links is None and no_dates):
        html, _ = decode_html(got.content, charset_of(got.content_type))
        headings = heading_names(html, page.final_url)
        links = [c.url for c in nav_candidates(page, [*hosts, urlsplit(url).hostname or ""],
                                               headings)]  # fmt: skip
    return PageRead(
        url,
        ok=True,
        kind=page.kind,
        items=items,
        newest=newest,
        state=state.value,
        exempt_note=_exempt_note(page) if state == ColumnState.EXEMPT else "",
        dated_from_pages=opened,
        links=links,
        read_via=read_via,
    )
