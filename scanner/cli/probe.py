"""``census probe``: one probe round now, and a site's probe week as the rules see it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scanner.cli.context import open_database, settings_with
from scanner.cli.edge import run_async
from scanner.cli.output import console, failure_label, markup, print_json
from scanner.clock import CST, RealClock

if TYPE_CHECKING:
    from scanner.monitor.stats import WeekStats

DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database-url", envvar="CENSUS_DATABASE_URL", help="SQLAlchemy URL."),
]
CanaryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--canary",
        help="A URL known to be up (e.g. the farm's control site), probed with every round; "
        "when it fails the round is kept but marked invalid. Repeat for several; default: "
        "the CENSUS_CANARIES setting.",
    ),
]

app = typer.Typer(
    help="Probe homepages now (one round) and show a site's probe week (首页可用性).",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback(invoke_without_command=True)
def probe(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run one round over all running sites now.")
    ] = False,
    canary: CanaryOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Run one round now (--once), or see `census probe stats`."""
    if ctx.invoked_subcommand is not None:
        return
    if not once:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    from scanner.db.models import RoundStatus
    from scanner.monitor import RoundOptions, probe_and_store

    settings = settings_with(database_url)
    db = open_database(settings=settings)
    now = RealClock().now().replace(microsecond=0)
    outcome, round_id = run_async(
        probe_and_store(
            db,
            settings,
            clock=RealClock(),
            scheduled_for=now,
            canaries=canary or settings.canary_urls,
            options=RoundOptions.from_settings(settings),
        )
    )
    table = Table(title=f"首页可用性探测 {now.astimezone(CST):%Y-%m-%d %H:%M:%S}（北京时间）")
    for header, justify in [
        ("网站标识码", "left"),
        ("网站名称", "left"),
        ("首页地址", "left"),
        ("结果", "left"),
        ("失败类型", "left"),
        ("状态码", "right"),
        ("耗时（毫秒）", "right"),
        ("字节数", "right"),
    ]:
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for target, record in outcome.results:
        table.add_row(
            markup(target.code),
            markup(target.name),
            markup(target.url),
            "[green]正常[/]" if record.ok else "[red]失败[/]",
            failure_label(record.failure),
            str(record.status_code or ""),
            f"{record.total_ms:.0f}",
            str(record.bytes if record.bytes is not None else ""),
        )
    console.print(table)
    failed = sum(1 for _, r in outcome.results if not r.ok)
    console.print(
        f"共探测 {len(outcome.results)} 个网站，失败 {failed} 个；事件循环最大延迟 "
        f"{outcome.loop_lag_ms:.0f} 毫秒。"
    )
    for c in outcome.canaries:
        state = "正常" if c.ok else f"失败（{failure_label(c.failure)}）"
        console.print(f"对照站点 {markup(c.url)}: {state}")
    if outcome.status is RoundStatus.INVALID:
        console.print(f"[yellow]本轮无效，不计入失败率：{outcome.invalid_reason}[/]")
    else:
        console.print("本轮有效。")
    if round_id is None:
        console.print("[yellow]该轮次已存在，未重复保存。[/]")


def _parse_day(text: str) -> date:
    from scanner.cli.values import parse_day

    return parse_day(text, "--at")


def _stats_json(stats: WeekStats) -> dict[str, object]:
    return {
        "site": stats.site_code,
        "name": stats.site_name,
        "url": stats.url,
        "at": stats.at.isoformat(),
        "window": [stats.first_day.isoformat(), stats.at.isoformat()],
        "probes": stats.probes,
        "failures": stats.failures,
        "ratio": stats.ratio,
        "invalid": stats.invalid,
        "missed_rounds": stats.missed_rounds,
        "short_days": [d.isoformat() for d in stats.short_days],
        "days": [
            {
                "day": d.day.isoformat(),
                "valid": d.valid,
                "failures": d.failures,
                "invalid": d.invalid,
                "short": d.short,
            }
            for d in stats.days
        ],
        "failed": [
            {
                "started_at": f.started_at.isoformat(),
                "failure": f.failure.value if f.failure else None,
                "status": f.status_code,
                "total_ms": f.total_ms,
            }
            for f in stats.failed
        ],
    }


@app.command("stats")
def stats(
    site: Annotated[str, typer.Argument(help="网站标识码 or homepage URL.")],
    at: Annotated[
        str | None, typer.Option("--at", help="Monitoring point T, YYYY-MM-DD (default today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """The week before T (the 7 days ending at T): probes, failures, ratio, coverage per day."""
    from scanner.monitor import week_stats
    from scanner.registry.lookup import find_site

    day = _parse_day(at) if at else RealClock().now().astimezone(CST).date()
    db = open_database(database_url)
    with db.session() as session:
        week = week_stats(session, find_site(session, site), day)
    if as_json:
        print_json(_stats_json(week))
        return
    console.print(markup(f"{week.site_name}（{week.site_code}）{week.url}"))
    console.print(f"监测时间点 {week.at}，统计区间 {week.first_day} 至 {week.at}（北京时间）")
    days = Table(title="每日探测覆盖")
    for header in ("日期", "有效探测次数", "失败次数", "无效次数（不计入）", "覆盖"):
        days.add_column(header)
    for d in week.days:
        cover = "[yellow]不足20次[/]" if d.short else "足够"
        days.add_row(str(d.day), str(d.valid), str(d.failures), str(d.invalid), cover)
    console.print(days)
    ratio = f"{week.ratio * 100:.2f}%" if week.ratio is not None else "—"
    console.print(f"一周共有效探测 {week.probes} 次，失败 {week.failures} 次，失败率 {ratio}。")
    if week.missed_rounds:
        console.print(f"监测中断（未执行）的轮次：{week.missed_rounds} 个。")
    if week.short_days:
        console.print("[yellow]有日期探测不足20次：结论为暂定（provisional）。[/]")
    if week.failed:
        failed = Table(title="失败的探测")
        for header in ("时间（北京时间）", "失败类型", "状态码", "耗时（毫秒）"):
            failed.add_column(header)
        for f in week.failed:
            failed.add_row(
                f"{f.started_at.astimezone(CST):%Y-%m-%d %H:%M:%S}",
                failure_label(f.failure),
                str(f.status_code or ""),
                f"{f.total_ms:.0f}" if f.total_ms is not None else "",
            )
        console.print(failed)
