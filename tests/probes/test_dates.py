"""The date grammar: every supported form round-trips; identifiers never become dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probes.dates import anchor_for, find_dates, first_date, parse_date, resolve_yearless

HAN = "〇一二三四五六七八九"


def han_year(y: int) -> str:
    return "".join(HAN[int(c)] for c in str(y))


def han_small(n: int) -> str:
    """Chinese numerals for 1–31 the way documents print them: 五, 十, 十一, 二十三."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return HAN[ones]
    head = "" if tens == 1 else HAN[tens]
    return head + "十" + (HAN[ones] if ones else "")


FORMATS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    lambda d: f"{d.year} 年 {d.month} 月 {d.day} 日",
    lambda d: f"{han_year(d.year)}年{han_small(d.month)}月{han_small(d.day)}日",
    lambda d: f"{han_year(d.year).replace('〇', '零')}年{han_small(d.month)}月{han_small(d.day)}日",
    lambda d: f"{d.isoformat()} 10:30",
    lambda d: f"{d.isoformat()} 10:30:15",
    lambda d: f"{d.isoformat()}T08:05:00",
    lambda d: f"[{d.isoformat()}]",
    lambda d: f"（{d.isoformat()}）",
    lambda d: f"【{d.year}-{d.month:02d}-{d.day:02d}】",
    lambda d: f"发布时间：{d.isoformat()}",
    lambda d: f"发布日期：{d.year}年{d.month}月{d.day}日",
    lambda d: f"日期：{d.isoformat()}",
    lambda d: f"时间:{d.isoformat()} 09:00",
    lambda d: f"{d.year}－{d.month:02d}－{d.day:02d}",  # full-width digits' punctuation
    lambda d: "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in d.isoformat()),
]

valid_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=300, deadline=None)
@given(day=valid_dates, fmt=st.sampled_from(FORMATS), prefix=st.sampled_from(["", "标题 ", "\n"]))
def test_every_format_parses_back(day: date, fmt, prefix: str) -> None:
    assert parse_date(prefix + fmt(day)) == day


@settings(max_examples=300, deadline=None)
@given(
    day=valid_dates,
    as_of=st.dates(min_value=date(1991, 1, 1), max_value=date(2035, 12, 31)),
    fmt=st.sampled_from(
        [
            lambda d: f"[{d.month:02d}-{d.day:02d}]",
            lambda d: f"{d.month:02d}-{d.day:02d}",
            lambda d: f"{d.month:02d}/{d.day:02d}",
            lambda d: f"【{d.month}-{d.day}】",
            lambda d: f"({d.month:02d}.{d.day:02d})",
            lambda d: f"{d.month}月{d.day}日",
        ]
    ),
)
def test_yearless_resolves_to_latest_past_year(day: date, as_of: date, fmt) -> None:
    got = parse_date(fmt(day), as_of=as_of)
    assert got is not None
    assert got <= as_of
    assert (got.month, got.day) == (day.month, day.day)
    # No later year would also be on or before as_of.
    later = [y for y in range(got.year + 1, as_of.year + 1) if _exists(y, day.month, day.day)]
    assert all(date(y, day.month, day.day) > as_of for y in later)


