"""Finding a page's main list (or a homepage's column blocks) and reading its items.

No per-site code: government CMSs (TRS, 开普云, home-grown ones) all print a column as a
*container* whose direct children (``li``, ``tr``, ``dd``, ``div`` cards, bare ``a``) each hold
one title link and usually a date. The reader starts from the links (one C-level CSS query),
climbs a few levels from each, and groups the climbs by container; a group is a candidate list.
Candidates are scored by how many entries they have, how long their titles are (navigation and
footer links are 2–6 characters, titles 10–40) and how many entries carry a date; containers
inside navigation, header, footer, breadcrumb, pagination or "related" regions (by tag or by
id/class token) are heavily penalised. The best candidate, merged with same-shaped siblings
(TRS splits long lists into several ``<ul>`` of five), is the page's main list.

An entry's date is a date that stands alone in one of the entry's text nodes (``<span>``,
``<td>``) or ends one; a date in the middle of a title is the subject of the news, not its
publication date, and is ignored. Year-less dates are resolved once per list (after TRS's split
``<ul>`` are merged), by `probes.dates.resolve_list_dates`: the list's order, the entries' URLs
and pinned (置顶) markers give the years a single ``[11-02]`` cannot.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise

from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.dates import DateMatch, find_dates, resolve_list_dates, slash_day_first
from scanner.http.urls import MAX_URL_LENGTH, forget_joins, join_href

__all__ = [
    "Item",
    "ListBlock",
    "RawEntry",
    "find_lists",
    "forget_memos",
    "homepage_blocks",
    "main_list",
    "page_base",
    "page_day_first",
    "parse_html",
    "read_homepage",
    "read_list",
    "resolve_entries",
    "skip_href",
    "visible_text",
]

_MAX_UP = 5  # how far above a link its entry's container may be
_MAX_LINKS_PER_ENTRY = 3  # title + column tag + attachment; more is a block, not an entry
_LIST_TAGS = frozenset({"ul", "ol", "tbody", "table", "dl"})
_INLINE_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "span", "font", "strong", "em", "b", "p", "li", "dt", "dd"}
)
_STOP_TAGS = frozenset({"body", "html", "-document"})
_PENALTY_TAGS = frozenset({"nav", "header", "footer", "aside"})
# id/class tokens of regions whose links are not column entries ("page" alone is too common
# in main-list class names such as "page-list" to count).
_PENALTY_TOKENS = frozenset(
    """nav navbar navigation menu mainnav topnav subnav footer foot bottom copyright banquan
    header head top topbar banner logo breadcrumb crumb crumbs position location weizhi dqwz
    side sidebar aside related relate xglj xgwz xgxx xgwj yqlj friendlink friendlinks links
    share fenxiang pager paging pagination fenye pagebar search login tool tools""".split()  # noqa: SIM905
)
_PENALTY_PREFIXES = (
    "nav", "menu", "foot", "copyright", "breadcrumb", "sidebar", "related", "friend", "pagin",
)  # fmt: skip
_PENALTY_SUFFIXES = ("nav", "menu", "footer", "crumb", "sidebar")
_TOKEN_SPLIT_RE = re.compile(r"[\s_\-]+")
# Every penalty token, prefix and suffix contains one of these: names without any are content.
_PENALTY_NEEDLES = _PENALTY_TOKENS | set(_PENALTY_PREFIXES) | set(_PENALTY_SUFFIXES)
_PENALTY_NEEDLE_RE = re.compile(
    "|".join(
        sorted(n for n in _PENALTY_NEEDLES if not any(m != n and m in n for m in _PENALTY_NEEDLES))
    )
)
# Every element `Regions.own` can mark (and the stop tags, which end an ancestor walk).
_REGION_SELECTOR = ", ".join(sorted(_PENALTY_TAGS | _STOP_TAGS - {"-document"})) + ", [id], [class]"
# A class naming the pane under a tab menu ("work_menu_list") is content, not the menu itself.
#: Entries, all dated, that make a block inside a navigation-named region a homepage column.
HOMEPAGE_DATED_IN_NAV = 5
_TAB_PANE_TAILS = frozenset({"list", "lists", "con", "cont", "content", "box", "bd"})
# "search" names a search box, but beside one of these a search *result* (TRS WAS5's
# search-title-text, search-result-item): content, the list a site-search page exists to show.
_SEARCH_RESULT_TOKENS = frozenset({"result", "results", "res", "title", "item", "items"})
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:")
# What is left of a text node once its date is taken out, for a "date-only" node.
_RANGE_JOIN_RE = re.compile(r"\s*(?:至|到|~|～|—|－|-)\s*")
_DATE_NOISE_RE = re.compile(
    r"[\s\[\]【】()（）〔〕<>《》:：|｜/\-—·.,，]|发布|更新|成文|时间|日期|发文|来源|浏览|次数"
)
# A box's "more" link (更多>>, MORE+, 查看更多) closes many lists as one more <li>: it leads to
# the column, it is not an entry of it.
_MORE_MARKS = r"[\s>»›〉》+＋\-…·.]*"
_MORE_RE = re.compile(
    rf"^{_MORE_MARKS}(?:查看)?(?:更多|more)(?:内容|信息|新闻|\.\.\.)?{_MORE_MARKS}$", re.I
)


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a list: what the census counts as an update when it has a date."""

    title: str
    url: str
    date: date | None

    def as_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "url": self.url,
            "date": self.date.isoformat() if self.date else None,
        }


