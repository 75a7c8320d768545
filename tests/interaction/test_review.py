"""The 人工复核 queue through the CLI: transitions, the audit trail, and clean refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Finding, FindingEvent
from scanner.registry import import_file


@pytest.fixture
def registered(db: Database, tmp_path: Path) -> Database:
    with FarmThread(scenario("demo"), now=midday_clock()) as farm:
        path = tmp_path / "registry.yaml"
        path.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, path, datetime.now(UTC))
    return db


def _run(db: Database, *args: str) -> Any:
    return CliRunner().invoke(app, ["review", *args, "--database-url", db.url])


def test_add_confirm_dismiss_and_trail(registered: Database) -> None:
    added = _run(
        registered, "add", "9101210001", "--kind", "虚假或伪造内容",
        "--url", "http://www.qingshan.example.gov.cn/gzdt/x.html",
        "--excerpt", "照片系拼接", "--reviewer", "张科长", "--comment", "群众举报",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "已添加发现 1（虚假或伪造内容，待复核）" in added.output
    listed = _run(registered, "list", "--json")
    rows = json.loads(listed.output)
    assert [(r["id"], r["kind"], r["status"]) for r in rows] == [(1, "false_content", "candidate")]

    ok = _run(registered, "confirm", "1", "--reviewer", "李处长", "--comment", "核实属实")
    assert ok.exit_code == 0 and "已确认" in ok.output
    again = _run(registered, "confirm", "1", "--reviewer", "李处长")
    assert again.exit_code == 2 and "已是「已确认」" in again.output
    assert _run(registered, "list", "--json").output.strip() == "[]"  # nothing waiting
    confirmed = json.loads(_run(registered, "list", "--status", "confirmed", "--json").output)
    assert confirmed[0]["reviewer"] == "李处长" and confirmed[0]["comment"] == "核实属实"

    revised = _run(registered, "dismiss", "1", "-r", "王主任", "-m", "复查：图片为示意图")
    assert revised.exit_code == 0 and "已排除" in revised.output
    shown = json.loads(_run(registered, "show", "1", "--json").output)
    assert [(e["from"], e["to"], e["reviewer"]) for e in shown["events"]] == [
        (None, "candidate", "张科长"),
        ("candidate", "confirmed", "李处长"),
        ("confirmed", "dismissed", "王主任"),
    ]
    assert shown["status"] == "dismissed" and shown["reviewed_at"]
    text = _run(registered, "show", "1")
    assert "复核记录" in text.output and "已确认 → 已排除" in text.output
    reopened = _run(registered, "reopen", "1", "-r", "王主任")
    assert reopened.exit_code == 0 and "退回待复核" in reopened.output
    with registered.session() as session:
        assert len(session.scalars(select(FindingEvent)).all()) == 4


def test_add_confirmed_at_once_and_table(registered: Database) -> None:
    out = _run(
        registered, "add", "http://www.qingshan.example.gov.cn/", "--kind", "inaccurate_guide",
        "--url", "http://www.qingshan.example.gov.cn/bszn/guide_0.html",
        "--reviewer", "张科长", "--confirmed",
    )  # fmt: skip
    assert out.exit_code == 0 and "已确认" in out.output
    with registered.session() as session:
        f = session.scalar(select(Finding))
        assert f is not None and f.status == "confirmed" and f.source == "manual"
    table = _run(registered, "list", "9101210001", "--status", "all")
    assert "办事指南要素不准确" in table.output and "已确认" in table.output


def test_refusals_are_one_clean_line(registered: Database) -> None:
    missing = _run(registered, "confirm", "99", "--reviewer", "张")
    assert missing.exit_code == 2 and "没有编号为 99 的发现" in missing.output
    kind = _run(registered, "add", "9101210001", "--kind", "typo", "--url", "x", "-r", "张")
    assert kind.exit_code == 2 and "未知的发现类别" in kind.output
    site = _run(
        registered, "add", "0000000000", "--kind", "serious_error", "--url", "x", "-r", "张"
    )
    assert site.exit_code == 2 and "没有这个网站" in site.output
    status = _run(registered, "list", "--status", "maybe")
    assert status.exit_code == 2
    no_reviewer = _run(registered, "dismiss", "1")
    assert no_reviewer.exit_code != 0  # --reviewer is required
