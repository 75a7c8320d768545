"""``census serve``: the officials' web app (FastAPI + Jinja2) over the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli.db import DatabaseOpt
from scanner.cli.output import console


def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (CENSUS_WEB_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (CENSUS_WEB_PORT).")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Serve the web pages and the /api JSON API: scorecards, 人工复核 and 抽查 of the region."""
    import uvicorn

    from scanner.cli.context import settings_with
    from scanner.web import create_app

    settings = settings_with(database_url)
    app = create_app(settings.database_url, settings=settings)
    where_host = host or settings.web_host
    where_port = port or settings.web_port
    console.print(f"政府网站普查网页：http://{where_host}:{where_port}/ （Ctrl+C 停止）")
    uvicorn.run(
        app,
        host=where_host,
        port=where_port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )
