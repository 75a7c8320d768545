"""Read (and write) the registry as an xlsx workbook laid out like the 2015 forms.

Three sheets, found by name, with Chinese headers in row 1 (any order; see docs/registry.md):

* 组织机构 — the supervising hierarchy;
* 网站基本信息 — one row per site, the columns of 附件3 政府网站基本信息表 plus what the census
  needs (网站标识码, 网站类型, 主办单位, 公安机关备案号, 所属组织, 状态, dates);
* 栏目（系统）基本信息 — as 附件4: one row per site × 内容类别, several 栏目 names and addresses
  separated by "；".

The reader turns the workbook into the YAML contract's data shape and remembers the sheet, row
and header of every value, so validation (``schema.validate``) is shared with the YAML form.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Any

from scanner.db.models import ColumnCategory, OrgLevel, SiteStatus, SiteType
from scanner.registry import vocab
from scanner.registry.form import Path, RawForm, dotted
from scanner.safe_text import save_workbook, xlsx_value


@dataclass(frozen=True)
class Header:
    field: str
    label: str  # the Chinese header written in row 1
    aliases: tuple[str, ...] = ()
    required: bool = False


ORG_SHEET = "组织机构"
SITE_SHEET = "网站基本信息"
COLUMN_SHEET = "栏目（系统）基本信息"
SHEET_ALIASES = {
    ORG_SHEET: (ORG_SHEET, "organisations", "组织"),
    SITE_SHEET: (SITE_SHEET, "sites", "政府网站基本信息表", "网站"),
    COLUMN_SHEET: (COLUMN_SHEET, "columns", "政府网站栏目（系统）基本信息表", "栏目"),
}
# Sheets an operator may keep in the workbook for people (instructions); never read.
NOTE_SHEETS = {"说明", "填写说明", "readme", "notes"}

ORG_HEADERS = (
    Header("code", "组织代码", ("code",), True),
    Header("name", "组织名称", ("name",), True),
    Header("level", "层级", ("level", "级别"), True),
    Header("parent", "上级组织代码", ("parent", "上级代码")),
)
SITE_HEADERS = (
    Header("code", "网站标识码", ("code",), True),
    Header("name", "网站名称", ("name",), True),
    Header("url", "首页网址", ("url",), True),
    Header("type", "网站类型", ("type",), True),
    Header("host_org", "主办单位", ("host_org",)),
    Header("organisation", "所属组织", ("organisation", "所属组织代码"), True),
    Header("icp", "ICP备案编号", ("icp", "ICP备案号")),
    Header("police", "公安机关备案号", ("police", "公安备案号")),
    Header("status", "状态", ("status", "运行状态")),
    Header("opened_on", "开通日期", ("opened_on",)),
    Header("closed_on", "关停日期", ("closed_on", "关闭日期")),
    Header("merged_on", "整合日期", ("merged_on", "合并日期")),
    Header("merged_into", "并入网站标识码", ("merged_into",)),
    Header("navigation_only", "首页仅为导航", ("navigation_only", "仅导航首页")),
    Header("own_hosts", "其他域名", ("own_hosts",)),
)
# Columns of 附件3 the database has no place for: accepted so a filled 2015 form imports, not
# stored (see docs/registry.md).
SITE_INFO_HEADERS = (
    "部门/地区",
    "网站主管单位",
    "办公地址",
    "负责人姓名",
    "负责人职务",
    "负责人办公电话",
    "负责人手机",
    "负责人电子邮箱",
    "联系人姓名",
    "联系人办公电话",
    "联系人手机",
    "联系人电子邮箱",
    "备注",
)
COLUMN_HEADERS = (
    Header("site", "网站标识码", ("site", "code"), True),
    Header("group", "内容大类", ("group",)),
    Header("category", "内容类别", ("category",), True),
    Header("name", "栏目（系统）名称", ("name", "names", "栏目名称"), True),
    Header("url", "栏目（系统）地址", ("url", "urls", "栏目地址"), True),
    Header("exempt", "免检", ("exempt",)),
    Header("static", "静态", ("static",)),
    Header("selector", "列表选择器", ("selector",)),
)
OTHER = "其他"
SEPARATORS = re.compile(r"\s*[；;\n]\s*")
BLANK_WORDS = {"", "无", "-", "—"}  # the 2015 form asks for 无 where there is nothing


def _norm(text: object) -> str:
    return vocab.normalise_word(str(text)).rstrip("*＊").lower() if text is not None else ""


def _cell(value: Any) -> Any:
    """A cell as the validators expect it: text stripped, blanks/无 absent, integral numbers as
    their digits (Excel turns codes typed as numbers into floats)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return None if value in BLANK_WORDS else value
    if isinstance(value, bool | datetime | date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return value


class _Sheet:
    """One sheet's header map and rows, with the problems of its header row."""

    def __init__(
        self,
        form: RawForm,
        ws: Any,
        title: str,
        headers: tuple[Header, ...],
        ignored: tuple[str, ...] = (),
    ):
        self.title = title
        self.columns: dict[str, int] = {}
        if hasattr(ws, "reset_dimensions"):
            # Read-only sheets trust the file's <dimension> element; a stale one (written by
            # many tools) would silently cut rows off. Read every row the sheet really has.
            ws.reset_dimensions()
        rows = ws.iter_rows(values_only=True)
        first = next(rows, None) or ()
        lookup = {_norm(a): h for h in headers for a in (h.label, *h.aliases)}
        skip = {_norm(a) for a in ignored}
        for index, raw in enumerate(first):
            if raw is None or not str(raw).strip():
                continue
            header = lookup.get(_norm(raw))
            if header is None:
                if _norm(raw) not in skip:
                    known = "、".join(h.label for h in headers)
                    self._problem(
                        form,
                        1,
                        str(raw),
                        f"unknown column header '{raw}'; this sheet knows: {known}",
                    )
                continue
            if header.field in self.columns:
                self._problem(form, 1, header.label, "this column header appears twice")
                continue
            self.columns[header.field] = index
        for header in headers:
            if header.required and header.field not in self.columns:
                self._problem(form, 1, header.label, "required column header is missing")
                form.muted.add(header.label)
        self.rows = [
            (n, row)
            for n, row in enumerate(rows, start=2)
            if any(_cell(v) is not None for v in row)
        ]

    def location(self, row: int) -> str:
        return f"sheet {self.title} row {row}"

    def _problem(self, form: RawForm, row: int, label: str, message: str) -> None:
        form.note(self.location(row), label, message)

    def get(self, row: tuple[Any, ...], field: str) -> Any:
        index = self.columns.get(field)
        return _cell(row[index]) if index is not None and index < len(row) else None


def _find_sheets(form: RawForm, workbook: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for ws in workbook.worksheets:
        name = _norm(ws.title)
        for canonical, aliases in SHEET_ALIASES.items():
            if name in {_norm(a) for a in aliases}:
                if canonical in found:
                    form.note(f"sheet {ws.title}", "", f"a second sheet for {canonical}")
                found[canonical] = ws
                break
        else:
            if name not in NOTE_SHEETS:
                form.note(
                    f"sheet {ws.title}",
                    "",
                    f"unknown sheet '{ws.title}'; expected {', '.join(SHEET_ALIASES)} "
                    "(or a notes sheet named 说明)",
                )
    return found


def _labeller(path: Path) -> str:
    """Headers name the fields of an xlsx registry."""
    tables = {"organisations": ORG_HEADERS, "sites": SITE_HEADERS}
    if len(path) >= 5 and path[2] == "columns":
        table = {
            "name": "栏目（系统）名称",
            "url": "栏目（系统）地址",
            "category": "内容类别",
            "exempt": "免检",
            "static": "静态",
            "selector": "列表选择器",
        }
        return table.get(str(path[-1]), str(path[-1]))
    if len(path) == 3 and path[0] in tables:
        for header in tables[str(path[0])]:
            if header.field == path[2]:
                return header.label
    return dotted(path)


def _read_entries(
    form: RawForm, sheet: _Sheet, kind: str, headers: tuple[Header, ...]
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for row_number, row in sheet.rows:
        entry: dict[str, Any] = {}
        index = len(entries)
        form.places[(kind, index)] = (sheet.location(row_number), "")
        for header in headers:
            form.places[(kind, index, header.field)] = (sheet.location(row_number), header.label)
            value = sheet.get(row, header.field)
            if value is None:
                continue
            if header.field == "own_hosts":
                value = [h for h in SEPARATORS.split(str(value)) if h]
            entry[header.field] = value
        entries.append(entry)
    return entries


def _category(
    form: RawForm, sheet: _Sheet, row_number: int, raw: Any, group: Any
) -> ColumnCategory | None:
    """内容类别 (with 内容大类 for "其他") → category id; a problem and None when it cannot be."""
    where = sheet.location(row_number)
    group_name = vocab.normalise_word(group) if isinstance(group, str) else None
    if group_name is not None and group_name not in vocab.GROUPS:
        form.note(
            where, "内容大类", f"unknown 内容大类 '{group}'; expected " + "、".join(vocab.GROUPS)
        )
        return None
    if isinstance(raw, str) and vocab.normalise_word(raw) == OTHER:
        if group_name == "信息公开类":
            return ColumnCategory.OTHER_INFO
        form.note(
            where,
            "内容类别",
            "其他 has a category only under 内容大类 信息公开类 (other_info); "
            "elsewhere write the category id (e.g. report, consult, guide)",
        )
        return None
    try:
        category = vocab.to_enum(raw, ColumnCategory, vocab.CATEGORY_WORDS, "column category")
    except ValueError as exc:
        form.note(where, "内容类别", str(exc))
        return None
    if group_name is not None and category not in vocab.GROUPS[group_name]:
        form.note(where, "内容类别", f"{raw} ({category}) does not belong to 内容大类 {group_name}")
        return None
    return category


def _read_columns(form: RawForm, sheet: _Sheet, sites: list[dict[str, Any]]) -> None:
    by_code: dict[str, int] = {}
    for index, site in enumerate(sites):
        site["columns"] = []  # the sheet is there: it is the whole truth about config columns
        if isinstance(site.get("code"), str):
            by_code.setdefault(site["code"], index)
    last_site: Any = None
    last_group: Any = None
    for row_number, row in sheet.rows:
        where = sheet.location(row_number)
        # blank 网站标识码 / 内容大类 repeat the row above, like the 2015 form's merged cells
        code = sheet.get(row, "site") or last_site
        group = sheet.get(row, "group") or (last_group if code == last_site else None)
        last_site, last_group = code, group
        names = [n for n in SEPARATORS.split(str(sheet.get(row, "name") or "")) if n]
        urls = [u for u in SEPARATORS.split(str(sheet.get(row, "url") or "")) if u]
        if not names and not urls:
            continue  # 无: the site has no column of this kind
        if code is None:
            form.note(where, "网站标识码", "required field is missing")
            continue
        if code not in by_code:
            form.note(where, "网站标识码", f"site '{code}' is not in sheet {SITE_SHEET}")
            continue
        raw_category = sheet.get(row, "category")
        if raw_category is None:
            form.note(where, "内容类别", "required field is missing")
            continue
        category = _category(form, sheet, row_number, raw_category, group)
        if len(names) != len(urls):
            form.note(
                where,
                "栏目（系统）地址",
                f"{len(names)} names but {len(urls)} addresses; separate several "
                "栏目 with “；” in both cells, in the same order",
            )
            continue
        if category is None:
            continue
        flags = {f: sheet.get(row, f) for f in ("exempt", "static", "selector")}
        columns = sites[by_code[code]]["columns"]
        for name, url in zip(names, urls, strict=True):
            k = len(columns)
            path = ("sites", by_code[code], "columns", k)
            form.places[path] = (where, "")
            for field in ("name", "url", "category", "exempt", "static", "selector"):
                form.places[(*path, field)] = (where, _labeller((*path, field)))
            column: dict[str, Any] = {"name": name, "url": url, "category": category.value}
            column.update({f: v for f, v in flags.items() if v is not None})
            columns.append(column)


MAX_INFLATED_BYTES = 200 * 1024 * 1024  # the workbook's XML, unzipped


def _inflated_too_big(file: FilePath) -> str | None:
    """Why the workbook is refused before parsing (a zip bomb), or None."""
    try:
        with zipfile.ZipFile(file) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # load_workbook reports what is wrong with it
    if total > MAX_INFLATED_BYTES:
        return f"the workbook unpacks to {total} bytes (more than {MAX_INFLATED_BYTES})"
    return None


def read_xlsx(file: FilePath, name: str | None = None) -> RawForm:
    """The workbook as the YAML contract's data, with sheet and row of every value."""
    # openpyxl is imported here, not at the top: commands that never read a form (a scan
    # finds its sites through this package) are spared its ≈ 10 MB and 0.3 s.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    form = RawForm(file=name or str(file), data=None, label=_labeller)
    too_big = _inflated_too_big(file)
    if too_big:
        form.add((), too_big)
        return form
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        form.add((), f"not a readable xlsx workbook ({exc})")
        return form
    try:
        sheets = _find_sheets(form, workbook)
        data: dict[str, Any] = {"organisations": [], "sites": []}
        if ORG_SHEET in sheets:
            org_sheet = _Sheet(form, sheets[ORG_SHEET], sheets[ORG_SHEET].title, ORG_HEADERS)
            data["organisations"] = _read_entries(form, org_sheet, "organisations", ORG_HEADERS)
        if SITE_SHEET not in sheets:
            form.add((), f"the workbook has no sheet '{SITE_SHEET}' (the sites)")
        else:
            site_sheet = _Sheet(
                form, sheets[SITE_SHEET], sheets[SITE_SHEET].title, SITE_HEADERS, SITE_INFO_HEADERS
            )
            data["sites"] = _read_entries(form, site_sheet, "sites", SITE_HEADERS)
        if COLUMN_SHEET in sheets:
            column_sheet = _Sheet(
                form, sheets[COLUMN_SHEET], sheets[COLUMN_SHEET].title, COLUMN_HEADERS
            )
            _read_columns(form, column_sheet, data["sites"])
        form.data = data
    finally:
        workbook.close()
    return form


# ------------------------------------------------------------------ writing


def _label(value: Any, enum: Any, words: dict[str, Any], labels: dict[Any, str]) -> Any:
    """Chinese words in the workbook, as on the 2015 forms; unknown values are left as they are."""
    try:
        return labels[vocab.to_enum(value, enum, words, "value")]
    except ValueError:
        return value


def _out(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return value


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append([xlsx_value(v) for v in values])


def write_xlsx(data: dict[str, Any], file: FilePath) -> None:
    """Write registry data (the YAML contract's shape) as a workbook ``read_xlsx`` reads back.

    Columns of one site and category without flags share one row, names and addresses joined
    by "；" as in 附件4; a column with exempt/static/selector gets a row of its own.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    orgs = workbook.active
    orgs.title = ORG_SHEET
    _append(orgs, [h.label for h in ORG_HEADERS])
    for org in data.get("organisations") or []:
        org = {
            **org,
            "level": _label(org.get("level"), OrgLevel, vocab.LEVEL_WORDS, vocab.LEVEL_LABEL),
        }
        _append(orgs, [_out(org.get(h.field)) for h in ORG_HEADERS])
    sites = workbook.create_sheet(SITE_SHEET)
    _append(sites, [h.label for h in SITE_HEADERS])
    columns = workbook.create_sheet(COLUMN_SHEET)
    _append(columns, [h.label for h in COLUMN_HEADERS])
    order = list(vocab.CATEGORY_LABEL)
    for site in data.get("sites") or []:
        shown = {
            **site,
            "type": _label(
                site.get("type"), SiteType, vocab.SITE_TYPE_WORDS, vocab.SITE_TYPE_LABEL
            ),
            "status": _label(
                site.get("status") or "running", SiteStatus, vocab.STATUS_WORDS, vocab.STATUS_LABEL
            ),
        }
        _append(sites, [_out(shown.get(h.field)) for h in SITE_HEADERS])
        groups: dict[ColumnCategory, list[dict[str, Any]]] = {}
        flagged: list[dict[str, Any]] = []
        for column in site.get("columns") or []:
            category = vocab.to_enum(
                column["category"], ColumnCategory, vocab.CATEGORY_WORDS, "column category"
            )
            if any(column.get(f) for f in ("exempt", "static", "selector")):
                flagged.append(column)
            else:
                groups.setdefault(category, []).append(column)
        for category in sorted(groups, key=order.index):
            items = groups[category]
            _append(
                columns,
                [
                    site["code"],
                    vocab.GROUP_OF[category],
                    vocab.CATEGORY_LABEL[category],
                    "；".join(c["name"] for c in items),
                    "；".join(c["url"] for c in items),
                    None,
                    None,
                    None,
                ],
            )
        for column in flagged:
            category = vocab.to_enum(
                column["category"], ColumnCategory, vocab.CATEGORY_WORDS, "column category"
            )
            _append(
                columns,
                [
                    site["code"],
                    vocab.GROUP_OF[category],
                    vocab.CATEGORY_LABEL[category],
                    column["name"],
                    column["url"],
                    _out(bool(column.get("exempt"))),
                    _out(bool(column.get("static"))),
                    column.get("selector"),
                ],
            )
    for sheet in (orgs, sites, columns):
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date | datetime):
                    cell.number_format = "yyyy-mm-dd"
        for cells in sheet.columns:
            width = max(len(str(c.value or "")) for c in cells)
            sheet.column_dimensions[cells[0].column_letter].width = min(60, 4 + 2 * width)
    save_workbook(workbook, FilePath(file), option="FILE")
