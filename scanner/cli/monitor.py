"""``census monitor``: the long-running schedule (probe rounds, the nightly pass) and its state."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scanner.cli.context import open_database, settings_with
from scanner.cli.edge import run_async
from scanner.cli.output import console, markup, print_json
from scanner.cli.probe import CanaryOpt, DatabaseOpt
from scanner.cli.score import AtOpt, RulesetOpt, parse_at, refusals, ruleset_from
from scanner.clock import CST, RealClock

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from scanner.db import Database
    from scanner.db.models import NightlyRun
    from scanner.monitor.scheduler import Schedule
    from scanner.settings import Settings

app = typer.Typer(
    help="Run the whole schedule (probe rounds, nightly scan and scoring) and show its state.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback(invoke_without_command=True)
def monitor(
    ctx: typer.Context,
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            min=1,
            max=86400,
            help="Seconds between two visits of a site (setting "
            "CENSUS_PROBE_INTERVAL, default 3600).",
        ),
    ] = None,
    slots: Annotated[
        int | None,
        typer.Option(
            "--slots",
            min=1,
            max=86400,
            help="Stagger slots per interval; each site keeps its slot "
            "(CENSUS_PROBE_SLOTS, default 60).",
        ),
    ] = None,
    misfire_grace: Annotated[
        int | None,
        typer.Option(
            "--misfire-grace",
            min=0,
            max=86400,
            help="Seconds a round may start late and still count; later it is recorded missed "
            "(CENSUS_PROBE_MISFIRE_GRACE, default 120).",
        ),
    ] = None,
    nightly: Annotated[
        bool,
        typer.Option(
            "--nightly/--no-nightly",
            help="Also run the nightly pass (crawl and link checks, column reads, checks, "
            "scoring) at CENSUS_NIGHTLY_START Beijing time.",
        ),
    ] = True,
    canary: CanaryOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Run the schedule until stopped: every site's homepage ≥ 20 times a day, and every night
    a scan, column reads, checks and scoring of every running site."""
    from scanner.monitor.rounds import RoundOptions
    from scanner.monitor.scheduler import Monitor, Schedule

    if ctx.invoked_subcommand is not None:
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = settings_with(database_url)
    schedule = Schedule(
        every=every or settings.probe_interval,
        slots=slots or settings.probe_slots,
        misfire_grace=misfire_grace or settings.probe_misfire_grace,
    )
    db = open_database(settings=settings)
    mon = Monitor(
        db,
        settings,
        schedule,
        canaries=canary or settings.canary_urls,
        options=RoundOptions.from_settings(settings),
        nightly=nightly,
        submit_night=_night_submitter(db, settings) if settings.broker_url else None,
        submit_probe=(
            _probe_submitter(settings, canary or settings.canary_urls, schedule)
            if settings.broker_url
            else None
        ),
    )
    night = (
        f"；每晚 {settings.nightly_start}（北京时间）起扫描、检查并评分全部运行中网站"
        if nightly
        else ""
    )
    console.print(
        f"监测已启动：每 {schedule.every:g} 秒探测一次，{schedule.slots} 个时段错开{night}；"
        "按 Ctrl+C 停止。"
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await mon.run(stop)

    with refusals():
        asyncio.run(main())
    console.print(f"监测已停止（本次运行 {mon.rounds_run} 轮）。")


@app.command("run-nightly")
def run_nightly(
    at: AtOpt = None,
    spread: Annotated[
        float,
        typer.Option(
            "--spread",
            min=0,
            help="Seconds over which the sites' starts are spread (default 0: all now, "
            "CENSUS_NIGHTLY_SITES_AT_ONCE at a time).",
        ),
    ] = 0.0,
    takeover: Annotated[
        bool,
        typer.Option(
            "--takeover",
            help="Resume the night's run even though it is marked running (its process is gone).",
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="With CENSUS_BROKER_URL: wait for the workers to finish the night and report "
            "it (default), or only enqueue its units.",
        ),
    ] = True,
    ruleset: RulesetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Run one nightly pass now for the night of DATE (default: the current night); an
    interrupted night is resumed, a finished one is left as it is. With CENSUS_BROKER_URL set,
    the night's units are enqueued for `census worker` processes instead."""
    from scanner.monitor.nightly import (
        NightlyOptions,
        NightlyPass,
        get_run,
        night_of,
        shifted_clock,
    )

    with refusals():
        settings = settings_with(database_url)
        night = parse_at(at) if at else night_of(RealClock().now(), settings)
        rules = ruleset_from(ruleset)
        db = open_database(settings=settings)
        if settings.broker_url:
            _enqueue_night(db, settings, night, spread, takeover, ruleset, wait, as_json)
            return
        try:
            work = NightlyPass(
                db,
                settings,
                night,
                options=NightlyOptions.from_settings(settings, spread=spread),
                clock=shifted_clock(night, settings),
                ruleset=rules,
                takeover=takeover,
            )
            outcome = run_async(work.run())
            report = _runs_json(db, [get_run(db, outcome.run_id)])
        finally:
            db.dispose()
    if as_json:
        print_json({"already_done": outcome.already_done, **report[0]})
        return
    if outcome.already_done:
        console.print(f"{night} 的夜间运行已完成，未重复运行。")
    _print_runs(report, details=True)


def _night_submitter(db: Database, settings: Settings) -> Callable[[date], object]:
    """With a broker, the monitor's nightly job enqueues the night's units for the workers."""
    from scanner.workers.night import submit_night

    def submit(night: date) -> object:
        return submit_night(db, settings, night, takeover=True).units

    return submit


def _probe_submitter(
    settings: Settings, canaries: Sequence[str], schedule: Schedule
) -> Callable[[int, datetime], object]:
    """With a broker, a slot's probe round is enqueued for a `census worker --probes`."""
    from scanner.workers.night import submit_probe_round

    def submit(slot: int, due: datetime) -> object:
        return submit_probe_round(
            settings, slot, schedule.slots, due, canaries, late_after=schedule.misfire_grace
        )

    return submit


def _enqueue_night(
    db: Database,
    settings: Settings,
    night: date,
    spread: float,
    takeover: bool,
    ruleset: Path | None,
    wait: bool,
    as_json: bool,
) -> None:
    """run-nightly on workers: enqueue the night's units, then (unless --no-wait) wait and
    report the run as the in-process pass does."""
    from scanner.monitor.nightly import get_run
    from scanner.workers.night import submit_night, wait_night

    try:
        submitted = submit_night(
            db,
            settings,
            night,
            spread=spread,
            takeover=takeover,
            ruleset_path=str(ruleset) if ruleset else None,
        )
        outcome = submitted.outcome
        if not as_json and not outcome.already_done:
            console.print(
                f"{night} 的夜间运行已入队：{submitted.units} 个网站单元，"
                f"由 census worker 进程执行{'；等待完成…' if wait else '。'}"
            )
        if wait and not outcome.already_done:
            wait_night(db, outcome.run_id)
        report = _runs_json(db, [get_run(db, outcome.run_id)])
    finally:
        db.dispose()
    if as_json:
        print_json(
            {"already_done": outcome.already_done, "units_enqueued": submitted.units, **report[0]}
        )
        return
    if outcome.already_done:
        console.print(f"{night} 的夜间运行已完成，未重复运行。")
    _print_runs(report, details=True)


@app.command("status")
def status(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Nights to show.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Show the latest nightly runs (sites done, failed and why) and the probe schedule."""
    from scanner.monitor.nightly import latest_runs

    settings = settings_with(database_url)
    db = open_database(settings=settings)
    try:
        runs = _runs_json(db, latest_runs(db, limit))
        probes = _probe_state(db)
    finally:
        db.dispose()
    queue = None
    if settings.broker_url:
        from scanner.workers.night import broker_state

        queue = broker_state(settings)
    if as_json:
        print_json({"nightly_runs": runs, "probe_schedule": probes, "queue": queue})
        return
    _print_probes(probes)
    if queue is not None:
        _print_queue(queue)
    if not runs:
        console.print("尚无夜间运行记录。")
        return
    _print_runs(runs, details=True)


# ------------------------------------------------------------------------------------ helpers


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        from scanner.monitor.rounds import utc

        return utc(value).astimezone(CST).isoformat(timespec="seconds")
    return value.isoformat()


def _runs_json(db: Database, runs: list[NightlyRun]) -> list[dict[str, Any]]:
    from scanner.monitor.nightly import run_problems, step_counts

    out = []
    for run in runs:
        out.append(
            {
                "night": _iso(run.night),
                "status": run.status,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "starts": run.starts,
                "steps": [s for s in run.steps.split(",") if s],
                "sites_planned": run.sites_planned,
                "sites_done": run.sites_done,
                "sites_failed": run.sites_failed,
                "scored_at": _iso(run.scored_at),
                "scorecards": run.scorecards,
                "error": run.error,
                "step_counts": step_counts(db, run.id),
                "problems": [
                    {
                        "code": p.code,
                        "name": p.name,
                        "step": p.step,
                        "status": p.status,
                        "error": p.error,
                    }
                    for p in run_problems(db, run.id)
                ],
            }
        )
    return out


def _probe_state(db: Database) -> dict[str, Any]:
    """What the job store and the rounds say about the probe schedule."""
    from sqlalchemy import func, select, text
    from sqlalchemy.exc import SQLAlchemyError

    from scanner.db.models import ProbeRound, RoundStatus
    from scanner.monitor.scheduler import JOB_PREFIX, NIGHTLY_JOB

    slot_jobs, next_slot, next_night = 0, None, None
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
    except SQLAlchemyError:
        rows = []
    for job_id, next_run in rows:
        when = datetime.fromtimestamp(next_run, UTC) if next_run is not None else None
        if job_id.startswith(JOB_PREFIX):
            slot_jobs += 1
            if when is not None and (next_slot is None or when < next_slot):
                next_slot = when
        elif job_id == NIGHTLY_JOB:
            next_night = when
    with db.session() as s:
        counts = dict(
            s.execute(select(ProbeRound.status, func.count()).group_by(ProbeRound.status)).all()
        )
        last = s.scalar(
            select(func.max(ProbeRound.scheduled_for)).where(ProbeRound.status == RoundStatus.DONE)
        )
    return {
        "slot_jobs": slot_jobs,
        "next_probe_round": _iso(next_slot),
        "next_nightly_run": _iso(next_night),
        "last_round": _iso(last),
        "rounds": {str(getattr(k, "value", k)): v for k, v in counts.items()},
    }


def _print_probes(p: dict[str, Any]) -> None:
    rounds = p["rounds"]
    console.print("[bold]首页探测计划[/]")
    console.print(
        f"  时段任务 {p['slot_jobs']} 个；下一轮探测 {p['next_probe_round'] or '—'}；"
        f"下一次夜间运行 {p['next_nightly_run'] or '—'}"
    )
    console.print(
        f"  最近完成的一轮 {p['last_round'] or '—'}；已完成 {rounds.get('done', 0)} 轮，"
        f"无效 {rounds.get('invalid', 0)} 轮，错过 {rounds.get('missed', 0)} 轮"
    )


def _print_queue(q: dict[str, Any]) -> None:
    console.print(f"[bold]任务队列[/] {markup(q['broker'])}")
    if not q["reachable"]:
        console.print(
            f"  [red]代理不可达[/]：{markup(q.get('error', ''))}（工作暂停，队列中的任务不会丢失）"
        )
        return
    workers = q.get("workers") or {}
    flying = "，".join(f"{markup(name)} {n} 个" for name, n in workers.items()) or "无工作进程应答"
    console.print(
        f"  排队 {q['queued']} 个（探测轮次 {q.get('probes_queued', 0)} 个）；"
        f"已取走未确认 {q['unacked']} 个；执行中：{flying}"
    )


def _print_runs(runs: list[dict[str, Any]], *, details: bool) -> None:
    from scanner.monitor.nightly import STATUS_LABEL, STEP_LABEL

    table = Table(title="夜间运行（时间为北京时间）")
    for header in (
        "夜间日期",
        "状态",
        "开始",
        "结束",
        "计划网站",
        "完成",
        "失败",
        "评分日期",
        "评分卡",
    ):
        table.add_column(header)
    for r in runs:
        table.add_row(
            r["night"],
            STATUS_LABEL.get(r["status"], r["status"])
            + (f"（第{r['starts']}次启动）" if r["starts"] > 1 else ""),
            r["started_at"] or "—",
            r["finished_at"] or "—",
            str(r["sites_planned"]),
            str(r["sites_done"]),
            str(r["sites_failed"]),
            r["scored_at"] or "—",
            str(r["scorecards"]),
        )
    console.print(table)
    if not details or not runs:
        return
    latest = runs[0]
    if latest["error"]:
        console.print(f"{latest['night']} 运行说明：{markup(latest['error'])}")
    if latest["problems"]:
        problems = Table(title=f"{latest['night']} 未成功的步骤")
        for header in ("网站标识码", "网站", "步骤", "结果", "原因"):
            problems.add_column(header)
        for p in latest["problems"]:
            problems.add_row(
                p["code"], markup(p["name"]), STEP_LABEL.get(p["step"], p["step"]),
                STATUS_LABEL.get(p["status"], p["status"]), markup(p["error"] or "—"),
            )  # fmt: skip
        console.print(problems)
