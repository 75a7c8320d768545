"""The 网站抽查 section laid out like 附件1 政府网站监管年度报表 (one sheet, openpyxl).

Also the list of sampled sites with their results, the annex an 抽查 通报 carries.


Rows 第一季度…第四季度 and 全年; columns 网站总数, 抽查比例, 抽查网站数量, 抽查合格率,
不合格网站数量 and 问责人次 (合计 and the six forms); the form's title, 年度, 填报单位 above and
its signature lines below. Percentages are numbers formatted 0.00%, so a reader can compute
with them and sees what the form shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from scanner.db.models import SiteType
from scanner.registry import vocab
from scanner.reports.accountability import FORM_COLUMNS, FORM_LABEL
from scanner.reports.common import QUARTER_LABEL
from scanner.reports.sampling import stratum_label
from scanner.reports.supervision import OUTCOME_LABEL, Outcome, Period, Supervision
from scanner.safe_text import save_workbook, xlsx_value

SHEET = "网站抽查"
MAIN_HEADERS = ("季度", "网站总数", "抽查比例", "抽查网站数量", "抽查合格率", "不合格网站数量")
LAST_COLUMN = len(MAIN_HEADERS) + 1 + len(FORM_COLUMNS)  # + 问责人次 合计 and the six forms
HEADER_ROW = 5  # the two header rows are 5 and 6; quarters start at 7
FIRST_DATA_ROW = HEADER_ROW + 2
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _percent(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _row_values(period: Period) -> list[object]:
    values: list[object] = [
        period.label,
        period.total_sites,
        _percent(period.sample_ratio),
        period.sampled,
        _percent(period.pass_rate),
        period.unqualified,
        period.accountability.total,
    ]
    values += [period.accountability.by_form[form] for form in FORM_COLUMNS]
    return values


def _notes(report: Supervision) -> list[str]:
    notes = [
        "全年网站总数为截至12月31日运行网站数；抽查比例仅分季度填写。",
        "抽查合格率 = 合格网站数 ÷ 已评分的抽查网站数；待评分网站不计入合格或不合格。",
        "问责人次：同一季度对同一对象采取不同形式问责的不重复计算，按问责程度最重的统计"
        "（其他 视为最轻）；全年为各季度之和。",
    ]
    for q, period in report.quarters.items():
        if period.monitoring_date is None:
            notes.append(f"{QUARTER_LABEL[q]}未开展抽查。")
            continue
        line = f"{QUARTER_LABEL[q]}监测时间点 {period.monitoring_date.isoformat()}"
        if period.pending:
            line += f"，待评分 {period.pending} 个（数据未完成）"
        if period.provisional:
            line += f"，暂定评分 {period.provisional} 个"
        notes.append(line + "。")
    return notes


def write_supervision(
    report: Supervision, path: Path, *, filled_on: date, performance_weight: Decimal | None = None
) -> None:
    """Write the workbook; the file appears whole or not at all."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    last = get_column_letter(LAST_COLUMN)

    def banner(
        row: int, text: str, *, size: int = 11, bold: bool = False, centre: bool = True
    ) -> None:
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = ws.cell(row=row, column=1, value=xlsx_value(text))
        cell.font = Font(size=size, bold=bold)
        cell.alignment = CENTRE if centre else Alignment(horizontal="left", vertical="center")

    banner(1, "政府网站监管年度报表", size=16, bold=True)
    banner(2, f"（{report.year}年度）")
    banner(3, f"填报单位：{report.organisation_name}（{report.organisation_code}）", centre=False)
    banner(4, "一、网站抽查", bold=True, centre=False)

    top, sub = HEADER_ROW, HEADER_ROW + 1
    for col, text in enumerate(MAIN_HEADERS, start=1):
        ws.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
        ws.cell(row=top, column=col, value=text)
    first_form_col = len(MAIN_HEADERS) + 1
    ws.merge_cells(start_row=top, start_column=first_form_col, end_row=top, end_column=LAST_COLUMN)
    ws.cell(row=top, column=first_form_col, value="问责人次")
    for offset, text in enumerate(["合计"] + [FORM_LABEL[f] for f in FORM_COLUMNS]):
        ws.cell(row=sub, column=first_form_col + offset, value=text)

    for r, period in enumerate(report.rows, start=FIRST_DATA_ROW):
        for c, value in enumerate(_row_values(period), start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if c in (3, 5):
                cell.number_format = "0.00%"
    last_row = FIRST_DATA_ROW + len(report.rows) - 1
    for row in ws.iter_rows(min_row=top, max_row=last_row, max_col=LAST_COLUMN):
        for cell in row:
            cell.border = BOX
            cell.alignment = CENTRE
            if cell.row < FIRST_DATA_ROW:
                cell.font = Font(bold=True)

    row = last_row + 1
    if performance_weight is None:
        kpi = "□是（所占比重：　　%）　□否"
    elif performance_weight == 0:
        kpi = "□是（所占比重：　　%）　☑否"
    else:
        kpi = f"☑是（所占比重：{performance_weight.normalize():f}%）　□否"
    banner(row, f"是否纳入政府年度绩效考核：{kpi}", centre=False)
    row += 2
    banner(row, "说明：", centre=False)
    for note in _notes(report):
        row += 1
        banner(row, note, centre=False)
    row += 2
    banner(row, "单位负责人：　　　　　　审核人：　　　　　　填报人：", centre=False)
    banner(
        row + 1, f"联系电话：　　　　　　　　　　填报日期：{filled_on.isoformat()}", centre=False
    )

    ws.column_dimensions["A"].width = 10
    for col in range(2, LAST_COLUMN + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14
    ws.row_dimensions[1].height = 28

    _save(wb, path)


def _save(wb: Workbook, path: Path) -> None:
    """Through the output layer: neutralised, and whole or not at all."""
    save_workbook(wb, path)


SAMPLE_HEADERS = (
    "季度",
    "抽查单位",
    "网站标识码",
    "网站名称",
    "主办单位",
    "网站类型",
    "所属组织",
    "分层",
    "监测时间点",
    "结果",
    "暂定",
    "扣分",
)


def write_samples(samplings: list[dict[str, Any]], path: Path, *, title: str) -> None:
    """One row per sampled site (the ``census report samples --json`` objects)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "抽查网站"
    last = get_column_letter(len(SAMPLE_HEADERS))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = xlsx_value(title)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = CENTRE
    for col, text in enumerate(SAMPLE_HEADERS, start=1):
        cell = ws.cell(row=2, column=col, value=text)
        cell.font = Font(bold=True)
        cell.border = BOX
        cell.alignment = CENTRE
    row = 2
    for sampling in samplings:
        for site in sampling["sites"]:
            row += 1
            values = [
                QUARTER_LABEL[sampling["quarter"]],
                sampling["organisation_name"],
                site["code"],
                site["name"],
                site["host_org"],
                vocab.SITE_TYPE_LABEL[SiteType(site["type"])],
                site["site_organisation"],
                stratum_label(site["stratum"]),
                site["at"],
                OUTCOME_LABEL[Outcome(site["outcome"])],
                "是" if site["provisional"] else "",
                site["total_deduction"],
            ]
            for col, value in enumerate(values, start=1):
                ws.cell(row=row, column=col, value=xlsx_value(value)).border = BOX
    for col, width in enumerate((10, 12, 13, 30, 24, 8, 12, 12, 12, 8, 6, 8), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A3"
    _save(wb, path)
