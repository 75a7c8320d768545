"""A fast grammar for the dates Chinese government pages print.

One compiled regular expression finds every date-looking span in a text; calendar validation and
context checks (labels before, clocks and versions around) then keep or drop each one. The
grammar covers what list and article pages actually show, so ``dateparser`` is only a fallback
(`parse_date_fallback`) for the odd form it misses and never runs on the hot path.

Year-less dates (``[01-05]``, ``01-05``, ``1月5日``) are resolved by `resolve_yearless`: the
latest year that puts the date on or before an *anchor* day. The anchor is the scan day
``as_of``, unless the other, year-bearing dates of the same list are all from earlier years;
then it is 31 December of the newest such year (never after ``as_of``). A resolved date is never
in the future. A whole list is resolved by `resolve_list_dates`, which uses what one date alone
cannot: lists run newest first (a year-less date later than the one above it is a year older),
article URLs often carry the full date (``t20241102_5.html``), and pinned (置顶) entries at the
top are out of order on purpose.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from urllib.parse import urlsplit

__all__ = [
    "DateMatch",
    "anchor_for",
    "find_dates",
    "first_date",
    "parse_date",
    "parse_date_fallback",
    "resolve_list_dates",
    "resolve_yearless",
    "slash_day_first",
    "url_date",
]

# Full-width digits and punctuation become ASCII one-for-one, so match offsets stay valid.
_NORMALISE_PAIRS = tuple(
    zip("０１２３４５６７８９－／．：［］\u3000\xa0", "0123456789-/.:[]  ", strict=True)
)


def _normalise(text: str) -> str:
    """Full-width forms made ASCII: one C-speed replace per character present (``translate``
    with a table was a third of `find_dates` on a page's text)."""
    for wide, ascii_ in _NORMALISE_PAIRS:
        if wide in text:
            text = text.replace(wide, ascii_)
    return text


_HAN_DIGITS = {
    "〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "0": 0,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_HAN = "〇零○Ｏ0O一二三四五六七八九"

# Optional time of day after a date: " 10:30", "T10:30:15", " 10时30分".
_TIME = r"(?:\s{0,3}T?(?P<H>[01]?\d|2[0-3])[:时](?P<M>[0-5]\d)分?(?::(?P<S>[0-5]\d)秒?)?)?"
_YEAR = r"(?:19[7-9]\d|20\d\d)"
_NOT_AFTER_NUM = r"(?![0-9]|[.\-/][0-9])"

_YEAR_FIRST_FORMS = (
    # Every form starts with a digit, a Chinese numeral or (bracketed) a space: this look-ahead
    # lets the scan pass every other character with one test instead of six alternatives.
    rf"(?=[0-9\s{_HAN}])"
    r"(?:"
    # 2024-01-05, 2024/1/5, 2024.01.05 (same separator twice)
    rf"(?<![0-9A-Za-z.\-/])(?P<y>{_YEAR})\s?(?P<s>[-/.])\s?(?P<m>\d{{1,2}})\s?(?P=s)\s?"
    rf"(?P<d>\d{{1,2}}){_NOT_AFTER_NUM}"
    # 2024年1月5日 (日 may be missing when nothing numeric follows)
    rf"|(?<![0-9A-Za-z])(?P<cy>{_YEAR})\s*年\s*(?P<cm>\d{{1,2}})\s*月\s*(?P<cd>\d{{1,2}})"
    r"(?:\s*[日号]|(?![0-9]))"
    # 二〇二四年一月五日
    rf"|(?P<hy>[{_HAN}]{{4}})\s*年\s*(?P<hm>[一二三四五六七八九十]{{1,2}})\s*月"
    r"\s*(?P<hd>[一二三四五六七八九十]{1,3})\s*[日号]"
    # [01-05], (1.5), 【01-05】: year-less inside brackets
    r"|(?<=[\[【（(〔])\s?(?P<bm>\d{1,2})\s?[-/.]\s?(?P<bd>\d{1,2})\s?(?=[\]】）)〕])"
    # 01-05, 01/05: bare year-less needs two digits each
    r"|(?<![0-9A-Za-z.\-/:])(?P<um>\d\d)[-/](?P<ud>\d\d)(?![0-9]|[.\-/:][0-9])"
    # 1月5日
    r"|(?<![0-9年])(?P<jm>\d{1,2})\s*月\s*(?P<jd>\d{1,2})\s*[日号]"
)
# 05/08/2016 read day-first (5 August), only on a page whose order is settled
# (`slash_day_first`). Tried after every other form, and never where a 年 follows the year
# (``05/08/2016年3月4日`` keeps its 2016年3月4日): where it matches, none of the forms above
# matches at or inside the span, so on such a page the other forms find exactly what they find
# elsewhere (tests/probes/test_day_first.py holds the two grammars to that).
_DAY_FIRST_FORM = (
    rf"|(?<![0-9A-Za-z.\-/])(?P<fd>\d{{1,2}})/(?P<fm>\d{{1,2}})/(?P<fy>{_YEAR})"
    r"(?![0-9]|[.\-/][0-9]|\s*年)"
)
_DATE_RE = re.compile(
    _YEAR_FIRST_FORMS + ")" + _TIME,
    re.ASCII,  # \d and \s stay ASCII: other scripts' digits are not dates here
)
_DATE_DAY_FIRST_RE = re.compile(_YEAR_FIRST_FORMS + _DAY_FIRST_FORM + ")" + _TIME, re.ASCII)

# A label right before a date marks it as the page's or entry's own date.
_LABEL_RE = re.compile(
    r"(?:发布|更新|成文|发文|印发|生成|公开|公布|信息|录入|提交|留言|来信|回复|答复|办结|受理|创建)?"
    r"(?:时间|日期)(?:发布)?\s*[:：]?\s*[\[【（(]?\s*$"
)
# ... unless the words before the label make it some other day: a birth date, an event's start
# or end, a deadline, a training session ("出生日期2002年1月5日", "开始时间：2024-05-08").
_OTHER_DAY_RE = re.compile(
    r"(?:出生|开始|结束|截止|起止|活动|展会|展览|会议|培训|报名|考试|举办|开展|有效|施行|实施)"
    r"(?:时间|日期)\s*[:：]?\s*[\[【（(]?\s*$"
)
# A live clock in the page header: "今天是2024年1月5日 星期五".
_CLOCK_BEFORE_RE = re.compile(
    r"(?:今天是|今天|今日|当前时间|现在时间|现在是|北京时间)\s*[:：]?\s*$"
)
_CLOCK_AFTER_RE = re.compile(r"\s{0,3}(?:星期|周|礼拜)[一二三四五六日天]")
_VERSION_BEFORE_RE = re.compile(r"(?:版本|版本号|[Vv]ersion|[Vv]er\.?|[Vv])\s*[:：]?\s*$")


@dataclass(frozen=True, slots=True)
class DateMatch:
    """One date found in a text; ``year`` is None for year-less forms."""

    start: int
    end: int
    year: int | None
    month: int
    day: int
    clock: time | None = None
    labelled: bool = False
    decoy: bool = False

    @property
    def full(self) -> bool:
        return self.year is not None

    def to_date(self, as_of: date | None = None, anchor: date | None = None) -> date | None:
        """The calendar date; year-less forms need ``as_of`` (or an explicit anchor)."""
        if self.year is not None:
            return date(self.year, self.month, self.day)
        ref = anchor or as_of
        if ref is None:
            return None
        return resolve_yearless(self.month, self.day, anchor=ref)


def _han_number(text: str) -> int | None:
    """Chinese month/day numerals: 五, 十, 十一, 二十, 二十三, 三十一."""
    if "十" not in text:
        return _HAN_DIGITS.get(text) if len(text) == 1 else None
    tens_s, _, ones_s = text.partition("十")
    if "十" in ones_s or len(tens_s) > 1 or len(ones_s) > 1:
        return None
    tens = _HAN_DIGITS.get(tens_s, -1) if tens_s else 1
    ones = _HAN_DIGITS.get(ones_s, -1) if ones_s else 0
    if tens <= 0 or ones < 0:
        return None
    return tens * 10 + ones


def _valid(year: int, month: int, day: int) -> bool:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


# Every form holds an ASCII or full-width digit, or 年 (二〇二四年…): text without any has none.
_MAY_HOLD_DATE_RE = re.compile(r"[0-9０-９年]")


def find_dates(text: str, *, day_first: bool = False) -> list[DateMatch]:
    """Every date in ``text``, in order, with label/decoy flags; invalid dates are dropped.

    ``day_first``: the page settles that ``05/08/2016`` is 5 August (`slash_day_first`); without
    it such a date is not read at all (never as 8 May, never as a year-less ``05/08``).
    """
    if not text or _MAY_HOLD_DATE_RE.search(text) is None:
        return []
    norm = _normalise(text)
    out: list[DateMatch] = []
    for m in (_DATE_DAY_FIRST_RE if day_first else _DATE_RE).finditer(norm):
        g = m.groupdict()
        year: int | None
        if g["y"] is not None:
            year, month, day = int(g["y"]), int(g["m"]), int(g["d"])
        elif day_first and g["fy"] is not None:
            year, month, day = int(g["fy"]), int(g["fm"]), int(g["fd"])
        elif g["cy"] is not None:
            year, month, day = int(g["cy"]), int(g["cm"]), int(g["cd"])
        elif g["hy"] is not None:
            year = int("".join(str(_HAN_DIGITS[c]) for c in g["hy"]))
            hm, hd = _han_number(g["hm"]), _han_number(g["hd"])
            if hm is None or hd is None or not 1970 <= year <= 2099:
                continue
            month, day = hm, hd
        elif g["bm"] is not None:
            year, month, day = None, int(g["bm"]), int(g["bd"])
        elif g["um"] is not None:
            year, month, day = None, int(g["um"]), int(g["ud"])
        else:
            year, month, day = None, int(g["jm"]), int(g["jd"])
        # 2000 is a leap year: a valid Feb 29 without a year must stay possible.
        if not _valid(year if year is not None else 2000, month, day):
            continue
        start, end = m.start(), m.end()
        before = norm[max(0, start - 12) : start]
        if _VERSION_BEFORE_RE.search(before):
            continue
        clock = None
        if g["H"] is not None:
            clock = time(int(g["H"]), int(g["M"]), int(g["S"] or 0))
        decoy = bool(_CLOCK_BEFORE_RE.search(before) or _CLOCK_AFTER_RE.match(norm, end, end + 6))
        out.append(
            DateMatch(
                start=start,
                end=end,
                year=year,
                month=month,
                day=day,
                clock=clock,
                labelled=bool(_LABEL_RE.search(before)) and not _OTHER_DAY_RE.search(before),
                decoy=decoy,
            )
        )
    return out


# Where a page's own address or language says its slash dates are day-first: Hong Kong and
# Macau government sites (05/08/2016 is 5 August there).
_DAY_FIRST_HOSTS = ("gov.hk", "gov.mo")
_DAY_FIRST_LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z]{4})?-(?:hk|mo)$", re.I)
# A slash date's year, cheap to scan for (a literal first character): the page's candidates are
# read back from each hit, so a page without any costs one C-level scan.
_SLASH_YEAR_RE = re.compile(rf"/{_YEAR}(?![0-9]|[.\-/][0-9]|\s*年)")
_SLASH_HEAD_RE = re.compile(r"(?:^|[^0-9A-Za-z.\-/])(\d{1,2})/(\d{1,2})$")
# Opener, closer, opener, closer …: a comment, a script, a style.
_HIDDEN_MARKS = tuple(
    tuple(dict.fromkeys((mark, mark.upper(), mark.title())))  # <script, <SCRIPT, <Script
    for mark in ("<!--", "-->", "<script", "</script", "<style", "</style")
)