@dataclass(slots=True)
class _Entry:
    node: LexborNode
    links: list[LexborNode]
    order: int  # document index of its first link
    tag: str  # node.tag, read once


@dataclass(frozen=True, slots=True)
class RawEntry:
    """An entry as read, before URLs are resolved and year-less dates get their year."""

    title: str
    href: str  # as written
    match: DateMatch | None
    node: LexborNode | None = None  # for the pinned (置顶) marker, looked at only when needed


@dataclass(slots=True)
class ListBlock:
    """A candidate list: a container and its entries, scored.

    Entry URLs and year-less dates stay unresolved until `items` is read: resolving every
    candidate's links (navigation included) costs a quarter of the reader's time.
    """

    container: LexborNode
    parent_id: int
    signature: tuple[str, str, str]
    order: int
    raw: list[RawEntry]
    base: str
    link_ids: frozenset[int]
    penalised: bool
    as_of: date
    score: float = 0.0
    dated: int = 0
    avg_title: float = 0.0

    @property
    def items(self) -> list[Item]:
        return resolve_entries(self.raw, self.base, as_of=self.as_of)


# A pinned entry's marker: 置顶 in its text, or an icon/class named so (top.gif, class="zd").
_PIN_TOKEN_RE = re.compile(
    r"置顶|(?:^|[^a-z])(?:top|zd|zhiding|istop|sticky|stick|ding)(?:[^a-z]|$)", re.I
)


def _marked_pinned(node: LexborNode | None) -> bool:
    if node is None:
        return False
    if "置顶" in (node.text(deep=True) or ""):
        return True
    for el in node.css("img, [class]"):
        attrs = el.attrs
        for key in ("alt", "title", "src", "class"):
            value = attrs.get(key)
            if value and _PIN_TOKEN_RE.search(value.rsplit("/", 1)[-1]):
                return True
    return False


def resolve_entries(raw: list[RawEntry], base: str, *, as_of: date) -> list[Item]:
    """Items of one list: absolute URLs, and every date resolved with the list as context."""
    matches = [e.match for e in raw]
    pinned: list[bool] | None = None
    if any(m is not None and m.year is None for m in matches):
        pinned = [e.match is not None and _marked_pinned(e.node) for e in raw[:5]]
        pinned += [False] * (len(raw) - len(pinned))
        days = resolve_list_dates(matches, as_of=as_of, urls=[e.href for e in raw], pinned=pinned)
    else:
        days = [date(m.year, m.month, m.day) if m and m.year else None for m in matches]
    # An entry whose href cannot be a URL still shows its date: kept, with the href as written.
    return [
        Item(e.title, join_href(base, e.href) or e.href[:MAX_URL_LENGTH], d)
        for e, d in zip(raw, days, strict=True)
    ]


