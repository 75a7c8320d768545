"""Whole sites made by hand, with scorecards worked out by hand from the table."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from scoring import (
    RULE_IDS,
    Attachment,
    BrokenLink,
    Channel,
    Finding,
    Guide,
    Homepage,
    Message,
    OnlineSystem,
    PageItems,
    SiteFacts,
    score,
)
from tests.scoring.scoring_builders import ELEMENTS, T, census, column, healthy, item, probes, with_


def neglected_department() -> SiteFacts:
    """A county department site with many small problems but no veto."""
    base = healthy()
    return with_(
        base,
        site_type="department",
        probes=probes(24, {1: 4, 5: 3}),  # 7 of 168 = 4.17 % → 4 × 5 = 20
        homepage=Homepage(items=tuple(item(f"h{i}", T - timedelta(days=2 * i)) for i in range(6))),
        columns=(
            column("news", "news", T),
            column("news2", "news", T - timedelta(days=20)),  # basic_info (1): 3
            column("notice", "notice", T - timedelta(days=30)),
            column("policy", "policy", date(2014, 12, 1)),  # basic_info (2): 3
            column("personnel", "personnel", T - timedelta(days=100)),
            column("mail", "consult", None),
        ),
        broken_links=(
            BrokenLink("http://x/1.jpg", on_homepage=True, pages=("http://www.example.gov.cn/",)),
            BrokenLink("http://x/2.htm", on_homepage=True, pages=("http://www.example.gov.cn/",)),
            BrokenLink("http://x/3.htm", pages=("http://www.example.gov.cn/a/1.html",)),
            BrokenLink("http://x/4.htm", pages=("http://www.example.gov.cn/a/2.html",)),
            BrokenLink("http://x/5.htm", pages=("http://www.example.gov.cn/a/3.html",)),
        ),  # 2 × 1 + 3 × 0.1 = 2.3
        surveys=Channel(exists=True, activities=(item("s1", T), item("s2", T))),  # 2 < 3: 3
        interviews=Channel(),  # no column: the table does not deduct
        guides=(Guide("http://www.example.gov.cn/bs/1.html", "A", ELEMENTS - {"办理时间"}),),
        attachments=(Attachment("申请表", offered=False),),  # 1
    )


def test_neglected_department_is_qualified_with_39_3_points() -> None:
    c = score(neglected_department(), census(), T)
    expected = {
        "availability.homepage": Decimal(20),
        "availability.links": Decimal("2.3"),
        "update.homepage_volume": Decimal(5),
        "update.basic_info": Decimal(6),
        "interaction.consult": Decimal(0),
        "interaction.survey": Decimal(3),
        "interaction.interview": Decimal(0),
        "service.guide": Decimal(2),
        "service.attachments": Decimal(1),
        "service.online_systems": Decimal(0),
    }
    assert {o.id: o.points for o in c.rules if o.kind == "deduction"} == expected
    assert not any(o.holds for o in c.rules if o.kind == "veto")
    assert c.total_deduction == Decimal("39.3")
    assert c.verdict == "qualified"
    assert not c.provisional
    assert c.rule("veto.unreachable").figure == "168 次监测中 7 次打不开，占 4.17%"


def test_vetoed_site_shows_deductions_as_not_scored() -> None:
    facts = with_(
        healthy(),
        messages=(
            Message(
                "mail",
                "http://www.example.gov.cn/mail/9.html",
                "何时办结",
                asked_on=date(2015, 2, 1),
            ),
        ),  # open; deadline 05-01 < T
        online_systems=(
            OnlineSystem("申报", "http://a/", False),
            OnlineSystem("查询", "http://b/", False),
        ),
    )
    c = score(facts, census(), T)
    assert c.verdict == "unqualified"
    assert c.vetoed
    assert [o.id for o in c.rules if o.holds and o.kind == "veto"] == ["veto.unanswered"]
    assert c.total_deduction == 0
    assert c.deduction_not_scored == 6
    d = c.to_dict()
    assert d["rules"]["service.online_systems"]["scored"] is False
    assert d["rules"]["service.online_systems"]["status"] == "不计分"
    assert d["rules"]["service.online_systems"]["points"] == 6
    assert d["rules"]["veto.unanswered"]["status"] == "单项否决"
    assert d["notes"][0] == "单项否决：互动回应差，判定为不合格网站，以下扣分指标不计分"
    (ev,) = d["rules"]["veto.unanswered"]["evidence"]
    assert ev["asked_on"] == "2015-02-01" and ev["answered_on"] is None
    assert ev["deadline"] == "2015-05-01" and ev["state"] == "open"


def test_navigation_only_portal_with_short_coverage_is_provisional() -> None:
    nav = Homepage(
        url="http://www.example.gov.cn/",
        navigation_only=True,
        second_level=(
            PageItems("http://www.example.gov.cn/xw/", tuple(item(f"x{i}", T) for i in range(6))),
            PageItems("http://www.example.gov.cn/gg/", tuple(item(f"g{i}", T) for i in range(6))),
        ),
    )
    facts = with_(
        healthy(),
        homepage=nav,
        probes=probes([24, 24, 18, 24, 24, 24, 24]),
        findings=(Finding("serious_error", "candidate", "http://www.example.gov.cn/a.html"),),
    )
    c = score(facts, census(), T)
    assert c.verdict == "qualified"
    assert c.total_deduction == 0
    assert c.provisional
    assert c.reasons == ("2015-06-26 有效监测 18 次，少于每天 20 次", "严重错误 1 处待人工复核")
    assert "二级页面栏目新增信息 12 条" in c.rule("update.homepage_volume").figure


def test_json_contract_shape() -> None:
    c = score(neglected_department(), census(), T)
    d = json.loads(json.dumps(c.to_dict(), ensure_ascii=False))
    assert d["verdict"] == "qualified" and d["verdict_label"] == "合格"
    assert d["provisional"] is False and d["reasons"] == []
    assert d["total_deduction"] == 39.3
    assert d["at"] == "2015-06-30"
    assert d["ruleset"] == {"id": "census-2015", "version": "2015.1"}
    assert list(d["rules"]) == list(RULE_IDS)
    for rule_id, r in d["rules"].items():
        assert {"holds", "points", "figure", "evidence", "scored"} <= set(r), rule_id
        assert isinstance(r["figure"], str) and r["figure"]
        if r["kind"] == "veto":
            assert r["points"] is None
    links = d["rules"]["availability.links"]["evidence"]
    assert {e["target"] for e in links if e["item"] == "1"} == {"http://x/1.jpg", "http://x/2.htm"}
    assert d["rules"]["update.basic_info"]["provenance"]["level"] == "unverified"
