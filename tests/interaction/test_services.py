"""service.guide, service.attachments, service.online_systems, interaction.survey/interview
inputs against the farm's truth."""

from __future__ import annotations

from sqlalchemy import select

from farm.builtin import FGW, JSDEMO, JYJ, LINJIANG, QINGSHAN, ZWFW
from farm.interaction import BAISHAN, months_before
from probes.guides import canonical_label, read_guide
from scanner.checks.summary import latest_check, summarize
from scanner.db.models import Activity, Column, GuideAttachment, GuidePage, Site
from tests.interaction.conftest import AT, Checked

HOSTS = (QINGSHAN, LINJIANG, JYJ, ZWFW, FGW, JSDEMO, BAISHAN)


def test_every_guide_element_matches_the_truth(checked: Checked) -> None:
    with checked.db.session() as session:
        stored = {g.url: g for g in session.scalars(select(GuidePage))}
        for host in HOSTS:
            for truth in checked.farm.truth.guides(host):
                g = stored[truth.url]
                assert g.readable
                assert set(g.present) == set(truth.present), truth.url
                assert tuple(g.labels[e] for e in truth.present) == truth.labels, truth.url


def test_element_present_only_under_a_synonym(checked: Checked) -> None:
    with checked.db.session() as session:
        g = session.scalar(select(GuidePage).where(GuidePage.title.like("食品经营许可%")))
        assert g is not None
        assert g.labels["设定依据"] == "法定依据" and g.labels["申请条件"] == "受理条件"
        assert g.labels["办理材料"] == "申请材料" and g.labels["联系电话"] == "咨询电话"
        assert sorted(set(g.present) ^ set(g.labels)) == []
        assert "办理时间" not in g.present and "办理流程" not in g.present


def test_labels_are_whole_labels_outside_the_footer() -> None:
    assert canonical_label("（三）受理条件：") == "申请条件"
    assert canonical_label("办理时限") is None  # a time limit is not the office hours
    assert canonical_label("一、办理程序") == "办理流程"
    html = (
        "<html><body><h1>某事项办事指南</h1><p>事项名称：某事项</p><p>办理时限：5个工作日</p>"
        '<div class="footer">联系电话：010-12345678　办理地点：人民路</div></body></html>'
    )
    assert set(read_guide(html, "http://x.gov.cn/g.html").present) == {"事项名称"}


STATE = {  # farm attachment state → (offered, downloads_ok, failure)
    "ok": (True, True, ""),
    "missing": (True, False, "http_status"),
    "html_error": (True, False, "html_error"),  # 200 with an HTML error page
    "not_offered": (False, None, ""),
}


def test_every_attachment_matches_the_truth(checked: Checked) -> None:
    with checked.db.session() as session:
        rows = session.execute(select(GuideAttachment, GuidePage.url).join(GuidePage)).all()
        stored = {(page, a.name): a for a, page in rows}
        want = [t for h in HOSTS for t in checked.farm.truth.attachments(h)]
        for truth in want:
            a = stored[(truth.page, truth.name)]
            assert (a.offered, a.downloads_ok, a.failure) == STATE[truth.state], truth
            assert a.url == truth.url
        mine = [k for k in stored if "donghu" not in k[0]]
        assert len(mine) == len(want)


def test_online_systems(checked: Checked) -> None:
    with checked.db.session() as session:
        opens = {}
        for column in session.scalars(select(Column).where(Column.category == "online_system")):
            check = latest_check(session, column.id)
            assert check is not None
            opens[column.name] = (check.opens, check.status_code)
    assert opens == {
        "网上申报系统": (False, 500),
        "网上办事大厅": (True, 200),
        "网上查询系统": (False, 503),
    }


def test_surveys_and_interviews(checked: Checked) -> None:
    start = months_before(AT, 12)
    with checked.db.session() as session:
        for site in session.scalars(select(Site)):
            if "donghu" in site.url or site.code == "9101020003":
                continue
            summary = summarize(session, site, AT)
            host = site.url.split("/")[2]
            for column in site.columns:
                if column.category.value not in ("survey", "interview"):
                    continue
                truth = checked.farm.truth.column(host, column.name)
                held = [i for i in truth.items if i.date and start <= i.date <= AT]
                check = latest_check(session, column.id)
                assert check is not None
                if check.opens is False:  # the farm breaks the page (truth lists it unbroken)
                    held = []
                rows = session.scalars(
                    select(Activity).where(
                        Activity.column_id == column.id,
                        Activity.held_on >= start,
                        Activity.held_on <= AT,
                    )
                ).all()
                assert {r.url for r in rows} == {i.url for i in held}, column.name
                assert summary.channels[column.category.value]["activities"] == len(held)
        baishan = session.scalar(select(Site).where(Site.code == "9101220001"))
        assert baishan is not None
        channels = summarize(session, baishan, AT).channels
    assert channels["survey"]["activities"] == 4  # an undated and a 400-day-old one left out
    assert channels["interview"]["usable"] is False  # its page answers 500
    assert channels["interview"]["activities"] == 0
