"""``census scorecard SITE --at DATE``: one scorecard as a table, JSON or the 评分表 xlsx."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.cli.context import open_database
from scanner.cli.db import DatabaseOpt
from scanner.cli.output import console, console_err, print_json
from scanner.cli.score import AtOpt, RulesetOpt, parse_at, refusals, ruleset_from
from scanner.errors import ConfigError


def scorecard(
    site: Annotated[str, typer.Argument(help="网站标识码 or homepage URL.")],
    at: AtOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="The JSON contract object.")] = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the official 评分表 layout to this file.")
    ] = None,
    ruleset: RulesetOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Show one site's scorecard; computed on the fly (not stored) when none is stored for T."""
    from scanner.registry.lookup import find_site
    from scanner.scorecards import card_at
    from scanner.scorecards.render import print_card, write_xlsx

    with refusals():
        if as_json and xlsx is not None:
            raise ConfigError("--json 与 --xlsx 只能选一个 (choose one of --json, --xlsx)")
        when = parse_at(at)
        rules = ruleset_from(ruleset)
        db = open_database(database_url)
        try:
            with db.session() as session:
                row = find_site(session, site)
                body, stored = card_at(session, row, rules, when)
                if stored is not None:
                    source = (
                        f"已保存的评分表（计算于 {stored.computed_at:%Y-%m-%d %H:%M} UTC，"
                        f"规则版本 {stored.ruleset_version}）"
                    )
                else:
                    source = "未找到已保存的评分表，现场计算（未保存；用 census score 保存）"
        finally:
            db.dispose()
    if as_json:
        console_err.print(source)
        print_json(body)
        return
    if xlsx is not None:
        write_xlsx(body, rules, xlsx)
        console.print(f"{source}\n评分表已写入 {xlsx}")
        return
    print_card(console, body, source=source)
