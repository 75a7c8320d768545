"""`needs_text` skips the error/WAF regexes on pages without any of their words: it must still
say yes to every phrase the regexes know, in any letter case, and no to ordinary pages."""

from __future__ import annotations

import pytest

from probes.links import needs_text

# One phrase per alternative of the soft-404 text and WAF patterns (probes/links.py), as pages
# write them.
PHRASES = [
    "对不起，您访问的页面不存在",
    "页面未找到",
    "找不到该页面",
    "文件已经不存在",
    "信息不存在或已被删除",
    "该内容已被删除",
    "Error 404",
    "HTTP 404 - Not   Found",
    "网站防火墙 安全狗",
    "云锁提示",
    "您的访问被拦截",
    "系统拦截了您的访问",
    "非法请求",
    "请完成人机验证",
    "请拖动滑块完成滑动验证",
    "安全验证",
    "请开启JavaScript后刷新",
    "请启用Javascript",
    "访问频率过高",
    "访问过于频繁",
    "JiaSuLe",
    "document.cookie='__jsl_clearance=1'",
    "SafeDog",
    "YUNSUO",
    "Just a moment...",
    "Attention Required! | Cloudflare",
    "ACCESS DENIED",
]


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_error_or_waf_phrase_needs_the_text(phrase: str) -> None:
    page = f"<html><head><title>x</title></head><body><p>{phrase}</p></body></html>"
    assert needs_text(page)


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><p>政务公开</p><a href='/a/4041.html'>第4041号</a></body></html>",
        "<html><body><script type='text/javascript'>var f=1;</script>通知公告</body></html>",
        "<html><body><p>found the answer 验收</p></body></html>",
    ],
)
def test_ordinary_pages_do_not(page: str) -> None:
    assert not needs_text(page)


def _str_hints(html: str) -> bool:
    """The test as it was written on `str` (hints in ``html.lower()``): the byte search must
    say the same on every page."""
    from probes.links import _SOFT404_HINTS, _SOFT404_TEXT_RE, _WAF_HINTS, _WAF_RE

    lowered = html.lower()
    if any(h in lowered for h in _SOFT404_HINTS) and _SOFT404_TEXT_RE.search(html):
        return True
    return any(h in lowered for h in _WAF_HINTS) and bool(_WAF_RE.search(html))


@pytest.mark.parametrize(
    "body",
    [
        *PHRASES,
        *(p.upper() for p in PHRASES),
        "页面不\udc80存在",  # a lone surrogate (a page decoded with surrogateescape)
        "\udcff页面不存在\udcfe",
        "NOT FOUND İstanbul",
        "ACCESS DENİED",  # a dotted capital I: lower-cased it is not an ASCII i
        "页面不&#23384;在",
        "ＮＯＴ ＦＯＵＮＤ",  # full-width letters
        "",
    ],
)
def test_the_byte_search_agrees_with_the_string_search(body: str) -> None:
    page = f"<html><head><title>t</title></head><body><p>{body}</p></body></html>"
    assert needs_text(page) == _str_hints(page)


def _pages() -> list[str]:
    """Pages with the phrases where page_links meets them: in the body, split by markup, in
    an attribute only, in a script, written as character references, in a long page."""
    out = []
    for phrase in PHRASES:
        out.append(f"<html><head><title>x</title></head><body><p>{phrase}</p></body></html>")
        out.append(f"<html><body><a title='{phrase}' href='/a'>a</a><p>通知</p></body></html>")
        out.append(f"<html><body><script>var m='{phrase}';</script><p>通知</p></body></html>")
        refs = "".join(f"&#{ord(c)};" for c in phrase)
        out.append(f"<html><body><div><span>{refs}</span></div></body></html>")
        half = len(phrase) // 2
        out.append(f"<html><body><b>{phrase[:half]}</b><i>{phrase[half:]}</i></body></html>")
        out.append(f"<html><body><p>{'政务公开 ' * 600}</p><p>{phrase}</p></body></html>")
    return out


@pytest.mark.parametrize("page", _pages())
def test_the_hint_test_on_the_body_text_keeps_every_verdict(page: str) -> None:
    """page_links runs ``want_text`` on the body's raw text: the soft-404 and WAF tests give
    what they give with the text always taken (no hint test at all)."""
    from probes.links import is_soft404, waf_challenge
    from probes.page import page_links

    url = "http://www.example.gov.cn/a.html"
    hinted = page_links(page, url, want_text=needs_text)
    always = page_links(page, url)
    assert is_soft404(hinted.title, hinted.text) == is_soft404(always.title, always.text)
    assert waf_challenge(hinted.title, hinted.text) == waf_challenge(always.title, always.text)


def _regex_only(text: str) -> bool:
    """What the hints only spare work for: the soft-404 or WAF regex on the collapsed text."""
    from probes.links import _SOFT404_TEXT_RE, _WAF_RE

    collapsed = " ".join(text.split())
    return bool(_SOFT404_TEXT_RE.search(collapsed) or _WAF_RE.search(collapsed))


def test_the_hints_never_hide_a_phrase_the_regexes_match() -> None:
    """Random texts made of the phrases' pieces, in mixed letter case, among Chinese text,
    other scripts' letters (a dotted İ, a Kelvin sign, full-width letters), lone surrogates
    and white space: `needs_text` says exactly what the regexes alone say."""
    import random

    rng = random.Random(14)
    pieces = [*PHRASES, "政务公开", "通知", "页面", "İ", "\u212a", "Ｆ", "\udc80", " ", "\n\t", "ſ"]
    pieces += [p[: len(p) // 2] for p in PHRASES] + [p[len(p) // 2 :] for p in PHRASES]
    agreed = matched = 0
    for _ in range(3000):
        parts = rng.choices(pieces, k=rng.randint(1, 6))
        text = "".join(
            "".join(c.upper() if rng.random() < 0.3 else c for c in part) for part in parts
        )
        expected = _regex_only(text)
        assert needs_text(text) == expected, text
        agreed += 1
        matched += expected
    assert matched > 300 and agreed - matched > 300  # both answers were exercised
