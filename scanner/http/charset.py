"""Decoding pages the way Chinese government sites need: GBK/GB2312 pages are common, servers
often send a Western default or nothing, and GB2312 labels routinely carry GBK characters."""

from __future__ import annotations

import codecs
import re

_META_CHARSET_RE = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-:.]+)", re.I)
_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_WESTERN_DEFAULTS = {"iso8859-1", "latin-1", "ascii", "cp1252", "windows-1252", "iso-8859-1"}
_CHINESE = {"gbk", "gb2312", "gb_2312-80", "x-gbk", "cp936", "936", "euc-cn", "hz-gb-2312"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def charset_of(content_type: str | None) -> str | None:
    """The charset a Content-Type header declares, if any."""
    found = _HEADER_CHARSET_RE.search(content_type or "")
    return found.group(1) if found else None


def codec_name(name: str | None) -> str | None:
    """A Python codec name; GBK and GB2312 read as GB18030, their superset."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _CHINESE or name.startswith("gb"):
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(content: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and the encoding used: BOM, then the declared (HTTP) charset, then ``<meta
    charset>``, then UTF-8 if it decodes strictly, then GB18030.

    A Western default from the server (ISO-8859-1) loses to a ``<meta>`` that names a real
    charset, and with no ``<meta>`` to UTF-8 and GB18030 when they decode strictly (a server's
    default over GBK pages that never declared theirs; Latin-1 decodes any bytes); a
    declaration that does not decode strictly loses to the next candidate: Chinese sites
    rarely configure their servers, but their templates say GBK.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace"), encoding
    header = codec_name(declared)
    found = _META_CHARSET_RE.search(content[:4096])
    meta = codec_name(found.group(1).decode("ascii", "ignore")) if found else None
    order: list[str] = []
    western = header in _WESTERN_DEFAULTS
    if header and not western:
        order.append(header)
    for candidate in (meta, "utf-8", "gb18030", header if western and not meta else None):
        if candidate and candidate not in order:
            order.append(candidate)
    for encoding in order:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return content.decode(order[0], errors="replace"), order[0]
