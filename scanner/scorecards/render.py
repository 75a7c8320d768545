"""Scorecards for people: evidence in Chinese, a terminal table, and the official 评分表 xlsx.

Everything renders from the stored JSON body (``Scorecard.to_dict()`` plus ``checks_not_run``),
so a stored card and one computed on the fly look the same. The xlsx follows the table of
国办发〔2015〕15号 附件2 (seed 003): 一级指标, 二级指标, 考察点, 扣分细则, 存在的问题, 扣分 — the
单项否决 rows first with "—" in 扣分, the table's 注, then the deduction rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.clock import CST
from scanner.labels import FAILURE_LABELS, read_via_label
from scanner.safe_text import markup, save_workbook, xlsx_value
from scoring import Ruleset

TOP_EVIDENCE = 3
MAX_PROBLEMS = 30  # lines of 存在的问题 in one xlsx cell before "……等共 N 项"

VETO_NOTE = (
    "注：如果网站出现“单项否决”指标中的任意一种情形，则判定为不合格网站，不再对以下指标进行"
    "评分。如果网站未存在“单项否决”指标所描述的问题，则对以下指标进行评分，各指标累计扣分超过"
    "40分的，则同样判定为不合格网站。不合格网站应立即关停整改。"
)
WINDOW_NOTE = (
    "注：监测时间点前××（时间）内，是指自监测日期前倒退××（时间）至监测时间点的时期。例如，"
    "监测时间点为3月1日，“监测时间点前2个月内”，是指1月1日至3月1日。"
)

FINDING_KINDS = {
    "serious_error": "严重错误",
    "false_content": "虚假或伪造内容",
    "inaccurate_basic_info": "基本信息不准确",
    "inaccurate_guide": "办事指南要素不准确",
}
FINDING_STATUS = {"candidate": "待人工复核", "confirmed": "经人工复核确认", "dismissed": "已排除"}
CATEGORIES = {
    "news": "动态要闻类",
    "notice": "通知公告类",
    "policy": "政策文件类",
    "personnel": "人事类",
    "planning": "规划类",
    "other_info": "其他信息类",
    "consult": "政务咨询类",
    "report": "举报投诉类",
    "survey": "调查征集类",
    "interview": "互动访谈类",
    "guide": "办事指南",
    "online_system": "在线系统",
}


def verdict_text(body: Mapping[str, Any]) -> str:
    """合格 / 不合格, and why when 不合格 (单项否决 names or the total over the limit)."""
    if body["verdict"] == "qualified":
        return "合格"
    vetoes = [r["name"] for r in body["rules"].values() if r["kind"] == "veto" and r["holds"]]
    if vetoes:
        return "不合格（单项否决：" + "、".join(vetoes) + "）"
    return f"不合格（累计扣分 {num(body['total_deduction'])} 分，超过40分）"


def num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _local(text: str) -> str:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return str(text)
    if when.tzinfo is not None:
        when = when.astimezone(CST)
    return when.strftime("%Y-%m-%d %H:%M")


def describe(ev: Mapping[str, Any]) -> str:
    """One evidence item as an official reads it in 存在的问题."""
    kind = ev.get("kind", "")
    note = ev.get("note", "")
    g = ev.get
    if kind == "probe_day":
        text = f"{g('date')} 有效监测 {g('valid')} 次，打不开 {g('failures')} 次"
        return text + (f"（另有无效监测 {g('invalid')} 次，不计）" if g("invalid") else "")
    if kind == "probe_failure":
        parts = [FAILURE_LABELS.get(str(g("failure")), str(g("failure") or "打不开"))]
        if g("status_code"):
            parts.append(f"HTTP {g('status_code')}")
        total_ms = g("total_ms")
        if total_ms is not None:
            parts.append(f"用时 {float(total_ms) / 1000:.1f} 秒")
        return f"{_local(str(g('at')))} 首页打不开（{'，'.join(parts)}）"
    if kind in ("new_item", "activity"):
        return f"{g('date') or '无日期'}「{g('title') or ''}」{g('url') or ''}"
    via = f"（读取方式：{read_via_label(g('read_via'))}）" if g("read_via") else ""
    if kind == "stale_column":
        return f"栏目「{g('column')}」{g('window', '')}内未更新：{note}（{g('url')}）{via}"
    if kind == "blank_column":
        return f"栏目「{g('column')}」有栏目无内容（空白栏目）（{g('url')}）{via}"
    if kind == "excluded_column":
        why = note or "已说明无信息或已豁免"
        return f"栏目「{g('column')}」不计入（{why}）（{g('url')}）{via}"
    if kind == "finding":
        status = FINDING_STATUS.get(str(g("status")), str(g("status")))
        what = FINDING_KINDS.get(str(g("finding_kind")), str(g("finding_kind")))
        excerpt = f"：{g('excerpt')}" if g("excerpt") else ""
        return f"{what}（{status}）{excerpt}（{g('url') or ''}）" + (f"；{note}" if note else "")
    if kind in ("overdue_message", "undated_reply"):
        return f"留言「{g('title') or ''}」{note}（{g('url')}）"
    if kind == "broken_link":
        where = "首页" if g("on_homepage") else "其他页面"
        why = g("failure") or ""
        if g("status_code"):
            why = f"{why} HTTP {g('status_code')}".strip()
        pages = list(g("pages") or [])
        found = f"，所在页面 {pages[0]}" + (f" 等 {len(pages)} 个" if len(pages) > 1 else "")
        text = f"{where}链接打不开或错误：{g('target')}（{why or '打不开'}）" + (
            found if pages else ""
        )
        return text + ("（待复查，不计）" if not ev.get("counted", True) else "")
    if kind == "link_scan":
        return str(note)
    if kind == "missing_channel":
        cats = "、".join(CATEGORIES.get(c, c) for c in g("categories") or [])
        return f"未开设{cats}栏目"
    if kind == "no_messages":
        return f"{g('window_start')} 至 {g('window_end')} 栏目中无任何有效信件、留言"
    if kind == "inactive_channel":
        state = "栏目不可用" if g("usable") is False else "1年内未开展活动"
        return f"{state}（{g('url') or ''}）"
    if kind == "channel":
        return f"栏目「{g('column')}」（{g('url')}）"
    if kind == "missing_guide_element":
        return f"办事指南「{g('guide_title') or g('guide_url')}」缺少要素：{g('element')}"
    if kind in ("attachment_not_offered", "attachment_broken"):
        return note or f"附件「{g('name')}」（{g('url')}）"
    if kind == "online_system_down":
        return f"在线系统「{g('name')}」不能访问（{g('url')}）"
    return note or str(kind)


def counted_evidence(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The evidence that makes the rule hold (or would, when not scored), most telling first."""
    ev = [e for e in rule.get("evidence", []) if e.get("counted", True)]
    if rule["kind"] == "veto" and rule["id"] == "veto.unreachable":
        ev = [e for e in ev if e.get("kind") == "probe_failure"] or ev
    return ev


