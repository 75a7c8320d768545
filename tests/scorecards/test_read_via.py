"""读取方式 on the scorecard: each column says how its latest read got the entries.

A hand-built database (rows written out here, never derived from the mapping code): one site
whose four news columns were read from the markup, through the data endpoint, through the
browser (and found stale), and not at all (a script-built list no browser could render).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import (
    Column,
    ColumnItem,
    ColumnSnapshot,
    Organisation,
    OrgLevel,
    Site,
    SiteType,
)

T = date(2026, 3, 1)
AT = T.isoformat()
CST = timezone(timedelta(hours=8))
TAKEN = datetime(2026, 3, 1, 12, tzinfo=CST).astimezone(UTC)
# (column name, path, read_via, newest date shown) — 部门动态's newest is 30 days before T.
COLUMNS = (
    ("工作动态", "gzdt", "static", date(2026, 2, 28)),
    ("政策动态", "zcdt", "endpoint", date(2026, 2, 27)),
    ("部门动态", "bmdt", "browser", date(2026, 1, 30)),
    ("重点工作", "zdgz", "unrendered", None),
)


@pytest.fixture
def built(db: Database) -> Database:
    with db.session() as s:
        org = Organisation(code="990000", name="测试省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()
        site = Site(
            code="9900000009",
            name="丁县人民政府",
            url="http://www.d.gov.cn/",
            type=SiteType.PORTAL,
            organisation_id=org.id,
            created_at=TAKEN,
            updated_at=TAKEN,
        )
        s.add(site)
        s.flush()
        for name, path, via, newest in COLUMNS:
            col = Column(site_id=site.id, name=name, url=f"{site.url}{path}/", category="news")
            s.add(col)
            s.flush()
            unknown = via == "unrendered"
            s.add(
                ColumnSnapshot(
                    column_id=col.id,
                    taken_at=TAKEN,
                    readable=not unknown,
                    blank=False,
                    item_count=0 if unknown else 1,
                    newest_date=newest,
                    newest_title="" if unknown else f"{name}最新一条",
                    newest_url="" if unknown else f"{site.url}{path}/1.html",
                    read_via=via,
                )
            )
            if newest is not None:
                s.add(
                    ColumnItem(
                        site_id=site.id,
                        column_id=col.id,
                        url=f"{site.url}{path}/1.html",
                        title=f"{name}最新一条",
                        published_on=newest,
                        first_seen_at=TAKEN,
                        last_seen_at=TAKEN,
                    )
                )
    return db


def _cli(db: Database, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--database-url", db.url])


def test_json_lists_each_columns_read(built: Database) -> None:
    result = _cli(built, "scorecard", "9900000009", "--at", AT, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    labels = {"static": "静态", "endpoint": "数据接口", "browser": "浏览器渲染"}
    assert [(c["name"], c["read_via"], c["readable"]) for c in body["columns"]] == [
        (name, via, via != "unrendered") for name, _, via, _ in COLUMNS
    ]
    for column, (_, _, via, newest) in zip(body["columns"], COLUMNS, strict=True):
        assert column["read_via_label"] == labels.get(
            via, "未能读取（列表由脚本生成，浏览器未能渲染）"
        )
        assert column["newest_date"] == (newest.isoformat() if newest else None)
    rule = body["rules"]["veto.columns_stale"]
    stale = [e for e in rule["evidence"] if e["kind"] == "stale_column" and e["item"] == "1"]
    # 部门动态 (30 days) is the one news column older than 2 weeks, and its evidence says how
    # it was read; the unknown 重点工作 is neither stale nor blank, and the card says why.
    assert [(e["column"], e.get("read_via")) for e in stale] == [("部门动态", "browser")]
    assert not [e for e in rule["evidence"] if e.get("column") == "重点工作"]
    assert body["provisional"]
    assert any("重点工作" in r and "脚本生成" in r for r in body["reasons"])


def test_text_and_xlsx_show_the_read(built: Database, tmp_path: Path) -> None:
    text = _cli(built, "scorecard", "9900000009", "--at", AT)
    assert text.exit_code == 0, text.output
    assert "栏目读取方式" in text.stdout
    for label in ("静态", "数据接口", "浏览器渲染", "未能读取"):
        assert label in text.stdout
    out = tmp_path / "丁县.xlsx"
    assert _cli(built, "scorecard", "9900000009", "--at", AT, "--xlsx", str(out)).exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["评分表", "栏目读取"]
    sheet = book["栏目读取"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[3]) for r in rows] == [
        ("工作动态", "静态"),
        ("政策动态", "数据接口"),
        ("部门动态", "浏览器渲染"),
        ("重点工作", "未能读取（列表由脚本生成，浏览器未能渲染）"),
    ]
    main = book["评分表"]
    problems = "\n".join(str(c.value) for row in main.iter_rows() for c in row if c.value)
    # 基本信息's 存在的问题 names the stale column and how it was read
    assert "栏目「部门动态」2 周内未更新" in problems and "（读取方式：浏览器渲染）" in problems
