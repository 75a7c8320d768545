"""`census demo` end to end, judged against the farm's ground truth (not the scanner's code)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from farm.builtin import DONGHU, QINGSHAN, scenario
from farm.catalog import Catalog
from farm.truth import Truth
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus, Site
from scanner.demo import run_demo


def test_demo_command_prints_the_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--days", "1"])
    assert result.exit_code == 0, result.output
    assert "青山县人民政府" in result.output
    assert "单项否决" in result.output  # the down-a-lot site is flagged
    assert (tmp_path / "census.db").exists()
    # Scoring at T: the list of verdicts, then one scorecard in full.
    assert "普查结论" in result.output and "主要扣分项" in result.output
    assert "合格" in result.output and "不合格" in result.output
    assert "评分表全文" in result.output and "一级指标" in result.output


def test_demo_probes_and_columns_match_the_farm_truth(tmp_path: Path) -> None:
    at = date(2026, 3, 1)
    result = run_demo(tmp_path, days=2, at=at)
    truth = Truth(Catalog(dataclasses.replace(scenario("demo"), today=at), at))

    db = Database(result.database_url)
    with db.session() as session:
        registered = set(session.scalars(select(Site.code)))
        assert registered == {s["code"] for s in truth.registry()["sites"]}
        for host in (DONGHU, QINGSHAN):
            site = session.scalar(select(Site).where(Site.url == f"http://{host}/"))
            assert site is not None
            rows = session.execute(
                select(ProbeResult.started_at, ProbeResult.ok)
                .join(ProbeRound, ProbeResult.round_id == ProbeRound.id)
                .where(ProbeResult.site_id == site.id, ProbeRound.status == RoundStatus.DONE)
            ).all()
            assert len(rows) >= 40  # hourly for two days, less any round judged invalid
            times = [_aware(r.started_at) for r in rows]
            expected_failed = set(truth.failures(host, times))
            observed_failed = {t for t, r in zip(times, rows, strict=True) if not r.ok}
            assert observed_failed == expected_failed
    db.dispose()

    # Donghu is down 1.5 h a day: the demo's hourly probes must have seen it fail.
    reports = {r.url: r for r in result.sites}
    assert reports[f"http://{DONGHU}/"].week.failures > 0
    assert reports[f"http://{QINGSHAN}/"].week.failures == 0
    # Every readable column's newest date is the truth's newest dated item.
    for column in reports[f"http://{QINGSHAN}/"].columns:
        expected = truth.column(QINGSHAN, column.name)
        if expected.category in ("online_system", "guide"):
            continue
        assert column.ok, column
        assert column.newest == expected.newest, column.name


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
