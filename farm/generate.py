"""Procedural sites: site i and item j are pure functions of (seed, i, j), computed on request.

A 10,000-site × 1,000-page farm therefore costs a few small objects per *visited* site, never a
file or a list per page. Hosts: ``s00042.<suffix>`` (ordinary sites), ``big3.<suffix>``
(link-rich crawl benchmarks, ~2,000 pages and ~7,500 distinct link targets with known broken
ones), ``huge.<suffix>`` (100,000 pages).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import overload

from farm.scenario import (
    GUIDE_ELEMENTS,
    AttachmentSpec,
    Category,
    ColumnSpec,
    DateFormat,
    FarmSpec,
    Fault,
    GeneratedSpec,
    GuideSpec,
    ItemSpec,
    LinkSpec,
    MessageSpec,
    Organisation,
    SiteSpec,
)
from farm.site import item_path

GOV_CN = "www.gov.cn"
GOV_CN_ITEMS = 5000
GOV_CN_BASE = date(2024, 1, 1)
CANARY = "canary.example.gov.cn"

_PLACES = [
    "县政府",
    "市政府",
    "县发改委",
    "县教育局",
    "县卫健委",
    "县财政局",
    "县农业农村局",
    "县应急局",
]
_TOPICS = [
    "安全生产",
    "乡村振兴",
    "优化营商环境",
    "防汛抗旱",
    "疫情防控",
    "招商引资",
    "民生实事",
    "生态环保",
]
_ACTS = ["工作会议召开", "专题部署会举行", "督查调研开展", "推进会召开", "实施方案印发", "情况通报"]
_FORMATS: tuple[DateFormat, ...] = ("iso", "slash", "dot", "cn", "md", "pubtime")
_TEMPLATES = ("ul", "table", "cards", "trs", "kaipu")
#: (name, category, path, cadence in days between items)
_COLUMNS: list[tuple[str, Category, str, int]] = [
    ("工作动态", "news", "xwdt", 1), ("通知公告", "notice", "tzgg", 6),
    ("政策文件", "policy", "zcwj", 9), ("人事信息", "personnel", "rsxx", 20),
    ("规划计划", "planning", "ghjh", 30), ("机构概况", "other_info", "jggk", 45),
    ("调查征集", "survey", "dczj", 40), ("在线访谈", "interview", "zxft", 50),
]  # fmt: skip
_HOST = re.compile(r"^(?:s(?P<i>\d{5})|big(?P<b>\d+)|(?P<huge>huge))\.(?P<suffix>.+)$")


def _h(*parts: object) -> int:
    """A stable 64-bit hash of the parts (Python's hash() is salted per process)."""
    data = "|".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _title(seed: int, site: int, col: int, j: int) -> str:
    h = _h(seed, site, col, j)
    return (
        f"{_PLACES[h % len(_PLACES)]}{_TOPICS[(h >> 8) % len(_TOPICS)]}"
        f"{_ACTS[(h >> 16) % len(_ACTS)]}（{j + 1}）"
    )


@dataclass(frozen=True)
class _Recipe:
    seed: int
    site: int
    col: int
    n: int
    cadence: int
    lag: int  # days since the newest item
    fmt: DateFormat
    attachments: int = 0  # per item, for link-rich sites
    gov_links: bool = False  # each item cites one www.gov.cn document (1 in 23 missing)
    base: date | None = None  # absolute dates counted back from here (targets others link to)


class GeneratedItems(Sequence[ItemSpec]):
    """A column's items made on access: item j is (lag + j·cadence) days old, newest first."""

    def __init__(self, recipe: _Recipe) -> None:
        self.r = recipe

    def __len__(self) -> int:
        return self.r.n

    @overload
    def __getitem__(self, j: int) -> ItemSpec: ...
    @overload
    def __getitem__(self, j: slice) -> Sequence[ItemSpec]: ...
    def __getitem__(self, j: int | slice) -> ItemSpec | Sequence[ItemSpec]:
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(self.r.n))]
        r = self.r
        if not 0 <= j < r.n:
            raise IndexError(j)
        h = _h(r.seed, r.site, r.col, j, "a")
        atts = tuple(
            AttachmentSpec(
                f"附件{k + 1}",
                f"P{j:05d}_{k}.pdf",
                state="missing" if (h >> (8 * k)) % 37 == 0 else "ok",
                size=1024,
            )
            for k in range(r.attachments + (j % 3 == 0 if r.attachments else 0))
        )
        links: tuple[LinkSpec, ...] = ()
        if r.gov_links:
            k = (j * 7 + r.col * 1000) % GOV_CN_ITEMS
            target = gov_cn_url(k) if (h >> 40) % 23 else gov_cn_url(k, missing=True)
            links = (LinkSpec(target, "国务院文件", on="articles"),)
        age = r.lag + j * r.cadence
        when: date | int = r.base - timedelta(days=age) if r.base else age
        return ItemSpec(
            title=_title(r.seed, r.site, r.col, j),
            date=when,
            fmt=None if j % 17 or r.base else "none",  # type: ignore[arg-type]
            attachments=atts,
            links=links,
        )