def problems(rule: Mapping[str, Any], limit: int = MAX_PROBLEMS) -> str:
    """The 存在的问题 cell: the figure, then each counted evidence item on its own line."""
    if rule.get("checked") is False:
        return rule["figure"]
    holds = rule["holds"] or (rule["kind"] == "deduction" and (rule.get("points") or 0) > 0)
    if not holds:
        return "未发现问题"
    lines = [rule["figure"]]
    ev = [e for e in counted_evidence(rule) if describe(e) not in rule["figure"]]
    lines += [f"{i}. {describe(e)}" for i, e in enumerate(ev[:limit], 1)]
    if len(ev) > limit:
        lines.append(f"……等共 {len(ev)} 项")
    return "\n".join(lines)


def top_evidence(rule: Mapping[str, Any], n: int = TOP_EVIDENCE) -> str:
    if rule.get("checked") is False:
        return ""
    ev = counted_evidence(rule) if rule["holds"] or rule.get("points") else []
    lines = [describe(e) for e in ev[:n]]
    if len(ev) > n:
        lines.append(f"……等共 {len(ev)} 项")
    return "\n".join(lines)


def points_cell(rule: Mapping[str, Any]) -> str:
    if rule["kind"] == "veto":
        return "—"
    if rule.get("checked") is False:
        return "未检查"
    if not rule["scored"]:
        return f"不计分（{num(rule['points'])}）"
    return num(rule["points"])


def print_card(console: Any, body: Mapping[str, Any], *, source: str = "") -> None:
    """The readable table: header, every rule with status, points, figure and top evidence."""
    from rich.table import Table

    site = body["site"]
    console.print(
        f"[bold]{markup(site['name'])}[/]  网站标识码 {markup(site['code'])}  {markup(site['url'])}"
    )
    ruleset = body["ruleset"]
    console.print(
        f"监测时间点 {body['at']}；评分规则 {ruleset['id']}（版本 {ruleset['version']}）"
        + (f"；{source}" if source else "")
    )
    colour = "green" if body["verdict"] == "qualified" else "red"
    total = f"扣分合计 {num(body['total_deduction'])} 分"
    if body.get("deduction_not_scored"):
        total += f"（单项否决后不计分的扣分 {num(body['deduction_not_scored'])} 分）"
    console.print(f"结论：[bold {colour}]{verdict_text(body)}[/]；{total}")
    if body["provisional"]:
        console.print("[yellow]暂定结论[/]（覆盖不足）：" + "；".join(body["reasons"]))
    table = Table(show_lines=True)
    for header in ("一级指标", "二级指标", "状态", "扣分", "依据", "主要证据"):
        table.add_column(header, overflow="fold")
    for rule in body["rules"].values():
        status = rule["status"]
        if status in ("单项否决", "扣分"):
            status = f"[red]{status}[/]"
        table.add_row(
            rule["group"],
            rule["name"],
            status,
            points_cell(rule),
            markup(rule["figure"]),
            markup(top_evidence(rule)),
            end_section=False,
        )
    console.print(table)
    if body.get("columns"):
        reads = Table(title="栏目读取方式")
        for header in ("栏目名称", "类别", "读取方式", "最新信息日期"):
            reads.add_column(header, overflow="fold")
        for row in column_rows(body):
            reads.add_row(*(markup(v) for v in row[:2] + row[3:]))
        console.print(reads)
    for note in body.get("notes", []):
        console.print(f"说明：{note}", markup=False)


