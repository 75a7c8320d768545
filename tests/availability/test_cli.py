"""``census probe --once`` and ``census probe stats`` as a user runs them (a subprocess)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from scanner.db import Database
from tests.availability.conftest import SUFFIX, Loopback
from tests.sites import add_sites

CENSUS = str(Path(sys.executable).parent / "census")


async def _census(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        CENSUS, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)  # a hang guard
    return proc.returncode or 0, out.decode(), err.decode()


async def test_probe_once_prints_a_chinese_table_and_stats_shows_the_week(
    db: Database, loopback: Loopback, sqlite_url: str
) -> None:
    add_sites(db, [f"a.{SUFFIX}", f"empty.{SUFFIX}"])
    env = {
        **os.environ,
        "CENSUS_DATABASE_URL": sqlite_url,
        "CENSUS_HOST_MAP": loopback.host_map(),
        "COLUMNS": "200",
        # A real clock on a busy test machine: the event loop may really be late, which would
        # (rightly) make the round invalid. This test is about the table and the week's stats.
        "CENSUS_PROBE_LAG_LIMIT_MS": "60000",
    }
    code, out, err = await _census(env, "probe", "--once", "--canary", f"http://control.{SUFFIX}/")
    assert code == 0, err
    for header in ("网站标识码", "网站名称", "结果", "失败类型", "耗时（毫秒）"):
        assert header in out
    assert "空白页面" in out and "本轮有效" in out

    code, out, err = await _census(env, "probe", "stats", "9900000002", "--json")
    assert code == 0, err
    week = json.loads(out)
    assert week["probes"] == 1 and week["failures"] == 1
    assert len(week["days"]) == 7 and week["failed"][0]["failure"] == "empty"

    code, out, err = await _census(env, "probe", "stats", f"http://a.{SUFFIX}/")
    assert code == 0, err
    assert "每日探测覆盖" in out and "不足20次" in out

    code, _, err = await _census(env, "probe", "stats", "nope")
    assert code == 2 and "没有这个网站" in err
