"""`census columns discover` judged against the farm's truth: categories, blank and exempt."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from farm import FarmThread
from farm.builtin import FGW, OLD, QINGSHAN, ZWFW
from farm.generate import generated_farm
from probes.columns import Discovery, column_key, discover, guess_category
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Column, ColumnCategory, ColumnSource, Site
from scanner.http import HostLimiter, build_client
from scanner.registry import import_file
from scanner.settings import load_settings
from tests.columns.conftest import AT

UNREACHABLE = {OLD}  # its certificate names another host: the homepage cannot be opened


def _discover_all(farm: FarmThread, hosts: list[str]) -> dict[str, Discovery]:
    settings = load_settings(host_map=farm.host_map, extra_ca_file=str(farm.ca_pem))

    async def run() -> dict[str, Discovery]:
        async with build_client(settings) as client:
            limiter = HostLimiter(2, 100)
            found = await asyncio.gather(
                *(discover(client, farm.url(h, "/"), as_of=AT, limiter=limiter) for h in hosts)
            )
        return dict(zip(hosts, found, strict=True))

    return asyncio.run(run())


def _script_built(farm: FarmThread, host: str) -> set[str]:
    """Column keys whose first page's list is built by a script from data the markup lacks."""
    spec = farm.catalog.get(host)
    if spec is None:
        return set()
    return {
        column_key(spec.url(c.url_path))
        for c in spec.spec.columns
        if c.script in ("json", "getjson", "docwrite", "computed")
    }


def _judge(farm: FarmThread, found: dict[str, Discovery]) -> dict[str, Any]:
    """Category accuracy over the truth's columns, and the blank/exempt verdicts."""
    right, mismatches, missing, state_errors, name_only = 0, [], [], [], 0
    total, extras = 0, []
    for host, discovery in found.items():
        by_key = {column_key(p.url): p for p in discovery.proposals}
        known = {column_key(c.url) for c in farm.truth.columns(host)}
        extras += [f"{host} {p.name} ({p.state or p.error})" for k, p in by_key.items()
                   if k not in known]  # fmt: skip
        for column in farm.truth.columns(host):
            total += 1
            name_only += guess_category(column.name) == column.category
            proposal = by_key.get(column_key(column.url))
            if proposal is None:
                missing.append(f"{host} {column.name}")
                continue
            if proposal.category == column.category:
                right += 1
            else:
                mismatches.append(f"{host} {column.name}: {proposal.category} != {column.category}")
            if column.category == "online_system" or proposal.state is None:
                continue
            want = "blank" if column.blank else "exempt" if column.exempt else "ok"
            if column_key(column.url) in _script_built(farm, host):
                want = "scripted"  # the farm prints no entries in the page's markup
            if proposal.state != want:
                state_errors.append(f"{host} {column.name}: {proposal.state} != {want}")
    return {
        "total": total,
        "accuracy": right / total,
        "name_only": name_only / total,
        "mismatches": mismatches,
        "extras": extras,
        "missing": missing,
        "state_errors": state_errors,
    }


def _report(what: str, result: dict[str, Any]) -> None:
    print(
        f"\n{what}: {result['total']} columns, category accuracy {result['accuracy']:.3f} "
        f"(name only {result['name_only']:.3f}); not found {len(result['missing'])}; "
        f"proposed beyond the truth {len(result['extras'])}: {result['extras']}"
    )


def test_categories_blank_and_exempt_match_the_demo_truth(farm: FarmThread) -> None:
    hosts = [s.host for s in farm.spec.sites if s.host not in UNREACHABLE]
    found = _discover_all(farm, hosts)
    result = _judge(farm, found)
    _report("demo farm", result)
    assert result["accuracy"] >= 0.9, result["mismatches"] + result["missing"]
    assert not result["missing"], result["missing"]
    assert not result["state_errors"], result["state_errors"]
    # The blank and the exempt column of the demo are among the checked ones.
    states = {p.name: p.state for d in found.values() for p in d.proposals}
    assert states["价格监测"] == "blank" and states["财政预决算"] == "exempt"
    assert found[ZWFW].navigation_only and not found[QINGSHAN].navigation_only
    # Trap links (calendar, search, session ids) and site furniture are never proposed.
    urls = [p.url for d in found.values() for p in d.proposals]
    assert not [u for u in urls if "calendar" in u or "search" in u or "sid=" in u or "wzdt" in u]


