"""``census score``: compute and store scorecards for one site or all running sites at T."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scanner.cli.context import open_database
from scanner.cli.db import DatabaseOpt
from scanner.cli.inspect import today_cst
from scanner.cli.output import console, console_err, markup
from scanner.clock import RealClock, stopwatch
from scanner.errors import CensusError, ConfigError, Problem

if TYPE_CHECKING:
    from scanner.scorecards.compute import Summary
    from scoring import Ruleset

# SystemExit, not typer.Exit: see scanner.cli.sites (reaches the shell and CliRunner alike).
EXIT_REFUSED = 2
MAX_ROWS = 200  # more sites than this: the summary lists the 不合格 ones only

AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at", help="Monitoring point 监测时间点 YYYY-MM-DD; default today (Beijing time)."
    ),
]
RulesetOpt = Annotated[
    Path | None,
    typer.Option("--ruleset", help="A ruleset YAML; default config/rulesets/census-2015.yaml."),
]


@contextmanager
def refusals() -> Iterator[None]:
    """Our errors as one clean line on stderr and exit code 2 (also under CliRunner)."""
    try:
        yield
    except CensusError as exc:
        console_err.print(f"[red]错误:[/] {markup(exc)}", markup=True, highlight=False)
        raise SystemExit(EXIT_REFUSED) from None


def parse_at(value: str | None) -> date:
    if value is None:
        return today_cst()
    from scanner.cli.values import parse_day

    return parse_day(value, "--at")


def ruleset_from(path: Path | None) -> Ruleset:
    """Load and validate a ruleset; its problems become a ConfigError with file and line."""
    from scoring import RulesetError, default_ruleset_path, load_ruleset

    try:
        return load_ruleset(path or default_ruleset_path())
    except RulesetError as exc:
        raise ConfigError(
            [
                Problem(p.file, f"line {p.line}" if p.line else "", p.path, p.message)
                for p in exc.problems
            ]
        ) from None


def summary_table(title: str, cards: list[Summary]) -> Table:
    from scanner.scorecards.render import num

    table = Table(title=title)
    for header in ("网站标识码", "网站", "结论", "单项否决", "扣分", "是否暂定"):
        table.add_column(header)
    for s in cards:
        points = num(s.total)
        if s.not_scored:
            points += f"（不计分 {num(s.not_scored)}）"
        table.add_row(
            markup(s.code),
            markup(s.name),
            "[green]合格[/]" if s.verdict == "qualified" else "[red]不合格[/]",
            "、".join(s.vetoes) or "—",
            points,
            "暂定" if s.provisional else "否",
        )
    return table


def score(
    site: Annotated[
        str | None, typer.Argument(help="网站标识码 or homepage URL; omit with --all.")
    ] = None,
    all_sites: Annotated[bool, typer.Option("--all", help="Every running site.")] = False,
    at: AtOpt = None,
    ruleset: RulesetOpt = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes scoring in parallel (with --all).")
    ] = 1,
    database_url: DatabaseOpt = None,
) -> None:
    """Compute and store scorecards (re-scoring the same site, date and ruleset replaces)."""
    from scanner.leases import held
    from scanner.registry.lookup import find_site
    from scanner.scorecards.compute import score_and_store_summaries, score_in_processes
    from scanner.scorecards.facts import running_site_ids

    with refusals():
        if (site is None) == (not all_sites):
            raise ConfigError("请给出一个网站 (SITE) 或 --all，二者选一 (give SITE or --all)")
        when = parse_at(at)
        rules = ruleset_from(ruleset)
        db = open_database(database_url)
        try:
            with db.session() as session:
                ids = [find_site(session, site).id] if site else running_site_ids(session)
            started = stopwatch()
            # One scoring run at a time: a second one refuses with a message (LeaseBusy).
            with held(db, "score", "评分"):
                if workers > 1 and len(ids) > 1:
                    cards = score_in_processes(
                        db.url,
                        ids,
                        rules.path,
                        when,
                        workers=workers,
                        computed_at=RealClock().now(),
                    )
                else:
                    cards = score_and_store_summaries(db, ids, rules, when, RealClock().now())
        finally:
            db.dispose()
    elapsed = stopwatch() - started
    show_summary(cards, when, rules, console.print)
    console.print(f"已计算并保存 {len(cards)} 张评分表，用时 {elapsed:.1f} 秒。")


def show_summary(
    cards: list[Summary], at: date, rules: Ruleset, out: Callable[[Any], None]
) -> None:
    title = f"评分结果 (监测时间点 {at.isoformat()}，评分规则 {rules.id} 版本 {rules.version})"
    shown = cards
    if len(cards) > MAX_ROWS:  # a province's sites: list the 不合格 ones, count the rest
        shown = [s for s in cards if s.verdict != "qualified"][:MAX_ROWS]
        title += f"：仅列出不合格网站（前 {MAX_ROWS} 个）"
    out(summary_table(title, shown))
    bad = sum(1 for s in cards if s.verdict != "qualified")
    provisional = sum(1 for s in cards if s.provisional)
    good = len(cards) - bad
    out(f"共 {len(cards)} 个网站：合格 {good} 个，不合格 {bad} 个；暂定 {provisional} 个。")
