"""The whole path with the real scorer: draw → census score at T → samples → supervision.

Also the supervision figures on a real PostgreSQL server (the SQL must not be SQLite-only).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from scanner.cli.app import app
from scanner.db import Database
from tests.reports.conftest import build_world
from tests.reports.scenario import build_2025


def test_real_scorecards_are_read_at_the_sample_date(run: Any) -> None:
    drawn = run(
        "report",
        "sampling",
        "--year",
        "2025",
        "--quarter",
        "2",
        "--size",
        "2",
        "--seed",
        "3",
        "--at",
        "2025-06-15",
        "--json",
    )
    assert drawn.exit_code == 0, drawn.output
    codes = [s["code"] for s in json.loads(drawn.stdout)["sites"]]
    before = json.loads(run("report", "samples", "--year", "2025", "--json").stdout)
    assert {s["outcome"] for s in before[0]["sites"]} == {"pending"}
    scored = run("score", codes[0], "--at", "2025-06-15")
    assert scored.exit_code == 0, scored.output
    run("score", codes[1], "--at", "2025-06-14")  # the wrong day: still pending
    after = json.loads(run("report", "samples", "--year", "2025", "--json").stdout)
    outcome = {s["code"]: s for s in after[0]["sites"]}
    assert outcome[codes[0]]["outcome"] in ("qualified", "unqualified")
    assert outcome[codes[0]]["ruleset"] == "census-2015"
    assert outcome[codes[1]]["outcome"] == "pending"
    q2 = json.loads(run("report", "supervision", "--year", "2025", "--json").stdout)["rows"][1]
    assert (q2["total_sites"], q2["sampled"], q2["pending"]) == (12, 2, 1)
    assert q2["qualified"] + q2["unqualified"] == 1


@pytest.mark.postgres
def test_supervision_on_postgres(postgres_url: str) -> None:
    db = Database(postgres_url)
    db.upgrade()
    try:
        build_world(db)
        build_2025(db)
        result = CliRunner().invoke(
            app,
            ["report", "supervision", "--year", "2025", "--json", "--database-url", postgres_url],
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)["rows"]
        assert [
            (r["total_sites"], r["sampled"], r["pass_rate"], r["accountability"]["total"])
            for r in rows
        ] == [
            (12, 5, "75.00%", 5),
            (12, 2, "50.00%", 2),
            (None, 0, None, 0),
            (11, 3, "66.67%", 1),
            (11, 10, "66.67%", 8),
        ]
    finally:
        db.dispose()
