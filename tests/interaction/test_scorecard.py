"""End to end: what ``census check`` stored, scored by ``census scorecard`` (rules of issue 5).

The scorecard reads our tables through ``scanner/scorecards/facts.py``; this checks that the
facts land in the rules they feed, with the figures the farm's truth implies."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from farm.interaction import LONGXI
from scanner.cli.app import app
from tests.interaction.conftest import AT, Checked


def _card(checked: Checked, code: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app,
        ["scorecard", code, "--at", AT.isoformat(), "--json", "--database-url", checked.db.url],
    )
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    return {r["id"]: r for r in card["rules"]} if isinstance(card["rules"], list) else card["rules"]


def test_unanswered_veto_follows_the_stored_messages(checked: Checked) -> None:
    jyj = _card(checked, "9101210002")
    assert jyj["veto.unanswered"]["holds"] is True
    baishan = _card(checked, "9101220001")
    rule = baishan["veto.unanswered"]
    assert rule["holds"] is True and "未回应 2 条" in rule["figure"]
    assert _card(checked, "9101210001")["veto.unanswered"]["holds"] is False


def test_services_and_channels_follow_the_stored_facts(checked: Checked) -> None:
    fgw = _card(checked, "9101000002")
    assert fgw["service.online_systems"]["holds"] is True
    assert "不能访问 1 个" in fgw["service.online_systems"]["figure"]
    assert "缺失要素 7 类次" in fgw["service.guide"]["figure"]
    assert "提及但未提供下载 2 个，无法下载 4 个" in fgw["service.attachments"]["figure"]
    assert fgw["interaction.consult"]["holds"] is True  # a column, no message in the year
    baishan = _card(checked, "9101220001")
    assert baishan["interaction.interview"]["holds"] is True  # the column does not open
    assert "4 次" in baishan["interaction.survey"]["figure"]
    # content candidates wait for review: no veto, but they are listed
    assert baishan["veto.serious_error"]["holds"] is False
    assert "6 处待人工复核" in baishan["veto.serious_error"]["figure"]


def test_unanswered_veto_on_lonsun_letters_names_its_evidence(checked: Checked) -> None:
    """龙溪县 (lonsun letter lists, letter pages with 智能预答复): the veto holds, and its evidence
    is exactly the farm's overdue letters — two with only a pre-reply, one answered late on the
    office's reply date — plus the undated reply, marked uncertain and not counted."""
    truths = {t.title: t for t in checked.farm.truth.messages(LONGXI)}
    rule = _card(checked, "9101230001")["veto.unanswered"]
    assert rule["holds"] is True and "未回应 3 条" in rule["figure"]
    got = {e["url"]: e for e in rule["evidence"]}
    counted = {u for u, e in got.items() if e["counted"]}
    overdue = ("农村饮水安全问题反映", "拖欠农民工工资问题", "出租车乱收费问题")
    assert counted == {truths[t].url for t in overdue}
    for title in overdue:
        e, t = got[truths[title].url], truths[title]
        assert e["asked_on"] == t.asked.isoformat()
        assert e["answered_on"] == (t.answered.isoformat() if t.answered else None)
        assert e["state"] == ("answered_late" if t.answered else "open")
    undated = got[truths["不动产登记办理时限"].url]
    assert undated["counted"] is False and undated["uncertain"] is True
    assert len(got) == 4
