"""Which strings can be fetched at all: the one test every href passes before it is joined,
stored or requested.

Real sites are full of malformed links — an unclosed ``[``, a port that is not a number, a
70,000-character query. None of them may stop a scan: an href that cannot be a URL is the
site's error (an 错误 link), recorded like any other broken link, never an exception.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

__all__ = ["MAX_URL_LENGTH", "join_href", "url_problem"]

# Longer URLs are refused by common servers (IIS: 2,048 characters) and do not fit the
# database's URL columns (String(2000)): a link that long is broken for every visitor.
MAX_URL_LENGTH = 2000


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched as an http(s) URL (None: it can)."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL 过长 (longer than {MAX_URL_LENGTH} characters)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as exc:
        return f"URL 无法解析 (malformed URL): {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return "不是 http(s) 地址 (not an http(s) URL)"
    if not parts.hostname:
        return "URL 缺少主机名 (no host name)"
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in url):
        return "URL 含控制字符 (control characters in the URL)"
    return None


# A root-relative href that `urljoin` would copy as it is after the base's origin: no dot
# segments, no query, fragment or parameters (which it may drop when empty), no tab or newline
# (which it deletes). Most links of a government page look like this.
_PLAIN_ROOT_PATH = re.compile(r"/(?!/)[^?#;\t\r\n]*")


@lru_cache(maxsize=256)
def _origin(base: str) -> str | None:
    """``scheme://netloc`` of a base URL whose port is valid (None: let `urljoin` decide)."""
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8192)
def join_href(base: str, href: str) -> str | None:
    """The absolute URL an href names, or None when it cannot be one (unclosed ``[``, a bad
    port, over `MAX_URL_LENGTH`): callers treat None as the site's malformed link.

    A plain root-relative href (``/col/a.html``) is joined by concatenation, with the same
    result as `urljoin` at a tenth of the cost (it was 9 % of a crawl's CPU); results are
    remembered, as a page's links and its lists join the same hrefs."""
    if len(href) > MAX_URL_LENGTH:
        return None
    if _PLAIN_ROOT_PATH.fullmatch(href) and "/." not in href:
        origin = _origin(base)
        if origin is not None:
            url = origin + href
            return url if len(url) <= MAX_URL_LENGTH else None
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return None
    return url if len(url) <= MAX_URL_LENGTH else None
