"""扣分 rows at their boundaries; points worked out by hand from the table."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from scoring import (
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
    default_ruleset_path,
    score,
)
from scoring.ruleset import load_ruleset
from tests.scoring.scoring_builders import ELEMENTS, T, census, column, healthy, item, probes, with_


def points(facts: SiteFacts, rule_id: str, at: date = T) -> Decimal | None:
    return score(facts, census(), at).rule(rule_id).points


# ------------------------------------------------------------------ availability.homepage


def test_homepage_availability_per_whole_percent() -> None:
    per_day = [30] * 6 + [20]  # 200 probes
    assert points(with_(healthy(), probes=probes(per_day, {0: 1})), "availability.homepage") == 0
    assert points(with_(healthy(), probes=probes(per_day, {0: 2})), "availability.homepage") == 5
    assert points(with_(healthy(), probes=probes(per_day, {0: 3})), "availability.homepage") == 5
    assert points(with_(healthy(), probes=probes(per_day, {0: 8})), "availability.homepage") == 20
    # 9.5/200 is not possible; 9/200 = 4.5 % → 4 whole percent → 20 points.
    assert points(with_(healthy(), probes=probes(per_day, {0: 9})), "availability.homepage") == 20


# ------------------------------------------------------------------ availability.links


def link(target: str, *pages: str, home: bool = False, **kw: object) -> BrokenLink:
    return BrokenLink(target, on_homepage=home, pages=pages, **kw)  # type: ignore[arg-type]


def test_links_one_point_on_the_homepage_a_tenth_elsewhere() -> None:
    links = (
        link("http://x.gov.cn/a.jpg", "http://www.example.gov.cn/", home=True),
        link("http://x.gov.cn/b.doc", "http://www.example.gov.cn/p1.html"),
        link("http://x.gov.cn/c.htm", "http://www.example.gov.cn/p2.html"),
        link("http://x.gov.cn/d.htm", "http://www.example.gov.cn/p3.html"),
    )
    assert points(with_(healthy(), broken_links=links), "availability.links") == Decimal("1.3")


def test_a_broken_target_counts_once_and_under_the_homepage_if_it_is_there() -> None:
    footer = "http://www.example.gov.cn/img/footer.png"
    links = (
        link(footer, *(f"http://www.example.gov.cn/p{i}.html" for i in range(500))),
        link(footer, "http://www.example.gov.cn/", home=True),
        link("http://x.gov.cn/e.htm", "http://www.example.gov.cn/p1.html"),
        link("http://x.gov.cn/e.htm", "http://www.example.gov.cn/p2.html"),
    )
    c = score(with_(healthy(), broken_links=links), census(), T)
    assert c.rule("availability.links").points == Decimal("1.1")
    (home,) = [e for e in c.rule("availability.links").evidence if e.item == "1"]
    assert home.detail["target"] == footer and len(home.detail["pages"]) == 501


def test_occurrence_counting_charges_every_occurrence_not_only_the_evidence_kept(
    tmp_path: Path,
) -> None:
    """``count: occurrence``: a deep link costs 0.1 each time the crawl found it, although its
    evidence keeps at most `link_max_occurrences` pages; a homepage link still costs 1."""
    text = default_ruleset_path().read_text(encoding="utf-8")
    assert text.count("count: distinct_target") == 1
    path = tmp_path / "occurrence.yaml"
    path.write_text(text.replace("count: distinct_target", "count: occurrence"), "utf-8")
    ruleset = load_ruleset(path)
    footer = link("http://x.gov.cn/footer.jpg", "http://www.example.gov.cn/p1.html",
                  "http://www.example.gov.cn/p2.html", occurrences=57)  # fmt: skip
    known = link(
        "http://x.gov.cn/b.doc", *(f"http://www.example.gov.cn/q{i}.html" for i in range(3))
    )
    home = link("http://x.gov.cn/a.jpg", "http://www.example.gov.cn/", home=True, occurrences=9)
    facts = with_(healthy(), broken_links=(footer, known, home))
    got = score(facts, ruleset, T).rule("availability.links").points
    assert got == Decimal("1") + Decimal("5.7") + Decimal("0.3")  # 1 + 57 × 0.1 + 3 × 0.1
    # The shipped ruleset counts each distinct target once.
    assert points(facts, "availability.links") == Decimal("1.2")


def test_unconfirmed_links_do_not_count() -> None:
    links = (link("http://x.gov.cn/a", "http://www.example.gov.cn/", home=True, confirmed=False),)
    assert points(with_(healthy(), broken_links=links), "availability.links") == 0


def test_navigation_only_homepage_counts_second_level_links_as_homepage_links() -> None:
    nav = Homepage(
        url="http://www.example.gov.cn/",
        navigation_only=True,
        second_level=(
            PageItems("http://www.example.gov.cn/xw/", tuple(item(f"x{i}", T) for i in range(10))),
        ),
    )
    links = (
        link("http://x.gov.cn/a", "http://www.example.gov.cn/xw/", on_second_level=True),
        link("http://x.gov.cn/b", "http://www.example.gov.cn/xw/1.html"),
    )
    facts = with_(healthy(), homepage=nav, broken_links=links)
    assert points(facts, "availability.links") == Decimal("1.1")
    # The same site, not navigation-only: the second-level link is an "other page" link.
    facts = with_(healthy(), broken_links=links)
    assert points(facts, "availability.links") == Decimal("0.2")


# ------------------------------------------------------------------ update.homepage_volume


def test_homepage_volume_nine_vs_ten() -> None:
    def home(n: int) -> Homepage:
        return Homepage(items=tuple(item(f"h{i}", T - timedelta(days=i)) for i in range(n)))

    assert points(with_(healthy(), homepage=home(9)), "update.homepage_volume") == 5
    assert points(with_(healthy(), homepage=home(10)), "update.homepage_volume") == 0


def test_homepage_volume_counts_distinct_items_in_the_window() -> None:
    same = tuple(item("dup", T) for _ in range(10))
    old = tuple(item(f"o{i}", T - timedelta(days=15)) for i in range(10))
    undated = tuple(item(f"u{i}", None) for i in range(10))
    hp = Homepage(items=same + old + undated)
    c = score(with_(healthy(), homepage=hp), census(), T)
    assert c.rule("update.homepage_volume").points == 5
    assert "新增信息 1 条" in c.rule("update.homepage_volume").figure


def test_zero_homepage_items_is_the_veto_not_a_deduction() -> None:
    c = score(with_(healthy(), homepage=Homepage()), census(), T)
    assert c.rule("veto.homepage_stale").holds
    assert c.rule("update.homepage_volume").points == 0


# ------------------------------------------------------------------ update.basic_info


def test_basic_info_three_points_per_stale_column_by_category_window() -> None:
    cols = (
        column("n1", "news", T - timedelta(days=15)),  # (1) stale: 3
        column("n2", "news", T - timedelta(days=14)),  # (1) on the edge: fresh
        column("t1", "notice", date(2014, 12, 29)),  # (2) stale: 3
        column("t2", "policy", date(2014, 12, 30)),  # (2) edge: fresh
        column("r1", "personnel", date(2014, 6, 29)),  # (3) stale: 3
        column("r2", "planning", date(2014, 6, 30)),  # (3) edge: fresh
        column("o1", "other_info", date(2010, 1, 1)),  # not a basic_info category
    )
    facts = with_(healthy(), columns=(*healthy().columns, *cols))
    assert points(facts, "update.basic_info") == 9


def test_basic_info_inaccurate_findings_one_point_each_when_confirmed() -> None:
    findings = (
        Finding("inaccurate_basic_info", "confirmed", "http://www.example.gov.cn/jg/"),
        Finding("inaccurate_basic_info", "confirmed", "http://www.example.gov.cn/ld/"),
        Finding("inaccurate_basic_info", "candidate", "http://www.example.gov.cn/gk/"),
        Finding("inaccurate_basic_info", "dismissed"),
    )
    c = score(with_(healthy(), findings=findings), census(), T)
    assert c.rule("update.basic_info").points == 2
    assert c.provisional


# ------------------------------------------------------------------ interaction.consult


def test_consult_no_column_five() -> None:
    cols = tuple(c for c in healthy().columns if c.category != "consult")
    assert points(with_(healthy(), columns=cols, messages=()), "interaction.consult") == 5


def test_consult_no_valid_message_in_the_past_year_five() -> None:
    old = Message("mail", "u1", asked_on=date(2014, 6, 29), answered_on=date(2014, 7, 1))
    spam = Message("mail", "u2", asked_on=T, valid=False)
    assert points(with_(healthy(), messages=(old, spam)), "interaction.consult") == 5
    edge = Message("mail", "u3", asked_on=date(2014, 6, 30), answered_on=date(2014, 7, 1))
    assert points(with_(healthy(), messages=(edge,)), "interaction.consult") == 0


# ------------------------------------------------------------------ interaction.survey


def surveys(n: int, **kw: object) -> Channel:
    acts = tuple(item(f"s{i}", T - timedelta(days=10 * i)) for i in range(n))
    return Channel(exists=True, activities=acts, **kw)  # type: ignore[arg-type]


def test_survey_portal_five_vs_six() -> None:
    assert points(with_(healthy(), surveys=surveys(5)), "interaction.survey") == 3
    assert points(with_(healthy(), surveys=surveys(6)), "interaction.survey") == 0


def test_survey_other_sites_two_vs_three() -> None:
    dept = with_(healthy(), site_type="department")
    assert points(with_(dept, surveys=surveys(2)), "interaction.survey") == 3
    assert points(with_(dept, surveys=surveys(3)), "interaction.survey") == 0
    # A State Council department's portal registered as "department" can be flagged.
    assert points(with_(dept, major_portal=True, surveys=surveys(3)), "interaction.survey") == 3


def test_survey_missing_unusable_or_idle_five() -> None:
    assert points(with_(healthy(), surveys=Channel()), "interaction.survey") == 5
    assert points(with_(healthy(), surveys=surveys(6, usable=False)), "interaction.survey") == 5
    old = Channel(exists=True, activities=(item("s", date(2014, 6, 29)), item("u", None)))
    assert points(with_(healthy(), surveys=old), "interaction.survey") == 5


# ------------------------------------------------------------------ interaction.interview


def test_interview_only_deducts_when_the_column_exists() -> None:
    assert points(with_(healthy(), interviews=Channel()), "interaction.interview") == 0
    idle = Channel(exists=True, activities=(item("i", date(2014, 6, 29)),))
    assert points(with_(healthy(), interviews=idle), "interaction.interview") == 5
    edge = Channel(exists=True, activities=(item("i", date(2014, 6, 30)),))
    assert points(with_(healthy(), interviews=edge), "interaction.interview") == 0
    broken = Channel(exists=True, usable=False, activities=(item("i", T),))
    assert points(with_(healthy(), interviews=broken), "interaction.interview") == 5


# ------------------------------------------------------------------ service.*


def test_guide_two_points_per_missing_element_category() -> None:
    guides = (
        Guide("http://www.example.gov.cn/bs/1.html", "A", ELEMENTS - {"设定依据", "联系电话"}),
        Guide("http://www.example.gov.cn/bs/2.html", "B", ELEMENTS - {"办理流程"}),
        Guide("http://www.example.gov.cn/bs/3.html", "C", ELEMENTS),
    )
    c = score(with_(healthy(), guides=guides), census(), T)
    assert c.rule("service.guide").points == 6
    missing = [
        (e.detail["guide_url"][-6:], e.detail["element"]) for e in c.rule("service.guide").evidence
    ]
    assert missing == [("1.html", "设定依据"), ("1.html", "联系电话"), ("2.html", "办理流程")]
    wrong = (Finding("inaccurate_guide", "confirmed"),)
    assert points(with_(healthy(), guides=guides, findings=wrong), "service.guide") == 7


def test_attachments_one_point_each() -> None:
    atts = (
        Attachment("申请表", offered=False),  # (1)
        Attachment("承诺书", url="http://www.example.gov.cn/f.doc", downloads_ok=False),  # (2)
        Attachment("说明", url="http://www.example.gov.cn/g.doc", downloads_ok=True),
    )
    assert points(with_(healthy(), attachments=atts), "service.attachments") == 2


def test_online_systems_three_each() -> None:
    systems = (
        OnlineSystem("网上申报", "http://sb.example.gov.cn/", opens=False),
        OnlineSystem("进度查询", "http://cx.example.gov.cn/", opens=True),
    )
    assert points(with_(healthy(), online_systems=systems), "service.online_systems") == 3


# ------------------------------------------------------------------ the 40-point limit


def down(n: int) -> tuple[OnlineSystem, ...]:
    return tuple(OnlineSystem(f"系统{i}", f"http://s{i}.example.gov.cn/", False) for i in range(n))


def test_forty_points_is_qualified_forty_point_one_is_not() -> None:
    home_link = link("http://x.gov.cn/a", "http://www.example.gov.cn/", home=True)
    other = link("http://x.gov.cn/b", "http://www.example.gov.cn/p.html")
    forty = with_(healthy(), online_systems=down(13), broken_links=(home_link,))  # 39 + 1
    c = score(forty, census(), T)
    assert c.total_deduction == 40 and c.verdict == "qualified"
    c = score(with_(forty, broken_links=(home_link, other)), census(), T)  # 39 + 1 + 0.1
    assert c.total_deduction == Decimal("40.1") and c.verdict == "unqualified"
    assert c.to_dict()["total_deduction"] == 40.1


def test_tenths_add_up_exactly() -> None:
    # 401 other-page targets at 0.1 each = 40.1 exactly (a float sum would drift).
    links = tuple(
        link(f"http://x.gov.cn/{i}", "http://www.example.gov.cn/p.html") for i in range(401)
    )
    c = score(with_(healthy(), broken_links=links), census(), T)
    assert c.total_deduction == Decimal("40.1")
    assert c.verdict == "unqualified"
    links400 = links[:400]
    assert score(with_(healthy(), broken_links=links400), census(), T).verdict == "qualified"
