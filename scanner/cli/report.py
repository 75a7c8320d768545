"""``census report``: 抽查 samples, 问责 records and the 政府网站监管年度报表 statistics."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from scanner.cli.context import open_database
from scanner.cli.db import DatabaseOpt
from scanner.cli.output import console, console_err, markup, print_json
from scanner.clock import CST, RealClock

if TYPE_CHECKING:
    from scanner.db.models import Sampling
    from scanner.reports.supervision import Supervision

EXIT_REFUSED = 2

app = typer.Typer(
    help="抽查 samples, 问责 records and the 政府网站监管年度报表 (一 网站抽查) statistics.",
    no_args_is_help=True,
)
accountability_app = typer.Typer(
    help="Record and list 问责 (约谈、书面检查、通报批评、警告或记过处分、调离岗位或免职、其他).",
    no_args_is_help=True,
)
app.add_typer(accountability_app, name="accountability")

YearOpt = Annotated[int, typer.Option("--year", min=2000, max=2099, help="年度, e.g. 2025.")]
OrgOpt = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Organisation code; includes every organisation below it "
        "(default: the only top-level one).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _refusing() -> Iterator[None]:
    """Our errors become one clean line and exit 2; the transaction has already rolled back."""
    from scanner.errors import ReportError

    try:
        yield
    except ReportError as exc:
        console_err.print(f"[red]错误:[/] {escape(str(exc))}")
        raise SystemExit(EXIT_REFUSED) from None


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    from scanner.cli.values import EARLIEST_DAY, LATEST_DAY
    from scanner.errors import ReportError
    from scanner.registry import vocab

    try:
        day = vocab.to_date(text)
    except ValueError:
        raise ReportError(f"{what} 应为 YYYY-MM-DD，而不是 '{text}'") from None
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ReportError(f"{what} 应在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间，而不是 '{text}'")
    return day


def _now() -> datetime:
    return RealClock().now()


def _sampling_lines(sampling: Sampling) -> str:
    asked = f"比例 {sampling.ratio:g}%" if sampling.ratio is not None else f"数量 {sampling.size}"
    strata = (
        "按"
        + "、".join({"level": "层级", "type": "类型"}[s] for s in sampling.strata.split("+"))
        + "分层"
        if sampling.strata
        else "不分层"
    )
    return (
        f"编号 {sampling.id}，种子 {sampling.seed}，监测时间点 "
        f"{sampling.monitoring_date.isoformat()}，{asked}，{strata}"
        + ("（每层至少 1 个）" if sampling.min_per_stratum else "")
    )


@app.command("sampling")
def sampling_cmd(
    year: YearOpt,
    quarter: Annotated[int, typer.Option("--quarter", help="季度 1–4.")],
    org: OrgOpt = None,
    ratio_text: Annotated[
        str | None,
        typer.Option("--ratio", help="抽查比例 in percent (20 or 20%); the size is rounded up."),
    ] = None,
    size: Annotated[
        int | None, typer.Option("--size", min=1, help="抽查数量 (not --ratio).")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Stratify by level (层级) and/or type (类型); repeat for both."),
    ] = None,
    min_one: Annotated[
        bool, typer.Option("--min-one", help="At least one site from every non-empty stratum.")
    ] = False,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Random seed; the same seed over the same sites draws the same sample "
            "(default: a new one, printed).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Monitoring date T in the quarter, whose scorecards are the results "
            "(default: today, or the quarter's last day once it is over).",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace this quarter's earlier sample of the organisation."
        ),
    ] = False,
    note: Annotated[str, typer.Option("--note", help="A remark kept with the sample.")] = "",
    as_json: JsonOpt = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Draw a quarter's 抽查 sample of running sites (seeded, optionally stratified)."""
    from scanner.reports.common import check_quarter, default_organisation, percent, ratio
    from scanner.reports.sampling import (
        DrawRequest,
        draw_sampling,
        parse_ratio,
        parse_strata,
        stratum_label,
    )

    with _refusing():
        check_quarter(year, quarter)
        request = DrawRequest(
            year=year,
            quarter=quarter,
            organisation=org or "",
            ratio=parse_ratio(ratio_text) if ratio_text is not None else None,
            size=size,
            by=parse_strata(by or []),
            min_one=min_one,
            seed=seed,
            at=_day(at, "--at"),
            replace=replace,
            note=note,
        )
        db = open_database(database_url)
        try:
            with db.session() as session:
                if org is None:
                    request = dataclasses.replace(
                        request, organisation=default_organisation(session, None).code
                    )
                outcome = draw_sampling(session, request, _now())
                sampling = outcome.sampling
                rows = [(s.site.code, s.site.name, s.stratum) for s in sampling.sites]
                head = (
                    f"{sampling.organisation.name} {year}年第{quarter}季度抽查：网站总数 "
                    f"{sampling.population}，抽取 {len(rows)} 个"
                    f"（{percent(ratio(len(rows), sampling.population))}）"
                )
                detail = _sampling_lines(sampling)
                data = {
                    "id": sampling.id,
                    "year": year,
                    "quarter": quarter,
                    "organisation": sampling.organisation.code,
                    "seed": sampling.seed,
                    "monitoring_date": sampling.monitoring_date.isoformat(),
                    "population": sampling.population,
                    "strata": sampling.strata,
                    "replaced": outcome.replaced,
                    "allocation": {
                        k: {"sites": n, "drawn": d} for k, (n, d) in outcome.strata.items()
                    },
                    "sites": [{"code": c, "name": n, "stratum": s} for c, n, s in rows],
                }
        finally:
            db.dispose()
    if as_json:
        print_json(data)
        return
    console.print(head)
    console.print(f"  {detail}" + (f"；已替换编号 {outcome.replaced}" if outcome.replaced else ""))
    if len(outcome.strata) > 1:
        strata = Table(title="分层分配（最大余数法）")
        for header in ("分层", "网站数", "抽取数"):
            strata.add_column(header)
        for key, (n, d) in outcome.strata.items():
            strata.add_row(stratum_label(key), str(n), str(d))
        console.print(strata)
    table = Table(title=f"抽查网站 {len(rows)} 个")
    for header in ("网站标识码", "网站名称", "分层"):
        table.add_column(header, overflow="fold")
    for code, name, stratum in rows:
        table.add_row(markup(code), markup(name), stratum_label(stratum))
    console.print(table)


