"""``census check SITE | --all``: messages, surveys and interviews, guides, online systems and
content, read now and stored; then what they mean for the interaction and service rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape

from scanner.cli.context import open_database, settings_with
from scanner.cli.db import DatabaseOpt
from scanner.cli.edge import run_async
from scanner.cli.inspect import today_cst
from scanner.cli.output import console, console_err, markup, print_json
from scanner.clock import RealClock
from scanner.errors import CensusError

if TYPE_CHECKING:
    from scanner.checks.run import SiteChecks
    from scanner.checks.store import StoredChecks
    from scanner.checks.summary import SiteSummary

EXIT_REFUSED = 2
CHECK_LABEL = {
    "messages": "政务咨询/举报投诉留言", "channels": "调查征集、在线访谈",
    "guides": "办事指南与附件", "systems": "在线系统", "content": "内容检查（领导人姓名、禁用词）",
}  # fmt: skip
STATE_LABEL = {
    "answered_late": "回复晚于3个月", "open": "至今未回复",
    "answered_undated": "已回复但未注明回复日期",
}  # fmt: skip


def _fail(message: str) -> NoReturn:
    console_err.print(f"[red]错误:[/] {escape(message)}")
    raise SystemExit(EXIT_REFUSED)


def _only(value: str | None) -> tuple[str, ...]:
    from scanner.checks.run import CHECKS

    if not value:
        return CHECKS
    wanted = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in wanted if v not in CHECKS]
    if unknown:
        _fail(f"未知的检查项 {', '.join(unknown)}（可选：{', '.join(CHECKS)}）")
    return wanted


def _as_of(value: str | None) -> date:
    if value is None:
        return today_cst()
    from scanner.cli.values import parse_day

    return parse_day(value, "--as-of")


def check(
    site_key: Annotated[
        str | None,
        typer.Argument(metavar="[SITE]", help="网站标识码 or homepage URL; or use --all."),
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all", help="Every running site in the registry.")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Comma-separated checks to run: messages, channels, guides, systems, content "
            "(default: all).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Monitoring point YYYY-MM-DD for the summary and for year-less dates "
            "(default: today, China time).",
        ),
    ] = None,
    wordlists: Annotated[
        Path | None,
        typer.Option(
            "--wordlists",
            help="Directory with leaders.yaml and forbidden.yaml (default: config/wordlists).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Check interaction, services and content (互动回应、服务实用、严重错误候选); store it."""
    from probes.content import ContentChecker, load_wordlists
    from scanner.checks.run import check_sites
    from scanner.checks.store import store_site_checks
    from scanner.checks.summary import summarize
    from scanner.db.models import Site
    from scanner.registry.lookup import find_site
    from scanner.snapshots import wanted_sites

    if (site_key is None) == (not all_sites):
        _fail("请指定一个网站（标识码或首页网址）或 --all，二者选一")
    wanted = _only(only)
    at = _as_of(as_of)
    checker = None
    if "content" in wanted:
        try:
            checker = ContentChecker(load_wordlists(wordlists))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(f"无法读取词表：{exc}")
    settings = settings_with(database_url)
    db = open_database(settings=settings)
    try:
        with db.session() as session:
            codes: list[str] | None = None
            if site_key is not None:
                try:
                    codes = [find_site(session, site_key).code]
                except CensusError as exc:
                    _fail(str(exc))
            sites = wanted_sites(session, codes)
        results = run_async(check_sites(settings, sites, as_of=at, checker=checker, only=wanted))
        out: list[tuple[SiteChecks, StoredChecks, SiteSummary]] = []
        now = RealClock().now()
        for result in sorted(results, key=lambda r: r.site.code):
            with db.session() as session:
                stored = store_site_checks(session, result, now)
            with db.session() as session:
                site = session.get(Site, result.site.site_id)
                assert site is not None
                out.append((result, stored, summarize(session, site, at)))
    finally:
        db.dispose()
    if as_json:
        print_json(
            [
                {**summary.to_json(), "checks": list(wanted), "stored": _stored_json(stored),
                 "pages_read": result.pages_read}
                for result, stored, summary in out
            ]
        )  # fmt: skip
        return
    for result, stored, summary in out:
        _print(result, stored, summary, wanted)


def _stored_json(stored: StoredChecks) -> dict[str, int]:
    return {
        "messages": stored.messages,
        "new_messages": stored.new_messages,
        "column_checks": stored.column_checks,
        "activities": stored.activities,
        "guides": stored.guides,
        "attachments": stored.attachments,
        "new_findings": stored.new_findings,
    }


def _print(
    result: SiteChecks, stored: StoredChecks, s: SiteSummary, wanted: tuple[str, ...]
) -> None:
    console.print(f"[bold]{escape(s.name)}[/] ({s.code}) — 监测时间点 {s.at}")
    if "messages" in wanted:
        unread = [r.url for r in result.messages.values() if not r.ok]
        if not s.consult_columns:
            console.print("  政务咨询类栏目：未登记")
        else:
            console.print(
                f"  政务咨询类栏目 {s.consult_columns} 个：近一年有效留言 {s.valid_messages} 条；"
                f"超过3个月未回应 {len(s.overdue)} 条"
                + (f"；已回复但未注明回复日期 {len(s.undated_replies)} 条"
                   if s.undated_replies else "")
            )  # fmt: skip
        for o in s.overdue + s.undated_replies:
            answered = f"，{o.answered_on} 回复" if o.answered_on else ""
            console.print(
                f"    · {escape(o.title)}：{o.asked_on} 提问{answered}（{STATE_LABEL[o.state]}）"
                f" {o.url}"
            )
        for url in unread:
            console.print(f"    [yellow]栏目无法打开[/] {markup(url)}")
    if "channels" in wanted:
        for cat, label in (("survey", "调查征集类栏目"), ("interview", "互动访谈类栏目")):
            ch = s.channels.get(cat)
            if ch is None:
                console.print(f"  {label}：未登记")
                continue
            usable = "可用" if ch["usable"] else "不可用（无法打开）"
            console.print(f"  {label}：{usable}，近一年开展活动 {ch['activities']} 次")
    if "guides" in wanted:
        missing = sum(len(g["missing"]) for g in s.guides)
        console.print(
            f"  办事指南 {len(s.guides)} 个：缺失要素 {missing} 类次；附件未提供下载 "
            f"{len(s.attachments_not_offered)} 个，无法下载 {len(s.attachments_broken)} 个"
        )
        for g in s.guides:
            if g["missing"]:
                console.print(f"    · {escape(g['title'])} 缺少：{'、'.join(g['missing'])}")
        for a in s.attachments_not_offered:
            console.print(
                f"    · 提及但未提供下载：{markup(a['name'])}（{markup(a['guide_url'])}）"
            )
        for a in s.attachments_broken:
            console.print(
                f"    · 无法下载：{markup(a['name'])} {markup(a['url'])}（{a['failure']}）"
            )
    if "systems" in wanted:
        down = [x for x in s.systems if x["opens"] is False]
        if s.systems:
            console.print(f"  在线系统 {len(s.systems)} 个：不能访问 {len(down)} 个")
        else:
            console.print("  在线系统：未登记")
        for x in down:
            console.print(f"    · {markup(x['name'])} {markup(x['url'])}（{x['failure']}）")
    if "content" in wanted:
        hits = sum(len(p.hits) for p in result.content)
        console.print(
            f"  内容检查：读取页面 {result.pages_read} 个，命中 {hits} 处，"
            f"新增待复核 {stored.new_findings} 处（census review list {s.code}）"
        )


__all__ = ["CHECK_LABEL", "check"]
