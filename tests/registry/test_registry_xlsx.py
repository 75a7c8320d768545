"""The xlsx form (2015 layout) imports like the YAML form; errors name sheet and row."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Site
from scanner.registry.xlsx_form import COLUMN_SHEET, SITE_SHEET, write_xlsx
from tests.registry.conftest import EXAMPLE, dump

SHIPPED_XLSX = EXAMPLE.with_suffix(".xlsx")
COLS = f"sheet {COLUMN_SHEET}"
SITES = f"sheet {SITE_SHEET}"


@pytest.fixture
def other_db(_template_db: Path, tmp_path: Path) -> Any:
    path = tmp_path / "other.db"
    shutil.copy(_template_db, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def test_generated_workbook_imports_like_the_yaml(
    tmp_path: Path, run: Any, reg_db: Any, other_db: Any, example_data: dict[str, Any]
) -> None:
    workbook = tmp_path / "sites.xlsx"
    write_xlsx(example_data, workbook)
    result = run("sites", "import", str(workbook))
    assert result.exit_code == 0, result.output
    other = CliRunner().invoke(
        app, ["sites", "import", str(EXAMPLE), "--database-url", other_db.url]
    )
    assert other.exit_code == 0, other.output
    assert dump(reg_db) == dump(other_db)
    assert len(dump(reg_db)["columns"]) == 22


def test_shipped_example_xlsx_matches_example_yaml(run: Any, reg_db: Any, other_db: Any) -> None:
    assert run("sites", "import", str(SHIPPED_XLSX)).exit_code == 0
    other = CliRunner().invoke(
        app, ["sites", "import", str(EXAMPLE), "--database-url", other_db.url]
    )
    assert other.exit_code == 0
    assert dump(reg_db) == dump(other_db)


def _form_2015(
    path: Path,
    columns: list[list[Any]] | None = None,
    site_headers: list[str] | None = None,
    sites: list[list[Any]] | None = None,
) -> Path:
    """A workbook as an office fills it from the 2015 forms, with their extra columns."""
    wb = Workbook()
    orgs = wb.active
    orgs.title = "组织机构"
    orgs.append(["组织代码", "组织名称", "层级", "上级组织代码"])
    orgs.append([990000, "示例省", "省", None])
    orgs.append(["990102", "示例县", "县级", "990000"])
    sheet = wb.create_sheet("网站基本信息")
    sheet.append(
        site_headers
        or [
            "部门/地区",
            "网站名称",
            "ICP备案编号",
            "首页网址",
            "网站主管单位",
            "办公地址",
            "负责人姓名",
            "联系人电子邮箱",
            "网站标识码*",
            "网站类型",
            "主办单位",
            "公安机关备案号",
            "所属组织",
            "状态",
            "开通日期",
        ]
    )
    for row in sites or [
        [
            "示例县",
            "示例县人民政府",
            "示ICP备1号",
            "http://www.example-county.gov.cn/",
            "示例县政府办",
            "示例县人民路1号",
            "张三",
            "lianxi@example-county.gov.cn",
            9901020001,
            "门户",
            "示例县人民政府办公室",
            "无",
            "990102",
            "正常运行",
            "2015年3月1日",
        ],
        [
            "示例县",
            "示例县水利局",
            "无",
            "http://slj.example-county.gov.cn/",
            None,
            None,
            None,
            None,
            "9901020002",
            "部门网站",
            "示例县水利局",
            None,
            "990102",
            None,
            datetime(2012, 5, 1),
        ],
    ]:
        sheet.append(row)
    cols = wb.create_sheet("栏目（系统）基本信息")
    cols.append(["网站标识码", "内容大类", "内容类别", "栏目(系统)名称", "栏目（系统）地址"])
    for col_row in (
        columns
        if columns is not None
        else [
            [
                "9901020001",
                "信息公开类",
                "机构设置及职能",
                "机构职能",
                "http://www.example-county.gov.cn/jgzn/",
            ],
            [
                None,
                None,
                "工作动态",
                "工作动态；乡镇动态",
                "http://www.example-county.gov.cn/gzdt/；http://www.example-county.gov.cn/xzdt/",
            ],
            [None, None, "其他", "统计数据", "http://www.example-county.gov.cn/tjsj/"],
            [None, None, "规划计划", "无", "无"],
            [
                None,
                "互动回应类",
                "政务咨询类栏目",
                "县长信箱;网上留言",
                "http://www.example-county.gov.cn/xzxx/;http://www.example-county.gov.cn/wsly/",
            ],
            [None, None, "举报投诉", "举报中心", "http://www.example-county.gov.cn/jbzx/"],
            [
                None,
                "办事服务类",
                "在线（申报、查询）系统",
                "网上办事",
                "https://zwfw.example-county.gov.cn/",
            ],
            [
                "9901020002",
                "信息公开类",
                "通知公告",
                "通知公告",
                "http://slj.example-county.gov.cn/tzgg/",
            ],
        ]
    ):
        cols.append(col_row)
    wb.create_sheet("填写说明").append(["表单所有信息项均为必填项，如确无内容请填写“无”。"])
    wb.save(path)
    return path


def test_a_filled_2015_form_imports(tmp_path: Path, run: Any, reg_db: Any) -> None:
    result = run("sites", "import", str(_form_2015(tmp_path / "2015.xlsx")))
    assert result.exit_code == 0, result.output
    rows = dump(reg_db)
    assert [o[:4] for o in rows["organisations"]] == [
        ("990000", "示例省", "province", None),
        ("990102", "示例县", "county", "990000"),
    ]
    with reg_db.session() as s:
        site = s.scalars(select(Site).where(Site.code == "9901020001")).one()
        assert (site.type.value, site.status.value, str(site.opened_on), site.police) == (
            "portal",
            "running",
            "2015-03-01",
            "",
        )
        assert [(c.name, c.category.value) for c in site.columns] == [
            ("机构职能", "other_info"),
            ("工作动态", "news"),
            ("乡镇动态", "news"),
            ("统计数据", "other_info"),
            ("县长信箱", "consult"),
            ("网上留言", "consult"),
            ("举报中心", "report"),
            ("网上办事", "online_system"),
        ]
        other = s.scalars(select(Site).where(Site.code == "9901020002")).one()
        assert (other.type.value, str(other.opened_on), other.icp) == (
            "department",
            "2012-05-01",
            "",
        )


BAD_COLUMN_ROWS = [
    (
        "unknown-category",
        ["9901020001", None, "工作新闻", "x", "http://www.example-county.gov.cn/x/"],
        "内容类别",
        "unknown column category '工作新闻'",
    ),
    (
        "count-mismatch",
        ["9901020001", None, "工作动态", "甲；乙", "http://www.example-county.gov.cn/a/"],
        "栏目（系统）地址",
        "2 names but 1 addresses",
    ),
    (
        "other-outside-info",
        ["9901020001", "互动回应类", "其他", "x", "http://www.example-county.gov.cn/x/"],
        "内容类别",
        "其他",
    ),
    (
        "wrong-group",
        ["9901020001", "办事服务类", "工作动态", "x", "http://www.example-county.gov.cn/x/"],
        "内容类别",
        "does not belong to 内容大类 办事服务类",
    ),
    (
        "unknown-site",
        ["9909999999", None, "工作动态", "x", "http://www.example-county.gov.cn/x/"],
        "网站标识码",
        "not in sheet 网站基本信息",
    ),
    (
        "bad-url",
        ["9901020001", None, "工作动态", "x", "www.example-county.gov.cn/x/"],
        "栏目（系统）地址",
        "must start with http://",
    ),
]


@pytest.mark.parametrize(
    ("row", "field", "words"), [c[1:] for c in BAD_COLUMN_ROWS], ids=[c[0] for c in BAD_COLUMN_ROWS]
)
def test_column_sheet_errors_name_sheet_row_and_field(
    tmp_path: Path, run: Any, reg_db: Any, row: list[Any], field: str, words: str
) -> None:
    good = [
        "9901020001",
        "信息公开类",
        "通知公告",
        "通知公告",
        "http://www.example-county.gov.cn/tzgg/",
    ]
    path = _form_2015(tmp_path / "bad.xlsx", columns=[good, row])
    before = dump(reg_db)
    result = run("sites", "import", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}, {COLS} row 3, field '{field}'" in result.stderr, result.stderr
    assert words in result.stderr
    assert dump(reg_db) == before


HEADERS = ["网站标识码", "网站名称", "首页网址", "网站类型", "所属组织", "开通日期"]
GOOD_SITE = [
    "9901020001",
    "示例县人民政府",
    "http://www.example-county.gov.cn/",
    "门户",
    "990102",
    "2015-03-01",
]
BAD_SITE_ROWS = [
    ("bad-date", {5: "2015-02-30"}, "开通日期", "not a real date"),
    ("unknown-type", {3: "博客"}, "网站类型", "unknown site type"),
    ("unknown-org", {4: "990199"}, "所属组织", "unknown organisation"),
    ("duplicate-code", {1: "另一个"}, "网站标识码", "duplicate 网站标识码"),
    ("missing-name", {1: None}, "网站名称", "required field is missing"),
    ("bad-url", {2: "http//www.example-county.gov.cn"}, "首页网址", "http://"),
]


@pytest.mark.parametrize(
    ("change", "field", "words"), [c[1:] for c in BAD_SITE_ROWS], ids=[c[0] for c in BAD_SITE_ROWS]
)
def test_site_sheet_errors_name_sheet_row_and_field(
    tmp_path: Path, run: Any, reg_db: Any, change: dict[int, Any], field: str, words: str
) -> None:
    bad = list(GOOD_SITE)
    for index, value in change.items():
        bad[index] = value
    if field != "网站标识码":
        bad[0] = "9901020002"
        bad[2] = "http://b.example-county.gov.cn/" if field != "首页网址" else bad[2]
    path = _form_2015(
        tmp_path / "bad.xlsx", columns=[], site_headers=HEADERS, sites=[GOOD_SITE, bad]
    )
    before = dump(reg_db)
    result = run("sites", "import", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}, {SITES} row 3, field '{field}'" in result.stderr, result.stderr
    assert words in result.stderr
    assert dump(reg_db) == before


def test_header_typos_and_missing_headers(tmp_path: Path, run: Any, reg_db: Any) -> None:
    # 网站名称 mistyped as 网站名
    headers = ["网站标识码", "网站名", "首页网址", "网站类型", "所属组织", "开通日期"]
    path = _form_2015(tmp_path / "bad.xlsx", columns=[], site_headers=headers, sites=[GOOD_SITE])
    result = run("sites", "import", str(path))
    assert result.exit_code == 2
    assert f"{SITES} row 1, field '网站名': unknown column header" in result.stderr
    assert f"{SITES} row 1, field '网站名称': required column header is missing" in result.stderr
    assert "有 2 个问题" in result.stderr  # not once more per row


def test_not_a_workbook(tmp_path: Path, run: Any) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    result = run("sites", "import", str(path))
    assert result.exit_code == 2
    assert "not a readable xlsx workbook" in result.stderr


def test_unknown_sheet_is_reported(tmp_path: Path, run: Any) -> None:
    path = _form_2015(tmp_path / "x.xlsx")
    wb = load_workbook(path)
    wb["栏目（系统）基本信息"].title = "栏目表"
    wb.save(path)
    result = run("sites", "import", str(path))
    assert result.exit_code == 2
    assert "sheet 栏目表" in result.stderr and "unknown sheet" in result.stderr