@app.command("samples")
def samples_cmd(
    year: YearOpt,
    quarter: Annotated[
        int | None, typer.Option("--quarter", help="季度 1–4 (default: all).")
    ] = None,
    org: OrgOpt = None,
    ruleset: Annotated[
        str | None,
        typer.Option(
            "--ruleset", help="Read scorecards of this ruleset only (default: the newest)."
        ),
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx", help="Also write the sampled sites and their results to this .xlsx file."
        ),
    ] = None,
    as_json: JsonOpt = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List the year's samples under an organisation and each sampled site's 抽查 result."""
    from scanner.reports.common import (
        ReportError,
        check_quarter,
        default_organisation,
        subtree_ids,
    )
    from scanner.reports.sampling import samplings_in, stratum_label
    from scanner.reports.supervision import OUTCOME_LABEL, Outcome, sampling_results
    from scanner.reports.xlsx import write_samples

    with _refusing():
        if quarter is not None:
            check_quarter(year, quarter)
        if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
            raise ReportError(f"--xlsx 的文件名应以 .xlsx 结尾：{xlsx}")
        db = open_database(database_url)
        try:
            with db.session() as session:
                root = default_organisation(session, org)
                found = samplings_in(session, subtree_ids(session, root), year, quarter)
                data: list[dict[str, Any]] = []
                for sampling in found:
                    results = sampling_results(session, sampling, ruleset)
                    data.append(
                        {
                            "id": sampling.id,
                            "year": sampling.year,
                            "quarter": sampling.quarter,
                            "organisation": sampling.organisation.code,
                            "organisation_name": sampling.organisation.name,
                            "summary": _sampling_lines(sampling),
                            "seed": sampling.seed,
                            "population": sampling.population,
                            "monitoring_date": sampling.monitoring_date.isoformat(),
                            "sites": [
                                {
                                    "code": r.sampled.site.code,
                                    "name": r.sampled.site.name,
                                    "host_org": r.sampled.site.host_org,
                                    "type": r.sampled.site.type.value,
                                    "site_organisation": r.sampled.site.organisation.name,
                                    "stratum": r.sampled.stratum,
                                    "at": r.sampled.at.isoformat(),
                                    "outcome": r.outcome.value,
                                    "provisional": r.provisional,
                                    "ruleset": r.ruleset,
                                    "total_deduction": r.total_deduction,
                                }
                                for r in results
                            ],
                        }
                    )
                name = root.name
        finally:
            db.dispose()
        if xlsx is not None:
            write_samples(data, xlsx, title=f"{name} {year}年网站抽查情况")
    if xlsx is not None:
        console_err.print(f"已写入 {xlsx}")
    if as_json:
        print_json(data)
        return
    if not data:
        console.print(f"{year}年{'第' + str(quarter) + '季度' if quarter else ''}没有抽查记录。")
        return
    for item in data:
        table = Table(
            title=f"{item['organisation_name']} {item['year']}年第{item['quarter']}"
            f"季度抽查（{item['summary']}）"
        )
        for header in ("网站标识码", "网站名称", "分层", "结果", "扣分"):
            table.add_column(header, overflow="fold")
        for site in item["sites"]:
            outcome = OUTCOME_LABEL[Outcome(site["outcome"])]
            if site["provisional"]:
                outcome += "（暂定）"
            points = "" if site["total_deduction"] is None else f"{site['total_deduction']:g}"
            table.add_row(
                markup(site["code"]),
                markup(site["name"]),
                stratum_label(site["stratum"]),
                outcome,
                points,
            )
        console.print(table)


@app.command("retime")
def retime_cmd(
    site: Annotated[str, typer.Argument(help="网站标识码 of a sampled site.")],
    year: YearOpt,
    quarter: Annotated[int, typer.Option("--quarter", help="季度 1–4.")],
    at: Annotated[
        str,
        typer.Option("--at", help="The day in the quarter it was actually checked (YYYY-MM-DD)."),
    ],
    org: OrgOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Move one sampled site's monitoring date: its scorecard of that day becomes its result."""
    from scanner.reports.common import check_quarter, default_organisation
    from scanner.reports.sampling import retime

    with _refusing():
        check_quarter(year, quarter)
        day = _day(at, "--at")
        assert day is not None
        db = open_database(database_url)
        try:
            with db.session() as session:
                code = default_organisation(session, org).code
                sampled, before = retime(session, code, year, quarter, site, day)
                line = (
                    f"已将 {sampled.site.code} {sampled.site.name} 的监测时间点由 "
                    f"{before.isoformat()} 改为 {day.isoformat()}"
                )
        finally:
            db.dispose()
    console.print(line, markup=False)


