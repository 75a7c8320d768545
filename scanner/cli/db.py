"""``census db``: create, upgrade and inspect the database."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli.context import open_database, settings_with
from scanner.cli.output import console

app = typer.Typer(
    help="Create or upgrade the database (SQLite by default, PostgreSQL by URL).",
    no_args_is_help=True,
)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="CENSUS_DATABASE_URL",
        help="SQLAlchemy URL; default a SQLite file census.db.",
    ),
]


@app.command()
def upgrade(database_url: DatabaseOpt = None) -> None:
    """Create the database or bring it up to the newest schema."""
    from scanner.db.engine import current_revision

    db = open_database(database_url, check=False)
    db.upgrade()
    console.print(
        f"数据库已升级到最新版本 (revision {current_revision(db.engine)}): "
        f"{db.engine.url.render_as_string()}"
    )


@app.command()
def status(database_url: DatabaseOpt = None) -> None:
    """Show the schema revision of the database and the one the code expects."""
    from scanner.db.engine import current_revision, head_revision

    db = open_database(database_url, check=False)
    have = current_revision(db.engine)
    want = head_revision(db.url)
    console.print(f"database: {db.engine.url.render_as_string()}")
    console.print(f"revision: {have or '(empty)'}; code expects: {want}")
    if have != want:
        raise typer.Exit(1)


@app.command()
def prune(
    database_url: DatabaseOpt = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=0,
            max=3650,
            help="Keep the details of crawls younger than this (default: crawl_detail_days).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
) -> None:
    """Remove the pages, frontier and 'ok' link rows of old crawls (scoring never reads them)."""
    from scanner.clock import RealClock
    from scanner.crawl.retention import prune_details

    settings = settings_with(database_url)
    db = open_database(settings=settings)
    keep = settings.crawl_detail_days if days is None else days
    if keep == 0:
        console.print("保留天数为 0：不清理任何扫描明细。")
        return
    done = prune_details(db, RealClock().now(), keep, dry_run=dry_run)
    verb = "将清理" if dry_run else "已清理"
    console.print(
        f"{verb} {done.scans} 次 {keep} 天前开始的扫描的明细："
        f"页面 {done.pages} 行，待抓取队列 {done.frontier} 行，"
        f"正常链接 {done.link_checks} 行及其出处 {done.link_occurrences} 行。"
        "失效与无法判定的链接及其证据、扫描统计均保留；各网站最近一次完成的扫描完整保留。"
    )