def parse_html(content: str | bytes) -> LexborHTMLParser:
    """Parse with lexbor (the modest backend is gone from selectolax ≥ 1.0)."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return LexborHTMLParser(content)


def page_base(tree: LexborHTMLParser, url: str, html: str | None = None) -> str:
    """The URL relative links resolve against: ``<base href>`` when present, else the page's.

    ``html``, the markup ``tree`` was parsed from, spares the search of the whole tree (a
    tenth of the crawl's parse-and-links time) on pages whose source has no ``<base`` tag:
    the parser makes a base element only from one.
    """
    if html is not None and _BASE_TAG_RE.search(html) is None:
        return url
    base = tree.css_first("base[href]")
    if base is not None:
        href = (base.attrs.get("href") or "").strip()
        if href:
            return join_href(url, href) or url
    return url


# A start tag's name ends at whitespace, "/" or ">"; tag names are ASCII case-insensitive.
_BASE_TAG_RE = re.compile(r"<base[\t\n\f\r /]|<base>|<base$", re.IGNORECASE)


def skip_href(href: str) -> bool:
    """Links that lead nowhere fetchable: scripts, mail, phone, a bare '#'."""
    if not href or href == "#":
        return True
    return href[:11].lower().startswith(_SKIP_SCHEMES)


def collapse_space(text: str | None) -> str:
    # str.split() splits on exactly the characters \s matches: the same as re.sub(r"\s+", " ")
    # and strip(), at a third of the cost.
    return " ".join(text.split()) if text else ""


@lru_cache(maxsize=4096)
def _names_penalised(raw: str) -> bool:
    """Whether an element's id and class words name a non-content region (a site repeats the
    same few dozen strings on every page: they are remembered)."""
    lowered = raw.lower()
    if _PENALTY_NEEDLE_RE.search(lowered) is None:
        return False  # no penalty token, prefix or suffix anywhere in the names
    for word in lowered.split():
        tokens = [t for t in _TOKEN_SPLIT_RE.split(word) if t]
        if len(tokens) > 1 and tokens[-1] in _TAB_PANE_TAILS and tokens[-2] == "menu":
            continue  # work_menu_list, mail_menu_con: the pane a tab menu switches
        for token in tokens:
            if token == "search" and not _SEARCH_RESULT_TOKENS.isdisjoint(tokens):
                continue
            if token in _PENALTY_TOKENS:
                return True
            if token.startswith(_PENALTY_PREFIXES) or token.endswith(_PENALTY_SUFFIXES):
                return True
    return False


def forget_memos() -> None:
    """Empty the reader's memos (URL joins, region names): a bench measuring cold reads
    starts every page without them."""
    forget_joins()
    _names_penalised.cache_clear()


def visible_text(content: str | LexborHTMLParser) -> str:
    """Text outside scripts and outside navigation/header/footer regions, one text node a line:
    what a reader of the page sees as its content (the article date scan, the wrong-words and
    message checks all read this one text)."""
    tree = content if isinstance(content, LexborHTMLParser) else LexborHTMLParser(content)
    tree.strip_tags(["script", "style", "noscript", "template"])
    body = tree.body
    if body is None:
        return ""
    regions = Regions()
    parts = regions.text_parts(body)
    if parts is None:  # regions the CSS query cannot find: every text node's ancestors
        parts = []
        for node in body.traverse(include_text=True):
            if node.tag != "-text":
                continue
            text = node.text(deep=False, strip=True)
            if text and not regions.penalised(node.parent):
                parts.append(text)
    return "\n".join(parts)


class Regions:
    """Memoised "is this node inside navigation/header/footer/sidebar?" by ancestor walk."""

    def __init__(self, stop: int | None = None) -> None:
        self._memo: dict[int, bool] = {}
        self._own_memo: dict[int, bool] = {}
        self._stop = stop  # a container the site's config chose: trusted, not looked above

    def own(self, node: LexborNode) -> bool:
        """The node itself (not its ancestors) marks a non-content region."""
        key = node.mem_id
        found = self._own_memo.get(key)
        if found is None:
            found = self._own_memo[key] = self._own(node)
        return found

    @staticmethod
    def _own(node: LexborNode) -> bool:
        if node.tag in _PENALTY_TAGS:
            return True
        ident, cls = node.id, node.attrs.get("class")  # node.id: no KeyError when absent
        raw = f"{ident} {cls}" if ident and cls else ident or cls
        return _names_penalised(raw) if raw else False

    def text_parts(self, root: LexborNode) -> list[str] | None:
        """The stripped, non-empty text nodes below ``root`` that are not `penalised`, in page
        order — found from the regions down (one CSS query; the text of every subtree without
        a region in it read in one call) rather than by an ancestor walk from every text node.

        None when the regions cannot be found that way: a stop tag below ``root`` (an ``html``
        or ``body`` element inside ``<svg>``) ends an ancestor walk early, or a stop node is set.
        """
        if self._stop is not None:
            return None
        root_id = root.mem_id
        regions: list[LexborNode] = []
        for node in root.css(_REGION_SELECTOR):
            if node.mem_id == root_id:
                continue  # css() includes the node it starts from
            if node.tag in _STOP_TAGS:
                return None
            if self.own(node):
                regions.append(node)
        parts: list[str] = []
        if not regions:
            _subtree_parts(root, parts)
            return parts
        # The ancestors of the regions are read child by child, the regions skipped, and every
        # other subtree read whole.
        hidden = {node.mem_id for node in regions}
        on_path = {root_id}
        for node in regions:
            parent = node.parent
            while parent is not None and parent.mem_id not in on_path:
                on_path.add(parent.mem_id)
                parent = parent.parent
        stack = [root.iter(include_text=True)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            key = child.mem_id
            if key in hidden:
                continue
            if key in on_path:
                stack.append(child.iter(include_text=True))
            elif child.is_text_node:
                text = child.text(deep=False, strip=True)
                if text:
                    parts.append(text)
            elif child.is_element_node:
                _subtree_parts(child, parts)
        return parts

    def penalised(self, node: LexborNode | None) -> bool:
        chain: list[int] = []
        result = False
        while node is not None and node.tag not in _STOP_TAGS:
            key = node.mem_id
            if key == self._stop:
                break
            if key in self._memo:
                result = self._memo[key]
                break
            chain.append(key)
            if self.own(node):
                result = True
                break
            node = node.parent
        for key in chain:
            self._memo[key] = result
        return result


def _subtree_parts(node: LexborNode, parts: list[str]) -> None:
    """Append the stripped, non-empty text nodes below ``node``, in order, read in one call.

    Lexbor never leaves U+0000 in a text node (the parser drops it or writes U+FFFD; pinned by
    tests/probes/test_page.py), so it can separate them.
    """
    parts.extend(p for p in node.text(separator="\x00", strip=True).split("\x00") if p)


def _link_title(a: LexborNode, day_first: bool = False) -> str:
    """Visible link text without date-only pieces; the title attribute when it is fuller."""
    parts = [p for p in a.text(separator="\n", strip=True).split("\n") if p]
    if len(parts) > 1:
        parts = [p for p in parts if not _date_only(p, day_first)]
    text = collapse_space("".join(parts))
    attr = collapse_space(a.attrs.get("title"))
    if attr and (len(attr) >= len(text) or text.endswith(("...", "…", ".."))):
        return attr
    if not text:
        img = a.css_first("img")
        if img is not None:
            return collapse_space(img.attrs.get("alt") or img.attrs.get("title"))
    return text


def _date_only(segment: str, day_first: bool = False) -> bool:
    matches = find_dates(segment, day_first=day_first)
    if len(matches) != 1:
        return False
    m = matches[0]
    rest = segment[: m.start] + segment[m.end :]
    return len(_DATE_NOISE_RE.sub("", rest)) <= 2


def _entry_date(text: str, day_first: bool = False) -> DateMatch | None:
    """The entry's own date: a labelled one (发布时间：) first, then one alone in a text node,
    else one ending a text node; never mid-title.

    ``day_first``: the page reads ``05/08/2016`` as 5 August (`probes.dates.slash_day_first`).
    """
    alone: DateMatch | None = None
    trailing: DateMatch | None = None
    near: DateMatch | None = None
    for segment in text.split("\n"):
        if segment:
            found = find_dates(segment, day_first=day_first)
            for first, last in pairwise(found):
                # A range (征集时间：2025-10-22 至 2025-11-21) dates its row by its start, the day
                # the consultation opened; the end is a deadline, maybe still ahead.
                between = segment[first.end : last.start]
                around = segment[: first.start] + segment[last.end :]
                if (
                    alone is None
                    and not first.decoy
                    and _RANGE_JOIN_RE.fullmatch(between)
                    and (len(_DATE_NOISE_RE.sub("", around)) <= 2 or first.labelled)
                ):
                    return first
            for m in found:
                if m.decoy:
                    continue
                if m.labelled:
                    return m
                rest = len(_DATE_NOISE_RE.sub("", segment[: m.start] + segment[m.end :]))
                if rest == 0:
                    # Alone in its text node, but a labelled date further on still wins: a
                    # search result's highlighted title (4月21日<em>疫情</em>防控…) splits into
                    # text nodes, and its leading 4月21日 is the subject, not the 发布时间.
                    if alone is None:
                        alone = m
                    continue
                if rest <= 2 and near is None:
                    # Two characters beside a date may be a title (柘城's "2018-07-03新闻",
                    # a broadcast's day, over the row's own 07-06 cell): only a fallback.
                    near = m
                tail = _DATE_NOISE_RE.sub("", segment[m.end :])
                if trailing is None and not tail:
                    trailing = m
    return alone or near or trailing


def _entry_text(entry: LexborNode) -> str:
    if entry.tag != "a":
        return entry.text(separator="\n", strip=True)
    # A bare <a> entry: its date sits in the following siblings, up to the next link.
    parts = [entry.text(separator="\n", strip=True)]
    node = entry.next
    for _ in range(6):
        if node is None or node.tag in ("a", "br", "li", "p", "div"):
            break
        parts.append(node.text(separator="\n", strip=True))
        node = node.next
    return "\n".join(p for p in parts if p)


def _run_date(entry: LexborNode, day_first: bool = False) -> DateMatch | None:
    """The date shown by itself in a link-less sibling after an entry, before the next entry.

    Some search templates do not wrap a result: TRS WAS5's result is a run of siblings —
    ``<p class="title"><a>…</a></p><p class="extract">…</p><span>时间：2020-04-21</span>`` —
    so an undated entry's date may sit after it. Only a sibling that is a date and nothing else
    (a label at most) counts: the extract quotes other days (报送时间 2020年4月21日 至 4月27日).
    """
    tag, cls = entry.tag, entry.attrs.get("class")
    node = entry.next
    for _ in range(6):
        if node is None:
            break
        if node.is_element_node:
            if node.tag == tag and node.attrs.get("class") == cls:
                break
            if node.tag == "a" or node.css_first("a[href]") is not None:
                break
        text = node.text(separator=" ", strip=True)
        if text and len(text) <= 40 and _date_only(text, day_first):
            return _entry_date(text, day_first)
        node = node.next
    return None


def _without_lead_cards(raw: list[RawEntry]) -> list[RawEntry]:
    """A dated list without its undated lead stories (a picture card, a headline with a summary).

    News columns open with a featured card inside the same ``<ul>`` as the dated entries: it
    has its own class, or a picture or summary paragraph the dated entries lack, and no date.
    An undated entry shaped like the dated ones stays: it is a row whose date is missing.
    """
    shapes = {_shape(e.node) for e in raw if e.match is not None and e.node is not None}
    kept = []
    for e in raw:
        if e.match is None and e.node is not None and _shape(e.node) not in shapes:
            continue
        kept.append(e)
    return kept


def _shape(node: LexborNode) -> tuple[str, bool, bool]:
    """An entry's class and whether it holds a picture and a paragraph."""
    return (
        node.attrs.get("class") or "",
        node.css_first("img") is not None,
        node.css_first("p") is not None,
    )


