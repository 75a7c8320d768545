"""The xlsx in the form's layout, read back with openpyxl."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from scanner.db import Database
from scanner.reports.supervision import supervision
from scanner.reports.xlsx import FIRST_DATA_ROW, HEADER_ROW, SHEET, write_supervision
from tests.reports.scenario import build_2025


def _write(world: Database, path: Path, weight: Decimal | None = None) -> None:
    build_2025(world)
    with world.session() as s:
        report = supervision(s, "440000", 2025)
    write_supervision(report, path, filled_on=date(2026, 1, 20), performance_weight=weight)


def test_layout_and_figures(world: Database, tmp_path: Path) -> None:
    path = tmp_path / "监管年度报表.xlsx"
    _write(world, path)
    ws = load_workbook(path)[SHEET]
    assert ws["A1"].value == "政府网站监管年度报表"
    assert ws["A2"].value == "（2025年度）"
    assert ws["A3"].value == "填报单位：广东省（440000）"
    assert ws["A4"].value == "一、网站抽查"
    header = [ws.cell(HEADER_ROW, c).value for c in range(1, 8)]
    assert header == [
        "季度",
        "网站总数",
        "抽查比例",
        "抽查网站数量",
        "抽查合格率",
        "不合格网站数量",
        "问责人次",
    ]
    sub = [ws.cell(HEADER_ROW + 1, c).value for c in range(7, 14)]
    assert sub == [
        "合计",
        "约谈",
        "书面检查",
        "通报批评",
        "警告或记过处分",
        "调离岗位或免职",
        "其他",
    ]
    assert f"G{HEADER_ROW}:M{HEADER_ROW}" in {str(r) for r in ws.merged_cells.ranges}
    rows = [
        [ws.cell(r, c).value for c in range(1, 14)]
        for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 5)
    ]
    assert rows == [
        ["第一季度", 12, 0.4167, 5, 0.75, 1, 5, 2, 0, 1, 1, 0, 1],
        ["第二季度", 12, 0.1667, 2, 0.5, 1, 2, 0, 1, 0, 0, 1, 0],
        ["第三季度", None, None, 0, None, 0, 0, 0, 0, 0, 0, 0, 0],
        ["第四季度", 11, 0.2727, 3, 0.6667, 1, 1, 1, 0, 0, 0, 0, 0],
        ["全年", 11, None, 10, 0.6667, 3, 8, 3, 1, 1, 1, 1, 1],
    ]
    assert ws.cell(FIRST_DATA_ROW, 3).number_format == "0.00%"
    assert ws.cell(FIRST_DATA_ROW, 5).number_format == "0.00%"
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("是否纳入政府年度绩效考核" in t and "□是" in t for t in texts)
    assert any("待评分 1 个" in t for t in texts)
    assert any("第三季度未开展抽查" in t for t in texts)
    assert any(t.startswith("单位负责人") for t in texts)
    assert any("填报日期：2026-01-20" in t for t in texts)
    assert not (tmp_path / "监管年度报表.xlsx.part").exists()


def test_performance_weight(world: Database, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    _write(world, path, Decimal("5"))
    texts = [
        str(c.value)
        for row in load_workbook(path)[SHEET].iter_rows()
        for c in row
        if c.value is not None
    ]
    assert any("☑是（所占比重：5%）" in t for t in texts)
