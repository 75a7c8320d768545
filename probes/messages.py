"""Citizens' messages (政务咨询类: 领导信箱, 咨询投诉, 网上留言 …): asked, answered, or still open.

`veto.unanswered` turns on two dates per message, and sites show them in two places: the list
(a table with 留言时间 / 状态 / 回复时间 columns, or entries with labelled dates) and the message
page (留言时间：…, 回复时间：…, 状态：已回复). The list is read first; a message page is opened only
when the list leaves something open — no state, "已回复" with no reply date, no asked date — and
only for messages that can matter (asked within the window the rules look at).

A message shown as answered with no reply date anywhere stays ``answered`` with
``answered_on=None``: the scoring reports it as uncertain rather than guessing a date.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.dates import DateMatch, find_dates
from probes.listpage import Regions, collapse_space, main_list, page_base, skip_href, visible_text
from scanner.errors import FetchFailed
from scanner.http.fetch import Fetched, fetch
from scanner.http.limits import HostLimiter
from scanner.http.urls import MAX_URL_LENGTH, join_href

__all__ = [
    "MessagePage",
    "MessageRead",
    "MessageRecord",
    "message_state",
    "read_message_list",
    "read_message_page",
    "read_messages",
    "structured_messages",
]

ANSWERED = "answered"
OPEN = "open"
UNKNOWN = "unknown"

_ANSWERED_RE = re.compile(r"已回复|已答复|已办结|已处理|已反馈|办结|已解决|已回应")
_OPEN_RE = re.compile(
    r"未回复|未答复|未办结|未处理|办理中|处理中|待回复|待答复|待处理|受理中|已受理|已转办|转办中|未回应"
)
_STATUS_LABEL_RE = re.compile(r"(?:处理|办理|回复|答复|办结)?状态\s*[:：]\s*(\S{2,6})")
# Words right before a date that say which date it is.
_REPLY_WORDS_RE = re.compile(
    r"(?:回复|答复|办结|处理|反馈|回应)(?:时间|日期)?\s*[:：]?\s*[\[【(（]?\s*$"
)
_ASK_WORDS_RE = re.compile(
    r"(?:留言|来信|提问|咨询|写信|提交|发布|发表|信件|投诉|诉求)(?:时间|日期)?\s*[:：]?\s*"
    r"[\[【(（]?\s*$"
)
_REPLY_BODY_RE = re.compile(r"(?:回复|答复)(?:内容|意见)\s*[:：]\s*\S")
# 智能预答复: a machine's instant "pre-reply" (links to similar answers) stamped when the letter
# is sent; its 预答复时间 is not the office's reply (龙讯 lonsun 信箱 pages show both).
_PRE_REPLY_RE = re.compile(r"预(?:答复|回复)")
_SPACES_RE = re.compile(r"\s+")
# Header cells of a message table, by role (the reply time before the generic 时间).
_HEAD_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("status", re.compile(r"状态|是否")),  # 回复状态 is a state, not a reply date
    ("answered", re.compile(r"回复|答复|办结|反馈")),
    ("title", re.compile(r"标题|主题|事项|内容|信件|留言$")),
    ("asked", re.compile(r"时间|日期")),
)
_TEST_RE = re.compile(r"^\s*(?:测试|test)", re.I)
_CELL_TAGS = frozenset({"p", "span", "div"})  # a header row's cells, drawn without <li>
_NEXT_RE = re.compile(r"^\s*(?:下一页|下页|后一页|>|›|»)\s*$")


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One message as the site shows it; ``state`` is answered | open | unknown."""

    title: str
    url: str
    asked_on: date | None
    answered_on: date | None = None
    state: str = UNKNOWN
    status_text: str = ""  # the words the page used (已回复, 办理中 …)
    valid: bool = True  # False: an obvious test entry (not 有效信件)
    from_page: bool = False  # something came from the message page, not the list

    @property
    def answered(self) -> bool:
        return self.state == ANSWERED or self.answered_on is not None


