"""``census users``: the web app's accounts — add (password read from stdin), list, remove."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from scanner.cli.context import open_database
from scanner.cli.db import DatabaseOpt
from scanner.cli.output import console, console_err, print_json
from scanner.cli.score import refusals

app = typer.Typer(
    help="Accounts of the web app (census serve): each sees its organisation and everything "
    "below it; roles viewer (查看), reviewer (复核), admin (管理员).",
    no_args_is_help=True,
)


def _read_password() -> str:
    """The first line of stdin (typed at a prompt when stdin is a terminal)."""
    if sys.stdin.isatty():
        first = typer.prompt("密码", hide_input=True)
        again = typer.prompt("再次输入密码", hide_input=True)
        if first != again:
            raise typer.BadParameter("两次输入的密码不一致")
        return str(first)
    return sys.stdin.readline().rstrip("\r\n")


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, _.@-).")],
    org: Annotated[str, typer.Option("--org", help="Organisation code the user belongs to.")],
    role: Annotated[str, typer.Option("--role", help="viewer | reviewer | admin.")] = "viewer",
    database_url: DatabaseOpt = None,
) -> None:
    """Add a user; the password is read from stdin (one line), never from the command line."""
    from scanner.clock import RealClock
    from scanner.web.accounts import add_user, parse_role

    with refusals():
        chosen = parse_role(role)
        password = _read_password()
        db = open_database(database_url)
        try:
            with db.session() as session:
                user = add_user(session, username, password, org, chosen, RealClock().now())
                where = user.organisation.name
        finally:
            db.dispose()
    console.print(f"已添加用户 {escape(username)}（{escape(where)}，{chosen.value}）")


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List the users with their organisation and role."""
    from scanner.web.accounts import list_users

    db = open_database(database_url)
    try:
        with db.session() as session:
            rows: list[dict[str, Any]] = [
                {
                    "username": u.username,
                    "organisation": u.organisation.code,
                    "organisation_name": u.organisation.name,
                    "role": u.role.value,
                    "active": u.active,
                    "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                }
                for u in list_users(session)
            ]
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"用户 {len(rows)} 个")
    for header in ("用户名", "单位", "角色", "最近登录"):
        table.add_column(header)
    for r in rows:
        table.add_row(
            escape(r["username"]),
            f"{escape(r['organisation_name'])} ({r['organisation']})",
            r["role"],
            r["last_login_at"] or "—",
        )
    console.print(table)


@app.command("remove")
def remove(
    username: Annotated[str, typer.Argument(help="Login name.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Remove a user (its sessions end with it)."""
    from scanner.web.accounts import remove_user

    with refusals():
        db = open_database(database_url)
        try:
            with db.session() as session:
                remove_user(session, username)
        finally:
            db.dispose()
    console_err.print(f"已删除用户 {escape(username)}")
