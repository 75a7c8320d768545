"""Database rows → SiteFacts, against the hand-built fixture; the expected facts are written out
by hand from the rows in conftest.py (and the rules of docs/scorecards.md), not by the mapper."""

from __future__ import annotations

from datetime import date

import pytest

from scanner.scorecards import load_site_inputs, score_sites, window_for
from scanner.scorecards.compute import score_input
from scanner.scorecards.facts import COLUMNS, INTERACTION, LINKS, SiteInput
from scoring import (
    Attachment,
    BrokenLink,
    Channel,
    Column,
    DatedItem,
    Finding,
    Guide,
    Homepage,
    Message,
    OnlineSystem,
    PageItems,
    Probe,
    default_ruleset_path,
    load_ruleset,
)
from tests.scorecards.conftest import Built, T, cst

RULESET = load_ruleset(default_ruleset_path())
A = "http://www.a.gov.cn/"


def inputs(built: Built, at: date = T) -> dict[str, SiteInput]:
    with built.db.session() as s:
        loaded = load_site_inputs(
            s, [built.ids["A"], built.ids["B"], built.ids["C"]], window_for(RULESET, at)
        )
    return {i.facts.code[-1]: i for i in loaded}  # "1" → A, "2" → B, "3" → C


def expected_a(ids: dict[str, int]) -> dict[str, object]:
    n1 = DatedItem(f"{A}gzdt/n1.html", "新闻1", date(2026, 2, 27))
    n2 = DatedItem(f"{A}gzdt/n2.html", "新闻2", date(2026, 2, 20))
    return {
        # Successes per Beijing day share one record at local noon; the rest as stored.
        "probes": (
            Probe(cst(2026, 2, 23, 12), True, None, True, None, 200),
            Probe(cst(2026, 3, 1, 12), True, None, True, None, 200),
            Probe(cst(2026, 2, 28, 23, 30), True, None, False, 200.0, 200),
            Probe(cst(2026, 3, 1, 10), True, None, True, 16000.0, 200),
            Probe(cst(2026, 3, 1, 11), False, "timeout", True, 15000.0, None),
        ),
        # a column never read by T has no 读取方式 (""); the others were read from the markup
        "columns": (
            Column(
                ids["c1"],
                "工作动态",
                f"{A}gzdt/",
                "news",
                newest_date=date(2026, 2, 27),
                newest_title="新闻1",
                newest_url=f"{A}gzdt/n1.html",
                items=(n1, n2),
            ),
            Column(
                ids["c2"],
                "通知公告",
                f"{A}tzgg/",
                "notice",
                exempt=True,
                readable=False,
                read_via="",
            ),
            Column(ids["c3"], "领导信箱", f"{A}ldxx/", "consult", readable=False, read_via=""),
            Column(
                ids["c4"],
                "财政预决算",
                f"{A}czyjs/",
                "other_info",
                static=True,
                blank=True,
                exempt_note="本单位不产生此类信息",
            ),
            Column(ids["c5"], "意见征集", f"{A}yjzj/", "survey", readable=False, read_via=""),
            Column(ids["c6"], "办事指南", f"{A}bszn/", "guide", readable=False, read_via=""),
            Column(
                ids["c7"], "网上办事", f"{A}wsbs/", "online_system", readable=False, read_via=""
            ),
        ),
        "homepage": Homepage(
            A,
            (n1,),
            navigation_only=True,
            # Set by the operator: the pages read from the homepage (none stored) and the columns.
            second_level=(
                PageItems(A, ()),
                PageItems(f"{A}gzdt/", (n1, n2)),
                PageItems(f"{A}czyjs/", ()),
            ),
        ),
        "broken_links": (
            BrokenLink(
                f"{A}dead.html",
                on_homepage=True,
                pages=(A, f"{A}gzdt/"),
                status_code=404,
                kind="not_found",
                confirmed=True,
            ),
            BrokenLink(
                f"{A}soft.html",
                on_second_level=True,
                pages=(f"{A}gzdt/",),
                status_code=200,
                kind="soft404",
                confirmed=False,
            ),
        ),
        "findings": (
            Finding(
                "serious_error", "confirmed", f"{A}x.html", "错字", "领导人姓名写错", ids["finding"]
            ),
        ),
        "messages": (
            Message(ids["c3"], f"{A}ldxx/m1", "m1", date(2026, 1, 5), date(2026, 1, 10), True),
            Message(ids["c3"], f"{A}ldxx/m2", "m2", date(2025, 10, 1), None, False),
            Message(ids["c3"], f"{A}ldxx/m3", "m3", date(2026, 2, 1), None, True, valid=False),
        ),
        "surveys": Channel(
            exists=True,
            usable=False,
            activities=(DatedItem(f"{A}yjzj/1.html", "征集一", date(2026, 1, 15)),),
            url=f"{A}yjzj/",
        ),
        "interviews": Channel(exists=False),
        "guides": (Guide(f"{A}bszn/1.html", "事项一", frozenset({"事项名称", "办理地点"})),),
        "attachments": (
            Attachment("申请表", f"{A}bszn/1.html", "", offered=False, downloads_ok=None),
            Attachment("承诺书", f"{A}bszn/1.html", f"{A}f.doc", offered=True, downloads_ok=False),
        ),
        "online_systems": (OnlineSystem("网上办事", f"{A}wsbs/", False),),
    }