def _shown_slash_dates(html: str) -> list[tuple[int, int]]:
    """Each ``N/N/YYYY`` of the markup outside tags, comments, scripts and styles, as its
    (first, second) fields."""
    found: list[tuple[int, int]] = []
    # The last opener and closer of each hidden kind before the hit, carried from hit to hit
    # so the markup is searched once, not back to its start for every hit (``str.lower`` of a
    # Chinese page costs more than all of it: lower- and upper-case marks are searched).
    last = [-1] * len(_HIDDEN_MARKS)
    searched = 0
    for hit in _SLASH_YEAR_RE.finditer(html):
        at = hit.start()
        head = _SLASH_HEAD_RE.search(html, max(0, at - 6), at)
        if head is None or head.end() != at:
            continue
        if html.rfind("<", 0, at) > html.rfind(">", 0, at):
            continue  # inside a tag: an attribute's value
        for k, marks in enumerate(_HIDDEN_MARKS):
            for mark in marks:
                pos = html.rfind(mark, max(0, searched - 9), at)
                if pos > last[k]:
                    last[k] = pos
        searched = at
        if any(last[k] > last[k + 1] for k in range(0, len(_HIDDEN_MARKS), 2)):
            continue
        found.append((int(head.group(1)), int(head.group(2))))
    return found


