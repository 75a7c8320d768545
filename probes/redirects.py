"""Redirect stubs: pages whose only job is to send the browser elsewhere.

Many government homepages and column roots are a few lines — ``<meta http-equiv="refresh"
content="0;url=/col/col1/index.html">`` or ``<script>window.location.href = "…"</script>`` —
written when the site moved to a new CMS. A reader that stops there reads an empty page and
calls the site blank; a browser would have shown the real one. `redirect_target` says where
such a stub points, so the caller can open that page instead (HTTP redirects are followed by
the client already). A web server's own redirect notice ("Object Moved … found here", "302 Moved
Temporarily … It's now at <a>") saved or served as the page counts too: its one link is where
the site means to send the reader.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

__all__ = ["redirect_target"]

_REFRESH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)
_SCRIPT_RE = re.compile(
    r"(?:(?:window|top|self|parent|document)\.)?location(?:\.href)?\s*=\s*(['\"])(.+?)\1"
    r"|(?:(?:window|top|self|document)\.)?location\.(?:replace|assign)\s*\(\s*(['\"])(.+?)\3\s*\)"
)
# One more string literal joined on with '+': 'http:/' + '/' + 'www.x.gov.cn/' (written so to
# keep a naive crawler from reading the URL).
_CONCAT_RE = re.compile(r"\s*\+\s*(['\"])(.*?)\1")
_MAX_DELAY = 10  # seconds: a refresh later than this is a notice page, not a stub
_STUB_TEXT = 200  # characters of visible text a stub may show ("正在跳转…")
_STUB_LINKS = 3
# The title or heading of a web server's redirect notice (IIS "Object Moved", Apache/nginx/Netscape
# "302 Found", "301 Moved Permanently", "302 Moved Temporarily", "Document Moved").
_NOTICE_RE = re.compile(
    r"^\s*(?:30[1278]\s+)?(?:(?:object|document)\s+moved|moved(?:\s+(?:permanently|temporarily))?"
    r"|found|(?:temporary|permanent)\s+redirect)\s*$",
    re.I,
)


def _joined_tail(script: str, pos: int) -> str:
    """The string literals '+'-joined after an assigned one, concatenated (often none)."""
    tail = []
    while (more := _CONCAT_RE.match(script, pos)) is not None:
        tail.append(more.group(2))
        pos = more.end()
    return "".join(tail)


def _usable(target: str, url: str) -> str | None:
    target = target.strip()
    if not target or target.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    absolute = urljoin(url, target)
    if urlsplit(absolute).scheme not in ("http", "https") or absolute == url:
        return None
    return absolute


def _server_notice_target(tree: LexborHTMLParser, url: str) -> str | None:
    """The one link of a server's redirect notice page (short text, a notice title), else None."""
    headings = [node.text(strip=True) for node in tree.css("title, h1")]
    if not any(_NOTICE_RE.match(text) for text in headings if text):
        return None
    body = tree.body
    if body is None or len(body.text(strip=True)) > _STUB_TEXT:
        return None
    targets = {
        target
        for link in body.css("a[href]")
        if (target := _usable(link.attributes.get("href") or "", url))
    }
    return targets.pop() if len(targets) == 1 else None


def redirect_target(tree: LexborHTMLParser, url: str) -> str | None:
    """Where a redirect stub sends the browser (absolute), or None for an ordinary page.

    A ``<meta http-equiv="refresh">`` within 10 seconds counts on any page; a script that sets
    ``location`` only on a stub — little visible text and at most three links — since full
    pages assign ``location`` in click handlers and search boxes.
    """
    for meta in tree.css("meta[http-equiv]"):
        if (meta.attributes.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        found = _REFRESH_RE.match(meta.attributes.get("content") or "")
        if found and found.group(2) and float(found.group(1) or 0) <= _MAX_DELAY:
            target = _usable(found.group(2), url)
            if target:
                return target
    body = tree.body
    if body is None or len(body.css("a[href]")) > _STUB_LINKS:
        return None
    notice = _server_notice_target(tree, url)
    if notice:
        return notice
    scripts = [s.text(deep=True) or "" for s in tree.css("script") if not s.attributes.get("src")]
    if not scripts:
        return None
    shown = body.text(strip=True)
    for script in scripts:
        shown = shown.replace(script.strip(), "")
    if len(shown) > _STUB_TEXT:
        return None
    for script in scripts:
        for match in _SCRIPT_RE.finditer(script):
            written = match.group(2) or match.group(4) or ""
            if match.group(2) is not None:
                written += _joined_tail(script, match.end())
            target = _usable(written, url)
            if target:
                return target
    return None
