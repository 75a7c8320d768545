"""URL normalisation and crawler-trap guards.

One canonical form per resource, so a target is fetched and counted once: w3lib's
``canonicalize_url`` (Scrapy's) resolves ``./`` and ``../``, drops the fragment, sorts the query
and percent-encodes the path as UTF-8 and the query *in the page's encoding* — a GBK page's
``?q=教育`` is sent as ``%BD%CC%D3%FD`` the way a browser on that page would send it. On top of
that: lower-case host, default ports dropped, session-id parameters removed.

Traps are bounded, never followed forever: session ids are filtered out of the URL (so every
``?sid=…`` variant is the page itself), and a path whose query varies endlessly (a calendar's
``?month=2024-01`` chain) is capped per query pattern.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from scanner.http.urls import MAX_URL_LENGTH, plain_path

__all__ = [
    "DEFAULT_SESSION_PARAMS",
    "INVALID_URL",
    "TrapGuard",
    "cut_fragment",
    "is_next_page",
    "join_url",
    "normalize_url",
    "url_key",
]

DEFAULT_SESSION_PARAMS = frozenset(
    {"sid", "jsessionid", "phpsessid", "sessionid", "aspsessionid", "sessid", "sess_id", "cfid",
     "cftoken", "session_id"}
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SESSION_RE = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.I)
_DIGITS_RE = re.compile(r"\d+")
# The kind of an 错误 link whose href cannot be fetched at all (malformed, over-long).
INVALID_URL = "invalid_url"


def _strip_params(query: str, params: frozenset[str]) -> str:
    if not query:
        return query
    # Split the encoded query as-is: values stay byte-exact (they may be GBK escapes).
    pairs = query.split("&")
    kept = [p for p in pairs if p.partition("=")[0].lower() not in params]
    return query if len(kept) == len(pairs) else "&".join(kept)


# A URL w3lib's canonicalize_url gives back unchanged, as most of a site's are (97 % of the
# peers site's 7,524 targets): http(s), a lower-case host of plain labels, an optional port, a
# path of unreserved characters only (nothing to escape or unescape), no dot segment, no query,
# no fragment. canonicalize_url costs ≈ 28 µs a URL, the match ≈ 1 µs; tests/crawl/test_urls.py
# checks that the normal form is the same either way, inside the pattern and just outside it.
# Such a URL's normal form is also its own parts put together (scheme, host, the port unless it
# is the scheme's default, the path): `_normalize` builds it from the match's groups, without
# urlsplit and urlunsplit (≈ 13 µs → 2 µs a URL; the same tests compare it with w3lib's way).
_PLAIN_URL_RE = re.compile(
    r"(https?)://((?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63})(?::([0-9]{1,5}))?(/[A-Za-z0-9_.~/-]*)"
)


# Navigation links repeat on every page and stay in the cache; most other links are seen once or
# twice, so a larger cache only holds memory (65,536 entries held ≈ 12 MB on a 100,000-page site).
@lru_cache(maxsize=4096)
def _normalize(url: str, encoding: str, params: frozenset[str]) -> str | None:
    if _PATH_SESSION_RE.search(url):
        url = _PATH_SESSION_RE.sub("", url)
    match = _PLAIN_URL_RE.fullmatch(url)
    plain = match is not None and "/." not in url
    if plain and match is not None:
        scheme, host, port_text, path = match.groups()
        if port_text is None:
            out = url
        else:
            number = int(port_text)
            if number > 65535:
                return None  # urlsplit's "Port out of range"
            default = number == _DEFAULT_PORTS[scheme]
            out = f"{scheme}://{host if default else f'{host}:{number}'}{path}"
        return out if len(out) <= MAX_URL_LENGTH else None
    try:
        canon = canonicalize_url(url, keep_fragments=False, encoding=encoding)
        parts = urlsplit(canon)
        port = parts.port
    except (ValueError, UnicodeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets (else its port is unreadable)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    query = _strip_params(parts.query, params)
    out = urlunsplit((scheme, netloc, path, query, ""))
    return out if len(out) <= MAX_URL_LENGTH else None


def normalize_url(
    url: str, encoding: str = "utf-8", session_params: frozenset[str] = DEFAULT_SESSION_PARAMS
) -> str | None:
    """The canonical form of an absolute URL, or None when it is not a fetchable http(s) URL.

    ``encoding`` is the encoding of the page the URL was found on: non-ASCII query text is
    percent-encoded in it (GBK pages send GBK queries); paths are always UTF-8.

    The fragment, which the normal form drops, is cut first (everything from the first
    ``#``, as `urlsplit` reads it): a page's ``#top`` link is then the page itself, in the
    memo and on the plain-URL shortcut, instead of a trip through w3lib (≈ 21 µs) for every
    page of a site whose pages all link their own top.
    """
    return _normalize(cut_fragment(url.strip()), _codec(encoding), session_params)


def cut_fragment(url: str) -> str:
    """``url`` without its fragment (from the first ``#``, as `urlsplit` reads it), which a
    normal form drops — unless a space or a control character precedes the ``#``: w3lib
    strips those from the end of a URL, not from its middle, so the cut would change the
    normal form (``/a #x`` is ``/a%20``, ``/a `` is ``/a``)."""
    cut = url.find("#")
    if cut < 0 or (cut > 0 and (url[cut - 1] <= " " or url[cut - 1].isspace())):
        return url
    return url[:cut]


def join_url(
    base: str,
    href: str,
    encoding: str = "utf-8",
    session_params: frozenset[str] = DEFAULT_SESSION_PARAMS,
) -> str | None:
    """Resolve ``href`` against ``base`` (already the ``<base href>`` when the page has one)."""
    try:
        joined = urljoin(base, href.strip())
    except ValueError:
        return None
    return normalize_url(joined, encoding, session_params)


def is_http_href(url: str) -> bool:
    """Whether an (absolute) href claims to be an http(s) URL, fetchable or not."""
    return url.split(":", 1)[0].strip().lower() in _DEFAULT_PORTS


def invalid_target(url: str) -> str:
    """How a malformed href is stored as a link target: as written, cut to fit the URL
    columns (an over-long one ends with a digest, so two different ones stay two targets)."""
    if len(url) <= MAX_URL_LENGTH:
        return url
    digest = hashlib.blake2b(url.encode("utf-8", "replace"), digest_size=8).hexdigest()
    return f"{url[: MAX_URL_LENGTH - 40]}…[{len(url)} chars {digest}]"


def _codec(encoding: str | None) -> str:
    if not encoding:
        return "utf-8"
    enc = encoding.lower()
    if enc.startswith("gb") or enc in ("cp936", "x-gbk"):
        return "gb18030"
    return enc


def url_key(url: str) -> int:
    """A stable 8-byte key for a URL: what the seen-set keeps instead of the string."""
    return int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big")


def path_pattern(url: str) -> str:
    """Host, path and the sorted names of the query's parameters: what a trap varies within."""
    parts = urlsplit(url)
    names = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{parts.netloc}{parts.path}?{'&'.join(names)}"


class TrapGuard:
    """Says whether a URL may still be crawled: caps per query pattern and per path shape.

    A list's pagination (``index_1.html`` … ``index_99.html``) and articles differ in their
    path, so they are not capped by the query cap; a calendar or a search keeps the path and
    varies the query, and is. Deep or self-repeating paths (``/a/b/a/b/a/b/``) are refused.
    """

    def __init__(self, query_cap: int = 50, max_path_segments: int = 16, max_repeats: int = 3):
        self.query_cap = query_cap
        self.max_path_segments = max_path_segments
        self.max_repeats = max_repeats
        self._counts: Counter[str] = Counter()
        self.refused = 0
        # A path with at most this many "/" has at most this many segments: never refused by
        # the segment caps (`allow`).
        self._few = max(0, min(max_repeats, max_path_segments))

    def allow(self, url: str) -> bool:
        path = plain_path(url) if "?" not in url else None
        if path is not None:
            query = ""  # a plain URL without "?" (most of a site's pages): no `urlsplit`
        else:
            parts = urlsplit(url)
            path, query = parts.path, parts.query
        # A path has no more segments than "/"s: most are too short to be too deep or to
        # repeat a segment, and most longer ones repeat none — a `Counter` only for the rest.
        if path.count("/") > self._few:
            segments = [s for s in path.split("/") if s]
            if len(segments) > self.max_path_segments or (
                len(segments) > self.max_repeats
                and (self.max_repeats < 1 or len(set(segments)) < len(segments))
                and Counter(segments).most_common(1)[0][1] > self.max_repeats
            ):
                self.refused += 1
                return False
        if query:
            pattern = path_pattern(url)
            if self._counts[pattern] >= self.query_cap:
                self.refused += 1
                return False
            self._counts[pattern] += 1
        return True


_PAGER_TEXT_RE = re.compile(r"^(?:下一?页|上一?页|尾页|末页|前一页|后一页|\d{1,4}|>|<|>>|<<|»|«)$")


def is_next_page(page_url: str, target: str, text: str) -> bool:
    """A list's next page (下一页, 尾页, "3") in the same directory: the same level of the site
    as the list itself, so a 500-page column does not look 500 links deep."""
    if not _PAGER_TEXT_RE.match(text.strip()):
        return False
    return target.rsplit("/", 1)[0] == page_url.rsplit("/", 1)[0]
