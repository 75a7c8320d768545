"""``census report …`` through typer's CliRunner: output, files, and clean refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from scanner.db import Database
from scanner.reports.xlsx import FIRST_DATA_ROW, SHEET
from tests.reports.conftest import count_rows
from tests.reports.scenario import build_2025

DRAW = (
    "report",
    "sampling",
    "--year",
    "2025",
    "--quarter",
    "1",
    "--org",
    "440000",
    "--at",
    "2025-03-01",
)


def test_sampling_json_and_reproducible(run: Any, world: Database) -> None:
    first = run(*DRAW, "--size", "4", "--seed", "99", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["population"] == 12 and data["seed"] == 99 and len(data["sites"]) == 4
    again = run(*DRAW, "--size", "4", "--seed", "99", "--replace", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["sites"] == data["sites"]
    assert json.loads(again.stdout)["replaced"] == data["id"]


def test_sampling_table_names_strata_and_seed(run: Any) -> None:
    result = run(*DRAW, "--ratio", "25%", "--by", "level", "--seed", "7")
    assert result.exit_code == 0, result.output
    # 12 × 25 % = 3; province .75 / city 1.25 / county 1.0 → 1 / 1 / 1
    assert "网站总数 12，抽取 3 个（25.00%）" in result.stdout
    assert "种子 7" in result.stdout and "按层级分层" in result.stdout
    assert "省级" in result.stdout and "县级" in result.stdout


def test_a_second_sample_is_refused_without_replace(run: Any, world: Database) -> None:
    assert run(*DRAW, "--size", "2", "--seed", "1").exit_code == 0
    before = count_rows(world)
    result = run(*DRAW, "--size", "3", "--seed", "2")
    assert result.exit_code == 2
    assert "--replace" in result.stderr
    assert count_rows(world) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--quarter", "5"), "季度应为 1–4"),
        (("--org", "999999"), "未知的组织代码"),
        (("--at", "2025-02-30"), "--at 应为"),
        (("--at", "2025-05-01"), "不在 2025年第1季度"),
        (("--ratio", "150"), "不超过 100%"),
        (("--by", "colour"), "无法按"),
    ],
)
def test_bad_sampling_input(run: Any, world: Database, args: tuple[str, ...], words: str) -> None:
    # later options override earlier ones in click, so the bad value wins
    result = run(*DRAW, "--size", "2", *args)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert count_rows(world)["samplings"] == 0


def test_samples_show_each_result(run: Any, world: Database) -> None:
    build_2025(world)
    result = run("report", "samples", "--year", "2025", "--quarter", "1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["organisation"] for d in data] == ["440000", "440100"]
    outcomes = {s["code"]: (s["outcome"], s["provisional"]) for s in data[0]["sites"]}
    assert outcomes == {
        "4400000001": ("qualified", False),
        "4401000002": ("unqualified", False),
        "4401030002": ("qualified", True),
        "4401040002": ("pending", False),
    }
    table = run("report", "samples", "--year", "2025", "--quarter", "1")
    assert "待评分" in table.stdout and "合格（暂定）" in table.stdout


def test_samples_xlsx(run: Any, world: Database, tmp_path: Path) -> None:
    build_2025(world)
    out = tmp_path / "抽查网站.xlsx"
    result = run("report", "samples", "--year", "2025", "--org", "440100", "--xlsx", str(out))
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["抽查网站"]
    assert ws["A1"].value == "广州市 2025年网站抽查情况"
    assert [c.value for c in ws[2]][:4] == ["季度", "抽查单位", "网站标识码", "网站名称"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    # 广州市's own Q1 draw only: 1001 and 1002, both 合格 at 03-10
    assert [(r[0], r[1], r[2], r[5], r[6], r[8], r[9]) for r in rows] == [
        ("第一季度", "广州市", "4401000001", "门户", "广州市", "2025-03-10", "合格"),
        ("第一季度", "广州市", "4401000002", "部门", "广州市", "2025-03-10", "合格"),
    ]


def test_supervision_table_json_and_xlsx(run: Any, world: Database, tmp_path: Path) -> None:
    build_2025(world)
    out = tmp_path / "报表.xlsx"
    result = run("report", "supervision", "--year", "2025", "--xlsx", str(out))
    assert result.exit_code == 0, result.output
    for text in ("广东省", "41.67%", "75.00%", "16.67%", "27.27%", "66.67%", "待评分 1 个"):
        assert text in result.stdout
    ws = load_workbook(out)[SHEET]
    assert [ws.cell(FIRST_DATA_ROW + 4, c).value for c in range(1, 8)] == [
        "全年",
        11,
        None,
        10,
        0.6667,
        3,
        8,
    ]
    data = json.loads(
        run("report", "supervision", "--year", "2025", "--org", "440100", "--json").stdout
    )
    assert data["rows"][0]["total_sites"] == 7 and data["rows"][0]["pass_rate"] == "100.00%"


def test_supervision_refusals_write_no_file(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    result = run("report", "supervision", "--year", "2025", "--org", "999999", "--xlsx", str(out))
    assert result.exit_code == 2 and "未知的组织代码" in result.stderr
    assert not out.exists()
    result = run("report", "supervision", "--year", "2025", "--xlsx", str(tmp_path / "r.csv"))
    assert result.exit_code == 2 and ".xlsx" in result.stderr
    result = run("report", "supervision", "--year", "2025", "--performance-weight", "x")
    assert result.exit_code == 2


def test_accountability_add_counts_once_at_the_heaviest(run: Any, world: Database) -> None:
    for form, day in (("约谈", "2025-01-05"), ("通报批评", "2025-02-05"), ("其他", "2025-03-05")):
        added = run(
            "report",
            "accountability",
            "add",
            "--org",
            "440103",
            "--target",
            "李四",
            "--form",
            form,
            "--date",
            day,
            "--site",
            "4401030001",
        )
        assert added.exit_code == 0, added.output
        assert "计入 2025年第1季度" in added.stdout
    run(
        "report",
        "accountability",
        "add",
        "--org",
        "440103",
        "--target",
        "李四",
        "--form",
        "约谈",
        "--date",
        "2025-04-05",
    )
    data = json.loads(run("report", "supervision", "--year", "2025", "--json").stdout)
    assert data["rows"][0]["accountability"]["total"] == 1
    assert data["rows"][0]["accountability"]["通报批评"] == 1
    assert data["rows"][1]["accountability"]["约谈"] == 1
    assert data["rows"][4]["accountability"]["total"] == 2
    listed = json.loads(run("report", "accountability", "list", "--year", "2025", "--json").stdout)
    assert len(listed) == 4 and listed[0]["site"] == "4401030001"
    removed = run("report", "accountability", "remove", str(listed[1]["id"]))
    assert removed.exit_code == 0 and "已删除" in removed.stdout
    data = json.loads(run("report", "supervision", "--year", "2025", "--json").stdout)
    assert data["rows"][0]["accountability"]["约谈"] == 1  # 通报批评 gone, 约谈 remains


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--form", "罚款"), "未知的问责形式"),
        (("--quarter", "5"), "季度应为 1–4"),
        (("--org", "999999"), "未知的组织代码"),
        (("--site", "0000000000"), "未知的网站标识码"),
        (("--date", "yesterday"), "--date 应为"),
        (("--target", "  "), "问责对象不能为空"),
    ],
)
def test_bad_accountability_input(
    run: Any, world: Database, args: tuple[str, ...], words: str
) -> None:
    base = [
        "report",
        "accountability",
        "add",
        "--org",
        "440100",
        "--target",
        "张三",
        "--form",
        "约谈",
        "--date",
        "2025-01-05",
    ]
    result = run(*base, *args)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert count_rows(world)["accountability_actions"] == 0


def test_remove_unknown_action(run: Any) -> None:
    result = run("report", "accountability", "remove", "42")
    assert result.exit_code == 2 and "没有编号为 42" in result.stderr


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scanner.cli.app import app

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        app, ["report", "supervision", "--year", "2025", "--database-url", url]
    )
    assert result.exit_code != 0
    assert "census db upgrade" in str(result.exception)


def test_retime_moves_one_site_to_the_day_it_was_checked(run: Any, world: Database) -> None:
    from tests.reports.conftest import add_scorecard

    build_2025(world)
    add_scorecard(world, "4401040002", "2025-03-20", qualified=True)
    moved = run(
        "report",
        "retime",
        "4401040002",
        "--year",
        "2025",
        "--quarter",
        "1",
        "--org",
        "440000",
        "--at",
        "2025-03-20",
    )
    assert moved.exit_code == 0, moved.output
    assert "由 2025-03-01 改为 2025-03-20" in moved.stdout
    q1 = json.loads(run("report", "supervision", "--year", "2025", "--json").stdout)["rows"][0]
    # the pending site is now 合格: 4 of 5 judged, 网站总数 still at the sample's T (12)
    assert (q1["total_sites"], q1["pending"], q1["qualified"], q1["pass_rate"]) == (
        12,
        0,
        4,
        "80.00%",
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("4401040002", "--quarter", "1", "--at", "2025-04-01"), "不在 2025年第1季度"),
        (("4402000001", "--quarter", "1", "--at", "2025-03-20"), "不在广东省"),
        (("4401040002", "--quarter", "3", "--at", "2025-08-01"), "没有抽查记录"),
        (("4401040002", "--quarter", "5", "--at", "2025-03-20"), "季度应为 1–4"),
    ],
)
def test_bad_retime(run: Any, world: Database, args: tuple[str, ...], words: str) -> None:
    build_2025(world)
    result = run("report", "retime", *args, "--year", "2025", "--org", "440000")
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    samples = json.loads(
        run("report", "samples", "--year", "2025", "--quarter", "1", "--json").stdout
    )
    assert {s["at"] for s in samples[0]["sites"]} == {"2025-03-01"}
