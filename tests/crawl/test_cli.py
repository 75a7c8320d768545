"""`census scan` through typer's runner, the way an operator runs it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from farm import FarmThread
from scanner.cli.app import app
from scanner.db.models import LinkCheck, LinkVerdict, Site
from scanner.errors import ConfigError
from tests.crawl.conftest import registered_db


def _env(farm: FarmThread, url: str, **extra: str) -> dict[str, str]:
    return {
        "CENSUS_DATABASE_URL": url,
        "CENSUS_HOST_MAP": farm.host_map,
        "CENSUS_EXTRA_CA_FILE": farm.ca_pem,
        "CENSUS_PER_HOST_RATE": "500",
        "CENSUS_PAGE_TIMEOUT": "6",  # a busy machine must not time out a redirect loop
        "CENSUS_RETRY_AFTER_CAP": "0.3",
        **extra,
    }


def test_scan_prints_the_summary_and_leaves_broken_links_for_their_recheck(
    farm: FarmThread, tmp_path: Path
) -> None:
    db = registered_db(farm, tmp_path)
    result = CliRunner().invoke(app, ["scan", "9101000002"], env=_env(farm, db.url))
    assert result.exit_code == 0, result.output
    assert "链接可用性扫描结果" in result.output
    assert "临江市发展和改革委员会" in result.output
    assert "census scan --recheck" in result.output  # broken links wait hours for the re-check
    with db.session() as s:
        pending = s.scalars(select(LinkCheck).where(LinkCheck.verdict == LinkVerdict.BROKEN)).all()
    assert pending and all(c.confirmed_at is None and c.recheck_due for c in pending)

    later = CliRunner().invoke(app, ["scan", "--recheck"], env=_env(farm, db.url))
    assert later.exit_code == 0, later.output  # nothing is due yet: nothing re-checked
    assert "复查到期" not in later.output
    db.dispose()


def test_scan_all_with_a_short_recheck_confirms(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    env = _env(farm, db.url, CENSUS_LINK_RECHECK_DELAY="0.2")
    result = CliRunner().invoke(app, ["scan", "--all", "--max-depth", "1"], env=env)
    assert result.exit_code == 0, result.output
    for name in ("青山县人民政府", "东湖区政务公开网", "临江市政务服务网"):
        assert name in result.output
    with db.session() as s:
        broken = s.scalars(select(LinkCheck).where(LinkCheck.verdict == LinkVerdict.BROKEN)).all()
    assert broken and all(c.confirmed_at is not None for c in broken)
    db.dispose()


def test_scan_all_split_over_two_processes(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    env = _env(farm, db.url, CENSUS_LINK_RECHECK_DELAY="0.2")
    args = ["scan", "--all", "--max-depth", "1", "--processes", "2"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "分给至多 2 个进程" in result.output
    assert "链接可用性扫描结果" in result.output  # the usual table, from the database
    for name in ("青山县人民政府", "东湖区政务公开网", "临江市政务服务网"):
        assert name in result.output
    with db.session() as s:
        broken = s.scalars(select(LinkCheck).where(LinkCheck.verdict == LinkVerdict.BROKEN)).all()
    assert broken and all(c.confirmed_at is not None for c in broken)
    db.dispose()


def test_scan_needs_a_site(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    result = CliRunner().invoke(app, ["scan"], env=_env(farm, db.url))
    assert isinstance(result.exception, ConfigError)
    db.dispose()


def test_sites_are_named_by_url_too(farm: FarmThread, tmp_path: Path) -> None:
    key = "https://zwgk.donghu.example.gov.cn/"
    db = registered_db(farm, tmp_path)
    env = _env(farm, db.url, CENSUS_LINK_RECHECK_DELAY="0")
    result = CliRunner().invoke(app, ["scan", key, "--max-pages", "5"], env=env)
    assert result.exit_code == 0, result.output
    assert "东湖区政务公开网" in result.output
    db.dispose()


def test_a_failing_site_does_not_stop_the_others(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    with db.session() as s:
        site = s.scalar(select(Site).where(Site.code == "9101020003"))
        assert site is not None
        site.url = "ftp://old.donghu.example.gov.cn/"  # not a web address: the scan cannot start
    env = _env(farm, db.url, CENSUS_LINK_RECHECK_DELAY="0")
    result = CliRunner().invoke(app, ["scan", "9101020003", "9101020002"], env=env)
    assert result.exit_code == 0, result.output
    assert "东湖区政务公开网" in result.output
    assert "9101020003 扫描出错" in result.output
    db.dispose()
