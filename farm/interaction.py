"""The ``interaction`` scenario: the edges of the interaction, service and content checks.

One site, 白山县人民政府 (www.baishan.example.gov.cn), carries what the demo sites do not:
messages asked exactly three calendar months before today (not yet overdue) and one day more
(overdue), replies on the deadline and one day after it, a reply without a date, an old and a
test message; a report column (exempt); surveys with undated and old entries; an interview
column that does not open; guides with elements present only under a synonym, in every layout,
and attachments that are fine, missing, an HTML error page with status 200, or not offered; an
online system that opens and one that does not; and articles with miswritten leaders' names and
forbidden words next to correct names and harmless look-alikes. ``CONTENT_HITS`` is the truth
for the content checks (the farm never reads HTML, so it is written down here with the spec).

A second site, 龙溪县人民政府 (www.longxi.example.gov.cn), draws its letters in the two 龙讯 lonsun
shapes the real-page corpus taught the message reader (``ColumnSpec.letters`` "rows" and
"cells"), with lonsun letter pages whose 预答复时间 is not the reply.

The demo scenario's sites are the clean ones: no candidate may be found there.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from farm.scenario import (
    CST,
    GUIDE_ELEMENTS,
    AttachmentSpec,
    ColumnSpec,
    FarmSpec,
    Fault,
    GuideSpec,
    ItemSpec,
    MessageSpec,
    Organisation,
    SiteSpec,
)

BAISHAN = "www.baishan.example.gov.cn"
LONGXI = "www.longxi.example.gov.cn"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


@dataclass(frozen=True)
class ContentCase:
    """An article body and the candidates a perfect checker finds in it."""

    title: str
    body: str
    hits: tuple[tuple[str, str], ...] = ()  # (kind, matched words)


CONTENT_CASES: tuple[ContentCase, ...] = (
    ContentCase(
        "县委召开理论学习中心组学习会",
        "会议深入学习贯彻习近平总书记重要讲话精神。总书记习进平强调，要坚持以人民为中心。"
        "会议还传达了国务院总理李强主持召开国务院常务会议的精神。",
        (("misspelt_name", "习进平"),),
    ),
    ContentCase(
        "传达学习国务院常务会议精神",
        "国务院总理李墙主持召开国务院常务会议，部署稳就业工作。全国人大常委会委员长赵乐际出席。",
        (("misspelt_name", "李墙"),),
    ),
    ContentCase(
        "我县干部群众热议政府工作报告",
        "丁薛样副总理在调研时指出，要持续优化营商环境。国家副主席韩证会见外宾。"
        "村民李祥说，日子越过越好。李蔷同志代表村委会发言。",
        (("misspelt_name", "丁薛样"), ("misspelt_name", "韩证")),
    ),
    ContentCase(
        "扎实开展扫黄打非专项行动",
        "我县依法打击网络赌博、传播淫秽物品等违法犯罪活动，净化网络环境。习近平、李强、"
        "赵乐际等领导同志的重要指示精神得到认真贯彻。",
    ),
    ContentCase(
        "关于网站页面被篡改情况的说明",
        "经查，本站部分页面曾被植入“真人百家乐开户”“代开发票”等非法信息，现已清除。",
        (("forbidden_word", "真人百家乐开户"), ("forbidden_word", "代开发票")),
    ),
)

#: (article title → expected (kind, matched) hits); the other pages of the farm have none.
CONTENT_HITS: dict[str, tuple[tuple[str, str], ...]] = {c.title: c.hits for c in CONTENT_CASES}


def baishan(today: date) -> SiteSpec:
    """The edges of every interaction, service and content rule input on one site."""
    three = months_before(today, 3)
    asked_late = today.toordinal() - months_before(today, 5).toordinal()
    answered_deadline = months_after(months_before(today, 5), 3)
    msgs = (
        MessageSpec("关于农村低保申请条件的咨询", asked=three),  # exactly 3 months: not overdue
        MessageSpec("小区供暖不达标问题", asked=date.fromordinal(three.toordinal() - 1)),
        MessageSpec("老旧小区改造进度咨询", asked=asked_late, answered=answered_deadline),
        # asked one day before the one above, answered the same day: one day past its deadline
        MessageSpec("农村公路养护问题反映", asked=asked_late + 1, answered=answered_deadline),
        MessageSpec("医保报销流程咨询", asked=200, answered=150, show_reply_date=False),
        MessageSpec("停车位规划问题", asked=420),  # older than the year: not counted
        MessageSpec("测试留言请勿回复", asked=15, answered=14),  # a test entry: not valid
        MessageSpec("社保卡补办需要什么材料", asked=12, answered=10),
    )
    guides = (
        GuideSpec(
            "医疗机构执业登记",
            elements=GUIDE_ELEMENTS,
            synonyms=True,
            layout="headings",
            attachments=(
                AttachmentSpec("执业登记申请表", "zydj.doc"),
                AttachmentSpec("法人承诺书", "frcns.pdf", state="html_error"),
            ),
        ),
        GuideSpec(
            "食品经营许可",
            elements=tuple(e for e in GUIDE_ELEMENTS if e not in ("办理时间", "办理流程")),
            synonyms=True,
            layout="dl",
            attachments=(
                AttachmentSpec("食品经营许可申请书", "spjy.docx", state="missing"),
                AttachmentSpec("经营场所平面图样表", "pmt.xls", state="not_offered"),
            ),
        ),
        GuideSpec("个体工商户登记", elements=GUIDE_ELEMENTS[:6], layout="table"),
    )
    news = tuple(
        ItemSpec(case.title, date=3 + 4 * k, body=case.body) for k, case in enumerate(CONTENT_CASES)
    )
    cols = (
        ColumnSpec("白山要闻", "news", "bsyw", news),
        ColumnSpec("书记信箱", "consult", "sjxx", messages=msgs),
        ColumnSpec(
            "举报投诉", "report", "jbts", messages=(MessageSpec("举报违规占地", asked=200),)
        ),
        ColumnSpec(
            "民意征集",
            "survey",
            "myzj",
            (
                ItemSpec("关于城区公交线路调整的意见征集", 10),
                ItemSpec("全县十件民生实事候选项目征集", 70),
                ItemSpec("城市总体规划（草案）公示征求意见", 150),
                ItemSpec("关于养犬管理办法的意见征集", 300),
                ItemSpec("问卷：群众满意度调查（无日期）", None),
                ItemSpec("2024年度营商环境问卷调查", 400),
            ),
        ),
        ColumnSpec("在线访谈", "interview", "zxft", (ItemSpec("县长访谈：民生实事", 30),)),
        ColumnSpec("办事指南", "guide", "bszn", guides=guides),
        ColumnSpec("网上办事大厅", "online_system", "wsbs"),
        ColumnSpec("网上查询系统", "online_system", "wscx"),
    )
    return SiteSpec(
        BAISHAN,
        "9101220001",
        "白山县人民政府",
        "910122",
        host_org="白山县人民政府办公室",
        template="ul",
        columns=cols,
        faults=(
            Fault("/zxft/", "status", status=500),  # the interview column cannot be opened
            Fault("/wscx/", "status", status=503),  # the query system cannot be opened
        ),
        description="interaction, service and content edges",
    )


def longxi(today: date) -> SiteSpec:
    """Letters drawn as 龙讯 lonsun draws them (``ColumnSpec.letters``), with 智能预答复.

    县长信箱 is a "table drawn with lists" (one ``<ul>`` per letter), 网上留言 the 互动交流
    channel's ``<p>`` cells; neither list shows a reply date, so every answered letter's page is
    read, and a letter with only a pre-reply shows 已预答复 on the list. The pre-reply stamp is
    the asking day: read as the reply, the two letters left unanswered for more than three
    calendar months (and the one answered late) would pass as answered the day they came.
    ``today`` is unused (every day is relative) but kept for the same call as ``baishan``.
    """
    del today
    mailbox = (
        MessageSpec("县城东区路灯不亮问题", asked=40, answered=35, pre_reply=True),
        MessageSpec("农村饮水安全问题反映", asked=120, pre_reply=True),  # only a pre-reply: overdue
        MessageSpec("拖欠农民工工资问题", asked=150, answered=30, pre_reply=True),  # answered late
        MessageSpec("小学入学政策咨询", asked=10, answered=8),
        MessageSpec("菜市场噪音扰民", asked=5),  # 办理中, not yet due
    )
    channel = (
        MessageSpec("出租车乱收费问题", asked=100, pre_reply=True),  # only a pre-reply: overdue
        MessageSpec("公租房申请进度咨询", asked=20, pre_reply=True),  # only a pre-reply, not due
        MessageSpec("道路破损维修建议", asked=60, answered=50, pre_reply=True),
        MessageSpec("不动产登记办理时限", asked=130, answered=120, show_reply_date=False),
        MessageSpec("农贸市场占道经营", asked=3),  # 办理中: the list says all, no page to read
    )
    cols = (
        ColumnSpec("龙溪要闻", "news", "lxyw", (ItemSpec("县政府召开常务会议", 2),)),
        ColumnSpec("县长信箱", "consult", "xzxx", messages=mailbox, letters="rows"),
        ColumnSpec("网上留言", "consult", "wsly", messages=channel, letters="cells"),
        ColumnSpec(
            "民意征集",
            "survey",
            "myzj",
            tuple(
                ItemSpec(t, d)
                for t, d in (
                    ("关于县城停车管理办法的意见征集", 4),
                    ("全县民生实事项目征集", 9),
                    ("城乡公交一体化方案征求意见", 16),
                    ("关于农村人居环境整治的意见征集", 25),
                    ("全民健身设施布局征求意见", 33),
                    ("关于老年助餐服务的意见征集", 41),
                )
            ),
        ),
    )
    return SiteSpec(
        LONGXI,
        "9101230001",
        "龙溪县人民政府",
        "910123",
        host_org="龙溪县人民政府办公室",
        template="ul",
        columns=cols,
        description="lonsun letter layouts; pre-replies that are not replies",
    )


def interaction(today: date | None = None) -> FarmSpec:
    today = today or datetime.now(CST).date()
    return FarmSpec(
        sites=(baishan(today), longxi(today)),
        organisations=(
            Organisation("100000", "中华人民共和国", "country"),
            Organisation("910122", "白山县", "county", "100000"),
            Organisation("910123", "龙溪县", "county", "100000"),
        ),
        today=today,
        name="interaction",
    )


__all__ = [
    "BAISHAN",
    "CONTENT_CASES",
    "CONTENT_HITS",
    "LONGXI",
    "interaction",
    "months_after",
    "months_before",
]  # fmt: skip
