"""网站抽查 figures per quarter and year, each worked out by hand from scenario.build_2025."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scanner.db import Database
from scanner.db.models import AccountabilityForm as F
from scanner.reports import ReportError
from scanner.reports.common import percent
from scanner.reports.supervision import Supervision, supervision
from tests.reports.scenario import build_2025


@pytest.fixture
def year_2025(world: Database) -> Database:
    build_2025(world)
    return world


def _report(db: Database, org: str | None, ruleset: str | None = None) -> Supervision:
    with db.session() as s:
        return supervision(s, org, 2025, ruleset)


def _figures(report: Supervision) -> list[tuple]:
    return [
        (
            r.label,
            r.total_sites,
            percent(r.sample_ratio),
            r.sampled,
            percent(r.pass_rate),
            r.unqualified,
            r.pending,
            r.provisional,
        )
        for r in report.rows
    ]


def test_province_figures(year_2025: Database) -> None:
    report = _report(year_2025, "440000")
    assert _figures(report) == [
        # Q1: own T 03-01 → 12 running; 4 own + 4401000001 from 广州市's draw (4401000002
        # counted once, at the province's T: 不合格); 合格 0001, 30002 (provisional), 1001;
        # 40002 has no scorecard → pending. 5/12, 3/4.
        ("第一季度", 12, "41.67%", 5, "75.00%", 1, 1, 1),
        # Q2: only 韶关市 drew (T 06-15): 12 running then (1004 opened, 30002 merged). 2/12, 1/2.
        ("第二季度", 12, "16.67%", 2, "50.00%", 1, 0, 0),
        ("第三季度", None, "—", 0, "—", 0, 0, 0),
        # Q4: T 12-01, 4402000002 closed on 11-30 → 11. 3/11; 1004 qualified under the newest
        # scorecard; 0002 不合格. 2/3.
        ("第四季度", 11, "27.27%", 3, "66.67%", 1, 0, 0),
        # Year: 11 running on 12-31; 10 sampled; 6 合格 / 9 judged.
        ("全年", 11, "—", 10, "66.67%", 3, 1, 1),
    ]
    assert report.organisation_name == "广东省"
    assert report.quarters[1].pass_rate == Decimal("0.7500")


def test_province_accountability(year_2025: Database) -> None:
    report = _report(year_2025, "440000")
    q1 = report.quarters[1].accountability.by_form
    # 张三(广州) 约谈+通报批评+书面检查 → 通报批评; 李四 其他+约谈 → 约谈; 张三(越秀) 约谈;
    # 王五 其他; 赵六 警告 (dated April, entered for Q1)
    assert q1 == {
        F.INTERVIEW: 2,
        F.WRITTEN_REVIEW: 0,
        F.CRITICISM: 1,
        F.DISCIPLINE: 1,
        F.REMOVAL: 0,
        F.OTHER: 1,
    }
    assert report.quarters[1].accountability.total == 5
    # 张三 调离+警告 → 调离; 李四 / "李四 " 书面检查+其他 → 书面检查
    assert report.quarters[2].accountability.by_form[F.REMOVAL] == 1
    assert report.quarters[2].accountability.by_form[F.WRITTEN_REVIEW] == 1
    assert report.quarters[2].accountability.total == 2
    assert report.quarters[3].accountability.total == 0
    assert report.quarters[4].accountability.by_form[F.INTERVIEW] == 1  # twice, counted once
    assert report.quarters[4].accountability.total == 1
    year = report.year_total.accountability
    assert year.by_form == {
        F.INTERVIEW: 3,
        F.WRITTEN_REVIEW: 1,
        F.CRITICISM: 1,
        F.DISCIPLINE: 1,
        F.REMOVAL: 1,
        F.OTHER: 1,
    }
    assert year.total == 8  # 5 + 2 + 0 + 1; the 2024 action is not in it


def test_city_sees_its_own_tree_only(year_2025: Database) -> None:
    report = _report(year_2025, "440100")
    assert _figures(report) == [
        # own draw at 03-10: 7 running; 1001 and 1002 both 合格 at 03-10
        ("第一季度", 7, "28.57%", 2, "100.00%", 0, 0, 0),
        ("第二季度", None, "—", 0, "—", 0, 0, 0),  # 韶关市 is not below 广州市
        ("第三季度", None, "—", 0, "—", 0, 0, 0),
        ("第四季度", None, "—", 0, "—", 0, 0, 0),  # the province's draw is not the city's
        ("全年", 7, "—", 2, "100.00%", 0, 0, 0),  # 4 + 1 + 2 on 12-31
    ]
    # 张三(广州) 通报批评, 李四 约谈, 张三(越秀) 约谈, 赵六 警告 | 调离, 书面检查
    assert [r.accountability.total for r in report.rows] == [4, 2, 0, 0, 6]


def test_a_ruleset_can_be_chosen(year_2025: Database) -> None:
    # 4401000004's "custom" scorecard says 不合格; 4400000002 has no custom one → pending
    q4 = _report(year_2025, "440000", ruleset="custom").quarters[4]
    assert (q4.sampled, q4.qualified, q4.unqualified, q4.pending) == (3, 0, 1, 2)


def test_the_only_root_is_the_default(year_2025: Database) -> None:
    assert _report(year_2025, None).organisation_code == "440000"


def test_unknown_organisation(year_2025: Database) -> None:
    with pytest.raises(ReportError, match="未知的组织"):
        _report(year_2025, "999999")


def test_json_shape(year_2025: Database) -> None:
    data = _report(year_2025, "440000").as_dict()
    q1 = data["rows"][0]
    assert q1["sample_ratio"] == "41.67%" and q1["pass_rate"] == "75.00%"
    assert q1["accountability"] == {
        "total": 5,
        "约谈": 2,
        "书面检查": 0,
        "通报批评": 1,
        "警告或记过处分": 1,
        "调离岗位或免职": 0,
        "其他": 1,
    }
    assert data["rows"][4]["period"] == "全年" and data["rows"][4]["sample_ratio"] is None