def _action_texts(titles: list[list[tuple[str, LexborNode]]]) -> frozenset[str]:
    """Link texts that recur in the entries of one block beside another link: an action each
    entry offers (a search result's 页库存档 cache link, 下载, 详细), not its title.

    The title is otherwise the entry's longest link text, and a two-character title (缉毒) lost
    to the action's four. Counted over entries with more than one link, when at least three
    have one; a text is an action when at least three entries and half of all entries show it.
    """
    multi = [pairs for pairs in titles if len(pairs) > 1]
    if len(multi) < 3:
        return frozenset()
    counts = Counter(t for pairs in multi for t in {t for t, _ in pairs if t})
    return frozenset(t for t, n in counts.items() if n >= 3 and n * 2 >= len(titles))


def _build_block(
    container: LexborNode,
    container_tag: str,
    entries: list[_Entry],
    base: str,
    as_of: date,
    regions: Regions,
    day_first: bool = False,
) -> ListBlock | None:
    entries = [e for e in entries if len(e.links) <= _MAX_LINKS_PER_ENTRY]
    if not entries:
        return None
    if len(entries) > 1:
        entry_tag = Counter(e.tag for e in entries).most_common(1)[0][0]
        entries = [e for e in entries if e.tag == entry_tag]
    else:
        entry_tag = entries[0].tag
    if len(entries) > 1:
        # A breadcrumb or "related links" box next to the list is not one of its entries.
        entries = [e for e in entries if not regions.own(e.node)]
        if not entries:
            return None
    single = len(entries) == 1 and container_tag not in _LIST_TAGS
    if single:
        # Most single-entry groups are a link's own wrappers (li > a, h3 > a): drop them cheaply;
        # a lone entry only counts when it shows its own date (a column with one item).
        if entry_tag == "a" or container_tag in _INLINE_TAGS:
            return None
        if _entry_date(_entry_text(entries[0].node), day_first) is None:
            return None
    raw: list[RawEntry] = []
    link_ids: set[int] = set()
    titles = [[(_link_title(a, day_first), a) for a in e.links] for e in entries]
    actions = _action_texts(titles)
    for e, pairs in zip(entries, titles, strict=True):
        best_title, best_link = "", None
        if actions:
            pairs = [(t, a) for t, a in pairs if t not in actions] or pairs
        for title, a in pairs:
            if len(title) > len(best_title):
                best_title, best_link = title, a
        if best_link is None:
            continue
        href = (best_link.attrs.get("href") or "").strip()
        link_ids.update(a.mem_id for a in e.links)
        match = _entry_date(_entry_text(e.node), day_first)
        if match is None and e.tag != "a":
            match = _run_date(e.node, day_first)
        raw.append(RawEntry(best_title, href, match, e.node))
    raw = [e for e in raw if not _MORE_RE.match(e.title)]
    if not raw:
        return None
    dated = sum(1 for e in raw if e.match is not None)
    if dated >= 3 and dated * 3 >= 2 * len(raw) and dated < len(raw):
        raw = _without_lead_cards(raw)
    n = len(raw)
    if single and not dated:
        return None  # one undated link in a div is a link, not a list
    avg = sum(len(e.title) for e in raw) / n
    penalised = regions.penalised(container)
    score = n * (min(avg, 20.0) / 20.0) * (0.25 + dated / n)
    if penalised:
        score *= 0.05
    parent = container.parent
    cls = container.attrs.get("class") or ""
    return ListBlock(
        container=container,
        parent_id=parent.mem_id if parent is not None else 0,
        signature=(container_tag, cls, entry_tag),
        order=entries[0].order,
        raw=raw,
        base=base,
        link_ids=frozenset(link_ids),
        penalised=penalised,
        as_of=as_of,
        score=score,
        dated=dated,
        avg_title=avg,
    )


