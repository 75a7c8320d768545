"""The edge where errors reach people: every failure becomes one line and an exit code.

Our own errors (`CensusError`) already say what is wrong and where. The rest are mapped here
once, instead of in every command: a database that is not one (garbage, truncated, read-only,
another program's file, an unreachable server), a file that cannot be read or written, an
interruption. Anything else is a bug — still one line (its type and message), never a
traceback in front of an official.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, TypeVar

from scanner.cli.output import console_err, markup
from scanner.errors import CensusError

__all__ = [
    "EXIT_BUG",
    "EXIT_INTERRUPTED",
    "EXIT_REFUSED",
    "one_line",
    "run_async",
    "run_guarded",
    "terminate_like_interrupt",
]

EXIT_REFUSED = 2
EXIT_BUG = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130

T = TypeVar("T")


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:500]


def _database_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return _first_line(str(orig if orig is not None else exc))


def one_line(exc: BaseException) -> tuple[str, int]:
    """The message (rich markup, untrusted parts escaped) and exit code for ``exc``."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, CensusError):
        return f"[red]错误:[/] {markup(exc)}", EXIT_REFUSED
    if isinstance(exc, SQLAlchemyError):
        return (
            "[red]错误:[/] 数据库无法使用 (database unusable; check CENSUS_DATABASE_URL / "
            f"--database-url, then 'census db upgrade'): {markup(_database_reason(exc))}",
            EXIT_REFUSED,
        )
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or type(exc).__name__
        return f"[red]错误:[/] {markup(name)}: {markup(reason)}", EXIT_REFUSED
    if isinstance(exc, KeyboardInterrupt):
        return "[yellow]已中断 (interrupted)[/]", EXIT_INTERRUPTED
    if isinstance(exc, MemoryError):
        return "[red]错误:[/] 内存不足 (out of memory)", EXIT_BUG
    text = _first_line(str(exc))
    return (
        f"[red]内部错误 (internal error, please report):[/] {type(exc).__name__}: {markup(text)}",
        EXIT_BUG,
    )


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # Whatever handles Ctrl-C now (asyncio.run cancels the main task; otherwise
    # KeyboardInterrupt) handles SIGTERM the same way: scans end 'interrupted', not 'running'.
    if callable(signal.getsignal(signal.SIGINT)):
        signal.raise_signal(signal.SIGINT)
        return
    # SIGINT ignored: a job a shell started in the background (`census scan --all &`,
    # nohup) inherits that, and raising an ignored SIGINT did nothing — SIGTERM was lost and
    # only a kill stopped the run, its scans left 'running'. Ctrl-C's exception, raised here.
    raise KeyboardInterrupt


def terminate_like_interrupt() -> None:
    """SIGTERM (systemd stop, kill, a container's shutdown) handled like SIGINT."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` for a command, SIGTERM cancelling its work the way Ctrl-C does.

    While the loop runs, SIGTERM is the loop's own signal handler: the main task is cancelled,
    its tasks unwind (scans end 'interrupted', their finally blocks run) and KeyboardInterrupt
    comes out here. `_on_sigterm` raising KeyboardInterrupt at whatever line was running —
    inside a task of the loop, when a background shell has SIGINT ignored and asyncio has no
    Ctrl-C handler to pass it to — left tasks destroyed pending and tracebacks on stderr.
    """
    stopped = False

    async def guarded() -> T:
        nonlocal stopped
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        before = signal.getsignal(signal.SIGTERM)

        def stop() -> None:
            nonlocal stopped
            stopped = True
            task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, stop)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
            return await main
        try:
            return await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            if before is not None:  # removal leaves SIG_DFL: put ours back
                signal.signal(signal.SIGTERM, before)

    try:
        result = asyncio.run(guarded())
    except asyncio.CancelledError:
        if stopped:
            raise KeyboardInterrupt from None
        raise
    if stopped:  # the work swallowed its cancellation: still an interrupted command
        raise KeyboardInterrupt
    return result


def run_guarded(command: Callable[[], object]) -> None:
    """Run a command line: SIGTERM as an interrupt, click's usage errors and exits as they
    are, every other error one clean line and its exit code."""
    terminate_like_interrupt()
    try:
        command()
    except SystemExit:
        raise
    except BaseException as exc:
        report_and_exit(exc)


def report_and_exit(exc: BaseException) -> None:
    message, code = one_line(exc)
    console_err.print(message, highlight=False)
    sys.exit(code)