def slash_day_first(html: str, url: str, lang: str | None = None) -> bool:
    """Whether this page's ``05/08/2016`` means 5 August: the page settles the order, or not.

    Mainland government pages write dates year-first; ``05/08/2016`` could be 5 August (Hong
    Kong, Macau) or 8 May (month-first widgets), and reading it the wrong way could age a page
    and blame its site. So a slash date with the year last is read only when the page itself
    settles the order — its host is under ``gov.hk`` / ``gov.mo``, its ``<html lang>`` names
    Hong Kong or Macau (``zh-HK``, ``en-HK``, ``zh-Hant-MO``), or one of its shown slash dates
    has a first field over 12 (``20/07/2016``) — and none of its shown slash dates has a
    second field over 12 (``04/13/2024`` says month-first, and then nothing is read
    day-first). A page without any such date answers False after one scan.
    """
    shown = _shown_slash_dates(html) if _SLASH_YEAR_RE.search(html) else []
    if not shown:
        return False
    if any(first <= 12 < second <= 31 for first, second in shown):
        return False  # month-first somewhere on the page: ambiguous, never guessed
    if any(second <= 12 < first <= 31 for first, second in shown):
        return True
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if any(host == h or host.endswith("." + h) for h in _DAY_FIRST_HOSTS):
        return True
    return bool(lang and _DAY_FIRST_LANG_RE.match(lang.strip()))


