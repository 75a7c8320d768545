"""Link verdicts: does a link target open, and is it what it claims to be?

``ok``, ``broken`` or ``undetermined`` — the census charges a link that "does not open or is
wrong" (打不开或错误), so a 200 page saying 页面不存在 is as broken as a 404 (a *soft 404*), and
so is a redirect that ends on such a page. A server that refuses the scanner (429, 403, a WAF
challenge, a bot wall) says nothing about the link: ``undetermined``, never charged.

How a target is fetched: documents and assets (pdf, doc, jpg …) get a HEAD first; where HEAD
is refused (405/501), fails, or answers an HTML page where a file should be, a GET follows. A
page-like target is fetched with GET straight away, because only its body can show a soft 404
(HEAD is unreliable there). A GET never reads more than a few KB: a 2 GB video is judged from
its first bytes. Probes never score; the scanner stores these results and re-checks a broken
one later before it counts.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from probes.page import PageLinks, page_links
from scanner.http import (
    FailureKind,
    Fetched,
    FetchFailed,
    HostLimiter,
    decode_html,
    fetch,
    retry_after_seconds,
)
from scanner.http.limits import host_of
from scanner.http.urls import MAX_URL_LENGTH, plain_path, url_problem

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "LinkResult",
    "Verdict",
    "check_link",
    "honour_retry_after",
    "is_attachment",
    "is_html",
    "is_soft404",
    "judge",
    "judge_failure",
    "judge_status",
    "looks_like_page",
    "needs_text",
    "waf_challenge",
]


class Verdict(enum.StrEnum):
    OK = "ok"
    BROKEN = "broken"
    UNDETERMINED = "undetermined"


DOCUMENT_EXTENSIONS = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "wps",
        "et",
        "dps",
        "ofd",
        "ceb",
        "zip",
        "rar",
        "7z",
        "gz",
        "tar",
        "txt",
        "csv",
        "xml",
    ]
)
ASSET_EXTENSIONS = frozenset(
    [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "webp",
        "svg",
        "ico",
        "css",
        "js",
        "swf",
        "mp3",
        "mp4",
        "flv",
        "avi",
        "wmv",
        "mov",
        "woff",
        "woff2",
        "ttf",
    ]
)
# What error pages say (title, or the text of a short page). "404" alone only in the title.
_SOFT404_TITLE_RE = re.compile(
    r"(?<!\d)404(?!\d)|页面不存在|找不到|未找到|无法找到|(?:文件|信息|内容|网页|页面)(?:已经)?不存在|不存在或已|"
    r"已被删除|错误提示|出错了|not\s*found",
    re.I,
)
_SOFT404_TEXT_RE = re.compile(
    r"页面不存在|页面未找到|找不到(?:该|您|你|此|相关)?(?:页面|网页|文件|信息|内容)|"
    r"(?:文件|页面|信息|内容|网页)(?:已经)?不存在|不存在或已被?删除|已被删除|(?<!\d)404(?!\d)|not\s+found",
    re.I,
)
# WAF / bot walls seen on Chinese government sites (安全狗, 云锁, 知道创宇, 加速乐, 瑞数 …).
_WAF_RE = re.compile(
    r"安全狗|云锁|网站防火墙|访问被拦截|拦截了您的访问|非法请求|人机验证|滑动验证|安全验证|"
    r"请开启JavaScript|启用JavaScript|访问频率|访问过于频繁|jiasule|__jsl_clearance|"
    r"safedog|yunsuo|Just a moment|Attention Required|Access Denied",
    re.I,
)
_UNDETERMINED_STATUSES = frozenset({401, 403, 407, 412, 418, 429, 451, 468, 499, 999})
_PAGE_SUFFIX_RE = re.compile(r"\.(?:s?html?|jsp|jspx|php|aspx?|do|action|cgi)$", re.I)


@dataclass(frozen=True, slots=True)
class LinkResult:
    """One check of one target."""

    url: str
    verdict: Verdict
    kind: str  # why: ok, not_found, http_503, soft404, redirect_soft404, dns, timeout, waf …
    status: int | None = None
    failure: str = ""  # a FailureKind value when nothing usable came back
    final_url: str | None = None
    method: str = "GET"
    detail: str = ""


def _extension(url: str) -> str:
    """The lower-case extension of the URL's path's last segment ("" when none)."""
    path = plain_path(url)
    if path is None:
        path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def is_attachment(url: str) -> bool:
    """A downloadable document (pdf, doc(x), xls(x), zip …): the census's 附件."""
    return _extension(url) in DOCUMENT_EXTENSIONS


def looks_like_page(url: str) -> bool:
    """Whether the target is (probably) an HTML page, worth a GET and a crawl."""
    ext = _extension(url)
    if not ext:
        return True
    return ext not in DOCUMENT_EXTENSIONS and ext not in ASSET_EXTENSIONS


