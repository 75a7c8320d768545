"""广东省 in 2025, written by hand: samplings, scorecards and 问责 (see test_supervision)."""

from __future__ import annotations

from datetime import timedelta

from scanner.db import Database
from tests.reports.conftest import NOW, add_action, add_sampling, add_scorecard

EARLIER = NOW - timedelta(days=3)


def build_2025(db: Database) -> None:
    add_sampling(
        db,
        "440000",
        2025,
        1,
        "2025-03-01",
        ["4400000001", "4401000002", "4401030002", "4401040002"],
    )
    add_sampling(db, "440100", 2025, 1, "2025-03-10", ["4401000001", "4401000002"])
    add_sampling(db, "440200", 2025, 2, "2025-06-15", ["4402000001", "4402000002"])
    add_sampling(db, "440000", 2025, 4, "2025-12-01", ["4400000002", "4401000004", "4401040001"])
    add_sampling(db, "440000", 2024, 4, "2024-12-01", ["4400000001"])  # another year

    add_scorecard(db, "4400000001", "2025-03-01", qualified=True)
    add_scorecard(db, "4400000001", "2025-02-01", qualified=False)  # not the sample's T
    add_scorecard(db, "4401000002", "2025-03-01", qualified=False)
    add_scorecard(db, "4401000002", "2025-03-10", qualified=True)  # 广州市's own T
    add_scorecard(db, "4401030002", "2025-03-01", qualified=True, provisional=True)
    # 4401040002: no scorecard at 2025-03-01 → pending
    add_scorecard(db, "4401000001", "2025-03-10", qualified=True)
    add_scorecard(db, "4402000001", "2025-06-15", qualified=True)
    add_scorecard(db, "4402000002", "2025-06-15", qualified=False)
    add_scorecard(db, "4400000002", "2025-12-01", qualified=False)
    add_scorecard(db, "4401000004", "2025-12-01", qualified=True)
    add_scorecard(
        db, "4401000004", "2025-12-01", qualified=False, ruleset="custom", computed_at=EARLIER
    )
    add_scorecard(db, "4401040001", "2025-12-01", qualified=True)

    # Q1
    add_action(db, "440100", "张三", "interview", "2025-01-10")
    add_action(db, "440100", "张三", "criticism", "2025-02-20")
    add_action(db, "440100", "张三", "written_review", "2025-03-05")
    add_action(db, "440103", "李四", "other", "2025-02-01")
    add_action(db, "440103", "李四", "interview", "2025-03-01")
    add_action(db, "440104", "张三", "interview", "2025-03-15")  # another 张三
    add_action(db, "440200", "王五", "other", "2025-03-20")
    add_action(db, "440103", "赵六", "discipline", "2025-04-02", quarter=1)  # counted in Q1
    # Q2
    add_action(db, "440100", "张三", "removal", "2025-04-15")
    add_action(db, "440100", "张三", "discipline", "2025-05-01")
    add_action(db, "440103", "李四 ", "written_review", "2025-06-01")
    add_action(db, "440103", "李四", "other", "2025-06-02")
    # Q4
    add_action(db, "440000", "办公室主任", "interview", "2025-10-10")
    add_action(db, "440000", "办公室主任", "interview", "2025-11-11")
    # another year
    add_action(db, "440100", "张三", "removal", "2024-12-01")
