"""Windows are closed day ranges [T − N, T] counted back by the calendar (table's 注)."""

from __future__ import annotations

from datetime import date

import pytest

from scoring.params import Period


@pytest.mark.parametrize(
    ("at", "period", "start"),
    [
        # The table's own example: 监测时间点为3月1日，前2个月内 = 1月1日至3月1日.
        (date(2015, 3, 1), {"months": 2}, date(2015, 1, 1)),
        # Weeks are 7 days: T − 2 weeks = T − 14 days.
        (date(2015, 6, 30), {"weeks": 2}, date(2015, 6, 16)),
        # Month ends: 3月31日 − 1个月 = 2月28日 (no 2月31日); leap year 2月29日.
        (date(2015, 3, 31), {"months": 1}, date(2015, 2, 28)),
        (date(2016, 3, 31), {"months": 1}, date(2016, 2, 29)),
        (date(2015, 8, 31), {"months": 6}, date(2015, 2, 28)),
        # A calendar year: 2016-02-29 − 1 年 = 2015-02-28.
        (date(2016, 2, 29), {"years": 1}, date(2015, 2, 28)),
        (date(2015, 6, 30), {"years": 1}, date(2014, 6, 30)),
        (date(2015, 6, 30), {"days": 7}, date(2015, 6, 23)),
    ],
)
def test_window_start(at: date, period: dict[str, int], start: date) -> None:
    assert Period(**period).start(at) == start


def test_three_months_after_a_month_end() -> None:
    # 11月30日 + 3个月 = 2月29日 in a leap year, 2月28日 otherwise.
    assert Period(months=3).after(date(2015, 11, 30)) == date(2016, 2, 29)
    assert Period(months=3).after(date(2014, 11, 30)) == date(2015, 2, 28)


@pytest.mark.parametrize("bad", [{}, {"days": 1, "weeks": 1}, {"months": 0}])
def test_period_needs_exactly_one_unit(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Period(**bad)