def find_lists(
    tree: LexborHTMLParser | LexborNode,
    base: str,
    *,
    as_of: date,
    day_first: bool = False,
) -> list[ListBlock]:
    """Every candidate list under ``tree``, in page order, each scored; ``day_first`` as the
    page settles it (`probes.dates.slash_day_first`)."""
    stop = None if isinstance(tree, LexborHTMLParser) else tree.mem_id
    links = tree.css("a[href]")
    groups: dict[int, tuple[LexborNode, str, dict[int, _Entry]]] = {}
    # Links share their ancestors: each node's parent is read from lexbor once.
    parents: dict[int, tuple[LexborNode, int, str] | None] = {}
    for index, a in enumerate(links):
        if skip_href((a.attrs.get("href") or "").strip()):
            continue
        entry, eid, tag = a, a.mem_id, "a"
        for _ in range(_MAX_UP):
            if eid == stop:
                break
            if eid in parents:
                up = parents[eid]
            else:
                parent = entry.parent
                up = parents[eid] = (
                    None if parent is None else (parent, parent.mem_id, parent.tag or "")
                )
            if up is None:
                break
            container, cid, ctag = up
            if ctag in _STOP_TAGS:
                break
            group = groups.get(cid)
            if group is None:
                group = groups[cid] = (container, ctag, {})
            found = group[2].get(eid)
            if found is None:
                group[2][eid] = _Entry(entry, [a], index, tag)
            else:
                found.links.append(a)
            entry, eid, tag = container, cid, ctag
    regions = Regions(stop)
    blocks = []
    for container, ctag, entries in groups.values():
        block = _build_block(
            container, ctag, list(entries.values()), base, as_of, regions, day_first
        )
        if block is not None:
            blocks.append(block)
    blocks.sort(key=lambda b: b.order)
    return blocks


