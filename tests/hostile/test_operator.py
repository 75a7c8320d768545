"""Class 6: an operator's mistake ends in one clear line naming the file, setting or option,
and a non-zero exit — never a traceback, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from scanner.db import Database
from tests.hostile.conftest import (
    CODE,
    Census,
    HostileSite,
    assert_clean,
    fresh_db,
    html_page,
    import_registry,
    registry_yaml,
)


def _one_line_error(ran: object, *words: str, code: int = 2) -> None:
    assert_clean(ran)  # type: ignore[arg-type]
    assert ran.code == code, ran.text  # type: ignore[attr-defined]
    err = ran.err.strip()  # type: ignore[attr-defined]
    for word in words:
        assert word in err, err


BROKEN_FILES = [
    pytest.param(b"this is not a database, just text\n" * 50, id="text"),
    pytest.param(os.urandom(8192), id="random-bytes"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(4000), id="png"),
    pytest.param(b"PK\x03\x04" + bytes(4000), id="zip"),
    pytest.param(b"SQLite format 3\x00" + os.urandom(4000), id="sqlite-header-garbage"),
    pytest.param(None, id="truncated-database"),
]


@pytest.mark.parametrize("content", BROKEN_FILES)
@pytest.mark.parametrize("command", [["sites", "list"], ["db", "status"]])
def test_a_broken_database_file_is_one_line_and_left_alone(
    census: Census, tmp_path: Path, content: bytes | None, command: list[str]
) -> None:
    path = tmp_path / "census.db"
    if content is None:  # a real database cut in half (a full disk, a bad copy)
        db = fresh_db(f"sqlite:///{path}")
        import_registry(db, tmp_path, registry_yaml("http://www.example.gov.cn/"))
        db.dispose()
        sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
        content = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(content)
    ran = census(*command, CENSUS_DATABASE_URL=f"sqlite:///{path}")
    _one_line_error(ran, "census.db")
    assert "CENSUS_DATABASE_URL" in ran.err or "database" in ran.err
    assert path.read_bytes() == content  # nothing was written to it


def test_an_empty_file_is_a_database_without_schema(census: Census, tmp_path: Path) -> None:
    path = tmp_path / "census.db"
    path.write_bytes(b"")
    ran = census("sites", "list", CENSUS_DATABASE_URL=f"sqlite:///{path}")
    _one_line_error(ran, "census db upgrade")


def test_a_read_only_database_refuses_writes_in_one_line(census: Census, tmp_path: Path) -> None:
    path = tmp_path / "census.db"
    db = fresh_db(f"sqlite:///{path}")
    db.dispose()
    registry = tmp_path / "sites.yaml"
    registry.write_text(registry_yaml("http://www.example.gov.cn/"), "utf-8")
    ro = f"sqlite:///file:{path}?mode=ro&uri=true"
    ran = census("sites", "import", str(registry), CENSUS_DATABASE_URL=ro)
    _one_line_error(ran, "readonly")
    listed = census("sites", "list", "--json", CENSUS_DATABASE_URL=f"sqlite:///{path}")
    assert listed.code == 0 and listed.out.strip() == "[]"  # nothing half-written


@pytest.mark.parametrize(
    ("url", "words"),
    [
        pytest.param("nonsense", "CENSUS_DATABASE_URL", id="not-a-url"),
        pytest.param("mysql://u:p@127.0.0.1/x", "CENSUS_DATABASE_URL", id="unsupported"),
        pytest.param("postgresql+psycopg://u@127.0.0.1:1/x", "CENSUS_DATABASE_URL", id="no-server"),
        pytest.param("sqlite:///{tmp}", "{tmp}", id="a-folder"),
        pytest.param("sqlite:///{tmp}/file.txt/census.db", "file.txt", id="under-a-file"),
    ],
)
def test_an_unusable_database_url_is_named(
    census: Census, tmp_path: Path, url: str, words: str
) -> None:
    (tmp_path / "file.txt").write_text("x")
    ran = census("sites", "list", CENSUS_DATABASE_URL=url.format(tmp=tmp_path))
    _one_line_error(ran, words.format(tmp=tmp_path))
    assert "u:p@" not in ran.err or "***" in ran.err


@pytest.mark.postgres
def test_postgres_without_schema_or_at_a_strange_revision(
    census: Census, postgres_url: str
) -> None:
    ran = census("sites", "list", CENSUS_DATABASE_URL=postgres_url)
    _one_line_error(ran, "census db upgrade")
    db = fresh_db(postgres_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))
    db.dispose()
    ran = census("sites", "list", CENSUS_DATABASE_URL=postgres_url)
    _one_line_error(ran, "zzzz", "census db upgrade")


DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "yesterday"]


@pytest.mark.parametrize("value", DATES)
@pytest.mark.parametrize(
    "command",
    [
        ["score", CODE, "--at"],
        ["scorecard", CODE, "--at"],
        ["probe", "stats", CODE, "--at"],
        ["check", CODE, "--as-of"],
        ["inspect", "page.html", "--as-of"],
    ],
)
def test_a_date_out_of_range_names_the_option(
    census: Census, tmp_path: Path, command: list[str], value: str
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    (tmp_path / "page.html").write_text(html_page("页"), "utf-8")
    ran = census(*command, value, CENSUS_DATABASE_URL=url)
    _one_line_error(ran, command[-1])
    assert not (tmp_path / "census.db").exists()  # refused before the database was opened


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["scan", "--all", "--max-pages", "-1"], "--max-pages"),
        (["scan", "--all", "--max-pages", "0"], "--max-pages"),
        (["scan", "--all", "--max-depth", "-3"], "--max-depth"),
        (["score", "--all", "--workers", "0"], "--workers"),
        (["score", "--all", "--workers", "-4"], "--workers"),
        (["monitor", "--every", "0"], "--every"),
        (["monitor", "--slots", "-1"], "--slots"),
        (["monitor", "--misfire-grace", "-5"], "--misfire-grace"),
        (["monitor", "status", "--limit", "0"], "--limit"),
        (["monitor", "run-nightly", "--spread", "-1"], "--spread"),
        (["demo", "--days", "0"], "--days"),
        (["demo", "--days", "100000"], "--days"),
        (["report", "sampling", "--year", "1", "--quarter", "1"], "--year"),
        (["report", "sampling", "--year", "2026", "--quarter", "1", "--size", "-2"], "--size"),
        (["columns", "read", "--all", "--open-undated", "-1"], "--open-undated"),
    ],
)
def test_a_negative_or_zero_count_is_refused_by_name(
    census: Census, tmp_path: Path, args: list[str], option: str
) -> None:
    ran = census(*args, CENSUS_DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}")
    _one_line_error(ran, option)
    assert not (tmp_path / "none.db").exists()  # refused before anything was created


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("CENSUS_PAGE_TIMEOUT", "-1"),
        ("CENSUS_PAGE_TIMEOUT", "nan"),
        ("CENSUS_CONNECT_TIMEOUT", "0"),
        ("CENSUS_CRAWL_MAX_PAGES", "0"),
        ("CENSUS_PER_HOST_CONNECTIONS", "0"),
        ("CENSUS_PER_HOST_RATE", "-2"),
        ("CENSUS_MAX_BODY_BYTES", "-5"),
        ("CENSUS_PROBE_INTERVAL", "0"),
        ("CENSUS_LINK_RECHECK_DELAY", "-1"),
        ("CENSUS_LINK_CHECKS_AT_ONCE", "0"),
        ("CENSUS_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("CENSUS_HOST_MAP", "www.gov.cn"),
    ],
)
def test_a_bad_setting_is_refused_by_name(
    census: Census, tmp_path: Path, setting: str, value: str
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    ran = census("scan", "--all", CENSUS_DATABASE_URL=url, **{setting: value})
    _one_line_error(ran, setting.removeprefix("CENSUS_").lower())


def test_a_broken_settings_file_is_named(census: Census, tmp_path: Path) -> None:
    toml = tmp_path / "census.toml"
    toml.write_text("page_timeout = [unclosed\n")
    ran = census("sites", "list", CENSUS_CONFIG=str(toml))
    _one_line_error(ran, "census.toml")


@pytest.mark.parametrize(
    ("target", "words"),
    [
        pytest.param("folder.xlsx", "is a folder", id="folder"),
        pytest.param("file.txt/x.xlsx", "file.txt", id="under-a-file"),
    ],
)
def test_xlsx_output_to_an_unwritable_place_is_named(
    census: Census, tmp_path: Path, target: str, words: str
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    import_registry(db, tmp_path, registry_yaml("http://www.example.gov.cn/"))
    db.dispose()
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "file.txt").write_text("x")
    assert census("score", CODE, "--at", "2026-11-30", CENSUS_DATABASE_URL=url).code == 0
    out = str(tmp_path / target)
    ran = census("scorecard", CODE, "--at", "2026-11-30", "--xlsx", out, CENSUS_DATABASE_URL=url)
    _one_line_error(ran, words, "--xlsx")
    assert not list(tmp_path.glob("**/*.part"))  # no half-written workbook left behind
    ran = census("report", "supervision", "--year", "2026", "--xlsx", out, CENSUS_DATABASE_URL=url)
    _one_line_error(ran, words)


@pytest.mark.parametrize(
    ("target", "words"),
    [
        pytest.param("/dev/zero", "not a regular file", id="dev-zero"),
        pytest.param("/dev/urandom", "not a regular file", id="dev-urandom"),
        pytest.param("{tmp}", "folder", id="folder"),
        pytest.param("{tmp}/missing.html", "missing", id="missing"),
        pytest.param("{tmp}/big.html", "larger than", id="sparse-4-gb"),
        pytest.param("{tmp}/fifo", "not a regular file", id="fifo"),
    ],
)
def test_inspect_reads_only_a_page_sized_regular_file(
    census: Census, tmp_path: Path, target: str, words: str
) -> None:
    with (tmp_path / "big.html").open("wb") as handle:
        handle.truncate(4 * 1024**3)
    os.mkfifo(tmp_path / "fifo")
    ran = census("inspect", target.format(tmp=tmp_path))
    _one_line_error(ran, words)


def test_interrupting_a_command_is_one_line(
    census: Census, site: HostileSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.cli.inspect as inspect_cmd

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(inspect_cmd, "inspect_target", interrupted)
    site.page("/", html_page("首页"))
    ran = census("inspect", site.url(), CENSUS_HOST_MAP=site.host_map)
    assert_clean(ran)
    assert ran.code == 130, ran.text  # the shell's code for Ctrl-C, and no traceback


def test_database_untouched_by_refusals(tmp_path: Path) -> None:
    """The refusals above never create a database as a side effect of a bad option."""
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.dispose()
    assert not (tmp_path / "x.db").exists()
