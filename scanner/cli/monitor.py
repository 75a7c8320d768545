"""``census monitor``: the long-running scheduler of homepage probe rounds."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from scanner.cli.context import open_database, settings_with
from scanner.cli.output import console
from scanner.cli.probe import CanaryOpt, DatabaseOpt
from scanner.monitor.rounds import RoundOptions
from scanner.monitor.scheduler import Monitor, Schedule


def monitor(
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            help="Seconds between two visits of a site (setting "
            "CENSUS_PROBE_INTERVAL, default 3600).",
        ),
    ] = None,
    slots: Annotated[
        int | None,
        typer.Option(
            "--slots",
            help="Stagger slots per interval; each site keeps its slot "
            "(CENSUS_PROBE_SLOTS, default 60).",
        ),
    ] = None,
    misfire_grace: Annotated[
        int | None,
        typer.Option(
            "--misfire-grace",
            help="Seconds a round may start late and still count; later it is recorded missed "
            "(CENSUS_PROBE_MISFIRE_GRACE, default 120).",
        ),
    ] = None,
    canary: CanaryOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Run the probe schedule until stopped: every site's homepage ≥ 20 times a day."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = settings_with(database_url)
    schedule = Schedule(
        every=every or settings.probe_interval,
        slots=slots or settings.probe_slots,
        misfire_grace=misfire_grace or settings.probe_misfire_grace,
    )
    db = open_database(database_url)
    mon = Monitor(
        db,
        settings,
        schedule,
        canaries=canary or settings.canary_urls,
        options=RoundOptions.from_settings(settings),
    )
    console.print(
        f"监测已启动：每 {schedule.every:g} 秒探测一次，{schedule.slots} 个时段错开；"
        "按 Ctrl+C 停止。"
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await mon.run(stop)

    asyncio.run(main())
    console.print(f"监测已停止（本次运行 {mon.rounds_run} 轮）。")