def resolve_yearless(month: int, day: int, *, anchor: date) -> date | None:
    """The latest date with this month and day that is not after ``anchor``."""
    for year in range(anchor.year, anchor.year - 9, -1):
        if _valid(year, month, day):
            candidate = date(year, month, day)
            if candidate <= anchor:
                return candidate
    return None


def anchor_for(as_of: date, hints: Iterable[date] = ()) -> date:
    """The day year-less dates resolve against, given the year-bearing dates next to them.

    When every year-bearing date around is from an earlier year than ``as_of`` (a list that
    stopped in 2019 and prints ``[12-05]``), the list's own newest year wins over the scan day.
    """
    past = [h for h in hints if h <= as_of]
    if not past:
        return as_of
    newest_year = max(past).year
    if newest_year >= as_of.year:
        return as_of
    return date(newest_year, 12, 31)


# -- whole lists -------------------------------------------------------------------------------

#: A year-less date up to this much later than the entry above it is taken as a small ordering
#: slip (same year), not as a year boundary: a later-by-one-month date means "a year older" only
#: if the list had a gap of eleven months, which is rarer than a hand-sorted slip.
INVERSION_SLACK = timedelta(days=31)
#: Leading entries that may be read as pinned (置顶), marked or by position.
MAX_PINNED = 3
#: A leading out-of-order year-less entry is read as pinned (not as "a year newer than the rest")
#: when the gap that reading would need is longer than this, and this many times the list's own
#: typical gap between entries.
PIN_MIN_GAP_DAYS = 60
PIN_GAP_FACTOR = 4
#: How far a shown month-day may lie from the date in the entry's URL for the URL to give the year.
URL_YEAR_WINDOW = timedelta(days=62)
#: How far after its URL's date an entry's shown date may lie (a day's slip between the CMS
#: creating the page and the date it shows).
URL_BOUND_SLIP = timedelta(days=3)

