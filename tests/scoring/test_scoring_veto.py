"""单项否决 at their boundaries. Expected values come from the table, worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from scoring import (
    Column,
    DatedItem,
    Finding,
    Homepage,
    Message,
    PageItems,
    Probe,
    SiteFacts,
    score,
)
from tests.scoring.scoring_builders import T, census, column, healthy, item, probes, with_


def card(facts: SiteFacts, at: date = T):  # type: ignore[no-untyped-def]
    return score(facts, census(), at)


def veto(facts: SiteFacts, rule_id: str, at: date = T) -> bool:
    return card(facts, at).rule(rule_id).holds


# ------------------------------------------------------------------ veto.unreachable

# 2000 probes: 286 on each of 6 days and 284 on the 7th (each day ≥ 20).
COUNTS_2000 = [286] * 6 + [284]


def test_unreachable_just_below_five_percent() -> None:
    c = card(with_(healthy(), probes=probes(COUNTS_2000, {0: 99})))  # 99/2000 = 4.95 %
    r = c.rule("veto.unreachable")
    assert not r.holds
    assert r.figure == "2000 次监测中 99 次打不开，占 4.95%"
    assert c.verdict == "qualified"
    assert c.rule("availability.homepage").points == 20  # 4 whole percent × 5


def test_unreachable_at_exactly_five_percent() -> None:
    c = card(with_(healthy(), probes=probes(COUNTS_2000, {0: 60, 3: 40})))  # 100/2000 = 5 %
    assert c.rule("veto.unreachable").holds
    assert c.rule("veto.unreachable").figure == "2000 次监测中 100 次打不开，占 5.00%"
    assert c.verdict == "unqualified"
    # Already a veto: the deduction is not applied twice, and nothing is scored.
    assert c.rule("availability.homepage").points == 0
    assert not c.rule("availability.homepage").scored


def test_unreachable_499_of_10000_is_4_99_percent() -> None:
    counts = [1429] * 6 + [1426]  # 10000
    c = card(with_(healthy(), probes=probes(counts, {2: 499})))
    assert not c.rule("veto.unreachable").holds
    assert "占 4.99%" in c.rule("veto.unreachable").figure
    assert c.rule("availability.homepage").points == 20


def test_fifteen_seconds_is_a_failure_fourteen_point_nine_is_not() -> None:
    base = list(probes(20))  # 140 probes
    slow = [replace(p, total_ms=15000.0) for p in base[:7]]  # ok=True but 超过（含）15秒
    c = card(with_(healthy(), probes=(*slow, *base[7:])))
    assert c.rule("veto.unreachable").figure == "140 次监测中 7 次打不开，占 5.00%"
    assert c.rule("veto.unreachable").holds
    fast = [replace(p, total_ms=14999.0) for p in base[:7]]
    assert not veto(with_(healthy(), probes=(*fast, *base[7:])), "veto.unreachable")


def test_invalid_probes_are_excluded_and_short_days_make_it_provisional() -> None:
    good = probes(20)
    # The scanner's own network failed: 10 failing probes marked invalid on the last day.
    bad = tuple(
        Probe(datetime(2015, 6, 30, 2, i, tzinfo=UTC), ok=False, failure="connect", valid=False)
        for i in range(10)
    )
    c = card(with_(healthy(), probes=good + bad))
    assert c.rule("veto.unreachable").figure == "140 次监测中 0 次打不开，占 0.00%"
    assert not c.provisional
    c = card(with_(healthy(), probes=probes([20] * 6 + [19])))
    assert c.provisional
    assert c.reasons == ("2015-06-30 有效监测 19 次，少于每天 20 次",)


def test_probe_days_are_beijing_days() -> None:
    # The week for T = 06-30 is 06-24 … 06-30 (Beijing). 06-23 23:59 +08:00 = 15:59 UTC: out;
    # 06-24 00:00 +08:00 = 06-23 16:00 UTC: in.
    week = probes(20)
    out = Probe(datetime(2015, 6, 23, 15, 59, tzinfo=UTC), ok=False, failure="dns")
    inside = Probe(datetime(2015, 6, 23, 16, 0, tzinfo=UTC), ok=False, failure="dns")
    assert (
        card(with_(healthy(), probes=(*week, out)))
        .rule("veto.unreachable")
        .figure.startswith("140 次监测中 0 次")
    )
    assert (
        card(with_(healthy(), probes=(*week, inside)))
        .rule("veto.unreachable")
        .figure.startswith("141 次监测中 1 次")
    )


def test_failing_probes_are_evidence_with_local_time_and_kind() -> None:
    c = card(with_(healthy(), probes=probes(20, {6: 1})))
    ev = [e.to_dict() for e in c.rule("veto.unreachable").evidence if e.kind == "probe_failure"]
    assert ev == [
        {
            "kind": "probe_failure",
            "counted": True,
            "at": "2015-06-30T00:01:00+08:00",
            "failure": "timeout",
            "status_code": None,
            "total_ms": 15000.0,
        }
    ]


# ------------------------------------------------------------------ veto.homepage_stale


def homepage_with(*dates: date | None) -> Homepage:
    return Homepage(
        url="http://www.example.gov.cn/", items=tuple(item(f"h{i}", d) for i, d in enumerate(dates))
    )


def test_homepage_item_on_the_window_edge_counts() -> None:
    edge = with_(healthy(), homepage=homepage_with(T - timedelta(days=14)))
    assert not veto(edge, "veto.homepage_stale")
    outside = with_(healthy(), homepage=homepage_with(T - timedelta(days=15), None, None))
    c = card(outside)
    assert c.rule("veto.homepage_stale").holds
    assert "另有 2 条未注明发布时间" in c.rule("veto.homepage_stale").figure


def test_future_dated_homepage_item_is_not_an_update_at_t() -> None:
    assert veto(
        with_(healthy(), homepage=homepage_with(T + timedelta(days=1))), "veto.homepage_stale"
    )


def test_navigation_only_homepage_uses_second_level_pages() -> None:
    nav = Homepage(
        url="http://www.example.gov.cn/",
        navigation_only=True,
        second_level=(PageItems("http://www.example.gov.cn/xw/", (item("x", T),)),),
    )
    assert not veto(with_(healthy(), homepage=nav), "veto.homepage_stale")
    stale = replace(nav, second_level=(PageItems("http://www.example.gov.cn/xw/", ()),))
    assert veto(with_(healthy(), homepage=stale), "veto.homepage_stale")


# ------------------------------------------------------------------ veto.columns_stale


def stale_news(n: int) -> tuple[Column, ...]:
    return tuple(column(f"n{i}", "news", T - timedelta(days=15)) for i in range(n))


def stale_notices(n: int) -> tuple[Column, ...]:
    # Six months before 06-30 is 12-30: 12-29 is outside the window.
    return tuple(column(f"t{i}", "notice", date(2014, 12, 29)) for i in range(n))


def test_columns_stale_item1_four_vs_five() -> None:
    four = with_(healthy(), columns=healthy().columns + stale_news(2) + stale_notices(2))
    assert not veto(four, "veto.columns_stale")
    five = with_(healthy(), columns=healthy().columns + stale_news(2) + stale_notices(3))
    assert veto(five, "veto.columns_stale")


def test_columns_on_the_window_edge_are_updated() -> None:
    edge = (
        column("n", "news", T - timedelta(days=14)),
        *(column(f"t{i}", "notice", date(2014, 12, 30)) for i in range(4)),
        *stale_news(1),
    )
    c = card(with_(healthy(), columns=healthy().columns + edge))
    assert not c.rule("veto.columns_stale").holds
    assert c.rule("update.basic_info").points == 3  # only the one stale news column


def test_an_unreadable_homepage_is_not_judged_stale() -> None:
    # No read of the homepage succeeded in the window: 0 new items is unknown, not a veto.
    unread = with_(healthy(), homepage=Homepage(url="http://www.example.gov.cn/", readable=False))
    c = card(unread)
    assert not c.rule("veto.homepage_stale").holds
    assert c.rule("update.homepage_volume").points == 0
    assert c.provisional
    assert any("首页" in r for r in c.reasons)
    # The same empty homepage, read fine, is the veto.
    read = with_(healthy(), homepage=Homepage(url="http://www.example.gov.cn/"))
    assert card(read).rule("veto.homepage_stale").holds


def test_an_online_system_is_not_a_column_of_information() -> None:
    # 在线系统 that does not open is judged by service.online_systems (3 points), not counted
    # as a blank column nor as a column the scanner failed to read.
    down = column("sys", "online_system", None, readable=False)
    empty = column("sys2", "online_system", None, blank=True)
    c = card(with_(healthy(), columns=(*healthy().columns, down, empty)))
    assert not c.rule("veto.columns_stale").holds
    assert not c.provisional, c.reasons


def test_columns_stale_month_end_window() -> None:
    # T = 08-31: six months back is 02-28 (no 02-31); 02-28 inside, 02-27 outside.
    at = date(2015, 8, 31)
    base = healthy(at)
    inside = tuple(column(f"p{i}", "policy", date(2015, 2, 28)) for i in range(5))
    assert not veto(with_(base, columns=base.columns + inside), "veto.columns_stale", at)
    outside = tuple(column(f"p{i}", "policy", date(2015, 2, 27)) for i in range(5))
    assert veto(with_(base, columns=base.columns + outside), "veto.columns_stale", at)


def test_columns_stale_item2_nine_vs_ten() -> None:
    # other_info columns past their 1-year window (item 2 only: not in item 1's categories).
    old = date(2014, 6, 29)  # one day before T − 1 year
    nine = tuple(column(f"o{i}", "other_info", old) for i in range(9))
    assert not veto(with_(healthy(), columns=healthy().columns + nine), "veto.columns_stale")
    ten = (*nine, column("o9", "personnel", old))
    assert veto(with_(healthy(), columns=healthy().columns + ten), "veto.columns_stale")


def test_static_and_overridden_columns() -> None:
    old = date(2010, 1, 1)
    static = tuple(column(f"o{i}", "other_info", old, static=True) for i in range(10))
    assert not veto(with_(healthy(), columns=healthy().columns + static), "veto.columns_stale")


def test_columns_stale_item3_blank_four_vs_five() -> None:
    def blank(i: int, **kw: object) -> Column:
        return column(f"b{i}", "other_info", None, blank=True, static=True, **kw)

    four = tuple(blank(i) for i in range(4))
    assert not veto(with_(healthy(), columns=healthy().columns + four), "veto.columns_stale")
    five = (*four, blank(4))
    assert veto(with_(healthy(), columns=healthy().columns + five), "veto.columns_stale")
    # A blank column whose page says why it has no information, or that the operator
    # exempted, is reported but not counted.
    noted = (*four, blank(4, exempt_note="根据三定方案，本单位不产生此类信息"))
    c = card(with_(healthy(), columns=healthy().columns + noted))
    assert not c.rule("veto.columns_stale").holds
    assert any(
        e.kind == "excluded_column" and not e.counted for e in c.rule("veto.columns_stale").evidence
    )
    exempt = (*four, blank(4, exempt=True))
    assert not veto(with_(healthy(), columns=healthy().columns + exempt), "veto.columns_stale")


def test_unreadable_column_is_not_counted_but_makes_the_card_provisional() -> None:
    cols = (*stale_news(4), column("x", "news", None, readable=False, name="要闻"))
    c = card(with_(healthy(), columns=healthy().columns + cols))
    assert not c.rule("veto.columns_stale").holds
    assert c.provisional
    assert "栏目「要闻」无法读取（http://www.example.gov.cn/x/），未能判定" in c.reasons


def test_stale_column_evidence_names_the_newest_item() -> None:
    c = card(with_(healthy(), columns=healthy().columns + stale_news(1)))
    evidence = c.rule("veto.columns_stale").evidence
    # Counted under item 1 (动态要闻 2 weeks) and item 2 (should be updated) alike.
    assert [e.item for e in evidence if e.kind == "stale_column"] == ["1", "2"]
    (ev,) = [e for e in evidence if e.kind == "stale_column" and e.item == "1"]
    assert ev.to_dict() == {
        "kind": "stale_column",
        "counted": True,
        "item": "1",
        "note": "最新信息 2015-06-15「信息n0-1」，早于 2015-06-16",
        "column": "栏目n0",
        "url": "http://www.example.gov.cn/n0/",
        "category": "news",
        "window": "2 周",
        "window_start": "2015-06-16",
        "newest_date": "2015-06-15",
        "newest_title": "信息n0-1",
        "newest_url": "http://www.example.gov.cn/a/n0-1.html",
    }


def test_undated_items_never_update_a_column() -> None:
    col = Column(
        "u",
        "工作动态",
        "http://www.example.gov.cn/u/",
        "news",
        items=(DatedItem("http://www.example.gov.cn/u/1.html", "无日期"),),
    )
    assert (
        card(with_(healthy(), columns=(*healthy().columns, col))).rule("update.basic_info").points
        == 3
    )


# ------------------------------------------------------------------ veto.serious_error


def test_serious_error_only_when_confirmed() -> None:
    cand = Finding("serious_error", "candidate", "http://www.example.gov.cn/a.html", "习近平")
    c = card(with_(healthy(), findings=(cand,)))
    assert not c.rule("veto.serious_error").holds
    assert c.provisional and "严重错误 1 处待人工复核" in c.reasons
    assert veto(
        with_(healthy(), findings=(replace(cand, status="confirmed"),)), "veto.serious_error"
    )
    assert veto(
        with_(healthy(), findings=(Finding("false_content", "confirmed"),)), "veto.serious_error"
    )
    c = card(with_(healthy(), findings=(replace(cand, status="dismissed"),)))
    assert not c.rule("veto.serious_error").holds and not c.provisional


# ------------------------------------------------------------------ veto.unanswered


def msg(asked: date, reply: date | None = None, **kw: Any) -> Message:
    return Message(
        kw.pop("column_id", "mail"),
        f"http://www.example.gov.cn/mail/{asked}.html",
        "请问",
        asked_on=asked,
        answered_on=reply,
        **kw,
    )  # type: ignore[arg-type]


def test_open_message_asked_exactly_three_months_before_t_is_not_overdue() -> None:
    # asked 03-30, + 3 months = 06-30 = T: not strictly later.
    assert not veto(with_(healthy(), messages=(msg(date(2015, 3, 30)),)), "veto.unanswered")
    assert veto(with_(healthy(), messages=(msg(date(2015, 3, 29)),)), "veto.unanswered")


def test_month_end_asked_on_t_minus_three_months_can_be_overdue() -> None:
    # T = 05-31; T − 3 months = 02-28, but 02-28 + 3 months = 05-28 < T: overdue.
    at = date(2015, 5, 31)
    assert veto(with_(healthy(at), messages=(msg(date(2015, 2, 28)),)), "veto.unanswered", at)


def test_answer_on_the_deadline_is_in_time_a_day_later_is_not() -> None:
    asked = date(2015, 1, 31)  # + 3 months = 04-30
    on_time = msg(asked, date(2015, 4, 30))
    late = msg(asked, date(2015, 5, 1))
    assert not veto(with_(healthy(), messages=(on_time,)), "veto.unanswered")
    c = card(with_(healthy(), messages=(late,)))
    assert c.rule("veto.unanswered").holds
    (ev,) = c.rule("veto.unanswered").evidence
    assert ev.to_dict()["asked_on"] == "2015-01-31"
    assert ev.to_dict()["answered_on"] == "2015-05-01"
    assert ev.to_dict()["deadline"] == "2015-04-30"


def test_only_messages_asked_within_the_past_year() -> None:
    # T − 1 year = 2014-06-30 (included); 2014-06-29 is outside.
    assert veto(with_(healthy(), messages=(msg(date(2014, 6, 30)),)), "veto.unanswered")
    assert not veto(with_(healthy(), messages=(msg(date(2014, 6, 29)),)), "veto.unanswered")


def test_report_columns_are_exempt() -> None:
    old = msg(date(2015, 1, 1), column_id="report")
    assert not veto(with_(healthy(), messages=(old,)), "veto.unanswered")


def test_answered_without_a_date_counts_as_answered_with_a_note() -> None:
    c = card(with_(healthy(), messages=(msg(date(2015, 1, 1), answered=True),)))
    r = c.rule("veto.unanswered")
    assert not r.holds
    (ev,) = r.evidence
    assert ev.uncertain and not ev.counted and ev.kind == "undated_reply"
    assert any("未注明回复日期" in n for n in c.notes)


def test_a_reply_dated_after_t_did_not_exist_at_t() -> None:
    late = msg(date(2015, 1, 1), date(2015, 7, 15))
    assert veto(with_(healthy(), messages=(late,)), "veto.unanswered")
