"""问责人次: once per target per quarter at the heaviest form; 其他 the lightest."""

from __future__ import annotations

import pytest

from scanner.db.models import AccountabilityForm as F
from scanner.reports import ReportError
from scanner.reports.accountability import (
    FORM_COLUMNS,
    FORM_LABEL,
    SEVERITY,
    Entry,
    count_quarter,
    count_year,
    heavier,
    parse_form,
)


def test_severity_order_is_explicit() -> None:
    assert [FORM_LABEL[f] for f in SEVERITY] == [
        "其他",
        "约谈",
        "书面检查",
        "通报批评",
        "警告或记过处分",
        "调离岗位或免职",
    ]
    # the form's columns keep its own order, 其他 last
    assert [FORM_LABEL[f] for f in FORM_COLUMNS] == [
        "约谈",
        "书面检查",
        "通报批评",
        "警告或记过处分",
        "调离岗位或免职",
        "其他",
    ]
    assert heavier(F.OTHER, F.INTERVIEW) == F.INTERVIEW
    assert heavier(F.REMOVAL, F.DISCIPLINE) == F.REMOVAL


@pytest.mark.parametrize(
    ("word", "form"),
    [
        ("约谈", F.INTERVIEW),
        ("书面检查", F.WRITTEN_REVIEW),
        ("通报批评", F.CRITICISM),
        ("警告或记过处分", F.DISCIPLINE),
        ("记过", F.DISCIPLINE),
        ("免职", F.REMOVAL),
        ("调离岗位或免职", F.REMOVAL),
        ("其他", F.OTHER),
        ("Removal", F.REMOVAL),
    ],
)
def test_form_words(word: str, form: F) -> None:
    assert parse_form(word) == form


def test_unknown_form() -> None:
    with pytest.raises(ReportError, match="未知的问责形式"):
        parse_form("罚款")


def _e(q: int, org: int, target: str, form: F) -> Entry:
    return Entry(q, org, target, form)


def test_one_target_once_per_quarter_at_its_heaviest() -> None:
    counts = count_quarter(
        [
            _e(1, 1, "张三", F.INTERVIEW),
            _e(1, 1, "张三", F.REMOVAL),
            _e(1, 1, "张三", F.OTHER),
            _e(1, 1, "李四", F.OTHER),
            _e(1, 1, "李四", F.OTHER),
            _e(1, 2, "张三", F.WRITTEN_REVIEW),  # same name, another organisation: another person
            _e(1, 1, " 王五\u3000", F.CRITICISM),
            _e(1, 1, "王五", F.INTERVIEW),  # spacing ignored
        ]
    )
    assert counts.by_form == {
        F.INTERVIEW: 0,
        F.WRITTEN_REVIEW: 1,
        F.CRITICISM: 1,
        F.DISCIPLINE: 0,
        F.REMOVAL: 1,
        F.OTHER: 1,
    }
    assert counts.total == 4


def test_the_year_is_the_sum_of_quarters() -> None:
    quarters, year = count_year(
        [
            _e(1, 1, "张三", F.INTERVIEW),
            _e(2, 1, "张三", F.INTERVIEW),  # two quarters: twice
            _e(2, 1, "张三", F.CRITICISM),
            _e(4, 1, "李四", F.OTHER),
        ]
    )
    assert [quarters[q].total for q in (1, 2, 3, 4)] == [1, 1, 0, 1]
    assert quarters[2].by_form[F.CRITICISM] == 1 and quarters[2].by_form[F.INTERVIEW] == 0
    assert year.total == 3
    assert year.by_form[F.INTERVIEW] == 1 and year.by_form[F.CRITICISM] == 1
