"""``census demo``: the whole pipeline on the built-in simulated sites, no server to start."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scanner.cli.output import console, markup
from scanner.clock import stopwatch

if TYPE_CHECKING:
    from scanner.demo import DemoResult
    from scanner.scorecards import Scored


def demo(
    folder: Annotated[
        Path | None,
        typer.Option("--dir", help="Folder for the demo database; default a new temporary one."),
    ] = None,
    days: Annotated[
        int, typer.Option(min=1, max=60, help="Days of hourly homepage probes to simulate.")
    ] = 7,
) -> None:
    """Run the census on the built-in simulated government sites and print a summary."""
    from scanner.demo import run_demo

    folder = folder or Path(tempfile.mkdtemp(prefix="census-demo-"))
    console.print(
        f"[bold]政府网站普查演示[/] — 模拟网站群 (simulated farm on 127.0.0.1), "
        f"数据库 {folder / 'census.db'}"
    )
    started = stopwatch()
    with console.status("模拟监测一周首页可用性，读取栏目，抓取并检查链接，检查互动与服务，评分…"):
        result = run_demo(folder, days=days)
    show(result)
    console.print(f"用时 {stopwatch() - started:.1f} 秒。数据保存在 {result.folder}")
    show_web(result)


def show_web(result: DemoResult) -> None:
    """The web app over the demo's database, with the logins the demo made."""
    from scanner.demo import DEMO_PASSWORD, create_demo_accounts

    accounts = create_demo_accounts(result.database_url)
    console.print(
        f"\n[bold]在浏览器中查看[/]：census serve --database-url {result.database_url}"
        "  然后打开 http://127.0.0.1:8000/"
    )
    for username, org, role in accounts:
        console.print(f"  演示账号 {username} / {DEMO_PASSWORD}（{org}，{role}）")


def show(result: DemoResult) -> None:
    from scoring import default_ruleset
    from scoring.rules.veto import UnreachableParams
    from scoring.text import percent

    params = default_ruleset().rule("veto.unreachable").params
    assert isinstance(params, UnreachableParams)
    vetoes = params.holds_when_failure_percent.holds
    console.print("导入网站登记：" + "；".join(result.imported.lines()))
    console.print(
        f"监测时间点 {result.at.isoformat()}；模拟首页监测 {result.rounds} 轮（每小时一轮）"
    )
    table = Table(title="首页可用性与栏目更新 (监测时间点前1周)", show_lines=False)
    for header in (
        "网站标识码",
        "网站名称",
        "监测次数",
        "打不开",
        "比例",
        "监测不足的天数",
        "栏目可读",
        "最新信息日期",
    ):
        table.add_column(header)
    for site in result.sites:
        week = site.week
        ratio = f"{week.ratio * 100:.2f}%" if week.ratio is not None else "—"
        if week.probes and vetoes(percent(week.failures, week.probes)):
            ratio = f"[red]{ratio} 单项否决[/]"
        readable = sum(1 for c in site.columns if c.ok)
        newest = max((c.newest for c in site.columns if c.newest), default=None)
        table.add_row(
            markup(site.code),
            markup(site.name),
            str(week.probes),
            str(week.failures),
            ratio,
            str(len(week.short_days)),
            f"{readable}/{len(site.columns)}",
            newest.isoformat() if newest else "—",
        )
    console.print(table)
    if result.scans:
        console.print(
            f"抓取网站并检查链接：{len(result.scans)} 个网站（失效链接经复查确认后才扣分）"
        )
    if result.checked:
        console.print(
            f"检查互动回应、办事服务与内容：{result.checked} 个网站"
            "（内容疑点待人工复核，不直接扣分）"
        )
    show_verdicts(result)


def top_deductions(body: dict[str, Any], n: int = 3) -> str:
    """The largest deductions, e.g. "链接可用性 15.5；基本信息 9" (not scored ones in brackets)."""
    from scanner.scorecards.render import num

    rules = [
        r for r in body["rules"].values() if r["kind"] == "deduction" and (r["points"] or 0) > 0
    ]
    rules.sort(key=lambda r: -r["points"])
    text = "；".join(f"{r['name']} {num(r['points'])}" for r in rules[:n])
    if text and body["vetoed"]:
        return f"（不计分）{text}"
    return text or "—"


def featured(cards: list[Scored]) -> Scored:
    """The card shown in full: the most deductions of a site not vetoed, else the first."""
    scored = [c for c in cards if not c.card.vetoed]
    if scored:
        return max(scored, key=lambda c: c.card.total_deduction)
    return cards[0]


def show_verdicts(result: DemoResult) -> None:
    from scanner.scorecards.render import num, print_card, verdict_text

    if not result.scorecards:
        return
    version = f"{result.ruleset.id} 版本 {result.ruleset.version}" if result.ruleset else ""
    table = Table(title=f"普查结论 (监测时间点 {result.at.isoformat()}，评分规则 {version})")
    for header in ("网站标识码", "网站名称", "结论", "单项否决", "扣分", "主要扣分项", "暂定"):
        table.add_column(header, overflow="fold")
    for s in result.scorecards:
        body = s.body
        vetoes = [r["name"] for r in body["rules"].values() if r["kind"] == "veto" and r["holds"]]
        verdict = verdict_text(body).split("（")[0]
        colour = "green" if s.card.qualified else "red"
        table.add_row(
            markup(body["site"]["code"]),
            markup(body["site"]["name"]),
            f"[{colour}]{verdict}[/]",
            "、".join(vetoes) or "—",
            num(body["total_deduction"]),
            top_deductions(body),
            "暂定" if body["provisional"] else "否",
        )
    console.print(table)
    card = featured(result.scorecards)
    console.print(f"\n[bold]评分表全文[/]：{markup(card.body['site']['name'])}")
    print_card(console, card.body)
    console.print(
        "查看其他网站：census scorecard 网站标识码 --at "
        f"{result.at.isoformat()} --database-url {result.database_url}"
        "（可加 --json 或 --xlsx 文件）"
    )