def main_list(
    tree: LexborHTMLParser,
    base: str,
    *,
    as_of: date,
    selector: str | None = None,
    blocks: list[ListBlock] | None = None,
    day_first: bool = False,
) -> list[Item]:
    """The page's main list: a configured selector when it matches, else the heuristic."""
    if selector:
        chosen = tree.css(selector)
        if len(chosen) == 1:
            inner = find_lists(chosen[0], base, as_of=as_of, day_first=day_first)
            return _best(inner) if inner else []
        if len(chosen) > 1:
            return _from_entries(chosen, base, as_of, day_first)
    if blocks is None:
        blocks = find_lists(tree, base, as_of=as_of, day_first=day_first)
    return _best(blocks)


def _best(blocks: list[ListBlock]) -> list[Item]:
    candidates = [b for b in blocks if b.avg_title >= 4]
    if not candidates:
        return []
    # A list inside a navigation/sidebar region only wins when nothing else qualifies, and only
    # when it is dated (menus never are).
    candidates = [b for b in candidates if not b.penalised or b.dated * 2 >= len(b.raw)]
    if not candidates:
        return []
    best = max(candidates, key=lambda b: (not b.penalised and b.score > 0.3, b.score))
    if best.score <= 0.3:
        return []
    siblings = [b for b in blocks if _same_list(best, b)]
    raw: list[RawEntry] = []
    for b in siblings:
        raw.extend(b.raw)
    return resolve_entries(raw, best.base, as_of=best.as_of)