@app.command("supervision")
def supervision_cmd(
    year: YearOpt,
    org: OrgOpt = None,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write the form's 网站抽查 section to this .xlsx file."),
    ] = None,
    ruleset: Annotated[
        str | None,
        typer.Option(
            "--ruleset", help="Read scorecards of this ruleset only (default: the newest)."
        ),
    ] = None,
    performance_weight: Annotated[
        str | None,
        typer.Option(
            "--performance-weight",
            help="7. 纳入政府年度绩效考核: its weight in percent (0 = 否); blank when omitted.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    database_url: DatabaseOpt = None,
) -> None:
    """The 抽查 figures per quarter and for the year: 网站总数 … 问责人次, as a table or xlsx."""
    from scanner.errors import ReportError
    from scanner.reports.sampling import parse_ratio
    from scanner.reports.supervision import supervision
    from scanner.reports.xlsx import write_supervision

    with _refusing():
        weight = None
        if performance_weight is not None:
            weight = (
                Decimal(0)
                if performance_weight.strip() in ("0", "0%")
                else parse_ratio(performance_weight)
            )
        if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
            raise ReportError(f"--xlsx 的文件名应以 .xlsx 结尾：{xlsx}")
        db = open_database(database_url)
        try:
            with db.session() as session:
                report = supervision(session, org, year, ruleset)
        finally:
            db.dispose()
        if xlsx is not None:
            write_supervision(
                report, xlsx, filled_on=_now().astimezone(CST).date(), performance_weight=weight
            )
    if as_json:
        print_json(report.as_dict())
    else:
        _print_supervision(report)
    if xlsx is not None:
        console_err.print(f"已写入 {xlsx}")


def _print_supervision(report: Supervision) -> None:
    from scanner.reports.accountability import FORM_COLUMNS, FORM_LABEL
    from scanner.reports.common import percent

    table = Table(
        title=f"政府网站监管年度报表 一、网站抽查 — {report.organisation_name}"
        f"（{report.organisation_code}） {report.year}年度"
    )
    headers = [
        "",
        "网站总数",
        "抽查比例",
        "抽查网站数量",
        "抽查合格率",
        "不合格网站数量",
        "问责人次",
    ] + [FORM_LABEL[f] for f in FORM_COLUMNS]
    for header in headers:
        table.add_column(header, justify="right", overflow="fold")
    for row in report.rows:
        table.add_row(
            row.label,
            "—" if row.total_sites is None else str(row.total_sites),
            percent(row.sample_ratio),
            str(row.sampled),
            percent(row.pass_rate),
            str(row.unqualified),
            str(row.accountability.total),
            *(str(row.accountability.by_form[f]) for f in FORM_COLUMNS),
        )
    console.print(table)
    console.print(
        "全年网站总数为截至12月31日运行网站数；抽查比例仅分季度填写；"
        "抽查合格率按已评分网站计算，待评分网站不计入合格或不合格。"
    )
    for row in report.rows[:-1]:
        if row.monitoring_date is None:
            continue
        line = f"{row.label}：监测时间点 {row.monitoring_date.isoformat()}"
        if row.provisional:
            line += f"，暂定评分 {row.provisional} 个"
        if row.pending:
            line += (
                f"，[yellow]待评分 {row.pending} 个[/]（尚无该日评分，"
                "请运行 census score --at 监测时间点），统计未完成"
            )
        console.print(line)


@accountability_app.command("add")
def accountability_add(
    org: Annotated[str, typer.Option("--org", help="Organisation code of the target.")],
    target: Annotated[
        str,
        typer.Option(
            "--target", help="The person or role held accountable (unique within the organisation)."
        ),
    ],
    form: Annotated[
        str,
        typer.Option(
            "--form", help="约谈 | 书面检查 | 通报批评 | 警告或记过处分 | 调离岗位或免职 | 其他."
        ),
    ],
    on: Annotated[str, typer.Option("--date", help="The day it was taken (YYYY-MM-DD).")],
    quarter: Annotated[
        int | None,
        typer.Option(
            "--quarter", help="Count it in this quarter (default: the one --date falls in)."
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            min=2000,
            max=2099,
            help="Count it in this year (default: the year of --date).",
        ),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option("--site", help="网站标识码 of the 不合格 or 整改不到位 site concerned."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A remark.")] = "",
    database_url: DatabaseOpt = None,
) -> None:
    """Record one 问责 of a responsible person (counted once per quarter at its heaviest)."""
    from scanner.reports.accountability import FORM_LABEL, NewAction, add_action, parse_form
    from scanner.reports.common import check_quarter

    with _refusing():
        parse_form(form)
        taken_on = _day(on, "--date")
        assert taken_on is not None
        if quarter is not None:
            check_quarter(year if year is not None else taken_on.year, quarter)
        db = open_database(database_url)
        try:
            with db.session() as session:
                action = add_action(
                    session,
                    NewAction(
                        organisation=org,
                        target=target,
                        form=form,
                        taken_on=taken_on,
                        year=year,
                        quarter=quarter,
                        site=site,
                        note=note,
                    ),
                    _now(),
                )
                line = (
                    f"已记录问责（编号 {action.id}）：{action.organisation.name} "
                    f"{action.target}，{FORM_LABEL[action.form]}，{action.taken_on}，"
                    f"计入 {action.year}年第{action.quarter}季度"
                )
        finally:
            db.dispose()
    console.print(line, markup=False)


@accountability_app.command("list")
def accountability_list(
    year: YearOpt,
    quarter: Annotated[
        int | None, typer.Option("--quarter", help="季度 1–4 (default: all).")
    ] = None,
    org: OrgOpt = None,
    as_json: JsonOpt = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List recorded 问责 under an organisation (every record, before de-duplication)."""
    from scanner.reports.accountability import FORM_LABEL, actions_in
    from scanner.reports.common import (
        QUARTER_LABEL,
        check_quarter,
        default_organisation,
        subtree_ids,
    )

    with _refusing():
        if quarter is not None:
            check_quarter(year, quarter)
        db = open_database(database_url)
        try:
            with db.session() as session:
                root = default_organisation(session, org)
                rows: list[dict[str, Any]] = [
                    {
                        "id": a.id,
                        "year": a.year,
                        "quarter": a.quarter,
                        "organisation": a.organisation.code,
                        "organisation_name": a.organisation.name,
                        "target": a.target,
                        "form": a.form.value,
                        "form_label": FORM_LABEL[a.form],
                        "date": a.taken_on.isoformat(),
                        "site": a.site.code if a.site else None,
                        "note": a.note,
                    }
                    for a in actions_in(session, subtree_ids(session, root), year, quarter)
                ]
        finally:
            db.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"问责记录 {len(rows)} 条")
    for header in ("编号", "季度", "组织", "问责对象", "形式", "日期", "网站", "备注"):
        table.add_column(header, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            f"{r['year']}年{QUARTER_LABEL[r['quarter']]}",
            r["organisation_name"],
            escape(r["target"]),
            r["form_label"],
            r["date"],
            r["site"] or "",
            escape(r["note"]),
        )
    console.print(table)


@accountability_app.command("remove")
def accountability_remove(
    action_id: Annotated[int, typer.Argument(help="编号 shown by 'accountability list'.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Delete one wrongly entered 问责 record."""
    from scanner.reports.accountability import FORM_LABEL, remove_action

    with _refusing():
        db = open_database(database_url)
        try:
            with db.session() as session:
                action = remove_action(session, action_id)
                line = f"已删除问责记录 {action.id}（{action.target}，{FORM_LABEL[action.form]}）"
        finally:
            db.dispose()
    console.print(line, markup=False)
