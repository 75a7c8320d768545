"""The CLI through its real entry point ``scanner.cli:main`` (what the ``census`` script,
``scanner.cli:cli``, runs): operator mistakes end in one clean line and a non-zero exit,
never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.errors import CensusError, ReportError


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["census", *args])
    monkeypatch.setenv("COLUMNS", "200")  # one message, one line
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    code = info.value.code
    return (code if isinstance(code, int) else 1), text


@pytest.fixture
def db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    code, _ = _run(monkeypatch, capsys, "db", "upgrade", "--database-url", url)
    assert code == 0
    return url


def test_an_unknown_site_is_one_line_and_exit_2(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _run(monkeypatch, capsys, "scorecard", "9999999999", "--database-url", db_url)
    assert code == 2
    assert "没有这个网站" in text and "9999999999" in text


def test_a_missing_registry_file_is_named(
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "no-such-registry.yaml"
    code, text = _run(
        monkeypatch, capsys, "sites", "import", str(missing), "--database-url", db_url
    )
    assert code == 2
    assert "no-such-registry.yaml" in text


def test_conflicting_options_are_refused(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _run(
        monkeypatch,
        capsys,
        "scorecard",
        "x",
        "--json",
        "--xlsx",
        "x.xlsx",
        "--database-url",
        db_url,
    )
    assert code == 2
    assert "--json" in text and "--xlsx" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["no-such-command"], "No such command"),
        (["scorecard", "x", "--at", "not-a-date"], "not-a-date"),
        (["scan", "--max-pages"], "--max-pages"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str],
    needle: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("CENSUS_DATABASE_URL", f"sqlite:///{tmp_path / 'census.db'}")
    code, text = _run(monkeypatch, capsys, *args)
    assert code == 2
    assert needle in text


@pytest.mark.parametrize(
    ("error", "code", "needle"),
    [
        (CensusError("数据库已被锁定"), 2, "错误: 数据库已被锁定"),
        (ReportError("季度应为 1–4"), 2, "错误: 季度应为 1–4"),
        (KeyError("a bug of ours"), 70, "内部错误"),
    ],
)
def test_main_turns_our_errors_into_one_line(
    error: Exception,
    code: int,
    needle: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Whatever command raises it, an error of ours reaching ``main`` becomes one line."""

    def raising() -> None:
        raise error

    # scanner.cli re-exports the Typer object as ``app``, which hides the module of that name.
    monkeypatch.setattr(sys.modules["scanner.cli.app"], "app", raising)
    got, text = _run(monkeypatch, capsys)
    assert got == code
    assert needle in text
    assert len(text.strip().splitlines()) == 1


def _script(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``scanner.cli:cli`` (the ``census`` script) in a fresh interpreter, its output piped
    (block-buffered), with an exit hook that says whether the interpreter was torn down."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('TORN-DOWN', file=sys.stderr))\n"
        "print('WRITTEN-BEFORE')  # sits in the pipe's buffer until flushed\n"
        f"sys.argv = ['census', *{list(args)!r}, '--database-url', {url!r}]\n"
        "from scanner.cli import cli\n"
        "cli()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_script_leaves_a_finished_scan_without_teardown(db_url: str) -> None:
    done = _script(db_url, "scan", "--recheck")
    assert done.returncode == 0, done.stderr
    assert "WRITTEN-BEFORE" in done.stdout  # flushed before the process ended
    assert "TORN-DOWN" not in done.stderr  # ended without the interpreter's teardown
    assert "Traceback" not in done.stderr
    # The database is whole and current for the next command.
    from scanner.db import Database

    db = Database(db_url)
    db.check_current()
    db.dispose()


def test_the_script_ends_a_failed_scan_and_other_commands_as_usual(db_url: str) -> None:
    failed = _script(db_url, "scan", "9999999999")
    assert failed.returncode == 2
    assert "9999999999" in failed.stdout + failed.stderr
    assert "TORN-DOWN" in failed.stderr  # an error: the usual exit, hooks and all
    other = _script(db_url, "scorecard", "9999999999")
    assert other.returncode == 2
    assert "TORN-DOWN" in other.stderr


_SIGTERM_INSIDE_THE_LOOP = r"""
import asyncio, os, signal, sys
from scanner.cli.edge import run_async, terminate_like_interrupt

signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `census scan … &` in a script inherits
terminate_like_interrupt()
unwound = []

async def waiting():
    try:
        await asyncio.sleep(60)
    finally:
        unwound.append("waiting")

async def signalling():
    await asyncio.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)  # arrives while this task, not the main one, runs
    await asyncio.sleep(60)

async def work():
    await asyncio.gather(waiting(), signalling())

try:
    run_async(work())
except KeyboardInterrupt:
    print("interrupted", unwound, signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL)
    sys.exit(130)
print("not interrupted")
"""


def test_sigterm_inside_the_loop_unwinds_every_task_when_sigint_is_ignored() -> None:
    """With SIGINT ignored asyncio has no Ctrl-C handler; SIGTERM raised as KeyboardInterrupt
    at whatever line ran left tasks destroyed while pending, with tracebacks on stderr."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _SIGTERM_INSIDE_THE_LOOP],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 130, done.stdout + done.stderr
    # The task waiting ran its finally; SIGTERM is ours again after the loop, not the default.
    assert done.stdout.strip() == "interrupted ['waiting'] True"
    assert done.stderr == ""