@dataclass(frozen=True, slots=True)
class MessagePage:
    """What one message page says about its own dates and state."""

    asked_on: date | None
    answered_on: date | None
    state: str
    status_text: str


@dataclass(slots=True)
class MessageRead:
    """A consult column read: did it open, and the messages of its list pages."""

    url: str
    ok: bool
    error: str = ""
    status_code: int | None = None
    messages: list[MessageRecord] = field(default_factory=list)
    list_pages: int = 0
    opened: int = 0  # message pages opened to complete the list


def message_state(text: str) -> tuple[str, str]:
    """(state, status words) from a status cell or a page's text; open words win on a tie."""
    labelled = _STATUS_LABEL_RE.search(text)
    probe = labelled.group(1) if labelled else text
    for src in (probe, text):
        open_ = _OPEN_RE.search(src)
        done = _ANSWERED_RE.search(src)
        if open_ and (not done or open_.start() <= done.start()):
            return OPEN, open_.group(0)
        if done:
            return ANSWERED, done.group(0)
    return UNKNOWN, ""


def _dates(text: str, as_of: date) -> tuple[date | None, date | None]:
    """(asked, answered) from labelled dates; an unlabelled date is the asked one."""
    asked: date | None = None
    answered: date | None = None
    loose: list[DateMatch] = []
    for m in find_dates(text):
        if m.decoy:
            continue
        # The ten characters before the date once runs of spaces are one: a CMS may indent the
        # date on its own line under its label (答复时间：\n<60 spaces>2025-12-22).
        before = _SPACES_RE.sub(" ", text[max(0, m.start - 120) : m.start])[-10:]
        day = m.to_date(as_of)
        if day is None or day > as_of or _PRE_REPLY_RE.search(before):
            continue
        if _REPLY_WORDS_RE.search(before):
            answered = answered or day
        elif _ASK_WORDS_RE.search(before):
            asked = asked or day
        else:
            loose.append(m)
    if asked is None and loose:
        asked = loose[0].to_date(as_of)
    return asked, answered


def _valid(title: str) -> bool:
    return not _TEST_RE.search(title)