GOV_CN_COLUMN = ColumnSpec(
    "最新政策",
    "policy",
    "zhengce/content",
    items=GeneratedItems(_Recipe(0, -1, 0, GOV_CN_ITEMS, 1, 0, "iso", base=GOV_CN_BASE)),
)


def gov_cn_url(k: int, missing: bool = False) -> str:
    """Absolute URL of www.gov.cn document k (or of a plausible one that does not exist)."""
    day = GOV_CN_BASE - timedelta(days=k)
    return f"http://{GOV_CN}{item_path(GOV_CN_COLUMN, k + (GOV_CN_ITEMS if missing else 0), day)}"


def hosts(gen: GeneratedSpec) -> Iterator[str]:
    for i in range(gen.n_sites):
        yield f"s{i:05d}.{gen.suffix}"
    for b in range(gen.big_sites):
        yield f"big{b}.{gen.suffix}"
    if gen.huge_site:
        yield f"huge.{gen.suffix}"


def site_spec(gen: GeneratedSpec, host: str) -> SiteSpec | None:
    """The SiteSpec of a generated host, or None when the name is not one of the farm's."""
    m = _HOST.match(host.lower())
    if not m or m["suffix"] != gen.suffix:
        return None
    if m["i"] is not None:
        i = int(m["i"])
        return _ordinary(gen, i) if i < gen.n_sites else None
    if m["b"] is not None:
        b = int(m["b"])
        return _big(gen, b, host) if b < gen.big_sites else None
    return _huge(gen, host) if gen.huge_site else None


def _code(i: int) -> str:
    return f"{9900000000 + i:010d}"


def homepage_delay_ms(gen: GeneratedSpec, i: int) -> int:
    """The injected homepage delay of generated site ``i`` (0 unless the spec asks for one)."""
    if gen.homepage_delay_max_ms <= 0:
        return 0
    return _h(gen.seed, i, "delay") % (gen.homepage_delay_max_ms + 1)


