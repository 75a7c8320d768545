"""`inspect_page` hands lexbor the page's own bytes only when they are exactly its text in
UTF-8: what lexbor parses must never depend on that shortcut."""

from __future__ import annotations

import codecs

import pytest

from probes.page import _parser_input, decode_html

PAGE = "<html><head><title>政务公开</title></head><body><p>通知\u3000公告</p></body></html>"


@pytest.mark.parametrize(
    "content",
    [
        PAGE.encode("utf-8"),
        PAGE.encode("gb18030"),
        PAGE.replace("<head>", '<head><meta charset="gbk">').encode("gbk"),
        codecs.BOM_UTF8 + PAGE.encode("utf-8"),
        PAGE.encode("utf-8")[:-30] + b"\xff\xfe" + PAGE.encode("utf-8")[-30:],  # invalid UTF-8
        "<p>\ufffd 已是替换符</p>".encode(),
        PAGE.encode("utf-16-le"),
        b"",
    ],
)
def test_lexbor_gets_the_text_in_utf8(content: bytes) -> None:
    html, used = decode_html(content)
    given = _parser_input(content, html, used)
    # What lexbor makes of a str (selectolax encodes it so) must be what it is given.
    as_bytes = given if isinstance(given, bytes) else given.encode("utf-8", "ignore")
    assert as_bytes == html.encode("utf-8", "ignore")


def test_the_shortcut_is_taken_for_a_strict_utf8_page() -> None:
    content = PAGE.encode("utf-8")
    html, used = decode_html(content)
    assert _parser_input(content, html, used) is content
    assert _parser_input(html, html, None) is html  # text in, text out
