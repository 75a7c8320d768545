"""Re-importing updates in place by code; configured columns follow the file, discovered stay."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scanner.db.models import Column, ColumnSource, Site
from scanner.registry.store import count_rows
from tests.registry.conftest import EXAMPLE, dump, write_yaml


def _counts(db: Any) -> dict[str, int]:
    with db.session() as s:
        return count_rows(s)


def test_first_import_summary_in_chinese(run: Any) -> None:
    result = run("sites", "import", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "组织机构：新增 3，更新 0" in result.stdout
    assert "网站：新增 6，更新 0" in result.stdout
    assert "栏目：新增 22，更新 0" in result.stdout


def test_same_file_twice_changes_nothing(run: Any, reg_db: Any) -> None:
    run("sites", "import", str(EXAMPLE))
    before = dump(reg_db)
    result = run("sites", "import", str(EXAMPLE))
    assert result.exit_code == 0
    assert "网站：新增 0，更新 0，未变 6" in result.stdout
    assert dump(reg_db) == before


def test_reimport_updates_in_place(
    tmp_path: Path, run: Any, reg_db: Any, example_data: dict[str, Any]
) -> None:
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    counts = _counts(reg_db)
    data = copy.deepcopy(example_data)
    county = next(s for s in data["sites"] if s["code"] == "9901020001")
    county["name"] = "示例县人民政府（新版）"
    county["columns"][0]["name"] = "县政动态"
    county["columns"][1]["category"] = "policy"
    data["organisations"][2]["name"] = "示例县（改）"
    result = run("sites", "import", str(write_yaml(tmp_path / "v2.yaml", data)))
    assert result.exit_code == 0, result.output
    assert "网站：新增 0，更新 1，未变 5" in result.stdout
    assert "组织机构：新增 0，更新 1，未变 2" in result.stdout
    assert "栏目：新增 0，更新 2" in result.stdout
    assert _counts(reg_db) == counts
    with reg_db.session() as s:
        site = s.scalars(select(Site).where(Site.code == "9901020001")).one()
        assert site.name == "示例县人民政府（新版）"
        assert site.organisation.name == "示例县（改）"
        assert [c.name for c in site.columns][:2] == ["县政动态", "通知公告"]
        assert site.columns[1].category.value == "policy"
        assert site.updated_at >= site.created_at


def test_dropped_columns_removed_only_when_configured(
    tmp_path: Path, run: Any, reg_db: Any, example_data: dict[str, Any]
) -> None:
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    with reg_db.session() as s:
        site = s.scalars(select(Site).where(Site.code == "9901020001")).one()
        site.columns.append(
            Column(
                name="专题专栏",
                url="http://www.example-county.gov.cn/ztzl/",
                category="other_info",
                source=ColumnSource.DISCOVERED,
            )
        )
    data = copy.deepcopy(example_data)
    county = next(s for s in data["sites"] if s["code"] == "9901020001")
    county["columns"] = county["columns"][:2]  # 人事信息 and 县长信箱 leave the file
    result = run("sites", "import", str(write_yaml(tmp_path / "v2.yaml", data)))
    assert result.exit_code == 0, result.output
    assert "删除 2" in result.stdout
    with reg_db.session() as s:
        site = s.scalars(select(Site).where(Site.code == "9901020001")).one()
        assert {(c.name, c.source.value) for c in site.columns} == {
            ("工作动态", "config"),
            ("通知公告", "config"),
            ("专题专栏", "discovered"),
        }


def test_a_site_without_columns_key_keeps_its_columns(
    tmp_path: Path, run: Any, reg_db: Any, example_data: dict[str, Any]
) -> None:
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    before = dump(reg_db)["columns"]
    data = copy.deepcopy(example_data)
    for site in data["sites"]:
        site.pop("columns", None)
    result = run("sites", "import", str(write_yaml(tmp_path / "no-columns.yaml", data)))
    assert result.exit_code == 0, result.output
    assert dump(reg_db)["columns"] == before


def test_configuring_a_discovered_column_adopts_it(
    tmp_path: Path, run: Any, reg_db: Any, example_data: dict[str, Any]
) -> None:
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    url = "http://www.example-county.gov.cn/ztzl/"
    with reg_db.session() as s:
        site = s.scalars(select(Site).where(Site.code == "9901020001")).one()
        site.columns.append(
            Column(name="专题", url=url, category="other_info", source=ColumnSource.DISCOVERED)
        )
    data = copy.deepcopy(example_data)
    county = next(s for s in data["sites"] if s["code"] == "9901020001")
    county["columns"].append({"name": "专题专栏", "url": url, "category": "news"})
    counts = _counts(reg_db)
    assert run("sites", "import", str(write_yaml(tmp_path / "v2.yaml", data))).exit_code == 0
    assert _counts(reg_db) == counts
    with reg_db.session() as s:
        column = s.scalars(select(Column).where(Column.url == url)).one()
        assert (column.name, column.category.value, column.source.value) == (
            "专题专栏",
            "news",
            "config",
        )


def test_status_and_navigation_only_round_trip(
    tmp_path: Path, run: Any, reg_db: Any, example_data: dict[str, Any]
) -> None:
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    with reg_db.session() as s:
        rows = {x.code: x for x in s.scalars(select(Site))}
        assert rows["9901000001"].navigation_only is True
        assert rows["9901020001"].navigation_only is None  # absent: detect
        assert rows["9901020002"].status.value == "closed"
        assert str(rows["9901020002"].closed_on) == "2015-06-30"
        assert rows["9901020003"].merged_into == "9901020001"
    data = copy.deepcopy(example_data)
    city = next(s for s in data["sites"] if s["code"] == "9901000001")
    del city["navigation_only"]
    assert run("sites", "import", str(write_yaml(tmp_path / "v2.yaml", data))).exit_code == 0
    with reg_db.session() as s:
        city_site = s.scalars(select(Site).where(Site.code == "9901000001")).one()
        assert city_site.navigation_only is None


def test_dry_run_writes_nothing(run: Any, reg_db: Any) -> None:
    before = dump(reg_db)
    result = run("sites", "import", "--dry-run", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "试运行" in result.stdout and "网站：新增 6" in result.stdout
    assert dump(reg_db) == before