def column_rows(body: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(栏目名称, 类别, 网址, 读取方式, 最新信息日期) of each column the card was scored on (cards
    stored before the 读取方式 was recorded have none)."""
    return [
        (
            str(c.get("name", "")),
            CATEGORIES.get(str(c.get("category")), str(c.get("category", ""))),
            str(c.get("url", "")),
            str(c.get("read_via_label") or read_via_label(c.get("read_via"))),
            str(c.get("newest_date") or "—"),
        )
        for c in body.get("columns", [])
    ]


def write_xlsx(body: Mapping[str, Any], ruleset: Ruleset | None, path: Path) -> None:
    """The official 评分表 layout with the problems filled in from the evidence."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    centre = Alignment(wrap_text=True, vertical="center", horizontal="center")
    bold = Font(bold=True)
    site = body["site"]
    rs = body["ruleset"]

    ws.merge_cells("A1:F1")
    ws["A1"] = "全国政府网站普查评分表"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = centre
    header = [
        ("网站名称", site["name"], "网站标识码", site["code"], "首页网址", site["url"]),
        (
            "监测时间点",
            body["at"],
            "评分规则",
            f"{rs['id']} 版本 {rs['version']}",
            "结论",
            verdict_text(body),
        ),
        (
            "扣分合计",
            body["total_deduction"],
            "是否暂定",
            "是" if body["provisional"] else "否",
            "暂定原因",
            "；".join(body["reasons"]),
        ),
    ]
    for r, values in enumerate(header, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, xlsx_value(value))
            cell.alignment = wrap
            if c % 2:
                cell.font = bold
    top = 6
    for c, title in enumerate(
        ("一级指标", "二级指标", "考察点", "扣分细则", "存在的问题", "扣分"), 1
    ):
        cell = ws.cell(top, c, title)
        cell.font = bold
        cell.alignment = centre
        cell.border = box

    rules = list(body["rules"].values())
    vetoes = [r for r in rules if r["kind"] == "veto"]
    deductions = [r for r in rules if r["kind"] != "veto"]
    row = top + 1
    row = _rule_rows(ws, vetoes, ruleset, row, box, wrap, centre)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    ws.cell(row, 1, VETO_NOTE).alignment = wrap
    ws.row_dimensions[row].height = 45
    row += 1
    row = _rule_rows(ws, deductions, ruleset, row, box, wrap, centre)
    ws.cell(row, 1, "合计").font = bold
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    ws.cell(row, 6, body["total_deduction"]).alignment = centre
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    ws.cell(row, 1, WINDOW_NOTE).alignment = wrap
    for note in body.get("notes", []):
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.cell(row, 1, xlsx_value(f"说明：{note}")).alignment = wrap
    for col, width in zip("ABCDEF", (12, 14, 30, 45, 60, 10), strict=True):
        ws.column_dimensions[col].width = width
    reads = column_rows(body)
    if reads:  # how each column was read: a sheet of its own, the 评分表 keeps its layout
        sheet = wb.create_sheet("栏目读取")
        for c, title in enumerate(("栏目名称", "类别", "网址", "读取方式", "最新信息日期"), 1):
            sheet.cell(1, c, title).font = bold
        for r, cells in enumerate(reads, start=2):
            for c, value in enumerate(cells, start=1):
                sheet.cell(r, c, xlsx_value(value)).alignment = wrap
        for col, width in zip("ABCDE", (20, 14, 50, 30, 14), strict=True):
            sheet.column_dimensions[col].width = width
    save_workbook(wb, path)


def _rule_rows(
    ws: Any,
    rules: list[Mapping[str, Any]],
    ruleset: Ruleset | None,
    row: int,
    box: Any,
    wrap: Any,
    centre: Any,
) -> int:
    """One row per rule; consecutive rules of the same 一级指标 share one merged cell."""
    start = row
    for i, rule in enumerate(rules):
        checkpoint = criteria = ""
        if ruleset is not None:
            try:
                rc = ruleset.rule(rule["id"])
                checkpoint, criteria = rc.checkpoint, rc.criteria
            except KeyError:
                pass
        values = (
            rule["group"],
            rule["name"],
            checkpoint,
            criteria,
            problems(rule),
            _points_value(rule),
        )
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row, c, xlsx_value(value))
            cell.alignment = centre if c in (1, 2, 6) else wrap
            cell.border = box
        last = i + 1 == len(rules) or rules[i + 1]["group"] != rule["group"]
        if last:
            if row > start:
                ws.merge_cells(start_row=start, start_column=1, end_row=row, end_column=1)
            start = row + 1
        row += 1
    return row


def _points_value(rule: Mapping[str, Any]) -> Any:
    """Numbers stay numbers in the sheet (so officials can add them up); words otherwise."""
    if rule["kind"] == "veto":
        return "—"
    if rule.get("checked") is False:
        return "未检查"
    if not rule["scored"]:
        return f"不计分（{num(rule['points'])}）"
    return rule["points"]
