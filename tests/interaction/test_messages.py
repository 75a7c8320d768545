"""veto.unanswered and interaction.consult inputs: every message against the farm's truth, and
the edges around three calendar months."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from farm.builtin import FGW, JSDEMO, JYJ, LINJIANG, QINGSHAN, ZWFW
from farm.interaction import BAISHAN, LONGXI, months_after, months_before
from probes.messages import ANSWERED, OPEN, message_state, read_message_list, read_message_page
from scanner.checks.summary import overdue_state, summarize, unanswered_params
from scanner.db.models import ColumnCheck, Message, Site
from tests.interaction.conftest import AT, Checked

# www.donghu is down 1.5 h a day (by design): left out so the test does not depend on the hour.
HOSTS = (QINGSHAN, LINJIANG, JYJ, ZWFW, FGW, JSDEMO, BAISHAN, LONGXI)


def test_every_message_matches_the_truth(checked: Checked) -> None:
    with checked.db.session() as session:
        stored = {m.url: m for m in session.scalars(select(Message))}
    for host in HOSTS:
        for truth in checked.farm.truth.messages(host):
            m = stored.get(truth.url)
            assert m is not None, truth.url
            assert m.asked_on == truth.asked, truth.title
            shown = truth.answered if truth.reply_date_shown else None
            assert m.answered_on == shown, truth.title
            assert m.state == (ANSWERED if truth.answered else OPEN), truth.title
    mine = [u for u in stored if "donghu" not in u]
    assert len(mine) == sum(len(checked.farm.truth.messages(h)) for h in HOSTS)


def test_answered_without_a_reply_date_stays_answered_and_undated(checked: Checked) -> None:
    with checked.db.session() as session:
        m = session.scalar(select(Message).where(Message.title == "学区划分何时公布"))
        assert m is not None
        assert m.state == ANSWERED and m.answered_on is None and m.status_text == "已回复"


def test_three_calendar_months_edges(checked: Checked) -> None:
    with checked.db.session() as session:
        site = session.scalar(select(Site).where(Site.code == "9101220001"))
        assert site is not None
        summary = summarize(session, site, AT)
    overdue = {o.title: o.state for o in summary.overdue}
    assert overdue == {"小区供暖不达标问题": "open", "农村公路养护问题反映": "answered_late"}
    assert [o.title for o in summary.undated_replies] == ["医保报销流程咨询"]
    # exactly three months, still open; answered exactly on the deadline: neither is overdue
    assert "关于农村低保申请条件的咨询" not in overdue
    assert "老旧小区改造进度咨询" not in overdue
    # the year before T: 8 messages, one older than a year, one a test entry → 6 valid
    assert summary.valid_messages == 6
    # 举报投诉 is exempt from the veto: its open message is never listed
    assert all(o.column == "书记信箱" for o in summary.overdue)


def test_jyj_vetoed_qingshan_clean(checked: Checked) -> None:
    with checked.db.session() as session:
        jyj = summarize(session, session.scalar(select(Site).where(Site.code == "9101210002")), AT)  # type: ignore[arg-type]
        qs = summarize(session, session.scalar(select(Site).where(Site.code == "9101210001")), AT)  # type: ignore[arg-type]
        fgw = summarize(session, session.scalar(select(Site).where(Site.code == "9101000002")), AT)  # type: ignore[arg-type]
    assert {o.title for o in jyj.overdue} == {"校车安全问题反映", "教师招聘报名条件咨询"}
    assert qs.overdue == [] and qs.valid_messages == 12
    assert fgw.consult_columns == 1 and fgw.valid_messages == 0  # interaction.consult (2)
    assert "超过3个月未回应 2 条" in checked.output


def test_lonsun_letter_layouts_and_pre_replies_end_to_end(checked: Checked) -> None:
    """龙溪县 draws its letters as 龙讯 lonsun does (县长信箱: one <ul> per letter; 网上留言: the
    互动交流 channel's <p> cells) and its letter pages carry 智能预答复. What ``census check``
    stored is the farm's: the letters with their asked dates, answered or not; and the letters
    left with only a pre-reply past three calendar months are overdue, as is the one answered
    late, whatever the pre-reply stamp says."""
    truths = checked.farm.truth.messages(LONGXI)
    with checked.db.session() as session:
        stored = {m.url: m for m in session.scalars(select(Message))}
        site = session.scalar(select(Site).where(Site.code == "9101230001"))
        assert site is not None
        summary = summarize(session, site, AT)
    by_column = {t.column: [] for t in truths}  # type: dict[str, list[str]]
    for t in truths:
        m = stored[t.url]
        by_column[t.column].append(t.title)
        assert (m.title, m.asked_on) == (t.title, t.asked)
        assert m.state == (ANSWERED if t.answered else OPEN), t.title
    assert sorted(by_column) == ["县长信箱", "网上留言"] and all(
        len(v) >= 4 for v in by_column.values()
    )
    # the rule's reading of the farm's own dates (3 calendar months; a reply on the deadline is
    # in time), not the checker's
    expected = {}
    for t in truths:
        deadline = months_after(t.asked, 3)
        if t.answered is not None and t.reply_date_shown:
            if t.answered > deadline:
                expected[t.title] = "answered_late"
        elif t.answered is None and deadline < AT:
            expected[t.title] = "open"
    assert expected == {
        "农村饮水安全问题反映": "open",
        "拖欠农民工工资问题": "answered_late",
        "出租车乱收费问题": "open",
    }
    assert {o.title: o.state for o in summary.overdue} == expected
    late = next(o for o in summary.overdue if o.state == "answered_late")
    truth_late = next(t for t in truths if t.title == late.title)
    assert late.answered_on == truth_late.answered  # the office's reply, not the pre-reply
    assert [o.title for o in summary.undated_replies] == ["不动产登记办理时限"]
    assert summary.valid_messages == len(truths)
    # The lists were read as lists: a letter page is opened only where the row leaves something
    # open — 已回复 with no reply date, or 已预答复 — never for a row that says 办理中 under its
    # date (菜市场噪音扰民, 农贸市场占道经营). Read by link entries instead, no row has a date or
    # a state, and every letter's page is opened.
    listed_open = {"菜市场噪音扰民", "农贸市场占道经营"}
    with checked.db.session() as session:
        for name in ("县长信箱", "网上留言"):
            column = checked.column(session, "9101230001", name)
            check = session.scalars(
                select(ColumnCheck).where(ColumnCheck.column_id == column.id)
            ).one()
            letters = [t for t in truths if t.column == name]
            assert check.detail["opened"] == len([t for t in letters if t.title not in listed_open])


def test_overdue_state_rule() -> None:
    within = unanswered_params().answer_within  # the ruleset's 3 months
    asked = date(2026, 1, 31)
    deadline = months_after(asked, 3)
    assert deadline == date(2026, 4, 30)
    assert (
        overdue_state(asked, None, False, deadline, within=within) is None
    )  # T exactly 3 months later
    assert overdue_state(asked, None, False, date(2026, 5, 1), within=within) == "open"
    assert overdue_state(asked, deadline, True, date(2026, 12, 1), within=within) is None
    assert (
        overdue_state(asked, date(2026, 5, 1), True, date(2026, 12, 1), within=within)
        == "answered_late"
    )
    # a reply dated after T did not exist at T
    assert overdue_state(asked, date(2026, 6, 1), True, date(2026, 5, 15), within=within) == "open"
    assert overdue_state(asked, None, True, date(2026, 12, 1), within=within) == "answered_undated"
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)


LI_LIST = """<html><body><div class="nav"><a href="/">首页</a></div><ul class="xx-list">
<li><a href="/x/1.html">咨询公积金提取</a><span>留言时间：2026-03-02</span>
    <span>回复时间：2026-03-05</span><em>已答复</em></li>
<li><a href="/x/2.html">反映道路积水问题</a><span>留言时间：2026-02-11</span><em>处理中</em></li>
<li><a href="/x/3.html">询问学籍转移手续</a><span>来信日期：2026-01-20</span><em>已办结</em></li>
</ul><div class="footer">联系电话：010-12345678 2026-01-01</div></body></html>"""


def test_list_with_labelled_dates_in_entries() -> None:
    got = read_message_list(LI_LIST, "http://x.gov.cn/x/", as_of=date(2026, 4, 1))
    assert [(m.title, m.asked_on, m.answered_on, m.state) for m in got] == [
        ("咨询公积金提取", date(2026, 3, 2), date(2026, 3, 5), ANSWERED),
        ("反映道路积水问题", date(2026, 2, 11), None, OPEN),
        ("询问学籍转移手续", date(2026, 1, 20), None, ANSWERED),
    ]


def test_selector_from_the_site_config() -> None:
    html = """<div id="msgs"><div class="m"><a href="/a.html">问一</a> 提问：2026-01-02
    回复：2026-01-03</div><div class="m"><a href="/b.html">问二</a> 提问：2026-01-05 未回复
    </div></div>"""
    got = read_message_list(html, "http://x.gov.cn/", as_of=date(2026, 2, 1), selector="div.m")
    assert [(m.asked_on, m.answered_on, m.state) for m in got] == [
        (date(2026, 1, 2), date(2026, 1, 3), ANSWERED),
        (date(2026, 1, 5), None, OPEN),
    ]


def test_message_page_and_status_words() -> None:
    page = read_message_page(
        "<h1>问</h1><p>留言时间：2026-01-02</p><p>答复时间：2026年1月9日</p><p>答复内容：已处理</p>",
        "http://x.gov.cn/1.html",
        as_of=date(2026, 2, 1),
    )
    assert (page.asked_on, page.answered_on, page.state) == (
        date(2026, 1, 2), date(2026, 1, 9), ANSWERED,
    )  # fmt: skip
    assert message_state("处理状态：办理中")[0] == OPEN
    assert message_state("未回复")[0] == OPEN
    assert message_state("已回复")[0] == ANSWERED


def test_table_header_variants() -> None:
    html = """<table><tr><td>留言标题</td><td>留言时间</td><td>回复状态</td><td>回复时间</td></tr>
    <tr><td><a href="/m/1.html">问题一</a></td><td>2026/01/02</td><td>已答复</td>
    <td>2026年1月8日</td></tr>
    <tr><td><a href="/m/2.html">问题二</a></td><td>2026/01/05</td><td>待处理</td><td></td></tr>
    </table>"""
    got = read_message_list(html, "http://x.gov.cn/m/", as_of=date(2026, 2, 1))
    assert [(m.title, m.asked_on, m.answered_on, m.state, m.status_text) for m in got] == [
        ("问题一", date(2026, 1, 2), date(2026, 1, 8), ANSWERED, "已答复"),
        ("问题二", date(2026, 1, 5), None, OPEN, "待处理"),
    ]


def test_table_drawn_with_lists() -> None:
    """A header list and one list per message, cells lining up (龙讯 lonsun's 信箱 shape): the
    title link's own <li> holds no date and no state; the row does."""
    html = """<div id="message_list"><ul class="guestbook_title"><li>留言时间</li><li>办理状态</li>
    <li>信件编号</li><li>信件标题</li><li>回复时间</li></ul>
    <ul class="odd"><li>2026-01-12</li><li><span>已回复</span></li><li>20260112001</li>
    <li><a href="/content/article/11" title="路灯不亮">路灯不亮</a></li><li>2026-01-15</li></ul>
    <ul class="even"><li>2026-01-05</li><li><span style="color:red">未回复</span></li>
    <li>20260105002</li><li><a href="/content/article/12"><font>噪音扰民</font></a></li>
    <li></li></ul>
    <div class="pagination">分页</div><ul><li><a href="/other.html">无关链接</a></li></ul></div>"""
    got = read_message_list(html, "http://x.gov.cn/hdjl/xx/", as_of=date(2026, 2, 1))
    assert [(m.title, m.url, m.asked_on, m.answered_on, m.state) for m in got] == [
        ("路灯不亮", "http://x.gov.cn/content/article/11", date(2026, 1, 12), date(2026, 1, 15),
         ANSWERED),
        ("噪音扰民", "http://x.gov.cn/content/article/12", date(2026, 1, 5), None, OPEN),
    ]  # fmt: skip


def test_letters_drawn_as_paragraph_cells_beside_other_dated_blocks() -> None:
    """A channel page (龙讯 lonsun 互动交流): a one-<li> header whose <p> cells name the columns,
    then one <li> per letter with the same <p> cells; a 民意征集 list dated by ranges follows.
    The letters are the messages, with their dates and states; the consultations are not."""
    html = """<ul class="head"><li><p class="p4">留言时间</p><p class="p3">办理状态</p>
    <p class="p1">信件标题</p></li></ul>
    <ul class="list"><li class="odd"><p class="p4">2026-01-12</p><p class="p3">
    已回复
    </p><p class="p1"><a href="/content/article/11" title="路灯不亮">路灯不亮</a></p></li>
    <li class="even"><p class="p4">2026-01-05</p><p class="p3">办理中</p>
    <p class="p1"><a href="/content/article/12">噪音扰民</a></p></li></ul>
    <ul id="hctab1"><li><span class="date">征集时间：2025-12-01 至 2026-01-01</span>
    <a href="/content/article/21">关于征集意见的公告</a></li>
    <li><span class="date">征集时间：2025-11-01 至 2025-12-01</span>
    <a href="/content/article/22">关于征求意见的公告</a></li>
    <li><span class="date">征集时间：2025-10-01 至 2025-11-01</span>
    <a href="/content/article/23">关于征询意见的公告</a></li></ul>"""
    got = read_message_list(html, "http://x.gov.cn/hdjl/", as_of=date(2026, 2, 1))
    assert [(m.url, m.asked_on, m.state) for m in got] == [
        ("http://x.gov.cn/content/article/11", date(2026, 1, 12), ANSWERED),
        ("http://x.gov.cn/content/article/12", date(2026, 1, 5), OPEN),
    ]


def test_pre_reply_is_not_the_reply_and_an_indented_date_keeps_its_label() -> None:
    """智能预答复's 预答复时间 is a machine's stamp at sending, not the office's reply; a reply
    date on its own line, indented under 答复时间：, is still the reply date (龙讯 lonsun)."""
    page = read_message_page(
        "<h1>问</h1><p>来信时间：2026-01-02 20:57</p><div>预答复时间：2026-01-02 20:57</div>"
        "<div>答复单位：某局 \n" + " " * 60 + "答复时间：\n" + " " * 60 + "2026-01-09 09:53</div>",
        "http://x.gov.cn/content/article/1",
        as_of=date(2026, 2, 1),
    )
    assert (page.asked_on, page.answered_on, page.state) == (
        date(2026, 1, 2), date(2026, 1, 9), ANSWERED,
    )  # fmt: skip
    unanswered = read_message_page(
        "<p>来信时间：2026-01-02</p><p>预答复时间：2026-01-02</p><p>答复情况：</p>",
        "http://x.gov.cn/content/article/2",
        as_of=date(2026, 2, 1),
    )
    assert (unanswered.asked_on, unanswered.answered_on) == (date(2026, 1, 2), None)
