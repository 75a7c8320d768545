"""The ``census`` command line: sub-commands grouped by what officials and operators do."""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main"]


def _quietly(build: Any) -> Any:
    """Importing the commands allocates ≈ 100,000 objects that live as long as the process;
    the collector walked them ≈ 200 times meanwhile (0.1 s of every command's start-up). It
    waits until they are in place, and leaves them out of its walks after (frozen)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _scan_app() -> typer.Typer:
    """``census scan`` alone: the nightly command skips importing every other command and
    building their click commands (≈ 0.1 s of CPU and 1 MB before its first request); its
    usage, options, help and errors are the full command line's (``scanner.cli.app``)."""
    import typer

    from scanner.cli import scan as scan_cmd

    app = typer.Typer(
        name="census", add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich"
    )
    app.command("scan")(scan_cmd.scan)

    @app.callback()
    def census() -> None:
        """Check government websites the way the 2015 census scores them."""

    return app


def main() -> None:
    """Entry point: click handles usage errors; every other error becomes one clean line."""
    if sys.argv[1:2] == ["scan"]:
        from scanner.cli.edge import report_and_exit, terminate_like_interrupt

        terminate_like_interrupt()
        app = _quietly(_scan_app)
        try:
            app()
        except SystemExit:
            raise
        except BaseException as exc:
            report_and_exit(exc)
        return
    full = _quietly(lambda: __import__("scanner.cli.app", fromlist=["main"]))
    full.main()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _quietly(lambda: __import__("scanner.cli.app", fromlist=["app"])).app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
