"""Which strings can be fetched at all: the one test every href passes before it is joined,
stored or requested.

Real sites are full of malformed links — an unclosed ``[``, a port that is not a number, a
70,000-character query. None of them may stop a scan: an href that cannot be a URL is the
site's error (an 错误 link), recorded like any other broken link, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlparse, urlsplit

__all__ = ["MAX_URL_LENGTH", "forget_joins", "join_href", "plain_path", "url_problem"]

# Longer URLs are refused by common servers (IIS: 2,048 characters) and do not fit the
# database's URL columns (String(2000)): a link that long is broken for every visitor.
MAX_URL_LENGTH = 2000


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL: one C scan of the URL


# An http(s) URL with a plain host name or IPv4 address, an optional port, and no control
# character — what every normalised target is. Such a URL passes `url_problem`'s tests but
# the port's range, and its path is the tail up to "?" or "#", so the URLs a scan meets by the
# thousand are read without `urlsplit` (≈ 3–5 µs each); anything else takes `urlsplit`'s way
# (it drops tabs and newlines, reads a scheme in any case, checks bracketed and non-ASCII hosts).
_PLAIN_RE = re.compile(r"https?://[A-Za-z0-9.-]+(?::([0-9]{1,5}))?([/?#][^\x00-\x1f\x7f]*)?")


def plain_path(url: str) -> str | None:
    """``urlsplit(url).path`` for a plain http(s) URL (`_PLAIN_RE`); None for any other."""
    plain = _PLAIN_RE.fullmatch(url)
    if plain is None:
        return None
    tail = plain.group(2)
    if not tail or tail[0] != "/":
        return ""
    return tail.partition("?")[0].partition("#")[0]


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched as an http(s) URL (None: it can)."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL 过长 (longer than {MAX_URL_LENGTH} characters)"
    plain = _PLAIN_RE.fullmatch(url)
    if plain is not None and (plain.group(1) is None or int(plain.group(1)) <= 65535):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as exc:
        return f"URL 无法解析 (malformed URL): {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return "不是 http(s) 地址 (not an http(s) URL)"
    if not parts.hostname:
        return "URL 缺少主机名 (no host name)"
    if _CONTROL_RE.search(url):
        return "URL 含控制字符 (control characters in the URL)"
    return None


_HTTP = ("http", "https")
# `urlsplit` of an href: scheme (an ASCII letter, then letters, digits, + - . up to the first
# colon), network location, path, query (after the first ?), fragment (after the first #);
# groups not present are None, except the path. It does not match what `urlsplit` strips or
# deletes before it splits (leading C0 controls and spaces; tabs and newlines anywhere): such
# an href is left to `urljoin`.
_SPLIT_RE = re.compile(
    r"(?![\x00-\x20])(?:([A-Za-z][A-Za-z0-9+\-.]*):)?(?://([^/?#\t\r\n]*))?"
    r"([^?#\t\r\n]*)(?:\?([^#\t\r\n]*))?(?:#([^\t\r\n]*))?"
)


@dataclass(frozen=True, slots=True)
class _Base:
    """A base URL split once, for every href of its page."""

    scheme: str
    netloc: str
    path: str
    params: str
    query: str
    origin: str  # scheme://netloc
    directory: str  # what a clean relative path is appended to, or "" (resolve it in full)
    port_ok: bool  # whether a URL on this netloc passes the port check


def _port_ok(netloc: str) -> bool:
    """`SplitResult.port` does not raise, for a netloc without brackets (IPv6)."""
    port = netloc.rpartition("@")[2].partition(":")[2]
    if not port:
        return True
    if not (port.isdigit() and port.isascii()):
        return False
    try:
        return int(port) <= 65535
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        return False


@lru_cache(maxsize=256)
def _split_base(base: str) -> _Base | None:
    """The base's parts as `urljoin` sees them (None: an unusual base, left to `urljoin`)."""
    if not base:
        return None
    try:
        scheme, netloc, path, params, query, _ = urlparse(base)
    except ValueError:
        return None
    if scheme not in _HTTP or not netloc or "[" in netloc or not netloc.isascii():
        return None
    parts = path.split("/")
    if parts[-1] != "":
        del parts[-1]
    # urljoin drops the empty segments between the first and the href's last: keep the rest.
    parts[1:] = [p for p in parts[1:] if p]
    clean = not any(p in (".", "..") for p in parts)
    return _Base(
        scheme=scheme,
        netloc=netloc,
        path=path,
        params=params,
        query=query,
        origin=f"{scheme}://{netloc}",
        directory="/".join(parts) + "/" if clean else "",
        port_ok=_port_ok(netloc),
    )


