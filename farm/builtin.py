"""Built-in scenarios: ``demo`` (named sites, each showing one verdict path) and procedural ones.

Every date is relative (days before the farm's today), so the demo gives the same verdicts
whenever it runs: scored at today, with the monitoring week ending today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Literal

from farm.generate import CANARY, GOV_CN, canary_site, generated_farm, gov_cn_site
from farm.interaction import interaction
from farm.scenario import (
    GUIDE_ELEMENTS,
    AttachmentSpec,
    ColumnSpec,
    DateFormat,
    DownPeriod,
    FarmSpec,
    Fault,
    GuideSpec,
    ItemSpec,
    LinkSpec,
    MessageSpec,
    Organisation,
    load_scenario,
)
from farm.scenario import SiteSpec as Site

SCENARIO_DIR = Path(__file__).parent / "scenarios"

ORGS = (
    Organisation("100000", "中华人民共和国", "country"),
    Organisation("910000", "江川省", "province", "100000"),
    Organisation("910100", "临江市", "city", "910000"),
    Organisation("910102", "东湖区", "county", "910100"),
    Organisation("910121", "青山县", "county", "910100"),
)

QINGSHAN = "www.qingshan.example.gov.cn"
DONGHU = "www.donghu.example.gov.cn"
LINJIANG = "www.linjiang.example.gov.cn"
FGW = "fgw.linjiang.example.gov.cn"
ZWFW = "zwfw.linjiang.example.gov.cn"
JYJ = "jyj.qingshan.example.gov.cn"
ZWGK = "zwgk.donghu.example.gov.cn"
OLD = "old.donghu.example.gov.cn"
CLOSED = "bak.linjiang.example.gov.cn"

_NEWS = ["召开常务会议研究部署重点工作", "开展安全生产大检查", "推进乡村振兴示范村建设",
         "举办营商环境优化座谈会", "部署防汛备汛工作", "召开民生实事项目推进会",
         "开展生态环境保护督查", "举行重点项目集中开工仪式", "召开招商引资工作会议",
         "开展节前走访慰问活动", "推进政务服务“一网通办”", "召开农业农村工作会议"]  # fmt: skip


def items(
    prefix: str, ages: list[int | None], fmt: DateFormat | None = None
) -> tuple[ItemSpec, ...]:
    """Items with titles from a pool, ``ages[k]`` days old (None: undated)."""
    return tuple(
        ItemSpec(f"{prefix}{_NEWS[k % len(_NEWS)]}", date=a, fmt=fmt) for k, a in enumerate(ages)
    )


def every(days: int, n: int, start: int = 0) -> list[int | None]:
    return [start + days * k for k in range(n)]


def full_guides(prefix: str, n: int = 3) -> tuple[GuideSpec, ...]:
    layouts: tuple[Literal["table", "dl", "headings"], ...] = ("table", "dl", "headings")
    return tuple(
        GuideSpec(
            f"{prefix}事项{k + 1}",
            synonyms=k == 1,
            layout=layouts[k % 3],
            attachments=(AttachmentSpec("申请表", f"sqb{k}.doc"),),
        )
        for k in range(n)
    )


def answered(n: int, every_days: int = 20, lag: int = 3) -> tuple[MessageSpec, ...]:
    return tuple(
        MessageSpec(
            f"关于{_NEWS[k % 12][2:8]}的咨询",
            asked=5 + every_days * k,
            answered=5 + every_days * k - lag,
        )
        for k in range(n)
    )


GOV_LINK = LinkSpec(f"http://{GOV_CN}/", "中国政府网", on="all")


def qingshan() -> Site:
    """Qualified: fresh columns in many date formats, answered messages, complete guides."""
    cols = (
        ColumnSpec(
            "工作动态",
            "news",
            "gzdt",
            items("青山县", [0, 1, 1, 2, 3, 4, 6, 8, 9, 11, 13, 15, 18, 20, 25, *every(3, 20, 27)]),
            fmt="md",
        ),
        ColumnSpec("乡镇动态", "news", "xzdt", items("青山镇", every(2, 12, 1)), fmt="cn"),
        ColumnSpec(
            "通知公告",
            "notice",
            "tzgg",
            (
                ItemSpec("关于做好春节期间值班工作的通知", 3, fmt="pubtime"),
                ItemSpec("青山县2024年度公开招聘事业单位工作人员公告", 12, fmt="slash"),
                ItemSpec("关于开展“双随机、一公开”抽查的通知", 40, meta_pubdate=1),
                ItemSpec("关于征求意见的公告（无日期）", None),
            ),
        ),
        ColumnSpec(
            "政策文件", "policy", "zcwj", items("青政〔2024〕", every(15, 10, 5)), fmt="dot"
        ),
        ColumnSpec("人事信息", "personnel", "rsxx", items("人事任免：", [30, 120])),
        ColumnSpec("规划计划", "planning", "ghjh", items("规划：", [60, 300])),
        ColumnSpec("机构职能", "other_info", "jgzn", items("机构职能：", [100])),
        ColumnSpec(
            "财政预决算", "other_info", "czyjs", exempt_note="根据三定方案，本单位不产生此类信息"
        ),
        ColumnSpec("县长信箱", "consult", "xzxx", messages=answered(12)),
        ColumnSpec("意见征集", "survey", "yjzj", items("征集：", every(40, 8, 10))),
        ColumnSpec("在线访谈", "interview", "zxft", items("访谈：", every(60, 5, 20))),
        ColumnSpec("办事指南", "guide", "bszn", guides=full_guides("青山县")),
    )
    return Site(
        QINGSHAN,
        "9101210001",
        "青山县人民政府",
        "910121",
        host_org="青山县人民政府办公室",
        template="trs",
        columns=cols,
        links=(GOV_LINK,),
        traps=("calendar",),
        icp="江ICP备12000001号",
        police="江公网安备91012102000001号",
        description="qualified: fresh columns, answered messages, complete guides",
    )


def donghu() -> Site:
    """Vetoed as unreachable: down 1.5 h every day (6.25 % of the week), by connection reset."""
    cols = (
        ColumnSpec("政务要闻", "news", "zwyw", items("东湖区", every(1, 30))),
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(10, 8))),
        ColumnSpec("政策文件", "policy", "zcwj", items("东政〔2024〕", every(20, 6))),
        ColumnSpec("区长信箱", "consult", "qzxx", messages=answered(8)),
        ColumnSpec("网上调查", "survey", "wsdc", items("调查：", every(50, 7))),
        ColumnSpec("办事指南", "guide", "bszn", guides=full_guides("东湖区", 2)),
    )
    down = (
        DownPeriod(timedelta(hours=1), timedelta(hours=1, minutes=30), every=timedelta(days=1)),
    )
    links = (
        GOV_LINK,
        LinkSpec(f"https://{ZWGK}/", "政务公开"),
        LinkSpec(f"https://{OLD}/", "旧版网站"),
    )
    return Site(
        DONGHU,
        "9101020001",
        "东湖区人民政府",
        "910102",
        host_org="东湖区人民政府办公室",
        template="ul",
        columns=cols,
        down=down,
        links=links,
        description="vetoed: down 1.5 h every day = 6.25 % of the week (resets)",
    )


def linjiang() -> Site:
    """Vetoed for stale columns: 3 news columns > 2 weeks and 2 notice/policy > 6 months old."""
    cols = (
        ColumnSpec("工作动态", "news", "gzdt", items("临江市", every(3, 20, 30))),
        ColumnSpec("部门动态", "news", "bmdt", items("市直部门", every(5, 10, 40))),
        ColumnSpec("区县动态", "news", "qxdt", items("区县", every(5, 10, 60)), fmt="slash"),
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(30, 5, 200))),
        ColumnSpec("政策文件", "policy", "zcwj", items("临政〔2023〕", every(30, 5, 250))),
        ColumnSpec("市长信箱", "consult", "szxx", messages=answered(10)),
        ColumnSpec("民意征集", "survey", "myzj", items("征集：", every(30, 8))),
        ColumnSpec("办事指南", "guide", "bszn", guides=full_guides("临江市")),
    )
    return Site(
        LINJIANG,
        "9101000001",
        "临江市人民政府",
        "910100",
        host_org="临江市人民政府办公厅",
        template="table",
        columns=cols,
        links=(GOV_LINK,),
        traps=("session",),
        description="vetoed: 5 stale news/notice/policy columns",
    )


def fgw() -> Site:
    """Unqualified on deductions (> 40) with no veto: broken links, weak guides, stale columns."""
    broken = [f"/xwzx/2019/t2019010{k}_404.html" for k in range(1, 9)]
    links = (
        GOV_LINK,
        *(LinkSpec(p, f"失效链接{k + 1}") for k, p in enumerate(broken)),
        LinkSpec("/zt/soft404.html", "专题专栏"),  # 200 页面不存在
        LinkSpec("/images/ad_banner.jpg", "宣传图片", tag="img"),  # 404 image
        LinkSpec(f"http://{CLOSED}/", "旧版网站"),  # refused
        LinkSpec("/ztzl/", "专题（503）"),
        LinkSpec("/hdjl/", "互动交流（重定向循环）"),
        LinkSpec("/xxgk/empty.html", "信息公开（空页面）"),
        LinkSpec("/xxgk/slow.html", "信息公开年报"),  # slow but fine
        LinkSpec("/wsbs/limited.html", "网上办事（429）"),  # undetermined
        LinkSpec("/wsbs/forbidden.html", "网上办事（403）"),  # undetermined
        LinkSpec("/xxgk/stall.html", "政府信息公开指南（卡住）", on="lists"),
        LinkSpec("/download/huge.html", "大文件页面", on="lists"),
    )
    faults = (
        Fault("/zt/soft404.html", "soft404"),
        Fault("/ztzl/", "status", status=503, retry_after=120),
        Fault("/hdjl/", "redirect_loop"),
        Fault("/xxgk/empty.html", "empty"),
        Fault("/xxgk/slow.html", "slow", delay=0.3),
        Fault("/wsbs/limited.html", "status", status=429, retry_after=60),
        Fault("/wsbs/forbidden.html", "status", status=403),
        Fault("/xxgk/stall.html", "stall"),
        Fault("/download/huge.html", "huge", size=12_000_000),
        Fault("/wssb/", "status", status=500),  # online system that cannot be opened
    )
    weak = tuple(
        GuideSpec(
            f"企业投资项目备案{k + 1}",
            elements=tuple(GUIDE_ELEMENTS[: 8 - 3 - k]),
            layout="dl",
            attachments=(
                AttachmentSpec("备案申请表", f"ba{k}.doc", state="missing"),
                AttachmentSpec("承诺书", f"cns{k}.doc", state="html_error"),
                AttachmentSpec("项目信息表", f"xm{k}.xls", state="not_offered"),
            ),
        )
        for k in range(2)
    )
    cols = (
        ColumnSpec("工作动态", "news", "gzdt", items("市发改委", every(2, 30, 20))),  # stale
        ColumnSpec("发改动态", "news", "fgdt", items("发改", every(4, 10, 18)), fmt="cn"),  # stale
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(8, 10, 1)), fmt="pubtime"),
        ColumnSpec("政策文件", "policy", "zcwj", items("临发改〔2024〕", every(20, 8, 2))),
        ColumnSpec("人事信息", "personnel", "rsxx", items("人事：", [500])),  # stale
        ColumnSpec("价格监测", "other_info", "jgjc"),  # blank
        ColumnSpec(
            "主任信箱",
            "consult",
            "zrxx",
            messages=(  # nothing in the past year
                MessageSpec("关于项目审批进度的咨询", asked=400, answered=395),
            ),
        ),
        ColumnSpec("办事指南", "guide", "bszn", guides=weak),
        ColumnSpec("网上申报系统", "online_system", "wssb"),
    )
    return Site(
        FGW,
        "9101000002",
        "临江市发展和改革委员会",
        "910100",
        type="department",
        host_org="临江市发展和改革委员会",
        template="cards",
        columns=cols,
        links=links,
        faults=faults,
        soft404_unknown=False,
        description="unqualified by deductions: broken links, missing guide elements, "
        "stale columns, no survey column",
    )


def zwfw() -> Site:
    """Navigation-only homepage: the homepage has no dated items, second-level pages do."""
    cols = (
        ColumnSpec("服务动态", "news", "fwdt", items("政务服务", every(2, 15))),
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(10, 6))),
        ColumnSpec("办事指南", "guide", "bszn", guides=full_guides("政务服务")),
        ColumnSpec("咨询投诉", "consult", "zxts", messages=answered(6)),
        ColumnSpec(
            "举报投诉", "report", "jbts", messages=(MessageSpec("举报某单位违规收费", asked=200),)
        ),
    )
    return Site(
        ZWFW,
        "9101000003",
        "临江市政务服务网",
        "910100",
        type="special",
        host_org="临江市政务服务管理办公室",
        navigation_only=True,
        template="kaipu",
        columns=cols,
        links=(GOV_LINK,),
        description="navigation-only homepage",
    )


def jyj() -> Site:
    """GBK site; vetoed for a message left unanswered > 3 months; '已回复' without reply date."""
    msgs = (
        MessageSpec("孩子入学需要哪些材料", asked=10, answered=8),
        MessageSpec("学区划分何时公布", asked=30, answered=20, show_reply_date=False),
        MessageSpec("校车安全问题反映", asked=150),  # open for 5 months
        MessageSpec("教师招聘报名条件咨询", asked=200, answered=80),  # answered after 4 months
        MessageSpec("假期补课收费问题", asked=20),  # open, but < 3 months
    )
    cols = (
        ColumnSpec("教育动态", "news", "jydt", items("县教育局", every(2, 20)), fmt="cn"),
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(12, 10, 2)), fmt="dot"),
        ColumnSpec("政策法规", "policy", "zcfg", items("青教〔2024〕", every(30, 6, 5))),
        ColumnSpec("局长信箱", "consult", "jzxx", messages=msgs),
        ColumnSpec("调查征集", "survey", "dczj", items("问卷：", every(50, 4))),
        ColumnSpec("办事指南", "guide", "bszn", guides=full_guides("教育")),
    )
    return Site(
        JYJ,
        "9101210002",
        "青山县教育局",
        "910121",
        type="department",
        host_org="青山县教育局",
        encoding="gbk",
        template="ul",
        columns=cols,
        links=(GOV_LINK,),
        description="GBK pages; unanswered message veto",
    )


def zwgk() -> Site:
    """Served over HTTPS with the farm CA; TRS-like <base href> articles."""
    cols = (
        ColumnSpec("政务公开动态", "news", "gkdt", items("东湖区", every(1, 20))),
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(7, 10)), fmt="iso"),
        ColumnSpec("政策解读", "policy", "zcjd", items("解读：", every(14, 10))),
    )
    return Site(
        ZWGK,
        "9101020002",
        "东湖区政务公开网",
        "910102",
        type="special",
        template="kaipu",
        columns=cols,
        tls=True,
        base_href=True,
        links=(LinkSpec(f"http://{GOV_CN}/", "中国政府网", on="all"),),
        description="HTTPS with the farm CA; <base href> and ../ links",
    )


def old_donghu() -> Site:
    cols = (ColumnSpec("旧版动态", "news", "jbdt", items("旧版", [400])),)
    return Site(
        OLD,
        "9101020003",
        "东湖区人民政府（旧版）",
        "910102",
        type="special",
        columns=cols,
        tls=True,
        cert_mismatch=True,
        description="HTTPS with a certificate for another name",
    )


JSDEMO = "www.jsdemo.example.gov.cn"


def jsdemo() -> Site:
    """Qualified, in the shapes real CMS templates print (docs/farm.md): lists split over
    sibling <ul>s under a 头条 card and a box header with 更多>>, year-less dates, a
    createPageHTML pager, redirect stubs, homepage tab panes, GBK with no declared charset,
    and one list per way a script builds it (probes/scripted, scanner/render)."""
    cols = (
        ColumnSpec(
            "工作动态", "news", "gzdt", items("山南县", every(1, 30)), fmt="md",
            split=5, lead=True, box=True, pager="js", page_size=15,
        ),
        ColumnSpec("通知公告", "notice", "tzgg", items("通知：", every(5, 10, 1)), script="jpage"),
        ColumnSpec("政策文件", "policy", "zcwj", items("山政发", every(9, 8, 2)), script="json"),
        ColumnSpec("部门动态", "news", "bmdt", items("县直部门", every(3, 10)), script="docwrite"),
        ColumnSpec("乡镇动态", "news", "xzdt", items("乡镇", every(2, 10, 1)), script="inline"),
        ColumnSpec(
            "政策解读", "policy", "zcjd", items("解读：", every(12, 8, 3)), script="getjson"
        ),
        ColumnSpec("重点工作", "news", "zdgz", items("重点", every(4, 8, 2)), script="computed"),
        ColumnSpec("人事信息", "personnel", "rsxx", items("人事任免：", [20, 90]), stub="meta"),
        ColumnSpec("规划计划", "planning", "ghjh", items("规划：", [45, 200]), stub="script"),
        ColumnSpec("县长信箱", "consult", "xzxx", messages=answered(8)),
        ColumnSpec("意见征集", "survey", "yjzj", items("征集：", every(40, 6, 10))),
        ColumnSpec("在线访谈", "interview", "zxft", items("访谈：", every(60, 4, 20))),
        ColumnSpec("办事指南", "guide", "bszn", guides=full_guides("山南县")),
    )  # fmt: skip
    return Site(
        JSDEMO,
        "9101210009",
        "山南县人民政府",
        "910121",
        host_org="山南县人民政府办公室",
        encoding="gbk",
        declare_charset=False,
        template="trs",
        homepage_tabs=True,
        columns=cols,
        links=(GOV_LINK,),
        icp="江ICP备12000009号",
        police="江公网安备91012102000009号",
        description="qualified: CMS template shapes and script-built lists (static, endpoint, "
        "browser)",
    )


def scripted() -> FarmSpec:
    return FarmSpec(sites=(jsdemo(),), organisations=ORGS, name="scripted")


def demo() -> FarmSpec:
    return FarmSpec(
        sites=(
            qingshan(),
            donghu(),
            linjiang(),
            fgw(),
            zwfw(),
            jyj(),
            zwgk(),
            old_donghu(),
            jsdemo(),
            canary_site(),
            gov_cn_site(),
        ),
        organisations=ORGS,
        closed_hosts=(CLOSED,),
        name="demo",
    )


SCENARIOS: dict[str, Callable[[], FarmSpec]] = {
    "demo": demo,
    "generated": lambda: generated_farm(10_000, 1000),
    "generated-small": lambda: generated_farm(100, 200, huge_site=False),
    "interaction": interaction,  # farm/interaction.py: edges of the interaction checks
    "scripted": scripted,  # CMS template shapes and lists built by scripts (also in demo)
}


def scenario(name: str) -> FarmSpec:
    """A built-in scenario by name, or a YAML scenario from farm/scenarios/ or a file path."""
    if name in SCENARIOS:
        return SCENARIOS[name]()
    path = SCENARIO_DIR / f"{name}.yaml"
    return load_scenario(path if path.exists() else Path(name))


__all__ = ["CANARY", "DONGHU", "FGW", "JSDEMO", "JYJ", "LINJIANG", "QINGSHAN", "SCENARIOS", "ZWFW",
           "ZWGK", "demo", "scenario"]  # fmt: skip
