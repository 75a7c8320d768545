"""``census demo``: the whole pipeline on the built-in simulated sites, no server to start."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scanner.cli.output import console
from scanner.demo import DemoResult, run_demo


def demo(
    folder: Annotated[
        Path | None,
        typer.Option("--dir", help="Folder for the demo database; default a new temporary one."),
    ] = None,
    days: Annotated[int, typer.Option(help="Days of hourly homepage probes to simulate.")] = 7,
) -> None:
    """Run the census on the built-in simulated government sites and print a summary."""
    folder = folder or Path(tempfile.mkdtemp(prefix="census-demo-"))
    console.print(
        f"[bold]政府网站普查演示[/] — 模拟网站群 (simulated farm on 127.0.0.1), "
        f"数据库 {folder / 'census.db'}"
    )
    started = time.perf_counter()
    with console.status("模拟监测一周首页可用性并读取栏目…"):
        result = run_demo(folder, days=days)
    show(result)
    console.print(f"用时 {time.perf_counter() - started:.1f} 秒。数据保存在 {result.folder}")


def show(result: DemoResult) -> None:
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
        if week.ratio is not None and week.ratio >= 0.05:
            ratio = f"[red]{ratio} 单项否决[/]"
        readable = sum(1 for c in site.columns if c.ok)
        newest = max((c.newest for c in site.columns if c.newest), default=None)
        table.add_row(
            site.code,
            site.name,
            str(week.probes),
            str(week.failures),
            ratio,
            str(len(week.short_days)),
            f"{readable}/{len(site.columns)}",
            newest.isoformat() if newest else "—",
        )
    console.print(table)