def _wrapper(block: ListBlock) -> tuple[int, str, str] | None:
    """The node above a block's container, as (its parent's id, tag, class)."""
    parent = block.container.parent
    if parent is None or parent.parent is None or parent.tag in _STOP_TAGS:
        return None
    return parent.parent.mem_id, parent.tag or "", parent.attrs.get("class") or ""


def _same_list(best: ListBlock, other: ListBlock) -> bool:
    """Whether ``other`` continues ``best``: a same-shaped sibling container (TRS prints long
    lists as several ``<ul>`` of five), or one wrapped the same way under the same parent
    (``<div class="part"><ul>…</ul></div>`` repeated)."""
    if other.signature != best.signature:
        return False
    if other.parent_id == best.parent_id:
        return True
    if other.penalised or other.dated * 2 < len(other.raw) or best.dated * 2 < len(best.raw):
        return False
    wrapper = _wrapper(best)
    return wrapper is not None and wrapper == _wrapper(other)


def _from_entries(
    nodes: list[LexborNode], base: str, as_of: date, day_first: bool = False
) -> list[Item]:
    """Items from entries a site's config pointed at; no scoring, just reading."""
    raw: list[RawEntry] = []
    for node in nodes:
        links = [a for a in node.css("a[href]") if not skip_href(a.attrs.get("href") or "")]
        if node.tag == "a" and not skip_href(node.attrs.get("href") or ""):
            links.insert(0, node)
        if not links:
            continue
        a = max(links, key=lambda x: len(_link_title(x, day_first)))
        href = (a.attrs.get("href") or "").strip()
        title = _link_title(a, day_first)
        raw.append(RawEntry(title, href, _entry_date(_entry_text(node), day_first), node))
    return resolve_entries(raw, base, as_of=as_of)