def check_site_a(built: Built) -> None:
    got = inputs(built)["1"]
    assert got.site_id == built.ids["A"]
    assert got.not_run == frozenset()
    facts = got.facts
    assert (facts.code, facts.name, facts.url, facts.site_type) == (
        "9900000001", "甲市人民政府", A, "portal",
    )  # fmt: skip
    for name, value in expected_a(built.ids).items():
        assert getattr(facts, name) == value, name


def test_site_with_every_kind_of_row(built: Built) -> None:
    check_site_a(built)


def test_same_facts_from_postgresql(pg_built: Built) -> None:
    """The driver's raw values differ (dates, booleans, JSON); the facts must not."""
    check_site_a(pg_built)


def test_checks_not_run_are_reported(built: Built) -> None:
    got = inputs(built)
    # B: registered, never read, never crawled, never checked.
    assert got["2"].not_run == {COLUMNS, LINKS, INTERACTION}
    assert got["2"].facts.probes == ()
    assert got["2"].facts.columns[0].readable is False
    # C: columns read; no interaction or service column, so nothing was left to open.
    assert got["3"].not_run == {LINKS}
    assert got["3"].facts.surveys == Channel(exists=False)
    assert got["3"].facts.columns[0].newest_date == date(2026, 2, 1)
    # Its homepage reads detected navigation-only in the window (the older read did not count):
    # the second-level entry and its column stand in for the homepage.
    home = got["3"].facts.homepage
    assert home.navigation_only is True and home.items == ()
    assert home.second_level[0] == PageItems(
        "http://www.c.gov.cn/",
        (DatedItem("http://www.c.gov.cn/tzgg/1.html", "二级页面通知", date(2026, 2, 25)),),
    )
    # Read on 1 of the 15 days 02-15 … 03-01: the card says its count may be short.
    assert got["3"].reasons == (
        "首页读取不足：2026-02-15 至 2026-03-01 共 15 天，读取到首页的 1 天，首页新增信息可能漏计",
    )
    assert got["1"].reasons == ()  # no homepage snapshots stored for A (older data)


def test_an_earlier_monitoring_point_sees_only_what_existed(built: Built) -> None:
    facts = inputs(built, date(2026, 2, 26))["1"].facts
    # The 02-28 snapshot did not exist yet: the 02-20 one (unreadable) is the latest.
    assert facts.columns[0].readable is False
    # The 02-25 crawl is the latest finished one by then; its broken link is on another page.
    assert [link.target for link in facts.broken_links] == [f"{A}gone.html"]
    # Probes of 02-20 … 02-26: the 02-23 success, and the 02-22 23:59 timeout (in this week).
    assert [(p.ok, p.started_at) for p in facts.probes] == [
        (True, cst(2026, 2, 23, 12)),
        (False, cst(2026, 2, 22, 23, 59)),
    ]


def test_never_charged_for_checks_not_run(built: Built) -> None:
    with built.db.session() as s:
        (b,) = load_site_inputs(s, [built.ids["B"]], window_for(RULESET, T))
    card = score_input(b, RULESET, T)
    assert card.verdict == "qualified" and card.total_deduction == 0
    assert card.provisional
    for reason in ("栏目更新检查尚未运行", "链接检查尚未运行", "互动/服务类检查尚未运行"):
        assert reason in card.reasons
    for rule_id in ("veto.homepage_stale", "veto.columns_stale", "interaction.consult"):
        assert not card.rule(rule_id).holds
        assert card.rule(rule_id).figure.startswith("未检查")


def test_homepage_read_gaps_make_the_card_provisional(built: Built) -> None:
    with built.db.session() as s:
        (c,) = load_site_inputs(s, [built.ids["C"]], window_for(RULESET, T))
    card = score_input(c, RULESET, T)
    assert card.provisional and c.reasons[0] in card.reasons
    # The second-level entry of 02-25 is a new item in the 2 weeks: no 网站不更新 veto.
    assert not card.rule("veto.homepage_stale").holds


def test_scored_body_marks_unchecked_rules(built: Built) -> None:
    with built.db.session() as s:
        (scored,) = list(score_sites(s, [built.ids["B"]], RULESET, T))
    rules = scored.body["rules"]
    assert rules["availability.links"]["status"] == "未检查"
    assert rules["availability.links"]["checked"] is False
    assert rules["availability.homepage"].get("checked", True) is True
    assert scored.body["checks_not_run"] == ["columns", "interaction", "links"]


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_chunking_does_not_change_the_facts(built: Built, chunk: int) -> None:
    from scanner.scorecards.facts import iter_site_inputs

    ids = [built.ids["C"], built.ids["A"], built.ids["B"]]
    with built.db.session() as s:
        got = list(iter_site_inputs(s, ids, window_for(RULESET, T), chunk=chunk))
        whole = list(iter_site_inputs(s, ids, window_for(RULESET, T)))
    assert [i.site_id for i in got] == ids
    assert got == whole


def test_no_homepage_read_in_the_window_the_latest_before_decides(built: Built) -> None:
    # T = 03-20: the window 03-06 … 03-20 has no read; the latest readable one (02-20) detected
    # navigation-only, and not one of the window's 15 days was read.
    got = inputs(built, date(2026, 3, 20))["3"]
    assert got.facts.homepage.navigation_only is True
    assert got.reasons == (
        "首页读取不足：2026-03-06 至 2026-03-20 共 15 天，读取到首页的 0 天，首页新增信息可能漏计",
    )
    # T = 02-12: the 02-10 read (dated entries seen) is the only one inside: not navigation-only.
    assert inputs(built, date(2026, 2, 12))["3"].facts.homepage.navigation_only is False