# Dates CMSs write into article URLs: t20241102_5.html, /202411/, /2024/11/02/, /art/2024/1/5/.
_URL_DATE_RE = re.compile(
    r"(?<![0-9])(?P<y>19[7-9][0-9]|20[0-9][0-9])"
    r"(?:(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12][0-9]|3[01])?(?![0-9])"
    r"|(?<=[/_\-][0-9]{4})[/_\-](?P<m2>0?[1-9]|1[0-2])(?:[/_\-](?P<d2>0?[1-9]|[12][0-9]|3[01]))?"
    r"(?=[/_\-.]|$))"
)


def url_date(url: str) -> tuple[int, int, int | None] | None:
    """(year, month, day or None) written in an article URL's path; the most precise one wins."""
    cut = url.find("://")
    if cut >= 0:
        slash = url.find("/", cut + 3)
        url = url[slash:] if slash >= 0 else ""
    url = url.split("?", 1)[0].split("#", 1)[0]
    best: tuple[int, int, int | None] | None = None
    for m in _URL_DATE_RE.finditer(url):
        year = int(m["y"])
        month = int(m["m"] or m["m2"])
        day_s = m["d"] or m["d2"]
        day = int(day_s) if day_s else None
        if day is not None and not _valid(year, month, day):
            continue
        if best is None or day is not None or best[2] is None:
            best = (year, month, day)
    return best


def _year_from_url(month: int, day: int, hint: tuple[int, int, int | None]) -> date | None:
    """The shown month-day in the year that puts it nearest the URL's date, if near enough."""
    y, m, d = hint
    ref = date(y, m, d if d is not None else 15)
    best: date | None = None
    for year in (y - 1, y, y + 1):
        if _valid(year, month, day):
            cand = date(year, month, day)
            if best is None or abs(cand - ref) < abs(best - ref):
                best = cand
    if best is None or abs(best - ref) > URL_YEAR_WINDOW + timedelta(days=15 if d is None else 0):
        return None
    return best


def _in_url_year(month: int, day: int, hint: tuple[int, int, int | None]) -> date | None:
    """The shown month-day in the URL's own year, when that is not after the URL's date.

    A column that lists documents by their issue dates (re-posted later under dated URLs)
    shows dates months before the URL's; such a date is in the URL's year when it fits before
    it (a few days' slip allowed). One that would fall after is left to the walk: a page
    re-dated long after its URL was made is as likely as a document from the year before.
    """
    y, m, d = hint
    if not _valid(y, month, day):
        return None
    last = d if d is not None else monthrange(y, m)[1]
    shown = date(y, month, day)
    return shown if shown <= date(y, m, last) + URL_BOUND_SLIP else None


def _earliest_from(month: int, day: int, *, low: date, as_of: date) -> date | None:
    """The earliest date with this month and day on or after ``low``, if not after ``as_of``."""
    for year in range(low.year, low.year + 2):
        if _valid(year, month, day):
            candidate = date(year, month, day)
            if candidate >= low:
                return candidate if candidate <= as_of else None
    return None


