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
from scanner.monitor.scheduler import Monitor, Schedule


def monitor(
    every: Annotated[
        float,
        typer.Option("--every", help="Seconds between two visits of a site (default 3600)."),
    ] = 3600.0,
    slots: Annotated[
        int,
        typer.Option("--slots", help="Stagger slots per interval; each site keeps its slot."),
    ] = 60,
    misfire_grace: Annotated[
        int,
        typer.Option(
            "--misfire-grace",
            help="Seconds a round may start late and still count; later it is recorded missed.",
        ),
    ] = 120,
    canary: CanaryOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Run the probe schedule until stopped: every site's homepage ≥ 20 times a day."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    schedule = Schedule(every=every, slots=slots, misfire_grace=misfire_grace)
    db = open_database(database_url)
    mon = Monitor(db, settings_with(database_url), schedule, canaries=canary or [])
    console.print(f"监测已启动：每 {every:g} 秒探测一次，{slots} 个时段错开；按 Ctrl+C 停止。")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await mon.run(stop)

    asyncio.run(main())
    console.print(f"监测已停止（本次运行 {mon.rounds_run} 轮）。")