def _exists(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def test_yearless_examples() -> None:
    as_of = date(2024, 1, 10)
    assert parse_date("[01-05]", as_of=as_of) == date(2024, 1, 5)
    assert parse_date("[12-28]", as_of=as_of) == date(2023, 12, 28)
    assert parse_date("01-10", as_of=as_of) == date(2024, 1, 10)
    assert parse_date("01-11", as_of=as_of) == date(2023, 1, 11)
    assert parse_date("02-29", as_of=date(2025, 3, 1)) == date(2024, 2, 29)
    assert parse_date("[01-05]") is None  # no scan day, no guess


def test_page_hints_move_the_anchor() -> None:
    as_of = date(2024, 1, 10)
    stale = [date(2019, 6, 1), date(2019, 3, 2)]
    anchor = anchor_for(as_of, stale)
    assert anchor == date(2019, 12, 31)
    assert resolve_yearless(12, 5, anchor=anchor) == date(2019, 12, 5)
    assert anchor_for(as_of, [date(2024, 1, 2)]) == as_of
    assert anchor_for(as_of, [date(2030, 1, 1)]) == as_of  # future hints are ignored


# Identifiers that must never be read as dates.
site_codes = st.from_regex(r"\A[1-6][0-9]{9}\Z")
provinces = st.sampled_from("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
icp = st.builds(
    lambda p, n, s: f"{p}ICP备{n}号{s}",
    provinces,
    st.from_regex(r"\A(19|20)?[0-9]{6,8}\Z"),
    st.sampled_from(["", "-1", "-2"]),
)
police = st.builds(lambda p, n: f"{p}公网安备{n}号", provinces, st.from_regex(r"\A[0-9]{14}\Z"))
landline = st.builds(
    lambda area, a, b, style: {
        0: f"{area}-{a}{b}",
        1: f"{area} {a} {b}",
        2: f"({area}){a}{b}",
        3: f"（{area}）{a}-{b}",
        4: f"{area}-{a} {b}",
        5: f"+86-{area[1:]}-{a}{b}",
        6: f"{area}—{a}{b}",
    }[style],
    st.from_regex(r"\A0[0-9]{2,3}\Z"),
    st.from_regex(r"\A[2-8][0-9]{3}\Z"),
    st.from_regex(r"\A[0-9]{4}\Z"),
    st.integers(0, 6),
)
mobile = st.builds(
    lambda n, style: {
        0: n,
        1: f"{n[:3]}-{n[3:7]}-{n[7:]}",
        2: f"{n[:3]} {n[3:7]} {n[7:]}",
        3: f"+86 {n}",
    }[style],
    st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
    st.integers(0, 3),
)
doc_numbers = st.builds(
    lambda org, y, n, br: f"{org}{br[0]}{y}{br[1]}{n}号",
    st.sampled_from(["国办发", "京政发", "某政办", ""]),
    st.integers(1990, 2035),
    st.integers(1, 300),
    st.sampled_from(["〔〕", "[]", "（）", "【】", "()"]),
)
copyright_lines = st.builds(
    lambda a, b, form: form.format(a=a, b=b),
    st.integers(1995, 2015),
    st.integers(2016, 2035),
    st.sampled_from(["© {a}-{b}", "Copyright {a}-{b} All Rights Reserved", "版权所有 {b}"]),
)
versions = st.builds(
    lambda a, b, c: f"V{a}.{b}.{c}",
    st.integers(1990, 2035),
    st.integers(1, 12),
    st.integers(1, 28),
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(
        site_codes, icp, police, landline, mobile, doc_numbers, copyright_lines, versions
    ),
    label=st.sampled_from(["", "网站标识码：", "联系电话：", "电话:", "文号："]),
)
def test_identifiers_are_not_dates(text: str, label: str) -> None:
    as_of = date(2024, 1, 10)
    assert find_dates(label + text) == [], label + text
    assert parse_date(label + text, as_of=as_of) is None


@pytest.mark.parametrize(
    "text",
    [
        "1100000088",
        "京ICP备05060933号",
        "京公网安备11010502000722号",
        "010-12345678",
        "0371-6598 1234",
        "13812345678",
        "〔2024〕5号",
        "© 2003-2024",
        "版权所有 2024",
        "版本 2024.01.05",
        "2024-02-30",
        "2023年2月29日",
        "二〇二四年二月三十日",
        "192.168.1.1",
        "10:30:15",
        "第1.2.3条",
    ],
)
def test_rejects(text: str) -> None:
    assert parse_date(text, as_of=date(2024, 1, 10)) is None


def test_clock_decoys_are_flagged() -> None:
    text = "今天是2024年1月5日 星期五 发布时间：2023-12-01"
    matches = find_dates(text)
    assert [m.decoy for m in matches] == [True, False]
    assert first_date(text) == date(2023, 12, 1)
    assert parse_date("2024年1月10日 星期三") is None


def test_labels_and_times() -> None:
    (m,) = find_dates("发布时间：2024-01-05 10:30:15")
    assert m.labelled and m.clock is not None and m.clock.minute == 30
    text = "相关：2023-12-01 发布日期：2024-01-05"
    assert first_date(text) == date(2024, 1, 5)
    assert first_date(text, labelled_first=False) == date(2023, 12, 1)


def test_fallback_is_opt_in() -> None:
    text = "January 5, 2024"
    assert parse_date(text) is None
    assert parse_date(text, as_of=date(2024, 1, 10), fallback=True) == date(2024, 1, 5)
    # Relative phrases need a label; and they never land after as_of.
    assert parse_date("3天前", as_of=date(2024, 1, 10), fallback=True) is None
    got = parse_date("发布时间：3天前", as_of=date(2024, 1, 10), fallback=True)
    assert got is None or got <= date(2024, 1, 10)


def test_never_future_near_year_end() -> None:
    as_of = date(2024, 12, 31)
    for delta in range(0, 366, 7):  # within a year: unambiguous
        d = as_of - timedelta(days=delta)
        assert parse_date(f"[{d.month:02d}-{d.day:02d}]", as_of=as_of) == d
