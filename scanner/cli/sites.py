"""``census sites``: the register of sites (import from YAML/xlsx, list)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scanner.cli.context import open_database
from scanner.cli.db import DatabaseOpt
from scanner.cli.output import console, console_err, markup, print_json
from scanner.clock import RealClock
from scanner.errors import RegistryError

if TYPE_CHECKING:
    from scanner.db.models import Site

# SystemExit, not typer.Exit: ``scanner.cli.app.main`` runs click with standalone_mode=False,
# where a typer.Exit code is returned and dropped; SystemExit reaches the shell (and CliRunner).
EXIT_REFUSED = 2

app = typer.Typer(
    help="Import and list the register of sites (网站基本信息).", no_args_is_help=True
)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A registry: .yaml/.yml or .xlsx (2015 forms).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count, but write nothing.")
    ] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Import organisations, sites and columns; all or nothing, updating in place by code."""
    from scanner.registry import import_file

    db = open_database(database_url)
    try:
        summary = import_file(db, file, RealClock().now(), dry_run=dry_run)
    except RegistryError as exc:
        console_err.print(
            f"[red]导入失败[/]：{file} 有 {len(exc.problems)} 个问题，数据库未作任何修改。"
        )
        for problem in exc.problems:
            console_err.print(f"  {problem}", markup=False)
        raise SystemExit(EXIT_REFUSED) from None
    finally:
        db.dispose()
    head = "检查完成（试运行，未写入）" if dry_run else "导入完成"
    console.print(f"{head}：{markup(file)}")
    for line in summary.lines():
        console.print(f"  {markup(line)}")


def _choice(value: str | None, enum: Any, words: dict[str, Any], what: str) -> Any:
    if value is None:
        return None
    from scanner.registry import vocab

    try:
        return vocab.to_enum(value, enum, words, what)
    except ValueError as exc:
        # printed here: app.main only knows click's own ClickException, not typer's vendored one
        console_err.print(f"[red]错误:[/] {markup(exc)}", highlight=False)
        raise SystemExit(EXIT_REFUSED) from None


def _row(site: Site) -> dict[str, Any]:
    return {
        "code": site.code,
        "name": site.name,
        "url": site.url,
        "type": site.type.value,
        "host_org": site.host_org,
        "organisation": site.organisation.code,
        "organisation_name": site.organisation.name,
        "status": site.status.value,
        "icp": site.icp,
        "police": site.police,
        "opened_on": site.opened_on.isoformat() if site.opened_on else None,
        "closed_on": site.closed_on.isoformat() if site.closed_on else None,
        "merged_on": site.merged_on.isoformat() if site.merged_on else None,
        "merged_into": site.merged_into,
        "navigation_only": site.navigation_only,
    }


@app.command("list")
def list_(
    org: Annotated[
        str | None,
        typer.Option("--org", help="Organisation code; includes every organisation below it."),
    ] = None,
    site_type: Annotated[
        str | None, typer.Option("--type", help="portal | department | special (门户/部门/专项).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="running | closed | merged (运行/关停/整合).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List registered sites, optionally under one organisation, of one type or status."""
    from scanner.db.models import SiteStatus, SiteType
    from scanner.registry import list_sites, vocab
    from scanner.registry.store import organisation_by_code

    wanted_type = _choice(site_type, SiteType, vocab.SITE_TYPE_WORDS, "site type")
    wanted_status = _choice(status, SiteStatus, vocab.STATUS_WORDS, "status")
    db = open_database(database_url)
    try:
        with db.session() as session:
            if org is not None and organisation_by_code(session, org) is None:
                console_err.print(f"[red]错误:[/] 未知的组织代码 (unknown organisation) '{org}'")
                raise SystemExit(EXIT_REFUSED)
            sites = list_sites(session, org=org, site_type=wanted_type, status=wanted_status)
            rows = [_row(s) for s in sites]
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"网站 {len(rows)} 个", show_lines=False)
    for header in ("网站标识码", "网站名称", "首页网址", "类型", "主办单位", "所属组织", "状态"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            markup(row["code"]),
            markup(row["name"]),
            markup(row["url"]),
            vocab.SITE_TYPE_LABEL[SiteType(row["type"])],
            markup(row["host_org"]),
            markup(f"{row['organisation_name']} ({row['organisation']})"),
            vocab.STATUS_LABEL[SiteStatus(row["status"])],
        )
    console.print(table)
