"""Decoding pages the way Chinese government sites need: GBK/GB2312 pages are common, headers
often lie or say nothing, and GB2312 labels routinely carry GBK/GB18030 characters."""

from __future__ import annotations

import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-]+)", re.I)

# Labels whose real-world content is a superset: decode with the superset so nothing is lost.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "gb18030": "gb18030",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}


def _normalise(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        "".encode(label)
    except LookupError:
        return None
    return label


def declared_charset(content_type: str | None, head: bytes) -> tuple[str | None, str | None]:
    """The charset the header declares and the one a ``<meta>`` in the first 4 KB declares."""
    header = None
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        header = _normalise(match.group(1)) if match else None
    match = _META_CHARSET.search(head[:4096])
    meta = _normalise(match.group(1).decode("ascii", "ignore")) if match else None
    return header, meta


def decode_html(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Text and the encoding used. Order: BOM, header, ``<meta charset>``, UTF-8 if it decodes
    strictly, else GB18030 (covers GBK/GB2312), else UTF-8 with replacement."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", "replace"), "utf-8"
    header, meta = declared_charset(content_type, content)
    candidates = [c for c in (header, meta) if c]
    # A header saying UTF-8 over a page whose meta says GBK is a frequent misconfiguration:
    # try each declaration strictly before falling back to sniffing.
    for label in [*candidates, "utf-8", "gb18030"]:
        try:
            return content.decode(label), label
        except UnicodeDecodeError:
            continue
    label = candidates[0] if candidates else "utf-8"
    return content.decode(label, "replace"), label