def _header_roles(cells: list[str]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for i, cell in enumerate(cells):
        text = re.sub(r"\s+", "", cell)
        if not text or len(text) > 8:
            continue
        for role, pattern in _HEAD_ROLES:
            if pattern.search(text) and role not in roles.values():
                roles[i] = role
                break
    return roles


def _message_header(roles: dict[int, str]) -> bool:
    """A header of messages names when they were asked or answered, and their state or answer."""
    named = set(roles.values())
    return bool(named & {"asked", "answered"}) and bool(named & {"status", "answered"})


def _from_tables(tree: LexborHTMLParser, base: str, as_of: date) -> list[MessageRecord]:
    """Tables whose header names the dates or the state: the common 信箱 layout."""
    out: list[MessageRecord] = []
    for table in tree.css("table"):
        rows = [r for r in table.css("tr") if _own_table(r, table)]
        if len(rows) < 2:
            continue
        head = [c.text(strip=True) for c in rows[0].css("th, td")]
        roles = _header_roles(head)
        if not _message_header(roles):
            continue
        for row in rows[1:]:
            cells = [c for c in row.css("td, th") if _own_row(c, row)]
            links = [a for a in row.css("a[href]") if not skip_href(a.attrs.get("href") or "")]
            if links and len(cells) >= 2:
                out.append(_row_record(cells, links, roles, base, as_of))
    return out


def _children(node: LexborNode, tag: str) -> list[LexborNode]:
    return [child for child in node.iter() if child.tag == tag]


def _from_list_rows(tree: LexborHTMLParser, base: str, as_of: date) -> list[MessageRecord]:
    """A table drawn with lists: a header list (留言时间 | 办理状态 | … | 信件标题) followed by
    sibling lists, one per message, whose ``<li>`` cells line up with the header's.

    龙讯 (lonsun) 信箱 pages write each letter as ``<ul class="odd"><li>2025-12-21</li>
    <li>已回复</li>…<li><a>title</a></li></ul>``: the title link's own ``<li>`` holds neither the
    date nor the state, so reading the link's entry finds no date and no state.
    """
    out: list[MessageRecord] = []
    for head in tree.css("ul, ol"):
        cells = _children(head, "li")
        if len(cells) < 2 or head.css_first("a[href]") is not None:
            continue
        roles = _header_roles([c.text(strip=True) for c in cells])
        if not _message_header(roles):
            continue
        row = head.next
        while row is not None:
            if row.tag == head.tag:
                row_cells = _children(row, "li")
                links = [a for a in row.css("a[href]") if not skip_href(a.attrs.get("href") or "")]
                if len(row_cells) == len(cells) and links:
                    out.append(_row_record(row_cells, links, roles, base, as_of))
            elif row.tag not in ("-text", "-comment", "script"):
                break  # the rows end where something else begins (a pager, a script's output)
            row = row.next
    return out


def _from_cell_rows(tree: LexborHTMLParser, base: str, as_of: date) -> list[MessageRecord]:
    """A header list of one ``<li>`` whose cells are its children, then a list with one
    ``<li>`` per message whose cells line up with the header's.

    龙讯 (lonsun) 互动交流 channel pages write each mailbox so: ``<ul class="head"><li>
    <p>留言时间</p><p>办理状态</p>…<p>信件标题</p></li></ul><ul class="list"><li><p>2025-12-21</p>
    <p>已回复</p>…<p><a>title</a></p></li>…</ul>``. Read by link entries instead, the letters have
    no date or state of their own, and the page's other dated blocks (民意征集, 在线访谈) pass for
    its messages.
    """
    out: list[MessageRecord] = []
    for head in tree.css("ul, ol"):
        entries = _children(head, "li")
        if len(entries) != 1 or head.css_first("a[href]") is not None:
            continue
        cells = [c for c in entries[0].iter() if c.tag in _CELL_TAGS]
        if len(cells) < 2:
            continue
        roles = _header_roles([c.text(strip=True) for c in cells])
        if not _message_header(roles):
            continue
        body = head.next
        while body is not None and body.tag in ("-text", "-comment"):
            body = body.next
        if body is None or body.tag != head.tag:
            continue
        shape = [c.tag for c in cells]
        for row in _children(body, "li"):
            row_cells = [c for c in row.iter() if c.tag in _CELL_TAGS]
            links = [a for a in row.css("a[href]") if not skip_href(a.attrs.get("href") or "")]
            if [c.tag for c in row_cells] == shape and links:
                out.append(_row_record(row_cells, links, roles, base, as_of))
    return out


def structured_messages(
    content: str | LexborHTMLParser, url: str, *, as_of: date
) -> list[MessageRecord]:
    """Messages laid out under a header that names their dates or state (tables, or tables
    drawn with lists), in page order; empty when the page has no such layout."""
    tree = content if isinstance(content, LexborHTMLParser) else LexborHTMLParser(content)
    base = page_base(tree, url)
    found = (
        _from_tables(tree, base, as_of)
        or _from_list_rows(tree, base, as_of)
        or _from_cell_rows(tree, base, as_of)
    )
    return _dedupe(found)


def _row_record(
    cells: list[LexborNode], links: list[LexborNode], roles: dict[int, str], base: str, as_of: date
) -> MessageRecord:
    """One message of a table (``<td>`` cells or ``<li>`` cells): the longest link is its
    title, each cell read by its header's role."""
    a = max(links, key=lambda x: len(x.text(strip=True)))
    title = collapse_space(a.attrs.get("title") or a.text()) or collapse_space(a.text())
    href = (a.attrs.get("href") or "").strip()
    url = join_href(base, href) or href[:MAX_URL_LENGTH]
    asked = answered = None
    state, words = UNKNOWN, ""
    for i, cell in enumerate(cells):
        role = roles.get(i)
        text = cell.text(separator=" ", strip=True)
        if role == "asked":
            asked = _first(text, as_of)
        elif role == "answered":
            answered = _first(text, as_of)
        elif role == "status":
            state, words = message_state(text)
    if answered is not None and state == UNKNOWN:
        state = ANSWERED
    return MessageRecord(title, url, asked, answered, state, words, valid=_valid(title))


def _own_table(row: LexborNode, table: LexborNode) -> bool:
    node = row.parent
    while node is not None and node.tag != "table":
        node = node.parent
    return node is not None and node.mem_id == table.mem_id


def _own_row(cell: LexborNode, row: LexborNode) -> bool:
    return cell.parent is not None and cell.parent.mem_id == row.mem_id


def _first(text: str, as_of: date) -> date | None:
    for m in find_dates(text):
        if not m.decoy:
            day = m.to_date(as_of)
            if day is not None and day <= as_of:
                return day
    return None


def _entry_of(a: LexborNode) -> LexborNode:
    """The smallest ancestor of a title link that holds the entry's other facts."""
    node = a
    for _ in range(4):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html", "table", "tbody", "ul", "ol"):
            break
        node = parent
        if node.tag in ("li", "tr", "dl"):
            break
    return node


def _from_entries(nodes: Sequence[LexborNode], base: str, as_of: date) -> list[MessageRecord]:
    out: list[MessageRecord] = []
    for node in nodes:
        links = [a for a in node.css("a[href]") if not skip_href(a.attrs.get("href") or "")]
        if node.tag == "a":
            links.insert(0, node)
        if not links:
            continue
        a = max(links, key=lambda x: len(x.text(strip=True)))
        title = collapse_space(a.attrs.get("title") or "") or collapse_space(a.text())
        text = node.text(separator="\n", strip=True)
        asked, answered = _dates(text, as_of)
        state, words = message_state(text)
        if answered is not None and state == UNKNOWN:
            state = ANSWERED
        href = (a.attrs.get("href") or "").strip()
        url = join_href(base, href) or href[:MAX_URL_LENGTH]
        out.append(MessageRecord(title, url, asked, answered, state, words, valid=_valid(title)))
    return out


def read_message_list(
    content: str | LexborHTMLParser, url: str, *, as_of: date, selector: str | None = None
) -> list[MessageRecord]:
    """The messages of one list page, in page order; ``selector`` picks the entries."""
    tree = content if isinstance(content, LexborHTMLParser) else LexborHTMLParser(content)
    base = page_base(tree, url)
    if selector:
        return _dedupe(_from_entries(tree.css(selector), base, as_of))
    found = structured_messages(tree, url, as_of=as_of)
    if found:
        return found
    items = main_list(tree, base, as_of=as_of)
    wanted = {it.url for it in items}
    regions = Regions()
    nodes: list[LexborNode] = []
    seen: set[int] = set()
    for a in tree.css("a[href]"):
        href = (a.attrs.get("href") or "").strip()
        if skip_href(href) or join_href(base, href) not in wanted or regions.penalised(a):
            continue
        entry = _entry_of(a)
        if entry.mem_id not in seen:
            seen.add(entry.mem_id)
            nodes.append(entry)
    return _dedupe(_from_entries(nodes, base, as_of))


def _dedupe(records: list[MessageRecord]) -> list[MessageRecord]:
    seen: dict[str, MessageRecord] = {}
    for r in records:
        seen.setdefault(r.url, r)
    return list(seen.values())


def read_message_page(content: str, url: str, *, as_of: date) -> MessagePage:
    """Asked and reply dates and the state one message page shows."""
    text = visible_text(content)
    asked, answered = _dates(text, as_of)
    state, words = message_state(text)
    if state == UNKNOWN and (answered is not None or _REPLY_BODY_RE.search(text)):
        state = ANSWERED
    return MessagePage(asked, answered, state, words)


def _next_page(tree: LexborHTMLParser, base: str) -> str | None:
    for a in tree.css("a[href]"):
        href = (a.attrs.get("href") or "").strip()
        if not skip_href(href) and _NEXT_RE.match(a.text(strip=True)):
            return join_href(base, href)
    return None


def _needs_page(m: MessageRecord, since: date) -> bool:
    if m.asked_on is not None and m.asked_on < since:
        return False
    return m.asked_on is None or m.state == UNKNOWN or (m.answered and m.answered_on is None)


def _merge(m: MessageRecord, page: MessagePage) -> MessageRecord:
    state = m.state if m.state != UNKNOWN else page.state
    if m.state == ANSWERED or page.state == ANSWERED or page.answered_on:
        state = ANSWERED if (m.state != OPEN or page.answered_on) else state
    return replace(
        m,
        asked_on=m.asked_on or page.asked_on,
        answered_on=m.answered_on or page.answered_on,
        state=state,
        status_text=m.status_text or page.status_text,
        from_page=True,
    )


async def _get(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    limiter: HostLimiter | None,
) -> Fetched:
    return await fetch(client, url, deadline=deadline, max_bytes=max_bytes, limiter=limiter)


async def read_messages(
    client: httpx.AsyncClient,
    url: str,
    *,
    as_of: date,
    selector: str | None = None,
    limiter: HostLimiter | None = None,
    deadline: float = 15.0,
    max_bytes: int = 5_000_000,
    lookback_days: int = 366,
    max_list_pages: int = 10,
    max_open: int = 60,
) -> MessageRead:
    """Read a consult column: its list pages (newest first), then message pages as needed.

    Paging stops once a whole page is older than the look-back window; messages asked before
    the window cannot affect either rule, so their pages are never opened.
    """
    since = as_of - timedelta(days=lookback_days)
    read = MessageRead(url=url, ok=False)
    page_url: str | None = url
    seen_pages: set[str] = set()
    messages: dict[str, MessageRecord] = {}
    while page_url and page_url not in seen_pages and read.list_pages < max_list_pages:
        seen_pages.add(page_url)
        try:
            got = await _get(
                client, page_url, deadline=deadline, max_bytes=max_bytes, limiter=limiter
            )
        except FetchFailed as exc:
            if read.list_pages == 0:
                read.error = exc.kind
                return read
            break
        if got.status >= 400 or not got.content.strip():
            if read.list_pages == 0:
                read.status_code = got.status
                read.error = "http_status" if got.status >= 400 else "empty"
                return read
            break
        if read.list_pages == 0:
            read.ok, read.status_code = True, got.status
        read.list_pages += 1
        html, _ = got.text()
        tree = LexborHTMLParser(html)
        base = page_base(tree, got.final_url)
        found = read_message_list(tree, got.final_url, as_of=as_of, selector=selector)
        for m in found:
            messages.setdefault(m.url, m)
        dated = [m.asked_on for m in found if m.asked_on is not None]
        if not found or (dated and max(dated) < since):
            break
        page_url = _next_page(tree, base)
    todo = [m for m in messages.values() if _needs_page(m, since)][:max_open]

    async def complete(m: MessageRecord) -> None:
        try:
            got = await _get(client, m.url, deadline=deadline, max_bytes=max_bytes, limiter=limiter)
        except FetchFailed:
            return
        if got.status >= 400:
            return
        html, _ = got.text()
        messages[m.url] = _merge(m, read_message_page(html, m.url, as_of=as_of))
        read.opened += 1

    await asyncio.gather(*(complete(m) for m in todo))
    read.messages = list(messages.values())
    return read
