"""``census sites list``: filters by organisation (with descendants), type and status."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.registry.conftest import EXAMPLE


@pytest.fixture
def imported(run: Any) -> Any:
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    return run


def _codes(run: Any, *args: str) -> list[str]:
    result = run("sites", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return [row["code"] for row in json.loads(result.stdout)]


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        (
            "990000",
            ["9900000001", "9901000001", "9901000002", "9901020001", "9901020002", "9901020003"],
        ),  # province: its own, the city's and the county's (two levels)
        ("990100", ["9901000001", "9901000002", "9901020001", "9901020002", "9901020003"]),
        ("990102", ["9901020001", "9901020002", "9901020003"]),
    ],
)
def test_org_filter_includes_descendants(imported: Any, org: str, expected: list[str]) -> None:
    assert _codes(imported, "--org", org) == expected


def test_type_and_status_filters(imported: Any) -> None:
    assert _codes(imported, "--type", "department") == ["9901000002", "9901020003"]
    assert _codes(imported, "--type", "部门", "--org", "990102") == ["9901020003"]
    assert _codes(imported, "--status", "closed") == ["9901020002"]
    assert _codes(imported, "--status", "running", "--type", "portal") == [
        "9900000001",
        "9901000001",
        "9901020001",
    ]


def test_json_rows(imported: Any) -> None:
    rows = json.loads(imported("sites", "list", "--json", "--org", "990102").stdout)
    merged = next(r for r in rows if r["code"] == "9901020003")
    assert merged["status"] == "merged"
    assert merged["merged_into"] == "9901020001"
    assert merged["organisation"] == "990102" and merged["organisation_name"] == "示例县"


def test_table_has_chinese_headers(imported: Any) -> None:
    result = imported("sites", "list", "--org", "990102")
    assert result.exit_code == 0
    for header in ("网站标识码", "网站名称", "首页网址", "类型", "主办单位", "所属组织", "状态"):
        assert header in result.stdout
    assert "9901020001" in result.stdout and "整合" in result.stdout


def test_unknown_org_or_type_is_refused(imported: Any) -> None:
    result = imported("sites", "list", "--org", "123456")
    assert result.exit_code == 2 and "123456" in result.stderr
    result = imported("sites", "list", "--type", "blog")
    assert result.exit_code == 2 and "unknown site type" in result.stderr


def test_empty_database_lists_nothing(run: Any) -> None:
    result = run("sites", "list", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