def _walk(
    indices: Sequence[int],
    matches: Sequence[DateMatch | None],
    fixed: Sequence[date | None],
    *,
    as_of: date,
    out: list[date | None],
) -> None:
    """Resolve entries in list order (newest first), each year-less date against its neighbours.

    Year-bearing dates (shown, or from the URL) are checkpoints. Below a checkpoint, or from the
    scan day when there is none, a year-less date takes the latest year not after the entry
    above it (plus `INVERSION_SLACK`). Above the first checkpoint it takes the earliest year not
    before the entry below it (minus the slack): the list itself says where it stands, and a
    list whose dated entries stop in 2019 keeps the year-less ones above them near 2019 too.
    """
    checkpoint = next(
        (k for k, i in enumerate(indices) if (d := fixed[i]) is not None and d <= as_of), None
    )
    if checkpoint is not None:
        below = fixed[indices[checkpoint]]
        assert below is not None
        for i in reversed(indices[:checkpoint]):
            if fixed[i] is not None:  # a future date: shown as is, no checkpoint
                out[i] = fixed[i]
                continue
            m = matches[i]
            assert m is not None
            day = _earliest_from(m.month, m.day, low=below - INVERSION_SLACK, as_of=as_of)
            if day is None:  # out of order (newer than the scan day allows): read it alone
                day = resolve_yearless(m.month, m.day, anchor=as_of)
            out[i] = day
            if day is not None:
                below = day
        indices = indices[checkpoint:]
    prev, started = as_of, False
    for i in indices:
        day = fixed[i]
        if day is None:
            m = matches[i]
            assert m is not None
            limit = min(prev + INVERSION_SLACK, as_of) if started else prev
            day = resolve_yearless(m.month, m.day, anchor=limit)
        elif day > as_of:
            out[i] = day  # a future date (an event's) is nobody's checkpoint
            continue
        out[i] = day
        if day is not None:
            prev, started = day, True