def _ordinary(gen: GeneratedSpec, i: int) -> SiteSpec:
    h = _h(gen.seed, i, "site")
    delay = homepage_delay_ms(gen, i)
    faults = (Fault("/", "slow", delay=delay / 1000),) if delay else ()
    per_col = max(1, (gen.pages_per_site - 40) // len(_COLUMNS))
    stale = h % 10 == 0  # one site in ten lets its news go stale
    template = _TEMPLATES[h % len(_TEMPLATES)]
    # Real templates' shapes (docs/farm.md): TRS splits its lists into <ul>s of 5; one site in
    # four puts its news under a 头条 card in a box with 更多>>; half the GBK sites declare no
    # charset at all.
    split = 5 if template == "trs" else 0
    headline = (h >> 20) % 4 == 0
    gbk = h % 5 == 0
    cols = []
    for c, (name, cat, path, cadence) in enumerate(_COLUMNS):
        lag = (h >> (4 + c)) % 3 + (30 if stale and cat == "news" else 0)
        recipe = _Recipe(gen.seed, i, c, per_col, cadence, lag, _FORMATS[(h + c) % len(_FORMATS)])
        cols.append(
            ColumnSpec(
                name,
                cat,
                path,
                items=GeneratedItems(recipe),  # type: ignore[arg-type]
                fmt=recipe.fmt,
                split=split,
                lead=headline and cat == "news",
                box=headline and cat == "news",
            )
        )  # type: ignore[arg-type]
    msgs = tuple(
        MessageSpec(
            f"关于{_TOPICS[(h >> k) % len(_TOPICS)]}的咨询（{k + 1}）",
            asked=3 + 9 * k,
            answered=None if (h >> k) % 11 == 0 else max(0, 3 + 9 * k - 5),
        )
        for k in range(20)
    )
    cols.append(ColumnSpec("领导信箱", "consult", "ldxx", messages=msgs))
    guides = tuple(
        GuideSpec(
            f"{_TOPICS[k % len(_TOPICS)]}事项",
            elements=tuple(e for n, e in enumerate(GUIDE_ELEMENTS) if (h >> (k + n)) % 13 != 0),
            synonyms=bool(k % 2),
            layout=("table", "dl", "headings")[k % 3],  # type: ignore[arg-type]
            attachments=(
                AttachmentSpec(
                    "申请表", f"sqb{k}.doc", state="missing" if (h >> k) % 7 == 0 else "ok"
                ),
            ),
        )
        for k in range(10)
    )
    cols.append(ColumnSpec("办事指南", "guide", "bszn", guides=guides))
    links = (LinkSpec(f"/xwdt/old_{h % 1000}.html", "往期回顾", on="homepage"),)
    return SiteSpec(
        host=f"s{i:05d}.{gen.suffix}",
        code=_code(i),
        name=f"模拟县{i}人民政府",
        organisation="410000",
        host_org=f"模拟县{i}人民政府办公室",
        encoding="gbk" if gbk else "utf-8",  # type: ignore[arg-type]
        declare_charset=not (gbk and (h >> 24) % 2 == 0),
        template=template,  # type: ignore[arg-type]
        columns=tuple(cols),
        links=links,
        faults=faults,
    )


def _big(gen: GeneratedSpec, b: int, host: str) -> SiteSpec:
    """~2,000 pages; each article offers 2 files and links one www.gov.cn document."""
    cols = []
    for c, (name, cat, path, _cadence) in enumerate(_COLUMNS[:6] + _COLUMNS[6:8] + _COLUMNS[:2]):
        recipe = _Recipe(gen.seed, 100_000 + b, c, 190, 1, 0, "iso", attachments=2, gov_links=True)
        cols.append(
            ColumnSpec(
                f"{name}{c}",
                cat,
                f"{path}{c}",  # type: ignore[arg-type]
                items=GeneratedItems(recipe),
                page_size=20,
            )
        )
    links = (
        LinkSpec("/images/banner_missing.jpg", "横幅", on="all", tag="img"),
        LinkSpec("/xwdt0/202001/t20200101_99999.html", "旧链接", on="lists"),
    )
    return SiteSpec(
        host=host,
        code=_code(50_000 + b),
        name=f"基准测试站点{b}",
        organisation="410000",
        columns=tuple(cols),
        links=links,
        search=False,
    )


def _huge(gen: GeneratedSpec, host: str) -> SiteSpec:
    cols = []
    for c, (name, cat, path, _cadence) in enumerate(_COLUMNS + _COLUMNS[:2]):
        recipe = _Recipe(gen.seed, 200_000, c, 10_000, 1, 0, "iso")
        cols.append(
            ColumnSpec(
                f"{name}{c}",
                cat,
                f"{path}{c}",  # type: ignore[arg-type]
                items=GeneratedItems(recipe),
            )
        )
    return SiteSpec(
        host=host,
        code=_code(60_000),
        name="超大规模站点",
        organisation="410000",
        columns=tuple(cols),
        search=False,
    )


def gov_cn_site() -> SiteSpec:
    """The shared external target many sites link to (国务院文件)."""
    return SiteSpec(
        host=GOV_CN,
        code="bm01000001",
        name="中国政府网",
        organisation="100000",
        type="portal",
        host_org="国务院办公厅",
        columns=(GOV_CN_COLUMN,),
        search=False,
        icp="京ICP备05070218号",
        police="京公网安备11010202000001号",
        registered=False,  # a shared external target here, not one of the supervised sites
    )


def canary_site() -> SiteSpec:
    """Always up and never faulty: if it fails, the scanner's own network is to blame."""
    col = ColumnSpec("工作动态", "news", "xwdt", items=(ItemSpec("监测对照站点正常运行", 0),))
    return SiteSpec(
        host=CANARY,
        code="9999999999",
        name="监测对照站点",
        organisation="100000",
        columns=(col,),
        canary=True,
        registered=False,
        search=False,
        description="control site: always up",
    )


def generated_farm(
    n_sites: int = 10_000,
    pages_per_site: int = 1000,
    seed: int = 0,
    *,
    big_sites: int = 1,
    huge_site: bool = True,
    today: date | None = None,
    suffix: str = "gen.example.gov.cn",
    homepage_delay_max_ms: int = 0,
) -> FarmSpec:
    """A farm of procedural sites plus www.gov.cn and the canary."""
    gen = GeneratedSpec(
        n_sites, pages_per_site, seed, suffix, big_sites, huge_site, homepage_delay_max_ms
    )
    orgs = (
        Organisation("100000", "中华人民共和国", "country"),
        Organisation("410000", "模拟省", "province", "100000"),
    )
    return FarmSpec(
        sites=(gov_cn_site(), canary_site()),
        organisations=orgs,
        seed=seed,
        today=today,
        generated=gen,
        name=f"generated-{n_sites}",
    )
