"""The ``census`` command line: sub-commands grouped by what officials and operators do."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["app", "cli", "main"]


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


class _PlainValues:
    """Typer (0.29) converts every command-line value through a pydantic TypeAdapter: 6.7 MB of
    pydantic and its core loaded, and a schema built per option, for ``census scan``'s few
    plain values. This takes the values that need no conversion — text, a list of texts, a
    decimal number within the option's bounds — as they are, and hands every other value
    (out of bounds, not a number …) to typer's own conversion, so the errors are typer's.
    `tests/test_cli_imports.py` compares the two on every option of ``census scan``."""

    def __init__(self, param: Any):
        self.param = param
        info = param.type_descriptor.parameter_info
        self.kind = param.type_descriptor.annotation
        self.low, self.high = getattr(info, "min", None), getattr(info, "max", None)
        self.clamp = getattr(info, "clamp", False)

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        if multi and self.kind == list[str]:
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return list(value)
        elif self.kind in (str, bool) and type(value) is self.kind:
            return value
        elif (
            self.kind is int
            and not self.clamp
            and isinstance(value, str)
            and value.isascii()
            and value.isdigit()
        ):
            number = int(value)
            if (self.low is None or number >= self.low) and (
                self.high is None or number <= self.high
            ):
                return number
        from typer._coercion import build_runtime_param

        return build_runtime_param(param.type_descriptor).coerce(value, param=param, ctx=ctx)


def _scan_command() -> Any:
    """`_scan_app` as its click command, its values converted by `_PlainValues`."""
    import typer.main

    command = typer.main.get_command(_scan_app())

    def plain(param: Any) -> Any:
        if hasattr(param, "type_descriptor") and hasattr(param, "_runtime_param"):
            param._runtime_param = _PlainValues(param)
        return param

    def plain_help(made: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda ctx: None if (option := made(ctx)) is None else plain(option)

    for sub in [command, *getattr(command, "commands", {}).values()]:
        for param in sub.params:
            plain(param)
        sub.get_help_option = plain_help(sub.get_help_option)  # made per run, not in .params
    return command


def main() -> None:
    """Entry point: click handles usage errors; every other error becomes one clean line."""
    if sys.argv[1:2] == ["scan"]:
        # The guard's module brings asyncio and rich (≈ 60 ms of imports): made with the
        # collector off too, which otherwise ran ≈ 30 young collections meanwhile.
        edge = _quietly(lambda: __import__("scanner.cli.edge", fromlist=["run_guarded"]))
        edge.run_guarded(lambda: _quietly(_scan_command)())
        return
    full = _quietly(lambda: __import__("scanner.cli.app", fromlist=["main"]))
    full.main()


def cli() -> None:
    """The ``census`` script: `main`, and after ``census scan`` straight out of the process.

    Tearing down the interpreter after a scan — every module, SQLAlchemy's tables, the
    crawl's objects freed one by one, a last collection over all of them — cost ≈ 0.3 s of
    CPU (a sixth of a quiet second night on the peers site) for nothing: the scan's database
    work is committed and its engine disposed, its output printed. So, once `main` has
    returned (or exited with 0), the output streams and logging are flushed and the process
    ends there (``os._exit(0)``). Any other command, a scan that ends with an error or an
    interruption, and an in-process caller of `main` (the tests) end as usual.
    """
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if sys.argv[1:2] != ["scan"] or code not in (None, 0):
        sys.exit(code)
    import contextlib
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(0)


def __getattr__(name: str) -> Any:
    if name == "app":
        return _quietly(lambda: __import__("scanner.cli.app", fromlist=["app"])).app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
