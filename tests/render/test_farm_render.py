"""The browser on the farm: `census inspect --render` shows a list only a browser can build, and
a farm page that asks for non-loopback addresses gets nothing from them.

The farm's truth (what a browser shows) is computed from its scenario, never from HTML.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farm import ColumnSpec, FarmThread, ItemSpec, LinkSpec, SiteSpec
from farm.builtin import JSDEMO, scenario
from scanner.cli.app import app
from scanner.clock import CST, RealClock
from scanner.render import CHROMIUM, renderer_for
from scanner.settings import Settings

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")
TODAY = RealClock().now().astimezone(CST).date()  # `census inspect` reads as of today
OUTSIDE = ("http://10.9.8.7/banner.png", "http://93.184.216.34/stat.js")
ESCAPER = "www.escape.example.gov.cn"


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    escaper = SiteSpec(
        ESCAPER,
        "9101219998",
        "外链测试县人民政府",
        "910121",
        columns=(
            ColumnSpec(
                "重点工作",
                "news",
                "zdgz",
                tuple(ItemSpec(f"重点工作推进情况通报第{k + 1}期", date=2 * k) for k in range(6)),
                script="computed",
            ),
        ),
        links=(
            LinkSpec(OUTSIDE[0], "宣传图片", on="lists", tag="img"),
            LinkSpec(OUTSIDE[1], "统计", on="lists", tag="script"),
        ),
    )
    spec = scenario("scripted")
    spec = dataclasses.replace(spec, sites=(*spec.sites, escaper), today=TODAY)
    with FarmThread(spec) as running:
        yield running


def test_inspect_render_shows_a_list_only_a_browser_builds(
    farm: FarmThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CENSUS_HOST_MAP", farm.host_map)
    url = f"http://{JSDEMO}/zdgz/"
    truth = farm.truth.column(JSDEMO, "重点工作")
    expected = [(i.title, i.url, i.date.isoformat() if i.date else None) for i in truth.items]
    plain = CliRunner().invoke(app, ["inspect", url, "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.output)["items"] == []  # nothing to read without running scripts
    rendered = CliRunner().invoke(app, ["inspect", url, "--render", "--json"])
    assert rendered.exit_code == 0, rendered.output
    data = json.loads(rendered.output)
    assert [(i["title"], i["url"], i["date"]) for i in data["items"]] == expected
    assert data["newest_date"] == (truth.newest.isoformat() if truth.newest else None)
    table = CliRunner().invoke(app, ["inspect", url, "--render"])
    assert table.exit_code == 0, table.output
    assert f"条目 {len(expected)} 条" in table.output


def test_a_farm_page_cannot_reach_past_the_host_map(farm: FarmThread) -> None:
    async def go() -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        async with renderer_for(Settings(host_map=farm.host_map)) as renderer:
            page = await renderer.render(f"http://{ESCAPER}/zdgz/")
        return page.html, page.refused, page.skipped

    html, refused, skipped = asyncio.run(go())
    banner, script = OUTSIDE
    assert set(refused) == {script}  # the address policy refused it
    assert banner in skipped  # an image: never requested at all
    for title in (i.title for i in farm.truth.column(ESCAPER, "重点工作").items):
        assert title in html  # the page's own script still built its list