# Words at least one of which every phrase of _SOFT404_TEXT_RE / _WAF_RE contains (lower case):
# `str.__contains__` runs in C at memory speed, the case-insensitive regexes step through every
# character of a 16 KB page in Python's regex engine (15 % of a crawl's CPU on realistic pages).
_SOFT404_HINTS = ("不存在", "未找到", "找不到", "已被删除", "404", "found")
_WAF_HINTS = (
    "安全狗",
    "云锁",
    "防火墙",
    "拦截",
    "非法请求",
    "验证",
    "开启javascript",
    "启用javascript",
    "访问频率",
    "访问过于频繁",
    "jiasule",
    "__jsl_clearance",
    "safedog",
    "yunsuo",
    # one word of each: the text's spaces may be runs, or markup between the words
    "moment",  # Just a moment
    "attention",  # Attention Required
    "denied",  # Access Denied
)


_Mixed = tuple[tuple[tuple[str, ...], tuple[bytes, ...]], ...]
_Hints = tuple[tuple[str, ...], tuple[bytes, ...], _Mixed]


def _split_hints(hints: tuple[str, ...]) -> _Hints:
    """The hints as `needs_text` looks for them: the non-ASCII ones in the text itself, the
    ASCII ones in its ASCII letters lower-cased, and a hint of both kinds (开启javascript) as
    its runs of each kind, all of which must be there."""
    wide = tuple(h for h in hints if not any(c.isascii() for c in h))
    narrow = tuple(h.encode() for h in hints if h.isascii())
    mixed = []
    for hint in hints:
        if hint.isascii() or hint in wide:
            continue
        runs = re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", hint)
        mixed.append(
            (
                tuple(r for r in runs if not r.isascii()),
                tuple(r.encode() for r in runs if r.isascii()),
            )
        )
    return wide, narrow, tuple(mixed)


_SOFT404_SPLIT = _split_hints(_SOFT404_HINTS)
_WAF_SPLIT = _split_hints(_WAF_HINTS)


def _has_hint(hints: _Hints, text: str, ascii_lowered: bytes) -> bool:
    wide, narrow, mixed = hints
    return (
        any(hint in text for hint in wide)
        or any(hint in ascii_lowered for hint in narrow)
        or any(
            all(run in text for run in runs) and all(run in ascii_lowered for run in ascii_runs)
            for runs, ascii_runs in mixed
        )
    )


def needs_text(html: str) -> bool:
    """Whether a page's body text could change its verdict (it names an error or a WAF).

    A page containing none of the hint words cannot match the regexes, so they run only on the
    few pages that do. The hints' non-ASCII characters (Chinese) have no case: they are looked
    for in the text as it is, where the search skips ahead a character at a time that is not
    the hint's last. Their ASCII letters are looked for in the text's ASCII characters only,
    lower-cased (`bytes.lower` changes nothing else). Either search finds every hint the
    lower-cased text holds (dropping the other characters can only join words, and add a
    match the regex then decides): the same pages pass as with the hints searched in the
    lower-cased UTF-8 bytes, at 20 µs a peers page instead of 47 (tests/crawl/
    test_text_hints.py). `page_links` hands it the body's raw text, not the HTML (a few KB
    instead of 16).
    """
    ascii_lowered = html.encode("ascii", "ignore").lower()
    soft = _has_hint(_SOFT404_SPLIT, html, ascii_lowered)
    waf = _has_hint(_WAF_SPLIT, html, ascii_lowered)
    if not (soft or waf):
        return False
    # The text the regexes will read has its spaces collapsed (and a word per element when
    # read with a separator): so are they here, on the few pages with a hint.
    collapsed = " ".join(html.split())
    return bool(
        (soft and _SOFT404_TEXT_RE.search(collapsed)) or (waf and _WAF_RE.search(collapsed))
    )


def is_soft404(title: str, short_text: str) -> bool:
    """A 200 page whose title, or the text of a short page, says it does not exist."""
    if _SOFT404_TITLE_RE.search(title):
        return True
    return bool(short_text) and bool(_SOFT404_TEXT_RE.search(short_text))


def waf_challenge(title: str, short_text: str, headers: httpx.Headers | None = None) -> bool:
    """A WAF or bot wall answered instead of the site (a challenge page, not the content)."""
    if headers is not None:
        server = headers.get("server", "").lower()
        if any(w in server for w in ("safedog", "yunsuo", "jiasule")) and not title:
            return True
    return bool(_WAF_RE.search(title) or (short_text and _WAF_RE.search(short_text)))


def judge_status(status: int) -> tuple[Verdict, str]:
    """The verdict a final HTTP status gives on its own."""
    if status in _UNDETERMINED_STATUSES:
        return Verdict.UNDETERMINED, f"http_{status}"
    if status >= 400:
        return Verdict.BROKEN, "not_found" if status in (404, 410) else f"http_{status}"
    return Verdict.OK, "ok"


ADDRESS_REFUSED = "address_refused"


