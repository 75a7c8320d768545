"""Blank and exempt columns (空白栏目 and the 信息公开 "不产生此类信息" note).

A column page that lists nothing is blank and counts against the site; a page that explains why
the information does not exist (the 2015 guidance allows citing the 三定 plan or the body's
functions) is reported but not counted. "暂无信息" alone explains nothing: it is blank.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from probes.listpage import Item
from probes.page import PageSummary

__all__ = ["ColumnState", "column_state", "explains_absence"]

# An explanation: cites the 三定 plan, the body's functions, or says it produces no such info.
_EXEMPT_RE = re.compile(
    r"三定|不产生|不涉及|不承担|无此类?(?:职能|信息|业务|事项)|无相关(?:职能|业务)"
    r"|不属于本(?:单位|部门|机关|局|委|办)|没有(?:此类|相关)?职能|职能.{0,10}(?:划转|调整|不包括)"
)


class ColumnState(StrEnum):
    OK = "ok"
    BLANK = "blank"
    EXEMPT = "exempt"


def explains_absence(text: str) -> bool:
    """Whether a text explains why a column has no information (not merely that it has none)."""
    return bool(_EXEMPT_RE.search(text))


def column_state(page: PageSummary | None = None, *, items: Sequence[Item] | None = None,
                 text: str = "") -> ColumnState:  # fmt: skip
    """OK when the column lists entries; else EXEMPT if the page explains why, else BLANK.

    A list whose only entries are such explanations (a single "关于本单位不产生此类信息的说明"
    article) is exempt too.
    """
    if page is not None:
        if page.kind in ("article", "guide"):
            return ColumnState.OK  # a column that is one page of content is not blank
        items = page.items if items is None else items
        text = text or page.text
    items = items or []
    if items:
        if all(explains_absence(it.title) for it in items):
            return ColumnState.EXEMPT
        return ColumnState.OK
    return ColumnState.EXEMPT if explains_absence(text) else ColumnState.BLANK