def _pinned_by_position(
    lead: int,
    rest: Sequence[int],
    matches: Sequence[DateMatch | None],
    fixed: Sequence[date | None],
    *,
    as_of: date,
) -> bool:
    """Is a leading year-less entry older than the list below it (a pinned entry)?

    Reading it as in order would make everything below a year older. That is right for a column
    that stopped, whose last entries straddle the anniversary; it is wrong for a pinned notice
    above a fresh list. The gap the in-order reading needs decides: a gap far longer than the
    list's own rhythm is a pinned entry. When the entry below carries its year, the order is
    simply known.
    """
    m = matches[lead]
    assert m is not None
    own = resolve_yearless(m.month, m.day, anchor=as_of)  # the newest it can be
    if own is None:
        return False
    below: list[date | None] = [None] * len(matches)
    _walk(rest, matches, fixed, as_of=as_of, out=below)
    dated = [(i, below[i]) for i in rest if below[i] is not None]
    if not dated:
        return False
    first_i, first = dated[0]
    assert first is not None
    if first <= own + INVERSION_SLACK:
        return False  # in order (or a small slip): nothing to explain
    if fixed[first_i] is not None:
        return True
    if len(dated) < 3:
        return False
    try:
        year_back = first.replace(year=first.year - 1)
    except ValueError:  # 29 February
        year_back = first - timedelta(days=365)
    needed = (own - year_back).days
    days = [d for _, d in dated[:11] if d is not None]
    gaps = sorted(max(0, (a - b).days) for a, b in pairwise(days))
    typical = gaps[len(gaps) // 2]
    return needed > max(PIN_MIN_GAP_DAYS, PIN_GAP_FACTOR * typical)


def resolve_list_dates(
    matches: Sequence[DateMatch | None],
    *,
    as_of: date,
    urls: Sequence[str] | None = None,
    pinned: Sequence[bool] | None = None,
) -> list[date | None]:
    """The dates of one list's entries, in page order (None where an entry shows none).

    Year-bearing dates are kept. A year-less date takes its year, in this order: from the
    entry's URL (the year nearest the URL's date when within two months of the shown one, else
    the URL's own year when the date fits before it, `_in_url_year`); for a pinned entry
    (``pinned``: marked 置顶; or a leading entry older than the list below it by far more than
    the list's rhythm), on its own against `anchor_for`; otherwise from its place in the list
    (`_walk`).
    """
    n = len(matches)
    fixed: list[date | None] = [None] * n
    for i, m in enumerate(matches):
        if m is None:
            continue
        if m.year is not None:
            fixed[i] = date(m.year, m.month, m.day)
        elif urls is not None:
            hint = url_date(urls[i])
            if hint is not None:
                day = _year_from_url(m.month, m.day, hint)
                if day is None:  # far before the URL's date: a document listed by its own
                    day = _in_url_year(m.month, m.day, hint)  # issue date, in the URL's year
                if day is not None and day <= as_of:
                    fixed[i] = day
    out: list[date | None] = [None] * n
    order = [i for i, m in enumerate(matches) if m is not None]
    marked = set() if pinned is None else {i for i in order if pinned[i]}
    walk = [i for i in order if i not in marked]
    alone = list(marked)
    while len(alone) < MAX_PINNED and len(walk) > 1 and fixed[walk[0]] is None:
        if not _pinned_by_position(walk[0], walk[1:], matches, fixed, as_of=as_of):
            break
        alone.append(walk.pop(0))
    if alone:
        anchor = anchor_for(as_of, [d for d in fixed if d is not None])
        for i in alone:
            m = matches[i]
            assert m is not None
            out[i] = fixed[i] or resolve_yearless(m.month, m.day, anchor=anchor)
    _walk(walk, matches, fixed, as_of=as_of, out=out)
    return out


def first_date(text: str, *, as_of: date | None = None, labelled_first: bool = True) -> date | None:
    """The first real (non-decoy) date in ``text``; a labelled one wins when asked."""
    matches = [m for m in find_dates(text) if not m.decoy]
    if labelled_first:
        matches.sort(key=lambda m: not m.labelled)  # stable: keeps page order otherwise
    for m in matches:
        day = m.to_date(as_of)
        if day is not None:
            return day
    return None


def parse_date(text: str, *, as_of: date | None = None, fallback: bool = False) -> date | None:
    """Parse a short date text (a span, a meta value); ``fallback`` allows dateparser."""
    day = first_date(text, as_of=as_of)
    if day is None and fallback:
        day = parse_date_fallback(text, as_of=as_of)
    return day


_RELATIVE_LABEL_RE = re.compile(r"(?:发布|更新)(?:时间|日期)\s*[:：]")


def parse_date_fallback(text: str, *, as_of: date | None = None) -> date | None:
    """dateparser, restricted to zh/en and past dates; relative dates only when labelled.

    Slow (milliseconds a call), hence only for text the grammar found nothing in.
    """
    from dateparser.search import search_dates  # lazy: importing dateparser costs ~0.5 s

    text = text.strip()
    if not text or len(text) > 200:
        return None
    parsers = ["timestamp", "custom-formats", "absolute-time"]
    if _RELATIVE_LABEL_RE.search(text):
        parsers.insert(1, "relative-time")
    settings: dict[str, object] = {
        "PREFER_DATES_FROM": "past",
        "PARSERS": parsers,
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    if as_of is not None:
        settings["RELATIVE_BASE"] = datetime.combine(as_of, time(23, 59))
    found = search_dates(text, languages=["zh", "en"], settings=settings)  # type: ignore[arg-type]
    for _, when in found or []:
        day: date = when.date()
        if as_of is None or day <= as_of:
            return day
    return None
