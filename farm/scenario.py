"""Declarative scenario specs: what the farm serves, so tests can know the answer in advance.

A scenario is plain data (dataclasses), written in Python or loaded from YAML with
:func:`load_scenario`. Dates are either absolute (``date``) or relative to the scenario's
"today" (an ``int`` = that many days ago), so a scenario stays valid whenever it runs.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import yaml

CST = timezone(timedelta(hours=8), "CST")

#: A day: absolute, or an int meaning "that many days before the scenario's today".
When = date | int

Category = Literal[
    "news", "notice", "policy", "personnel", "planning", "other_info",
    "consult", "report", "survey", "interview", "guide", "online_system",
]  # fmt: skip
CATEGORIES: tuple[str, ...] = typing.get_args(Category)

#: How an item's date is shown: iso 2024-01-05, slash 2024/01/05, dot 2024.01.05,
#: cn 2024年1月5日, md [01-05] (no year), pubtime 发布时间：2024-01-05 10:30, none (not shown).
DateFormat = Literal["iso", "slash", "dot", "cn", "md", "pubtime", "none"]
DATE_FORMATS: tuple[str, ...] = typing.get_args(DateFormat)

#: Page templates; each mimics a family of real CMS output.
Template = Literal["ul", "table", "cards", "trs", "kaipu"]
TEMPLATES: tuple[str, ...] = typing.get_args(Template)

FaultKind = Literal[
    "reset",          # TCP RST before any response byte
    "stall",          # headers and part of the body, then silence (slowloris)
    "slow",           # `delay` seconds of silence, then a normal response
    "status",         # an error status (`status`, with Retry-After if `retry_after`)
    "redirect_loop",  # 302 to itself with a growing query, forever
    "empty",          # 200 with an empty body
    "huge",           # 200 with `size` bytes of HTML
    "soft404",        # 200 page that says 页面不存在
    "not_found",      # plain 404
    "html_error",     # 200 text/html error page where a file was expected
]  # fmt: skip
FAULT_KINDS: tuple[str, ...] = typing.get_args(FaultKind)

GUIDE_ELEMENTS: tuple[str, ...] = (
    "事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理时间", "联系电话", "办理流程",
)  # fmt: skip
#: Synonyms real guides use for the canonical element names.
GUIDE_SYNONYMS: dict[str, str] = {
    "设定依据": "法定依据",
    "申请条件": "受理条件",
    "办理材料": "申请材料",
    "联系电话": "咨询电话",
    "办理流程": "办理程序",
}


def resolve_day(when: When | None, today: date) -> date | None:
    """Turn a relative day into a calendar day against the scenario's today."""
    if when is None or isinstance(when, date):
        return when
    return today - timedelta(days=int(when))


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    level: Literal["country", "province", "city", "county"]
    parent: str | None = None


@dataclass(frozen=True)
class AttachmentSpec:
    """A downloadable file a page offers (or only mentions, when ``state`` is not_offered)."""

    name: str
    filename: str
    state: Literal["ok", "missing", "html_error", "not_offered"] = "ok"
    size: int = 2048


