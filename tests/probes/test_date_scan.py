"""The date scan's two shortcuts must not change what it finds.

`find_dates` normalises full-width forms by replacing each one present (not ``str.translate``),
its grammar opens with a look-ahead for the characters a date can start with, and it returns
at once from text without a digit or 年; all three are held here to the plain forms on
generated text around every shape of the grammar.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from probes import dates

_WIDE = "０１２３４５６７８９－／．：［］\u3000\xa0"
_PLAIN = str.maketrans(_WIDE, "0123456789-/.:[]  ")
# The grammar without its look-ahead (the first group of the pattern).
_LOOKAHEAD = re.match(r"\(\?=\[[^\]]*\]\)", dates._DATE_RE.pattern)
assert _LOOKAHEAD is not None
_WITHOUT = re.compile(dates._DATE_RE.pattern[_LOOKAHEAD.end() :], dates._DATE_RE.flags)

_PIECES = [
    "2024", "-", "/", ".", "年", "月", "日", "号", "01", "1", "12", "31", "2", "0", "[", "]",
    "【", "】", "(", ")", "（", "）", "〔", "〕", " ", "\u3000", "\xa0", "二〇二四", "二", "十",
    "一", "〇", "O", "Ｏ", "２０２４", "－", "：", "10:30", "时", "分", "T", "星期五", "今天是",
    "发布时间：", "版本", "v", "a", "标题", "\n", "\t", "1999", "2099", "19", "20",
]  # fmt: skip
_texts = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=25).map("".join),
    st.text(alphabet="0123456789-/.年月日[]（） 二〇十一" + _WIDE, max_size=40),
)


@settings(max_examples=2000, deadline=None)
@given(text=_texts)
@example(text="［０１－０５］ ０１／０５")
@example(text="[ 01-05] 【 1.5 】 ( 12/31 )")
@example(text="［01－05］ 2024．1．5 二〇二四年一月五日 1月5日 (12/31) 12-31")
def test_the_scan_finds_what_the_plain_grammar_finds(text: str) -> None:
    norm = dates._normalise(text)
    assert norm == text.translate(_PLAIN)
    got = [(m.span(), m.groupdict()) for m in dates._DATE_RE.finditer(norm)]
    assert got == [(m.span(), m.groupdict()) for m in _WITHOUT.finditer(norm)]
    if dates._MAY_HOLD_DATE_RE.search(text) is None:  # find_dates' early exit
        assert got == [] and dates.find_dates(text) == []
