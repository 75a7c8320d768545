"""``census worker``: a Celery worker process that runs the census's queued units of work."""

from __future__ import annotations

import os
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
            "--concurrency", "-c", min=1, max=512, help="Units run at once (worker processes)."
        ),
    ] = 1,
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
    from scanner.workers.app import QUEUE, make_app

    app = make_app(settings)
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--queues={QUEUE}",
            f"--hostname=census-{os.getpid()}@%h",  # one name per worker, several per machine
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ]
    )