def test_generated_sites_match_their_truth() -> None:
    spec = generated_farm(4, 60, big_sites=0, huge_site=False)
    with FarmThread(spec) as farm:
        hosts = [f"s{i:05d}.{spec.generated.suffix}" for i in range(4)]  # type: ignore[union-attr]
        result = _judge(farm, _discover_all(farm, hosts))
    _report("generated farm", result)
    assert result["accuracy"] >= 0.9, result["mismatches"] + result["missing"]
    assert not result["state_errors"], result["state_errors"]


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("工作动态", "news"), ("政务要闻", "news"), ("部门动态", "news"), ("图片新闻", "news"),
        ("通知公告", "notice"), ("公示公告", "notice"), ("政策文件", "policy"),
        ("文件资料", "policy"), ("规范性文件", "policy"), ("政策解读", "policy"),
        ("人事信息", "personnel"), ("人事任免", "personnel"), ("公务员招考公告", "personnel"),
        ("干部任前公示", "personnel"), ("规划计划", "planning"), ("发展规划", "planning"),
        ("机构设置", "other_info"), ("领导信息", "other_info"), ("县情概况", "other_info"),
        ("信息公开指南", "other_info"), ("财政预决算", "other_info"), ("领导信箱", "consult"),
        ("在线咨询", "consult"), ("网上留言", "consult"), ("咨询投诉", "consult"),
        ("举报投诉", "report"), ("投诉举报", "report"), ("投诉受理", "report"),
        ("意见征集", "survey"), ("网上调查", "survey"), ("在线访谈", "interview"),
        ("办事指南", "guide"), ("在线申报", "online_system"), ("在线办理", "online_system"),
        ("证照查询系统", "online_system"), ("教育系统动态", "news"),
    ],
)  # fmt: skip
def test_guess_category_from_names(name: str, category: str) -> None:
    assert guess_category(name) == category


@pytest.mark.parametrize("name", ["价格监测", "专题专栏", "走进青山", ""])
def test_unknown_names_get_no_category(name: str) -> None:
    assert guess_category(name) is None


# ---------------------------------------------------------------- through the CLI


@pytest.fixture
def registered(farm: FarmThread, db: Database, tmp_path: Path) -> Database:
    """The farm's registry, with FGW's columns cut to one config column of its own naming."""
    registry = farm.truth.registry()
    for site in registry["sites"]:
        if site["code"] == "9101000002":
            site["columns"] = [
                {"name": "本站新闻", "url": farm.url(FGW, "/gzdt/"), "category": "other_info"}
            ]
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    import_file(db, path, datetime.now(UTC))
    return db


def _run(db: Database, *args: str) -> Any:
    return CliRunner().invoke(app, ["columns", "discover", *args, "--database-url", db.url])


def test_discover_table_in_chinese(farm_env: FarmThread, registered: Database) -> None:
    result = _run(registered, "9101210001")
    assert result.exit_code == 0, result.output
    words = ("栏目名称", "推测类别", "已登记", "状态", "工作动态", "说明无此类信息", "是（配置）")
    for word in words:
        assert word in result.output, word


def test_discover_json_by_homepage_url(farm_env: FarmThread, registered: Database) -> None:
    result = _run(registered, farm_env.url(FGW, "/"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {r["name"]: r for r in data["proposals"]}
    assert rows["价格监测"]["state"] == "blank" and rows["价格监测"]["basis"] == "ColumnType"
    assert rows["工作动态"]["registered"] == "config"
    assert rows["发改动态"]["registered"] is None
    assert data["accepted"] is None


def test_accept_stores_new_columns_and_keeps_config_ones(
    farm_env: FarmThread, registered: Database
) -> None:
    result = _run(registered, "9101000002", "--accept")
    assert result.exit_code == 0, result.output
    assert "已登记" in result.output
    with registered.session() as session:
        site = session.scalar(select(Site).where(Site.code == "9101000002"))
        assert site is not None
        stored = {column_key(c.url): c for c in site.columns}
        kept = stored[column_key(farm_env.url(FGW, "/gzdt/"))]
        assert (kept.name, kept.category, kept.source) == (
            "本站新闻",
            ColumnCategory.OTHER_INFO,
            ColumnSource.CONFIG,
        )
        for column in farm_env.truth.columns(FGW):
            if column.name in ("工作动态", "网上申报系统"):  # config / cannot be opened
                continue
            got = stored[column_key(column.url)]
            assert got.source == ColumnSource.DISCOVERED
            assert got.category.value == column.category, column.name
        # pages that did not open (a redirect loop, 429, 403) are not stored
        assert all(c.name.find("（") < 0 for c in site.columns), [c.name for c in site.columns]
        before = session.query(Column).count()
    again = _run(registered, "9101000002", "--accept", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["accepted"] == []
    with registered.session() as session:
        assert session.query(Column).count() == before


def test_unknown_site_and_unreachable_homepage_exit_2(
    farm_env: FarmThread, registered: Database
) -> None:
    result = _run(registered, "0000000000")
    assert result.exit_code == 2 and "没有这个网站" in result.output
    result = _run(registered, "9101020003")  # old.donghu: certificate for another name
    assert result.exit_code == 2 and "(tls)" in result.output
    assert "Traceback" not in result.output