def judge_failure(failure: FailureKind, *, refused: bool = False) -> tuple[Verdict, str]:
    """DNS, connect, TLS, timeout, reset, redirect loop: the target does not open. A target
    the scanner declined to connect to (a private or loopback address, `AddressPolicy`) was
    never tried: undetermined, never charged."""
    if refused:
        return Verdict.UNDETERMINED, ADDRESS_REFUSED
    return Verdict.BROKEN, failure.value


def honour_retry_after(
    limiter: HostLimiter | None, url: str, response: Fetched, *, cap: float, default: float = 2.0
) -> None:
    """429 and 503 slow the whole host down for its Retry-After (capped); never speed it up."""
    if limiter is None or response.status not in (429, 503):
        return
    header = response.headers.get("retry-after")
    wait = retry_after_seconds(header, default=default, now=limiter.clock.now(), cap=cap)
    limiter.back_off(host_of(url), min(wait, cap))


def is_html(response: Fetched) -> bool:
    ctype = response.content_type.lower()
    return "html" in ctype or (not ctype and response.content[:512].lstrip()[:1] == b"<")


def judge_body(
    response: Fetched, *, expect_document: bool, found: PageLinks | None = None
) -> tuple[Verdict, str]:
    """Verdict of a fetched body with status < 400: empty, soft 404, WAF wall or fine.

    ``found`` is the page already parsed (the crawler parses every page once, for its links).
    """
    if not response.content and not response.truncated and response.status == 200:
        return Verdict.BROKEN, "empty"
    if not is_html(response):
        return Verdict.OK, "ok"
    if found is None:
        text, used = decode_html(response.content, response.content_type)
        found = page_links(
            text, response.final_url, want_text=needs_text, content=response.content, encoding=used
        )
    if waf_challenge(found.title, found.text, response.headers):
        return Verdict.UNDETERMINED, "waf"
    redirected = bool(response.redirects)
    if is_soft404(found.title, found.text):
        return Verdict.BROKEN, "redirect_soft404" if redirected else "soft404"
    if expect_document:
        # An HTML page where a file should be: the download is gone (错误提示 pages).
        return Verdict.BROKEN, "html_instead_of_file"
    return Verdict.OK, "ok"


def judge(
    response: Fetched, *, expect_document: bool, found: PageLinks | None = None
) -> tuple[Verdict, str]:
    """The verdict on a target from its final response (status, then body)."""
    verdict, kind = judge_status(response.status)
    if verdict is not Verdict.OK or response.status >= 300:
        return verdict, kind
    return judge_body(response, expect_document=expect_document, found=found)


async def check_link(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float,
    max_bytes: int = 16_384,
    limiter: HostLimiter | None = None,
    retry_after_cap: float = 600.0,
) -> LinkResult:
    """Check one target: HEAD first for files, GET (first ``max_bytes`` only) for pages or
    where HEAD is refused or unreliable."""
    problem = url_problem(url)
    if problem is not None:  # no request can open it: broken for every visitor
        return LinkResult(url, Verdict.BROKEN, "invalid_url", detail=problem[:200])
    expect_document = is_attachment(url)
    if not looks_like_page(url):
        head = await _attempt(client, url, "HEAD", deadline, 0, limiter, retry_after_cap)
        if isinstance(head, LinkResult):
            if head.failure in (FailureKind.DNS, FailureKind.CONNECT, FailureKind.TLS):
                return head  # no GET will open a host that does not answer
        else:
            verdict, kind = judge_status(head.status)
            usable = (
                verdict is Verdict.OK
                and "html" not in head.content_type.lower()
                and head.headers.get("content-length") != "0"
            )
            if usable:
                return _result(url, head, verdict, kind, "HEAD")
            if head.status == 429:
                return _result(url, head, verdict, kind, "HEAD")  # asked to slow down: no GET
    got = await _attempt(client, url, "GET", deadline, max_bytes, limiter, retry_after_cap)
    if isinstance(got, LinkResult):
        return got
    verdict, kind = judge(got, expect_document=expect_document)
    return _result(url, got, verdict, kind, "GET")


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    method: str,
    deadline: float,
    max_bytes: int,
    limiter: HostLimiter | None,
    cap: float,
) -> Fetched | LinkResult:
    try:
        response = await fetch(
            client, url, deadline=deadline, max_bytes=max_bytes, method=method, limiter=limiter
        )
    except FetchFailed as exc:
        verdict, kind = judge_failure(exc.failure, refused=exc.refused)
        return LinkResult(
            url, verdict, kind, failure=exc.failure.value, method=method, detail=exc.detail[:200]
        )
    honour_retry_after(limiter, url, response, cap=cap)
    return response


def _result(url: str, r: Fetched, verdict: Verdict, kind: str, method: str) -> LinkResult:
    return LinkResult(
        url,
        verdict,
        kind,
        status=r.status,
        final_url=r.final_url[:MAX_URL_LENGTH] if r.final_url != url else None,
        method=method,
    )
