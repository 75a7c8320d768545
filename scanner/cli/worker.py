"""``census worker``: Celery worker processes that run the census's queued units of work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Annotated

import typer

from scanner.cli.context import settings_with
from scanner.cli.output import console
from scanner.cli.probe import DatabaseOpt
from scanner.cli.score import refusals
from scanner.errors import ConfigError


def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=512,
            help="Worker processes on this machine (about one per core).",
        ),
    ] = 1,
    sites_at_once: Annotated[
        int | None,
        typer.Option(
            "--sites-at-once",
            min=1,
            max=1024,
            help="Units in flight in each process (default CENSUS_NIGHTLY_SITES_AT_ONCE).",
        ),
    ] = None,
    probes: Annotated[
        bool,
        typer.Option(
            "--probes",
            help="Run the hourly probe rounds (one at a time, nothing else in the process, so "
            "its timing is the round's own) instead of the nightly units.",
        ),
    ] = False,
    loglevel: Annotated[
        str, typer.Option("--loglevel", help="Celery log level (INFO, WARNING, …).")
    ] = "INFO",
    database_url: DatabaseOpt = None,
) -> None:
    """Run queued units of work (sites' nightly steps, scoring) from CENSUS_BROKER_URL until
    stopped; start as many as the machines allow, all on the same database."""
    with refusals():
        settings = settings_with(database_url)
        if not settings.broker_url:
            raise ConfigError(
                "未设置 CENSUS_BROKER_URL：工作进程需要 Redis 代理地址（见 docs/scale.md）"
            )
        if settings.database_url.startswith("sqlite"):
            console.print(
                "[yellow]注意：[/]SQLite 数据库不宜由多个进程同时写入，多机部署请用 PostgreSQL。"
            )
    at_once = sites_at_once or settings.nightly_sites_at_once
    if concurrency > 1:
        raise typer.Exit(_supervise(concurrency, at_once, loglevel, database_url, probes))
    from scanner.workers.app import QUEUE, make_app
    from scanner.workers.tasks import PROBE_QUEUE

    if probes:  # one round at a time on the process's main thread: its loop lag is its own
        pool = ["--pool=solo", f"--queues={PROBE_QUEUE}", f"--hostname=probes-{os.getpid()}@%h"]
    else:  # threads handing units to the process's one loop
        pool = ["--pool=threads", f"--concurrency={at_once}", f"--queues={QUEUE}"]
        pool.append(f"--hostname=census-{os.getpid()}@%h")  # several workers per machine
    app = make_app(settings)
    app.worker_main(
        ["worker", *pool, f"--loglevel={loglevel}", "--without-gossip", "--without-mingle"]
    )


def _supervise(
    processes: int, at_once: int, loglevel: str, database_url: str | None, probes: bool
) -> int:
    """Run ``processes`` single-process workers (one core each at most: Python runs one thread
    at a time) and pass SIGTERM / SIGINT on to them; their exit code."""
    argv = [sys.executable, "-c", "from scanner.cli import main; main()", "worker"]
    argv += ["--concurrency", "1", "--sites-at-once", str(at_once), "--loglevel", loglevel]
    if database_url:
        argv += ["--database-url", database_url]
    if probes:
        argv.append("--probes")
    children = [subprocess.Popen(argv) for _ in range(processes)]
    stopping = threading.Event()

    def forward(signum: int, _frame: object) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    return 0 if stopping.is_set() else max(codes, key=abs)
