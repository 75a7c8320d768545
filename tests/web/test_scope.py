"""Region scoping: a county official sees its county and nothing else — by page, download or
API — and a site outside the region answers exactly like one that does not exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from scanner.db import Database
from scanner.db.models import Finding, FindingStatus, Site
from tests.web.conftest import (
    CITY_SITE,
    DONGHU_SITE,
    PASSWORD,
    QINGSHAN_SITES,
    QS_PORTAL,
    T,
    Web,
)


def _findings(url: str) -> dict[str, list[int]]:
    """Finding ids per site code, straight from the database."""
    db = Database(url)
    with db.session() as s:
        rows = s.execute(select(Site.code, Finding.id).join(Site, Finding.site_id == Site.id))
        out: dict[str, list[int]] = {}
        for code, finding_id in rows:
            out.setdefault(code, []).append(finding_id)
    db.dispose()
    return out


async def test_api_lists_exactly_the_region_sites(web: Web, as_user: Any) -> None:
    async with as_user("qs_viewer") as (client, _):
        listed = (await client.get("/api/sites")).json()
    assert {s["code"] for s in listed["sites"]} == QINGSHAN_SITES
    assert listed["at"] == T.isoformat()
    async with as_user("city_admin") as (client, _):
        listed = (await client.get("/api/sites")).json()
    assert {s["code"] for s in listed["sites"]} == QINGSHAN_SITES | {DONGHU_SITE, CITY_SITE}


async def test_another_county_is_a_404_like_a_missing_site(web: Web, as_user: Any) -> None:
    async with as_user("qs_viewer") as (client, _):
        for template in (
            "/api/sites/{}/scorecard?at=2026-03-01",
            "/api/sites/{}/scorecard",
            "/sites/{}",
            "/sites/{}?at=2026-03-01",
            "/sites/{}/scorecard.xlsx?at=2026-03-01",
            "/sites/{}/scorecard.json",
        ):
            foreign = await client.get(template.format(DONGHU_SITE))
            missing = await client.get(template.format("0000000000"))
            assert foreign.status_code == missing.status_code == 404, template
            assert foreign.content == missing.content, template
            assert "东湖" not in foreign.text
        # The city's own site is above the county: invisible too.
        assert (await client.get(f"/sites/{CITY_SITE}")).status_code == 404
        # Lists, filters and searches never leak it.
        for query in (f"q={DONGHU_SITE}", "org=910102", "q=东湖", "org=910100"):
            page = await client.get(f"/sites?{query}")
            assert page.status_code == 200 and f"/sites/{DONGHU_SITE}" not in page.text, query
            assert "共 0 个网站" in page.text or "东湖区人民政府" not in page.text, query
            api = (await client.get(f"/api/sites?{query}")).json()
            assert DONGHU_SITE not in {s["code"] for s in api["sites"]}, query
        overview = (await client.get("/api/overview")).json()
        assert overview["sites"] == len(QINGSHAN_SITES)


async def test_another_county_findings_are_invisible(web: Web, as_user: Any) -> None:
    by_site = _findings(web.url)
    foreign = by_site[DONGHU_SITE]
    own = by_site[QS_PORTAL]
    assert foreign and own  # the farm's forbidden words were found on both portals
    async with as_user("qs_reviewer") as (client, csrf):
        queue = await client.get("/review?status=all")
        listed = (await client.get("/api/findings?status=all")).json()
        assert {f["id"] for f in listed} == {i for c in QINGSHAN_SITES for i in by_site.get(c, [])}
        for finding_id in foreign:
            assert f'href="/review/{finding_id}"' not in queue.text
            assert (await client.get(f"/review/{finding_id}")).status_code == 404
            assert (await client.get(f"/api/findings/{finding_id}")).status_code == 404
            decided = await client.post(
                f"/review/{finding_id}",
                data={"decision": "confirm", "reason": "越权", "csrf_token": csrf},
            )
            assert decided.status_code == 404
        # A 问责 record naming another county's site is refused as if the site did not exist.
        refused = await client.post(
            "/reports/accountability",
            data={"target": "某人", "form": "interview", "taken_on": "2026-03-02",
                  "site": DONGHU_SITE, "csrf_token": csrf},
        )  # fmt: skip
        assert refused.status_code == 404
    db = Database(web.url)
    with db.session() as s:
        statuses = set(s.scalars(select(Finding.status).where(Finding.id.in_(foreign))))
    db.dispose()
    assert statuses == {FindingStatus.CANDIDATE}


async def test_a_viewer_cannot_act_as_a_reviewer(web: Web, as_user: Any) -> None:
    own = _findings(web.url)[QS_PORTAL][0]
    async with as_user("qs_viewer") as (client, csrf):
        page = await client.get(f"/review/{own}")
        assert page.status_code == 200 and 'name="decision"' not in page.text
        for path, data in (
            (f"/review/{own}", {"decision": "confirm", "reason": "我是查看员"}),
            ("/reports/sampling", {"year": "2026", "quarter": "1", "ratio": "50"}),
            ("/reports/accountability",
             {"target": "某人", "form": "interview", "taken_on": "2026-03-02"}),
            ("/users", {"username": "x1", "password": "password123", "org": "910121",
                        "role": "admin"}),
        ):  # fmt: skip
            answer = await client.post(path, data={**data, "csrf_token": csrf})
            assert answer.status_code == 403, path
        assert (await client.get("/users")).status_code == 403
    db = Database(web.url)
    with db.session() as s:
        assert s.get(Finding, own).status == FindingStatus.CANDIDATE  # type: ignore[union-attr]
    db.dispose()


async def test_an_admin_manages_users_only_within_its_region(web: Web, as_user: Any) -> None:
    async with as_user("city_admin") as (client, csrf):
        page = await client.get("/users")
        assert "qs_viewer" in page.text and "dh_reviewer" in page.text
        above = await client.post(
            "/users",
            data={"username": "prov_user", "password": "password123", "org": "910000",
                  "role": "admin", "csrf_token": csrf},
        )  # fmt: skip
        assert above.status_code == 404
        made = await client.post(
            "/users",
            data={"username": "qs_new", "password": PASSWORD, "org": "910121",
                  "role": "viewer", "csrf_token": csrf},
        )  # fmt: skip
        assert made.status_code == 303
    async with as_user("qs_new") as (client, _):
        listed = (await client.get("/api/sites")).json()
        assert {s["code"] for s in listed["sites"]} == QINGSHAN_SITES
