"""Lists a page's scripts build: the cheap ways to read them without running any script.

Many government list pages ship no entries in their markup. Three shapes cover most of them,
from cheapest to dearest:

1. **The entries are in the page, inside a script.** 大汉 (Hanweb) jpage prints a column's first
   page as ``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…</li>]]>``;
   `expand_datastore` turns those records back into markup before the page is parsed, so the
   ordinary list reader sees them. Vue/Avalon/jQuery templates often carry the entries as an
   inline JSON array (``var list = [{"title": …, "url": …, "pubDate": …}]``) or a
   ``<script type="application/json">`` block: `inline_items` reads them.
2. **A script asks an endpoint for them.** `data_endpoints` finds the URLs a page's scripts
   request (jQuery ``$.ajax/$.get/$.post/$.getJSON``, ``fetch``, ``axios``, the jpage
   ``dataproxy.jsp``); `payload_items` reads what such an endpoint answers (JSON, or jpage's XML).
   Fetching is the caller's business (probes never build an HTTP client).
3. **Only a browser can tell.** `script_built` says when a page shows the signs of
   script-built content (an empty list container that a script fills, template placeholders,
   ``document.write``), so the caller may render it (scanner/render).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.dates import parse_date
from probes.listpage import Item, main_list, page_base, parse_html

__all__ = [
    "Endpoint",
    "data_endpoints",
    "expand_datastore",
    "inline_items",
    "pager_links",
    "payload_items",
    "script_built",
]

_DATASTORE_SCRIPT_RE = re.compile(
    r"<script\b[^>]*>\s*(<datastore>.*?</datastore>)\s*</script>", re.I | re.S
)
_RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.I | re.S)
_CST = timedelta(hours=8)

# Keys a CMS's JSON uses for an entry's title, link and date (lower-cased).
_TITLE_KEYS = ("title", "doctitle", "name", "subject", "bt", "infotitle", "articletitle", "t")
_URL_KEYS = ("url", "link", "href", "docpuburl", "puburl", "path", "linkurl", "infourl", "u")
_DATE_KEYS = (
    "pubdate", "publishdate", "publishtime", "pubtime", "docreltime", "releasetime", "reltime",
    "date", "time", "createtime", "createdate", "fbsj", "fbrq", "inputdate", "updatetime", "d",
)  # fmt: skip
_JSON_ARRAY_RE = re.compile(r"\[\s*\{")

# Scripts that request data: the first string argument / url property is the endpoint.
_REQUEST_RES = (
    re.compile(r"\$\.(?:ajax|get|post|getJSON)\s*\(\s*\{[^}]*?\burl\s*:\s*(['\"])(.+?)\1", re.S),
    re.compile(r"\$\.(?:get|post|getJSON)\s*\(\s*(['\"])(.+?)\1"),
    re.compile(r"\bfetch\s*\(\s*(['\"])(.+?)\1"),
    re.compile(r"\baxios(?:\.(?:get|post))?\s*\(\s*(['\"])(.+?)\1"),
    re.compile(r"\baxios\s*\(\s*\{[^}]*?\burl\s*:\s*(['\"])(.+?)\1", re.S),
)
_POST_RE = re.compile(r"""type\s*:\s*['"]post['"]|\$\.post\s*\(|method\s*:\s*['"]post['"]""", re.I)
_JPAGE_RE = re.compile(r"""['"]?(/module/web/jpage/dataproxy\.jsp[^'"]*)['"]?""")
_JPAGE_PARAM_RE = re.compile(
    r"""\b(columnid|unitid|webid|appid|path|permissiontype)\s*[:=]\s*['"]?([\w/]+)"""
)

# Template placeholders of client-side frameworks: the markup is filled in by a script.
_TEMPLATE_RE = re.compile(
    r"\{\{[^}]*\}\}|\bv-for=|\bms-for=|\bms-repeat|\bx-for=|\bng-repeat=|\bv-html=|:href=", re.I
)
_TEMPLATE_TOKENS = ("{{", "v-for", "ms-for", "ms-repeat", "x-for", "ng-repeat", "v-html", ":href")
_FILLED_BY_SCRIPT_RE = re.compile(
    r"document\.write|\.innerHTML\s*=|\.html\s*\(|\.append\s*\(|createPageHTML|new Vue|avalon"
)
_LIST_HINT_RE = re.compile(r"list|news|content|info|article|xxgk|tzgg|data|lb|main", re.I)
# An app shell: the whole page is drawn by a script bundle into a mount point. Fewer visible
# characters than a site's name and footer, and fewer links than any real homepage's menu.
_SHELL_MAX_TEXT = 40
_SHELL_MAX_LINKS = 2
_NOT_SHOWN = "script, style, noscript, template"
# TRS's pager call, createPageHTML(pages, current, "index", "html"): its links exist only once
# a browser runs it, yet its pages (index_1.html …) are the column's further pages.
_PAGER_RE = re.compile(
    r"createPageHTML\s*\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,"
    r"\s*['\"]([\w.-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
MAX_PAGER_PAGES = 200  # pages taken from one pager call (a column's archive can run to many)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A data URL a page's script requests, with the method and form it uses."""

    url: str
    method: str = "GET"
    form: tuple[tuple[str, str], ...] = ()


def expand_datastore(html: str) -> str:
    """The page with every jpage ``<datastore>`` script replaced by its records as markup."""
    if "<datastore>" not in html:
        return html

    def records(match: re.Match[str]) -> str:
        found = _RECORD_RE.findall(match.group(1))
        return f'<div class="jpage-records">{"".join(found)}</div>' if found else match.group(0)

    return _DATASTORE_SCRIPT_RE.sub(records, html)


def _day(value: Any) -> date | None:
    """A date from a JSON value: a date string, or epoch seconds/milliseconds (Beijing time)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        try:
            return (datetime.fromtimestamp(seconds, UTC) + _CST).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        return parse_date(value.strip()[:40])
    return None


def _first(entry: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in entry.items()}
    for key in keys:
        value = lowered.get(key)
        if value not in (None, ""):
            return value
    return None


def _entries(value: Any) -> Iterator[list[dict[str, Any]]]:
    """Every list of objects inside a JSON value (a payload often nests it under data/list)."""
    if isinstance(value, list):
        objects = [v for v in value if isinstance(v, dict)]
        if objects and len(objects) == len(value):
            yield objects
        for v in value:
            if isinstance(v, dict | list):
                yield from _entries(v)
    elif isinstance(value, dict):
        for v in value.values():
            if isinstance(v, dict | list):
                yield from _entries(v)


def _items_of(objects: list[dict[str, Any]], base: str, as_of: date) -> list[Item]:
    items = []
    for entry in objects:
        title, url = _first(entry, _TITLE_KEYS), _first(entry, _URL_KEYS)
        if not isinstance(title, str) or not isinstance(url, str) or len(title.strip()) < 4:
            continue
        when = _day(_first(entry, _DATE_KEYS))
        items.append(Item(re.sub(r"<[^>]+>", "", title).strip(), urljoin(base, url.strip()),
                          when if when is not None and when <= as_of else None))  # fmt: skip
    return items


def _best(candidates: list[list[Item]]) -> list[Item]:
    """The candidate list with the most dated entries (then the most entries)."""
    scored = [c for c in candidates if len(c) >= 2]
    if not scored:
        return []
    return max(scored, key=lambda c: (sum(1 for it in c if it.date), len(c)))


def _json_values(text: str) -> Iterator[Any]:
    """Every JSON array of objects that starts somewhere in a script's text."""
    decoder = json.JSONDecoder()
    for match in _JSON_ARRAY_RE.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        yield value


def inline_items(tree: LexborHTMLParser, url: str, *, as_of: date) -> list[Item]:
    """Entries carried as JSON inside the page's scripts (none when no script holds a list)."""
    base = page_base(tree, url)
    candidates: list[list[Item]] = []
    for text in _inline_scripts(tree):
        if "{" not in text or "[" not in text:
            continue
        for value in _json_values(text):
            candidates += [_items_of(objs, base, as_of) for objs in _entries(value)]
    return _best(candidates)


def payload_items(payload: bytes | str, url: str, *, as_of: date) -> list[Item]:
    """Entries of a data endpoint's answer: JSON (a list of objects anywhere in it), or the
    jpage XML whose records are list markup."""
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else payload
    text = text.lstrip("\ufeff").strip()
    if text.startswith(("{", "[")):
        try:
            value = json.loads(text)
        except ValueError:
            return []
        return _best([_items_of(objs, url, as_of) for objs in _entries(value)])
    records = _RECORD_RE.findall(text)
    if records:
        tree = parse_html(f"<html><body><ul>{''.join(records)}</ul></body></html>")
        return main_list(tree, url, as_of=as_of)
    return []


def data_endpoints(tree: LexborHTMLParser, url: str) -> list[Endpoint]:
    """The data URLs the page's inline scripts request, in page order, without repeats."""
    base = page_base(tree, url)
    found: list[Endpoint] = []
    for text in _inline_scripts(tree):
        jpage = _JPAGE_RE.search(text)
        if jpage:
            form = tuple((k, v) for k, v in _JPAGE_PARAM_RE.findall(text))
            found.append(Endpoint(urljoin(base, jpage.group(1)), "POST", form))
        method = "POST" if _POST_RE.search(text) else "GET"
        for pattern in _REQUEST_RES:
            for match in pattern.finditer(text):
                target = match.group(2).strip()
                if target and not target.startswith(("javascript:", "#", "data:")):
                    found.append(Endpoint(urljoin(base, target), method))
    unique: dict[str, Endpoint] = {}
    for endpoint in found:
        unique.setdefault(endpoint.url, endpoint)
    return list(unique.values())


def pager_links(tree: LexborHTMLParser, base: str) -> list[tuple[str, str]]:
    """(URL, page number) of every page a script pager writes links to, the current page left
    out, as the browser would show them: page 0 is ``index.html``, page k ``index_k.html``."""
    out: list[tuple[str, str]] = []
    for text in _inline_scripts(tree):
        if "createPageHTML" not in text:
            continue
        for match in _PAGER_RE.finditer(text):
            pages, current = int(match.group(1)), int(match.group(2))
            name, ext = match.group(3), match.group(4)
            for k in range(min(pages, MAX_PAGER_PAGES)):
                if k != current:
                    target = f"{name}.{ext}" if k == 0 else f"{name}_{k}.{ext}"
                    out.append((urljoin(base, target), str(k + 1)))
    return out


def _inline_scripts(tree: LexborHTMLParser) -> Iterator[str]:
    for script in tree.css("script"):
        if not script.attributes.get("src"):
            yield script.text(deep=True) or ""


def script_built(tree: LexborHTMLParser) -> bool:
    """Whether the page shows signs that its list is built by a script: template placeholders,
    or an empty list-like container next to a script that writes markup or requests data."""
    body = tree.body
    if body is None:
        return False
    html = body.html or ""
    if any(token in html for token in _TEMPLATE_TOKENS) and _TEMPLATE_RE.search(html):
        return True
    scripts = " ".join(_inline_scripts(tree))
    fills = _FILLED_BY_SCRIPT_RE.search(scripts) is not None or any(
        pattern.search(scripts) for pattern in _REQUEST_RES
    )
    if (fills or tree.css_first("script[src]") is not None) and _app_shell(body):
        return True
    if not fills:
        return False
    for node in body.css("ul, ol, tbody, div"):
        key = " ".join(v for v in (node.attributes.get("id"), node.attributes.get("class")) if v)
        hinted = bool(key) and _LIST_HINT_RE.search(key) is not None
        if hinted and not node.css_first("a") and not _text_outside_scripts(node):
            return True
    return False


def _app_shell(body: LexborNode) -> bool:
    """A body that is only a mount point for scripts (a Vue/React/Avalon bundle, or one inline
    script that writes everything): nothing to read until a browser runs them."""
    if len(body.css("a")) > _SHELL_MAX_LINKS:
        return False
    shown = len(body.text(deep=True, strip=True))
    for hidden in body.css(_NOT_SHOWN):
        shown -= len(hidden.text(deep=True, strip=True))
    return shown < _SHELL_MAX_TEXT


def _text_outside_scripts(node: LexborNode) -> str:
    """A container's visible text: what a script inside it would write is not there yet."""
    text = node.text(strip=True)
    for script in node.css("script"):
        text = text.replace(script.text(strip=True), "")
    return text.strip()
