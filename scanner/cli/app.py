"""Assembles the command groups; errors reach people here as one clean line and exit code 2."""

from __future__ import annotations

import typer

from scanner.cli import check as check_cmd
from scanner.cli import columns as columns_cmd
from scanner.cli import db as db_cmd
from scanner.cli import demo as demo_cmd
from scanner.cli import inspect as inspect_cmd
from scanner.cli import monitor as monitor_cmd
from scanner.cli import probe as probe_cmd
from scanner.cli import report as report_cmd
from scanner.cli import review as review_cmd
from scanner.cli import scan as scan_cmd
from scanner.cli import score as score_cmd
from scanner.cli import scorecard as scorecard_cmd
from scanner.cli import serve as serve_cmd
from scanner.cli import sites as sites_cmd
from scanner.cli import users as users_cmd
from scanner.cli import worker as worker_cmd
from scanner.cli.edge import run_guarded

app = typer.Typer(
    name="census",
    help=(
        "Check government websites the way the 2015 census (全国政府网站普查评分表) scores them: "
        "homepage availability, broken links, column freshness, answers to citizens' messages, "
        "service guides — and a 合格/不合格 verdict with evidence."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# Operators: set up the database and the register of sites.
app.add_typer(db_cmd.app, name="db", rich_help_panel="Operators: setup")
app.add_typer(sites_cmd.app, name="sites", rich_help_panel="Operators: setup")
app.add_typer(columns_cmd.app, name="columns", rich_help_panel="Operators: setup")
# Measuring: what the scanner does to sites.
app.add_typer(probe_cmd.app, name="probe", rich_help_panel="Measuring")
app.add_typer(monitor_cmd.app, name="monitor", rich_help_panel="Measuring")
app.command("scan", rich_help_panel="Measuring")(scan_cmd.scan)
app.command("inspect", rich_help_panel="Measuring")(inspect_cmd.inspect)
app.command("worker", rich_help_panel="Measuring")(worker_cmd.worker)
app.command("check", rich_help_panel="Measuring")(check_cmd.check)
app.add_typer(review_cmd.app, name="review", rich_help_panel="Officials")
# Officials: verdicts.
app.command("score", rich_help_panel="Officials")(score_cmd.score)
app.command("scorecard", rich_help_panel="Officials")(scorecard_cmd.scorecard)
app.add_typer(report_cmd.app, name="report", rich_help_panel="Officials")
app.command("serve", rich_help_panel="Officials")(serve_cmd.serve)
app.add_typer(users_cmd.app, name="users", rich_help_panel="Officials")
app.command("demo", rich_help_panel="Getting started")(demo_cmd.demo)


def main() -> None:
    """Entry point: click handles usage errors; every other error becomes one clean line."""
    run_guarded(app)