def homepage_blocks(blocks: list[ListBlock]) -> list[ListBlock]:
    """The column blocks of a homepage: dated, titled, outside navigation and footer."""
    picked: list[ListBlock] = []
    claimed: set[int] = set()
    # A region named as navigation can still hold a column: a pane of the header's tab bar
    # (北京市人社局: the 首页 tab's 工作动态). Menus do not date their links, so a block whose
    # every entry shows a date, and enough of them, counts wherever it sits.
    eligible = [
        b
        for b in blocks
        if (not b.penalised or (b.dated == len(b.raw) and b.dated >= HOMEPAGE_DATED_IN_NAV))
        and b.dated
        and b.dated * 2 >= len(b.raw)
        and b.avg_title >= 5
    ]
    # At equal score the tighter block wins: one whose entries are whole sub-lists (one link
    # read per pane of two) scores like each pane's own list but holds twice the links.
    for b in sorted(eligible, key=lambda b: (-b.score, len(b.link_ids) / len(b.raw))):
        if b.link_ids & claimed:
            continue
        claimed |= b.link_ids
        picked.append(b)
    picked.sort(key=lambda b: b.order)
    return picked


def page_day_first(tree: LexborHTMLParser, url: str, html: str | None = None) -> bool:
    """`probes.dates.slash_day_first` for a parsed page: its markup (``html`` when the caller
    has it, else the tree's), its address and its ``<html lang>``."""
    if html is None:
        html = tree.html or ""
    root = tree.root
    lang = root.attrs.get("lang") if root is not None and root.tag == "html" else None
    return slash_day_first(html, url, lang)


def _parsed(content: str | bytes | LexborHTMLParser) -> tuple[LexborHTMLParser, str | None]:
    if isinstance(content, LexborHTMLParser):
        return content, None
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return LexborHTMLParser(content), content


def read_list(
    content: str | bytes | LexborHTMLParser,
    url: str,
    *,
    as_of: date,
    selector: str | None = None,
) -> list[Item]:
    """Items of a column list page, in page order; ``date`` is None where none is shown."""
    tree, html = _parsed(content)
    return main_list(
        tree, page_base(tree, url), as_of=as_of, selector=selector,
        day_first=page_day_first(tree, url, html),
    )  # fmt: skip


def read_homepage(
    content: str | bytes | LexborHTMLParser,
    url: str,
    *,
    as_of: date,
) -> list[Item]:
    """The dated entries of a homepage's column blocks, in page order."""
    tree, html = _parsed(content)
    day_first = page_day_first(tree, url, html)
    blocks = homepage_blocks(
        find_lists(tree, page_base(tree, url), as_of=as_of, day_first=day_first)
    )
    return [it for b in blocks for it in b.items if it.date is not None]