@dataclass(frozen=True)
class ItemSpec:
    """One entry of a column list, with its own article page."""

    title: str
    date: When | None = 0
    fmt: DateFormat | None = None  # None: the column's format
    meta_pubdate: When | None = None  # PubDate meta differing from the visible date (decoy)
    attachments: tuple[AttachmentSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()  # shown in the article body
    body: str = ""


@dataclass(frozen=True)
class MessageSpec:
    """A citizen's message in a 领导信箱/咨询 column."""

    title: str
    asked: When
    answered: When | None = None
    show_reply_date: bool = True  # False: "已回复" shown without a reply date
    asker: str = "网友"
    # 智能预答复: a machine's instant pre-reply stamped the minute the letter came (预答复时间 on
    # the letter's page). It is never the office's reply: ``answered`` alone says whether and
    # when the office replied. Drawn only by the lonsun letter layouts ("rows", "cells").
    pre_reply: bool = False


@dataclass(frozen=True)
class GuideSpec:
    """A service guide (办事指南) with some of the eight elements."""

    title: str
    elements: tuple[str, ...] = GUIDE_ELEMENTS
    synonyms: bool = False
    layout: Literal["table", "dl", "headings"] = "table"
    attachments: tuple[AttachmentSpec, ...] = ()
    date: When | None = 30


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    category: Category
    path: str  # directory under the site root, e.g. "xwdt" -> /xwdt/
    items: typing.Sequence[ItemSpec] = ()
    messages: tuple[MessageSpec, ...] = ()
    guides: tuple[GuideSpec, ...] = ()
    fmt: DateFormat = "iso"
    on_homepage: bool | None = None  # None: news/notice/policy columns are
    homepage_count: int = 6
    page_size: int = 20
    exempt_note: str | None = None  # e.g. 根据三定方案，本单位不产生此类信息
    # How the list page carries its entries when a script builds the list: "jpage" (大汉: CDATA
    # records in a <script type="text/xml"> datastore), "inline" (a JSON array in an inline
    # script that fills an empty <ul>), "json" (an empty <ul> a script fills from the column's
    # data.json by fetch), "getjson" (the same by jQuery's $.getJSON, the answer shaped like
    # TRS's docs API with epoch-millisecond dates), "docwrite" (document.write strings only a
    # browser runs), "computed" (rows decoded from an encoded string by the script: no static
    # path can read them, only a browser).
    script: Literal["", "jpage", "inline", "json", "getjson", "docwrite", "computed"] = ""
    # Shapes of real CMS templates (see docs/farm.md): the list split over sibling wrappers of
    # ``split`` entries each (TRS prints <ul>s of 5); a lead story (头条) card above the list
    # repeating its first entry with a picture and a summary; the list inside a box whose header
    # names the column with a 更多>> link; the pager written by TRS's createPageHTML script
    # ("js") instead of 下一页 links; the column's URL a redirect stub (a meta refresh or a
    # script setting location) in front of the real first page, index.html.
    split: int = 0
    lead: bool = False
    box: bool = False
    pager: Literal["links", "js"] = "links"
    stub: Literal["", "meta", "script"] = ""
    # How a consult column draws its letters: "table" (a <table> with 标题 | 留言时间 | 状态 |
    # 回复时间), or the shapes of 龙讯 lonsun 信箱 pages read from the real-page corpus: "rows"
    # (a header <ul> of <li> names, then one <ul> per letter whose <li> cells line up with it)
    # and "cells" (the 互动交流 channel: a one-<li> header of <p> cells, then one <li> per letter
    # with the same <p> cells). Neither lonsun shape shows a reply date in the list, and their
    # letter pages are lonsun's: 来信时间, an optional 预答复时间, and 答复时间 on its own line,
    # indented by sixty spaces under its label.
    letters: Literal["table", "rows", "cells"] = "table"

    @property
    def url_path(self) -> str:
        return f"/{self.path.strip('/')}/"

    @property
    def shown_on_homepage(self) -> bool:
        if self.on_homepage is not None:
            return self.on_homepage
        return self.category in ("news", "notice", "policy")


@dataclass(frozen=True)
class LinkSpec:
    """An extra link: where it appears and where it points (a path or an absolute URL)."""

    target: str
    text: str = "相关链接"
    on: Literal["homepage", "all", "articles", "lists"] = "homepage"
    tag: Literal["a", "img", "script", "link", "iframe"] = "a"


@dataclass(frozen=True)
class Fault:
    """A misbehaving path; ``path`` ending in ``*`` matches a prefix, ``*`` alone every path."""

    path: str
    kind: FaultKind
    status: int = 503
    retry_after: int | None = None
    delay: float = 0.0
    size: int = 20_000_000


@dataclass(frozen=True)
class DownPeriod:
    """A span when every request to the site fails as ``kind``.

    ``start`` is an offset from the farm's week start (today − 7 days, 00:00 China time) or an
    absolute time; with ``every`` it repeats (e.g. one hour every day).
    """

    start: timedelta | datetime
    duration: timedelta
    every: timedelta | None = None
    kind: Literal["reset", "status", "stall", "empty"] = "reset"
    status: int = 503


@dataclass(frozen=True)
class SiteSpec:
    host: str
    code: str  # 网站标识码, 10 digits
    name: str
    organisation: str
    type: Literal["portal", "department", "special"] = "portal"
    host_org: str = ""
    encoding: Literal["utf-8", "gbk", "gb2312"] = "utf-8"
    template: Template = "ul"
    navigation_only: bool = False
    columns: tuple[ColumnSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    faults: tuple[Fault, ...] = ()
    down: tuple[DownPeriod, ...] = ()
    tls: bool = False
    cert_mismatch: bool = False  # served over TLS with a certificate for another name
    icp: str = "京ICP备05060933号"
    police: str = "京公网安备11010502000722号"
    phone: str = "010-12345678"
    since: int = 2003
    base_href: bool = False  # articles carry <base href> and ../ links
    traps: tuple[Literal["calendar", "session"], ...] = ()
    search: bool = True  # a search box link with a Chinese query string
    soft404_unknown: bool = False  # unknown paths answer 200 页面不存在 instead of 404
    canary: bool = False  # the control site: always up, never faulty
    registered: bool = True  # in the exported registry (False: canary, shared external targets)
    description: str = ""  # what the site is meant to show (docs, demo)
    # False: pages carry neither a charset in Content-Type nor a <meta charset> (GBK sites
    # that never declared theirs).
    declare_charset: bool = True
    # The homepage's column blocks as one tab box: one pane visible, the others display:none.
    homepage_tabs: bool = False
    # The homepage as an app shell: an empty mount point and one script that draws the whole
    # body from an encoded string. Only a browser sees its entries (and links: a crawl does
    # not render, so keep it out of crawl scenarios).
    homepage_app: bool = False

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def root_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    def column(self, path: str) -> ColumnSpec:
        key = path.strip("/")
        for col in self.columns:
            if col.path.strip("/") == key:
                return col
        raise KeyError(path)


@dataclass(frozen=True)
class GeneratedSpec:
    """Procedural sites computed on the fly from (seed, site, page); see ``farm.generate``."""

    n_sites: int
    pages_per_site: int = 1000
    seed: int = 0
    suffix: str = "gen.example.gov.cn"
    big_sites: int = 0  # link-rich crawl-benchmark sites (~2,000 pages, ~7,500 links)
    huge_site: bool = False  # one 100,000-page site
    # Each ordinary site's homepage answers after its own delay in [0, this] ms (probe timing
    # benchmarks compare measured times with it; ``homepage_delay_ms(gen, i)`` gives it).
    homepage_delay_max_ms: int = 0


@dataclass(frozen=True)
class FarmSpec:
    sites: tuple[SiteSpec, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    seed: int = 0
    today: date | None = None  # None: the farm clock's date when the farm starts
    closed_hosts: tuple[str, ...] = ()  # mapped to a port that refuses connections
    generated: GeneratedSpec | None = None
    name: str = "farm"

    def site(self, host: str) -> SiteSpec:
        for s in self.sites:
            if s.host == host:
                return s
        raise KeyError(host)


def week_start(today: date) -> datetime:
    """Down-period offsets count from here: the start of the week that ends on ``today``."""
    return datetime.combine(today - timedelta(days=7), time(0), tzinfo=CST)


# ---------------------------------------------------------------------------------------------
# YAML loading: a small generic converter from plain data to the dataclasses above.

_T = TypeVar("_T")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> timedelta:
    """'30m', '2h', '1.5d', '1w' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"not a duration: {value!r}")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def _convert(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value)
            except (TypeError, ValueError) as exc:
                errors.append(exc)
        raise ValueError(f"{value!r} fits none of {args}: {errors}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ValueError(f"{value!r} is not one of {typing.get_args(tp)}")
        return value
    if origin in (tuple, list, typing.Sequence, typing.get_origin(typing.Sequence[int])):
        (arg, *_rest) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {value!r}")
        return tuple(_convert(arg, v) for v in value)
    if tp is Any:
        return value
    if is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping for {tp.__name__}, got {value!r}")
        return from_dict(tp, value)  # type: ignore[arg-type]
    if tp is timedelta:
        return parse_duration(value)
    if tp is datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=CST)
        if isinstance(value, str):
            return _convert(datetime, datetime.fromisoformat(value))
        raise TypeError(f"not a datetime: {value!r}")
    if tp is date:
        if isinstance(value, datetime):
            raise TypeError("a date, not a datetime")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            return date.fromisoformat(value)
        raise TypeError(f"not a date: {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"not an int: {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"not a number: {value!r}")
        return float(value)
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"not a string: {value!r}")
        return str(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise TypeError(f"not a bool: {value!r}")
        return value
    raise TypeError(f"unsupported type {tp!r}")


def from_dict(cls: type[_T], data: dict[str, Any]) -> _T:
    """Build a spec dataclass from plain data (as loaded from YAML), checking field names."""
    # YAML 1.1 reads a bare `on:` key as True
    data = {("on" if k is True else k): v for k, v in data.items()}
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    kwargs = {}
    for key, value in data.items():
        try:
            kwargs[key] = _convert(hints[key], value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{cls.__name__}.{key}: {exc}") from exc
    return cls(**kwargs)


def load_scenario(source: str | Path | dict[str, Any]) -> FarmSpec:
    """A FarmSpec from a YAML file, YAML text or a dict."""
    if isinstance(source, dict):
        data = source
    else:
        text = source.read_text("utf-8") if isinstance(source, Path) else source
        if isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml")):
            text = Path(source).read_text("utf-8")
        data = yaml.safe_load(text)
    return from_dict(FarmSpec, data)


__all__ = [
    "CATEGORIES", "CST", "DATE_FORMATS", "FAULT_KINDS", "GUIDE_ELEMENTS", "GUIDE_SYNONYMS",
    "TEMPLATES", "AttachmentSpec", "ColumnSpec", "DownPeriod", "FarmSpec", "Fault",
    "GeneratedSpec", "GuideSpec", "ItemSpec", "LinkSpec", "MessageSpec", "Organisation",
    "SiteSpec", "When", "from_dict", "load_scenario", "parse_duration", "resolve_day",
    "week_start",
]  # fmt: skip
