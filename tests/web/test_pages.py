"""The pages and the API against the pipeline's database: the scorecard JSON contract, the
review flow with re-scoring, escaping of scraped text, downloads, 抽查 and 问责, the CLI."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from sqlalchemy import select
from typer.testing import CliRunner

from scanner.cli.app import app as cli
from scanner.db import Database
from scanner.db.models import AuditEvent, Finding, FindingEvent, FindingStatus, Sampling, Site
from tests.web.conftest import (
    DONGHU_SITE,
    PASSWORD,
    QS_BUREAU,
    QS_PORTAL,
    T,
    Web,
    csrf_of,
)


async def test_api_scorecard_is_the_cli_json(web: Web, as_user: Any) -> None:
    async with as_user("qs_viewer") as (client, _):
        for code in (QS_PORTAL, QS_BUREAU):
            api = await client.get(f"/api/sites/{code}/scorecard?at={T.isoformat()}")
            assert api.status_code == 200
            run = CliRunner().invoke(
                cli, ["scorecard", code, "--at", T.isoformat(), "--json", "--database-url", web.url]
            )
            assert run.exit_code == 0, run.output
            assert api.json() == json.loads(run.stdout)
            download = await client.get(f"/sites/{code}/scorecard.json?at={T.isoformat()}")
            assert download.json() == api.json()
            assert "attachment" in download.headers["content-disposition"]


async def test_scraped_script_in_a_title_is_text(web: Web, as_user: Any) -> None:
    async with as_user("qs_viewer") as (client, _):
        page = await client.get(f"/sites/{QS_PORTAL}")
    assert page.status_code == 200
    # The farm's news title "<script>alert('xss')</script>县政府召开常务会议" reached the card…
    assert "&lt;script&gt;alert(" in page.text and "县政府召开常务会议" in page.text
    # …and never the page as markup.
    assert "<script" not in page.text.lower()


async def test_scorecard_page_shows_every_row_and_its_evidence(web: Web, as_user: Any) -> None:
    async with as_user("qs_viewer") as (client, _):
        api = (await client.get(f"/api/sites/{QS_BUREAU}/scorecard")).json()
        page = (await client.get(f"/sites/{QS_BUREAU}")).text
        portal = (await client.get(f"/sites/{QS_PORTAL}")).text
    for rule in api["rules"].values():
        assert rule["name"] in page
    # The bureau is down 01:00–03:00 every day (farm.yaml): 2 of 24 hourly probes fail, a veto.
    assert "不合格（单项否决：站点无法访问）" in page
    assert page.count("HTTP错误状态") >= 2 and "<svg" in page and "2/24" in page
    # The portal's broken link, with the page it was found on (farm.yaml: /old/gone.html).
    assert "http://www.qs.example.gov.cn/old/gone.html" in portal
    assert "所在页面" in portal and "历次结论" in portal
    # How each column was read (读取方式), as the JSON's columns say.
    assert "栏目读取方式" in page and api["columns"]
    for column in api["columns"]:
        assert column["name"] in page and column["read_via_label"] in page


async def test_confirming_a_finding_rescores_the_site(web: Web, as_user: Any) -> None:
    db = Database(web.url)
    with db.session() as s:
        site_id = s.scalar(select(Site.id).where(Site.code == QS_PORTAL))
        finding_id = s.scalar(select(Finding.id).where(Finding.site_id == site_id).limit(1))
    async with as_user("qs_reviewer") as (client, csrf):
        before = (await client.get(f"/api/sites/{QS_PORTAL}/scorecard")).json()
        assert before["verdict"] == "qualified"
        assert not before["rules"]["veto.serious_error"]["holds"]
        context = await client.get(f"/review/{finding_id}")
        assert "网上赌场" in context.text and 'name="decision"' in context.text
        no_reason = await client.post(
            f"/review/{finding_id}", data={"decision": "confirm", "reason": " ", "csrf_token": csrf}
        )
        assert no_reason.status_code == 400
        done = await client.post(
            f"/review/{finding_id}",
            data={"decision": "confirm", "reason": "页面确有赌博广告", "csrf_token": csrf},
        )
        assert (done.status_code, done.headers["location"]) == (303, f"/sites/{QS_PORTAL}")
        after = (await client.get(f"/api/sites/{QS_PORTAL}/scorecard")).json()
        page = (await client.get(f"/sites/{QS_PORTAL}")).text
    assert after["verdict"] == "unqualified" and after["rules"]["veto.serious_error"]["holds"]
    assert "不合格（单项否决：严重错误）" in page
    with db.session() as s:
        trail = s.scalars(select(FindingEvent).where(FindingEvent.finding_id == finding_id)).all()
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "review_confirm")).all()
    db.dispose()
    assert trail[-1].reviewer == "qs_reviewer" and trail[-1].new_status == "confirmed"
    assert trail[-1].comment == "页面确有赌博广告"
    assert [(a.username, a.target) for a in audit] == [("qs_reviewer", f"finding {finding_id}")]


async def test_dismissing_leaves_the_verdict(web: Web, as_user: Any) -> None:
    db = Database(web.url)
    with db.session() as s:
        site_id = s.scalar(select(Site.id).where(Site.code == DONGHU_SITE))
        finding_id = s.scalar(select(Finding.id).where(Finding.site_id == site_id).limit(1))
    async with as_user("dh_reviewer") as (client, csrf):
        before = (await client.get(f"/api/sites/{DONGHU_SITE}/scorecard")).json()["verdict"]
        await client.post(
            f"/review/{finding_id}",
            data={"decision": "dismiss", "reason": "新闻通报，非违规内容", "csrf_token": csrf},
        )
        after = (await client.get(f"/api/sites/{DONGHU_SITE}/scorecard")).json()["verdict"]
    with db.session() as s:
        assert s.get(Finding, finding_id).status == FindingStatus.DISMISSED  # type: ignore[union-attr]
    db.dispose()
    assert before == after


async def test_overview_and_list(web: Web, as_user: Any) -> None:
    async with as_user("city_admin") as (client, _):
        data = (await client.get("/api/overview")).json()
        page = (await client.get("/")).text
        unqualified = (await client.get("/api/sites?verdict=unqualified")).json()
        vetoed = (await client.get("/api/sites?veto=veto.unreachable")).json()
        county = (await client.get("/api/sites?org=910121")).json()
        searched = (await client.get("/sites?q=教育")).text
    assert data["sites"] == 4 and data["scored"] == 4
    assert data["qualified"] + data["unqualified"] == 4
    assert QS_BUREAU in {s["code"] for s in unqualified["sites"]}
    assert {s["code"] for s in vetoed["sites"]} >= {QS_BUREAU}
    assert data["vetoes"].get("veto.unreachable", 0) >= 1
    assert {s["code"] for s in county["sites"]} == {QS_PORTAL, QS_BUREAU}
    assert {b["org_code"] for b in data["organisations"]} == {"910100", "910121", "910102"}
    for word in ("合格", "不合格", "暂定", "合格率", "青山县", "东湖区", "<svg"):
        assert word in page
    assert "青山县教育局" in searched and "东湖区人民政府" not in searched


async def test_downloads_are_real_workbooks(web: Web, as_user: Any) -> None:
    async with as_user("qs_viewer") as (client, _):
        card = await client.get(f"/sites/{QS_BUREAU}/scorecard.xlsx?at={T.isoformat()}")
        report = await client.get("/reports/supervision.xlsx?year=2026")
    for answer in (card, report):
        assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(card.content)).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert any("青山县教育局" in c for c in cells) and any("站点无法访问" in c for c in cells)
    assert openpyxl.load_workbook(io.BytesIO(report.content)).active is not None


async def test_sampling_and_accountability_through_the_page(web: Web, as_user: Any) -> None:
    async with as_user("qs_reviewer") as (client, csrf):
        drawn = await client.post(
            "/reports/sampling",
            data={"year": "2026", "quarter": "1", "ratio": "100", "at": T.isoformat(),
                  "csrf_token": csrf},
        )  # fmt: skip
        assert drawn.status_code == 303
        again = await client.post(
            "/reports/sampling",
            data={"year": "2026", "quarter": "1", "size": "1", "at": T.isoformat(),
                  "csrf_token": csrf},
        )  # fmt: skip
        assert again.status_code == 400 and "已有抽查" in again.text
        added = await client.post(
            "/reports/accountability",
            data={"target": "县政府办公室网站负责人", "form": "interview", "taken_on": "2026-03-05",
                  "site": QS_BUREAU, "csrf_token": csrf},
        )  # fmt: skip
        assert added.status_code == 303
        page = (await client.get("/reports?year=2026")).text
    assert "县政府办公室网站负责人" in page and "约谈" in page and "抽取 2/2" in page
    db = Database(web.url)
    with db.session() as s:
        sampling = s.scalars(select(Sampling)).one()
        codes = {x.site.code for x in sampling.sites}
        assert sampling.organisation.code == "910121" and codes == {QS_PORTAL, QS_BUREAU}
    db.dispose()


def test_users_command_reads_the_password_from_stdin(web: Web) -> None:
    runner = CliRunner()
    base = ["--database-url", web.url]
    added = runner.invoke(
        cli, ["users", "add", "cli_user", "--org", "910102", "--role", "reviewer", *base],
        input=f"{PASSWORD}\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output
    short = runner.invoke(cli, ["users", "add", "u2", "--org", "910102", *base], input="short\n")
    unknown = runner.invoke(cli, ["users", "add", "u3", "--org", "999999", *base], input=PASSWORD)
    bad_role = runner.invoke(
        cli, ["users", "add", "u4", "--org", "910102", "--role", "boss", *base], input=PASSWORD
    )
    assert (short.exit_code, unknown.exit_code, bad_role.exit_code) == (2, 2, 2)
    listed = runner.invoke(cli, ["users", "list", "--json", *base])
    rows = {r["username"]: r for r in json.loads(listed.stdout)}
    assert rows["cli_user"]["organisation"] == "910102" and rows["cli_user"]["role"] == "reviewer"
    assert "u2" not in rows and "u3" not in rows
    assert runner.invoke(cli, ["users", "remove", "cli_user", *base]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list", "--json", *base])
    assert "cli_user" not in {r["username"] for r in json.loads(listed.stdout)}


async def test_a_user_added_by_the_cli_logs_in_with_that_password(web: Web) -> None:
    runner = CliRunner()
    runner.invoke(
        cli, ["users", "add", "dh_new", "--org", "910102", "--database-url", web.url],
        input="another-secret-9\n",
    )  # fmt: skip
    async with web.client() as client:
        form = await client.get("/login")
        answer = await client.post(
            "/login",
            data={"username": "dh_new", "password": "another-secret-9",
                  "csrf_token": csrf_of(form.text)},
        )  # fmt: skip
        assert answer.status_code == 303
        listed = (await client.get("/api/sites")).json()
    assert {s["code"] for s in listed["sites"]} == {DONGHU_SITE}


def test_card_digests_read_by_sqlite_match_the_bodies(web: Web) -> None:
    """The overview's digests come from SQLite's JSON functions; they must equal the bodies'."""
    from scanner.db.models import Scorecard
    from scanner.web.queries import DigestCache, digest

    db = Database(web.url)
    with db.session() as s:
        cards = {c.id: c.body for c in s.scalars(select(Scorecard))}
        got = DigestCache().get_many(s, list(cards))
    db.dispose()
    assert got == {i: digest(body) for i, body in cards.items()}
    assert any(d.vetoes for d in got.values()) and any(d.points for d in got.values())


def test_warming_digests_every_card_of_the_newest_point(web: Web) -> None:
    from scanner.db.models import Scorecard
    from scanner.web.queries import DIGESTS, warm

    db = Database(web.url)
    with db.session() as s:
        ids = set(s.scalars(select(Scorecard.id).where(Scorecard.at == T)))
        DIGESTS._items.clear()
        assert warm(s, "census-2015") == len(ids) == 4
    db.dispose()
    assert set(DIGESTS._items) == ids
