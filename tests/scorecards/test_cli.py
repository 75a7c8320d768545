"""``census score`` and ``census scorecard`` through typer's CliRunner on the hand-built database.

Site A has a confirmed 严重错误 finding (veto) and a confirmed broken homepage link; B was never
checked; C was read once (a news column last updated a month before T, no homepage entries).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from scanner.db.models import Scorecard
from scoring import RULE_IDS, default_ruleset_path
from tests.scorecards.conftest import Built

AT = "2026-03-01"


def test_score_all_stores_and_replaces(cli: Callable[..., Any], built: Built) -> None:
    result = cli("score", "--all", "--at", AT)
    assert result.exit_code == 0, result.output
    for header in ("网站", "结论", "单项否决", "扣分", "是否暂定"):
        assert header in result.stdout
    assert (
        "甲市人民政府" in result.stdout
        and "不合格" in result.stdout
        and "严重错误" in result.stdout
    )
    assert "共 3 个网站" in result.stdout
    again = cli("score", "9900000001", "--at", AT)
    assert again.exit_code == 0, again.output
    with built.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Scorecard)) == 3
        card = s.scalar(select(Scorecard).where(Scorecard.site_id == built.ids["A"]))
        assert card is not None
        assert (card.ruleset, card.ruleset_version, card.qualified) == (
            "census-2015",
            "2015.1",
            False,
        )
        assert card.body["verdict"] == "unqualified"


def test_json_contract(cli: Callable[..., Any]) -> None:
    result = cli("scorecard", "9900000001", "--at", AT, "--json")
    assert result.exit_code == 0, result.output
    assert "现场计算" in result.stderr  # nothing stored for that date: computed on the fly
    body = json.loads(result.stdout)
    assert body["verdict"] == "unqualified" and body["verdict_label"] == "不合格"
    assert isinstance(body["provisional"], bool) and isinstance(body["reasons"], list)
    assert body["total_deduction"] == 0  # vetoed: deductions are shown but not scored
    assert list(body["rules"]) == list(RULE_IDS)
    for rule in body["rules"].values():
        assert {"holds", "points", "figure", "evidence"} <= set(rule)
    veto = body["rules"]["veto.serious_error"]
    assert veto["holds"] is True and veto["points"] is None
    assert veto["evidence"][0]["url"] == "http://www.a.gov.cn/x.html"
    links = body["rules"]["availability.links"]
    assert links["scored"] is False and links["points"] == 1
    counted = [e for e in links["evidence"] if e["counted"]]
    assert [e["target"] for e in counted] == ["http://www.a.gov.cn/dead.html"]


def test_stored_card_is_shown_as_stored(cli: Callable[..., Any]) -> None:
    assert cli("score", "--all", "--at", AT).exit_code == 0
    result = cli("scorecard", "http://www.a.gov.cn/", "--at", AT)
    assert result.exit_code == 0, result.output
    assert "已保存的评分表" in result.stdout
    for text in ("一级指标", "二级指标", "单项否决", "严重错误", "不合格", "不计分"):
        assert text in result.stdout


def test_xlsx_like_the_official_table(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "甲.xlsx"
    result = cli("scorecard", "www.a.gov.cn", "--at", AT, "--xlsx", str(out))
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    assert ws["A1"].value == "全国政府网站普查评分表"
    assert (ws["B2"].value, ws["D2"].value) == ("甲市人民政府", "9900000001")
    assert ws["B3"].value == AT and "2015.1" in ws["D3"].value
    assert ws["F3"].value.startswith("不合格（单项否决：") and "严重错误" in ws["F3"].value
    headers = [ws.cell(6, c).value for c in range(1, 7)]
    assert headers == ["一级指标", "二级指标", "考察点", "扣分细则", "存在的问题", "扣分"]
    rows = {ws.cell(r, 2).value: r for r in range(7, ws.max_row + 1)}
    # 单项否决 rows first, "—" in 扣分; the group cell is merged over all five.
    assert ws.cell(7, 1).value == "单项否决" and ws.cell(7, 2).value == "站点无法访问"
    assert "A7:A11" in {str(r) for r in ws.merged_cells.ranges}
    veto = rows["严重错误"]
    assert ws.cell(veto, 6).value == "—"
    assert "错字" in ws.cell(veto, 5).value and "领导人姓名写错" in ws.cell(veto, 5).value
    assert "严重错别字" in ws.cell(veto, 4).value  # 扣分细则 from the ruleset
    # The table's note row, then the deductions.
    assert ws.cell(12, 1).value.startswith("注：如果网站出现“单项否决”")
    link = rows["链接可用性"]
    assert (link, ws.cell(13, 1).value) == (14, "网站可用性")
    assert "A13:A14" in {str(r) for r in ws.merged_cells.ranges}
    assert "http://www.a.gov.cn/dead.html" in ws.cell(link, 5).value
    assert "首页链接打不开或错误" in ws.cell(link, 5).value
    assert ws.cell(link, 6).value == "不计分（1）"


def test_unknown_site_exits_2(cli: Callable[..., Any]) -> None:
    result = cli("scorecard", "1234567890", "--at", AT)
    assert result.exit_code == 2
    assert "1234567890" in result.stderr
    assert cli("score", "www.nowhere.gov.cn", "--at", AT).exit_code == 2


def test_bad_arguments_exit_2(cli: Callable[..., Any]) -> None:
    assert cli("score", "--at", AT).exit_code == 2  # neither SITE nor --all
    result = cli("scorecard", "9900000001", "--at", "2026-13-01")
    assert result.exit_code == 2 and "2026-13-01" in result.stderr


def test_bad_ruleset_exits_2_with_file_and_line(cli: Callable[..., Any], tmp_path: Path) -> None:
    text = default_ruleset_path().read_text(encoding="utf-8")
    bad = tmp_path / "local.yaml"
    bad.write_text(text.replace("points_each: 3", "points_each: -3"), encoding="utf-8")
    line = next(
        n for n, row in enumerate(bad.read_text().splitlines(), 1) if "points_each: -3" in row
    )
    result = cli("score", "--all", "--at", AT, "--ruleset", str(bad))
    assert result.exit_code == 2
    assert "local.yaml" in result.stderr and f"line {line}" in result.stderr
    assert "points_each" in result.stderr


def test_score_in_worker_processes(cli: Callable[..., Any], built: Built) -> None:
    result = cli("score", "--all", "--at", AT, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "共 3 个网站：合格" in result.stdout and "不合格 " in result.stdout
    with built.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Scorecard)) == 3


def test_long_summaries_list_the_unqualified_only(
    cli: Callable[..., Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr("scanner.cli.score.MAX_ROWS", 2)
    result = cli("score", "--all", "--at", AT)
    assert result.exit_code == 0, result.output
    assert "仅列出不合格网站" in result.stdout
    assert "甲市人民政府" in result.stdout  # 不合格 (严重错误)
    assert "乙县人民政府" not in result.stdout  # 合格, counted below the table
    assert "共 3 个网站" in result.stdout