def _resolve(directory: str, base_path: str, path: str) -> str:
    """urljoin's merge of a path with the base's, dot segments removed (RFC 3986 5.2)."""
    if path[:1] == "/":
        segments = path.split("/")
    else:
        if directory and "//" not in path and not path.startswith(".") and "/." not in path:
            return directory + path  # a plain relative path under a plain directory
        base_parts = base_path.split("/")
        if base_parts[-1] != "":
            del base_parts[-1]
        segments = base_parts + path.split("/")
        segments[1:-1] = filter(None, segments[1:-1])
    resolved: list[str] = []
    for seg in segments:
        if seg == "..":
            if resolved:
                resolved.pop()
        elif seg != ".":
            resolved.append(seg)
    if segments[-1] in (".", ".."):
        resolved.append("")
    joined = "/".join(resolved)
    return joined if joined[:1] == "/" else "/" + joined  # urlunsplit roots it under the host


# What `_join` answers for an href it does not reproduce (see `_SPLIT_RE`; IPv6 or non-ASCII
# hosts): `urljoin` joins it. A join is never empty.
_UNCOVERED = ""


def _join(base: _Base, href: str) -> str | None:
    """`urljoin(base, href)`, None when the result fails the port check, or `_UNCOVERED`."""
    m = _SPLIT_RE.fullmatch(href)
    if m is None:
        return _UNCOVERED
    scheme, netloc, path, query, fragment = m.groups()
    scheme = base.scheme if scheme is None else scheme.lower()
    if netloc is not None and ("[" in netloc or "]" in netloc or not netloc.isascii()):
        return _UNCOVERED
    if scheme != base.scheme:  # another scheme (https on http): urljoin gives the href as is
        return href if not netloc or _port_ok(netloc) else None
    params = ""
    if ";" in path:
        at = path.find(";", max(path.rfind("/"), 0))  # the last segment's parameters
        if at >= 0:
            path, params = path[:at], path[at + 1 :]
    if netloc:
        if ":" in netloc and not _port_ok(netloc):
            return None
        url = f"{scheme}://{netloc}{path}"
    elif not base.port_ok:
        return None
    elif not path and not params:
        url = base.origin + base.path
        params, query = base.params, query or base.query
    elif path[:1] == "/" and "/." not in path:
        url = base.origin + path  # rooted, no dot segment: nothing to remove
    else:
        url = base.origin + _resolve(base.directory, base.path, path)
    if params:
        url = f"{url};{params}"
    if query:
        url = f"{url}?{query}"
    if fragment:
        url = f"{url}#{fragment}"
    return url


def _join_slow(base: str, href: str) -> str | None:
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return None
    return url


@lru_cache(maxsize=8192)
def join_href(base: str, href: str) -> str | None:
    """The absolute URL an href names, or None when it cannot be one (unclosed ``[``, a bad
    port, over `MAX_URL_LENGTH`): callers treat None as the site's malformed link.

    Exactly ``urljoin(base, href)`` (tests/http/test_join_href.py proves it on generated and
    hostile hrefs), computed without it for the hrefs pages are made of: the base is split
    once per page, and an href is split and merged in one pass (`urljoin` was 40 % of the
    reader's time). Results are remembered, as a page's links and its lists join the same
    hrefs."""
    if len(href) > MAX_URL_LENGTH:
        return None
    split = _split_base(base) if href else None
    url = _UNCOVERED if split is None else _join(split, href)
    if url == _UNCOVERED:
        url = _join_slow(base, href)
    return url if url is not None and len(url) <= MAX_URL_LENGTH else None


def forget_joins() -> None:
    """Empty the join memos (a bench measuring cold reads starts each page without them)."""
    join_href.cache_clear()
    _split_base.cache_clear()
