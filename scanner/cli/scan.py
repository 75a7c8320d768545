"""``census scan``: crawl sites and check every link (链接可用性), with live progress."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scanner.cli.edge import run_async
from scanner.cli.output import console, markup
from scanner.clock import CST, stopwatch
from scanner.errors import ConfigError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from scanner.crawl import ScanProgress, SiteRef
    from scanner.db import Database
    from scanner.settings import Settings


def _when(value: datetime | None) -> str:
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M") if value else ""


def scan(
    sites: Annotated[
        list[str] | None,
        typer.Argument(help="网站标识码 or homepage URL of the sites to scan (several allowed)."),
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all", help="Scan every running site of the registry.")
    ] = False,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Abandon a site's unfinished scan and start again (default: resume it).",
        ),
    ] = False,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck",
            help="Only re-check the broken links whose confirming re-check is due, then stop.",
        ),
    ] = False,
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", min=1, help="Pages per site (CENSUS_CRAWL_MAX_PAGES)."),
    ] = None,
    max_depth: Annotated[
        int | None,
        typer.Option("--max-depth", min=0, help="Link depth (CENSUS_CRAWL_MAX_DEPTH)."),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=1,
            max=256,
            help="Processes to split the sites over, by host (CENSUS_CRAWL_PROCESSES; default 1).",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="CENSUS_DATABASE_URL", help="SQLAlchemy URL."),
    ] = None,
) -> None:
    """Crawl sites and check every link: 链接可用性 (homepage links 1 point, others 0.1).

    Broken links count only once a later re-check confirms them; due re-checks of earlier scans
    run first. An interrupted scan is resumed by running the same command again.
    """
    if not (sites or all_sites or recheck):
        raise ConfigError("name a site (网站标识码 or URL), or use --all or --recheck")
    # The ≈ 110,000 objects of the start-up (modules, SQLAlchemy's and pydantic's tables) live
    # as long as the command: no collections while they are made, then frozen (the collector
    # stops walking them) — the collector took 0.39 s of a quiet night's ≈ 3 s of CPU on the
    # peers site, 0.09 s then; each crawl raises its thresholds itself (`crawl_collector`).
    # Thawed after, so an in-process caller (the tests) collects as before.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from scanner.crawl import load_sites
        from scanner.db import Database
        from scanner.settings import load_settings

        settings = load_settings(
            database_url=database_url,
            crawl_max_pages=max_pages,
            crawl_max_depth=max_depth,
            crawl_processes=processes,
        )
        db = Database(settings.database_url)
        db.check_current()
        targets = [] if recheck else load_sites(db, None if all_sites else list(sites or []))
        split = settings.crawl_processes > 1 and len(targets) > 1
        gc.freeze()
        if collecting:
            gc.enable()
        scan_ids, rechecked, errors, notes = run_async(
            _run(db, settings, [] if split else targets, restart)
        )
        if split:
            scan_ids, errors, notes = _run_split(db, settings, targets, restart)
    except KeyboardInterrupt:
        console.print(
            "[yellow]已中断。再次运行同一命令将继续未完成的扫描（--restart 重新开始）。[/]"
        )
        raise typer.Exit(130) from None
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
    if rechecked:
        console.print(f"复查到期的失效链接 {rechecked} 个。")
    if scan_ids:
        _print_summary(db, targets, scan_ids)
    for code, note in notes.items():
        console.print(f"[yellow]{markup(code)}：{markup(note)}[/]")
    for code, error in errors.items():
        console.print(f"[red]{markup(code)} 扫描出错（可再次运行以继续）：{markup(error)}[/]")
    db.dispose()


async def _run(
    db: Database, settings: Settings, targets: list[SiteRef], restart: bool
) -> tuple[dict[str, int], int, dict[str, str], dict[str, str]]:
    from scanner.crawl import Scanner

    async with Scanner(db, settings) as scanner:
        rechecked = await scanner.recheck_due()
        if not targets:
            return {}, rechecked, {}, {}
        with _progress() as bar:
            names = {s.code: s.name for s in targets}
            overall = bar.add_task(
                f"全部 {len(targets)} 个网站", total=len(targets), **_fields(None)
            )
            tasks: dict[str, TaskID] = {}
            job = asyncio.create_task(scanner.scan(targets, restart=restart))
            while not job.done():
                _refresh(bar, overall, tasks, names, scanner.progress)
                bar.refresh()
                await asyncio.wait({job}, timeout=0.3)
            _refresh(bar, overall, tasks, names, scanner.progress)
            bar.refresh()
            errors = {c: p.error for c, p in scanner.progress.items() if p.error}
            notes = {c: p.note for c, p in scanner.progress.items() if p.note}
            return job.result(), rechecked, errors, notes


def _run_split(
    db: Database, settings: Settings, targets: list[SiteRef], restart: bool
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """The sites split over ``crawl_processes`` processes by host; a line as each share ends."""
    from scanner.crawl import scan_in_processes

    count = settings.crawl_processes
    console.print(f"{len(targets)} 个网站分给至多 {count} 个进程扫描（同一主机的网站在同一进程）。")

    def told(sites: int, running: int) -> None:
        console.print(f"一个进程扫描结束：{sites} 个网站；仍在运行的进程 {running} 个。")

    out = scan_in_processes(
        db, settings, targets, processes=count, restart=restart, on_share_done=told
    )
    return out.scan_ids, out.errors, out.notes


def _progress() -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        TextColumn("{task.fields[phase]}"),
        BarColumn(),
        TextColumn("页面 {task.fields[pages]}"),
        TextColumn("链接 {task.fields[links]}"),
        TextColumn("已检查 {task.fields[checked]}"),
        TextColumn("错误 {task.fields[errors]}"),
        TextColumn("{task.fields[rate]} 页/秒"),
        TimeElapsedColumn(),
        console=console,
        # Redrawn by `_run` after each update (every 0.3 s), not by rich's own thread ten
        # times a second: that thread was 4 % of a scan's CPU on the peers bench.
        auto_refresh=False,
    )


def _fields(p: ScanProgress | None) -> dict[str, Any]:
    if p is None:
        return {"phase": "排队", "pages": 0, "links": 0, "checked": 0, "errors": 0, "rate": "0"}
    return {
        "phase": p.phase + ("（续扫）" if p.resumed else ""),
        "pages": p.pages,
        "links": p.links,
        "checked": p.checked,
        "errors": p.errors,
        "rate": f"{p.rate():.1f}",
    }


_SHOWN = 12  # per-site lines at most: with --all, the sites being scanned now


def _refresh(
    bar: Progress,
    overall: TaskID,
    tasks: dict[str, TaskID],
    names: dict[str, str],
    progress: dict[str, ScanProgress],
) -> None:
    """One line for the whole run, one per site while it is scanned (the last few stay)."""
    ended = [c for c, p in progress.items() if p.finished is not None]
    for code, p in progress.items():
        if code not in tasks and p.phase != "排队" and len(tasks) < _SHOWN:
            tasks[code] = bar.add_task(names.get(code, code), total=None, **_fields(p))
        task = tasks.get(code)
        if task is None:
            continue
        if p.finished is not None and len(tasks) >= _SHOWN and len(ended) < len(progress):
            bar.remove_task(task)  # make room for a site still running
            del tasks[code]
            continue
        total = p.to_check or None
        bar.update(task, total=total, completed=p.checked if total else 0, **_fields(p))
    every = list(progress.values())
    seconds = max(max((stopwatch() - p.started for p in every), default=1.0), 1e-3)
    pages = sum(p.pages for p in every)
    bar.update(
        overall,
        completed=len(ended),
        phase=f"完成 {len(ended)}/{len(names)}",
        pages=pages,
        links=sum(p.links for p in every),
        checked=sum(p.checked for p in every),
        errors=sum(p.errors for p in every),
        rate=f"{pages / seconds:.1f}",
    )


def _print_summary(db: Database, targets: list[SiteRef], scan_ids: dict[str, int]) -> None:
    from scanner.crawl import scan_summary

    table = Table(title="链接可用性扫描结果")
    for header, justify in [
        ("网站标识码", "left"),
        ("网站名称", "left"),
        ("页面数", "right"),
        ("打不开的页面", "right"),
        ("链接数", "right"),
        ("首页失效链接", "right"),
        ("二级页面失效链接", "right"),
        ("其他页面失效链接", "right"),
        ("待复查", "right"),
        ("无法判定", "right"),
        ("状态", "left"),
    ]:
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    due: list[datetime] = []
    for site in targets:
        scan_id = scan_ids.get(site.code)
        if scan_id is None:
            continue
        s = scan_summary(db, scan_id)
        if s.recheck_due is not None:
            due.append(s.recheck_due)
        table.add_row(
            markup(site.code),
            markup(site.name),
            str(s.pages),
            str(s.page_errors),
            str(s.links),
            str(s.broken_home),
            str(s.broken_second),
            str(s.broken_other),
            str(s.pending),
            str(s.undetermined),
            {
                "done": "完成",
                "interrupted": "中断",
                "running": "进行中",
                "homepage_failed": "首页无法访问",
            }.get(s.status, s.status),
        )
    console.print(table)
    console.print(
        "失效链接（打不开或错误的链接，含软404）经延时复查确认后才计分：首页每个扣1分，"
        "其他页面每个扣0.1分；首页仅为导航时，二级页面的失效链接按首页计。"
        "无法判定（429、403、防火墙拦截）不计分。"
    )
    if due:
        with contextlib.suppress(ValueError):
            console.print(
                f"[yellow]待复查的失效链接将于 {_when(min(due))}（北京时间）后可复查："
                f"届时运行 census scan --recheck。[/]"
            )
