"""One site's URL space: which path is which page, without rendering anything.

Rendering (``farm.render``) and ground truth (``farm.truth``) both go through :meth:`Site.locate`,
so a path that the truth calls broken is exactly a path the server breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from farm.scenario import (
    AttachmentSpec,
    ColumnSpec,
    DownPeriod,
    Fault,
    ItemSpec,
    SiteSpec,
    resolve_day,
    week_start,
)

TargetKind = Literal[
    "homepage", "list", "article", "guide", "message", "system", "attachment", "asset",
    "other", "search", "calendar", "robots", "not_found", "soft404", "fault", "data", "stub",
]  # fmt: skip

# The site's own script: setHome, and TRS's createPageHTML(pages, current, name, ext), which
# writes the pager (首页 上一页 page numbers 下一页 尾页) where a list page calls it.
COMMON_JS = b"""function setHome(){return false;}
function createPageHTML(n, cur, name, ext) {
  if (n <= 1) { return; }
  function href(k) { return k == 0 ? name + "." + ext : name + "_" + k + "." + ext; }
  var out = ["\\u5171" + n + "\\u9875 "];
  for (var k = 0; k < n; k++) {
    out.push(k == cur ? "<span>" + (k + 1) + "</span>"
      : '<a href="' + href(k) + '">' + (k + 1) + "</a>");
  }
  document.write(out.join(" "));
}
"""
# Enough of jQuery for the getjson columns: $.getJSON over fetch.
JQUERY_JS = b"""window.jQuery = window.$ = { getJSON: function (url, done) {
  fetch(url).then(function (r) { return r.json(); }).then(done); } };
"""

ASSETS: dict[str, tuple[str, bytes]] = {
    "/css/style.css": ("text/css", b"body{font-family:SimSun,serif;margin:0}.main{width:1200px}"),
    "/js/common.js": ("application/javascript", COMMON_JS),
    "/js/jquery.js": ("application/javascript", JQUERY_JS),
    "/images/logo.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "/favicon.ico": ("image/x-icon", b"\x00\x00\x01\x00" + b"\x00" * 28),
}
OTHER_PAGES: dict[str, str] = {"/wzdt.html": "网站地图", "/lxwm.html": "联系我们"}

_ARTICLE = re.compile(r"^/(?P<col>.+?)/(?:\d{6}/t\d{8}|art)_(?P<idx>\d+)\.html$")
_LIST = re.compile(r"^/(?P<col>.+?)/(?:index(?:_(?P<page>\d+))?\.html)?$")
_GUIDE = re.compile(r"^/(?P<col>.+?)/guide_(?P<idx>\d+)\.html$")
_MESSAGE = re.compile(r"^/(?P<col>.+?)/msg_(?P<idx>\d+)\.html$")
_DATA = re.compile(r"^/(?P<col>.+?)/data\.json$")  # a "json"/"getjson" column's entries
DATA_SCRIPTS = ("json", "getjson")  # columns whose script requests data.json
_FILE = re.compile(r"^/(?P<col>.+?)/files/(?P<owner>[ag])(?P<idx>\d+)/(?P<name>[^/]+)$")


@dataclass(frozen=True, slots=True)
class Target:
    """What a path is on a site: a page kind plus the spec objects it shows."""

    kind: TargetKind
    column: ColumnSpec | None = None
    index: int = 0
    attachment: AttachmentSpec | None = None
    fault: Fault | None = None


def item_path(col: ColumnSpec, idx: int, day: date | None) -> str:
    """TRS-style article paths: /xwdt/202401/t20240105_3.html (art_3.html when undated)."""
    base = col.url_path
    if day is None:
        return f"{base}art_{idx}.html"
    return f"{base}{day:%Y%m}/t{day:%Y%m%d}_{idx}.html"


def list_path(col: ColumnSpec, page: int) -> str:
    """A list page's path; behind a redirect stub the first page is index.html."""
    if page == 0:
        return f"{col.url_path}index.html" if col.stub else col.url_path
    return f"{col.url_path}index_{page}.html"


def file_path(col: ColumnSpec, owner: str, idx: int, att: AttachmentSpec) -> str:
    return f"{col.url_path}files/{owner}{idx}/{att.filename}"


def fault_matches(fault: Fault, path: str) -> bool:
    if fault.path == "*":
        return True
    if fault.path.endswith("*"):
        return path.startswith(fault.path[:-1])
    return path == fault.path


class Site:
    """A SiteSpec bound to the farm's today: locates paths and answers down-time questions."""

    def __init__(self, spec: SiteSpec, today: date) -> None:
        self.spec = spec
        self.today = today
        self._columns = {c.path.strip("/"): c for c in spec.columns}
        self._week_start = week_start(today)

    # -- dates ------------------------------------------------------------------------------
    def day(self, when: date | int | None) -> date | None:
        return resolve_day(when, self.today)

    def item_day(self, item: ItemSpec) -> date | None:
        return resolve_day(item.date, self.today)

    def item_url_path(self, col: ColumnSpec, idx: int) -> str:
        return item_path(col, idx, self.item_day(col.items[idx]))

    def url(self, path: str) -> str:
        return f"{self.spec.scheme}://{self.spec.host}{path}"

    def n_list_pages(self, col: ColumnSpec) -> int:
        n = len(col.messages) or len(col.guides) or len(col.items)
        return max(1, -(-n // col.page_size))

    # -- availability ----------------------------------------------------------------------
    def down_at(self, t: datetime) -> DownPeriod | None:
        """The down period covering ``t``, if any (the canary is never down)."""
        if self.spec.canary:
            return None
        for period in self.spec.down:
            start = period.start
            if isinstance(start, timedelta):
                start = self._week_start + start
            if t < start:
                continue
            offset = t - start
            if period.every:
                offset = offset % period.every
            if offset < period.duration:
                return period
        return None

    # -- routing -----------------------------------------------------------------------------
    def locate(self, path: str, faults: bool = True) -> Target:
        """Map a request path (no query) to what the site serves there."""
        if faults and not self.spec.canary:
            for fault in self.spec.faults:
                if fault_matches(fault, path):
                    return Target("fault", fault=fault)
        if path in ("/", "/index.html", "/index.htm"):
            return Target("homepage")
        if path in ASSETS:
            return Target("asset")
        if path == "/robots.txt":
            return Target("robots")
        if path in OTHER_PAGES:
            return Target("other")
        if path == "/search/":
            return Target("search")
        if path == "/calendar/" and "calendar" in self.spec.traps:
            return Target("calendar")
        target = self._locate_column(path)
        if target is not None:
            return target
        return Target("soft404" if self.spec.soft404_unknown else "not_found")

    def _locate_column(self, path: str) -> Target | None:
        m = _DATA.match(path)
        if m and (col := self._columns.get(m["col"])) is not None and col.script in DATA_SCRIPTS:
            return Target("data", column=col)
        m = _LIST.match(path)
        if m and (col := self._columns.get(m["col"])) is not None:
            if col.stub and path == col.url_path:
                return Target("stub", column=col)
            page = int(m["page"] or 0)
            if page < self.n_list_pages(col):
                kind: TargetKind = "system" if col.category == "online_system" else "list"
                return Target(kind, column=col, index=page)
            return None
        m = _ARTICLE.match(path)
        if m and (col := self._columns.get(m["col"])) is not None:
            idx = int(m["idx"])
            if idx < len(col.items) and self.item_url_path(col, idx) == path:
                return Target("article", column=col, index=idx)
            return None
        m = _GUIDE.match(path)
        if m and (col := self._columns.get(m["col"])) is not None:
            idx = int(m["idx"])
            return Target("guide", column=col, index=idx) if idx < len(col.guides) else None
        m = _MESSAGE.match(path)
        if m and (col := self._columns.get(m["col"])) is not None:
            idx = int(m["idx"])
            return Target("message", column=col, index=idx) if idx < len(col.messages) else None
        m = _FILE.match(path)
        if m and (col := self._columns.get(m["col"])) is not None:
            idx = int(m["idx"])
            atts: tuple[AttachmentSpec, ...] = ()
            if m["owner"] == "g" and idx < len(col.guides):
                atts = col.guides[idx].attachments
            elif m["owner"] == "a" and idx < len(col.items):
                atts = col.items[idx].attachments
            for att in atts:
                if att.filename == m["name"] and att.state != "not_offered":
                    return Target("attachment", column=col, index=idx, attachment=att)
        return None

    # -- enumeration (truth) -------------------------------------------------------------------
    def page_paths(self) -> list[str]:
        """Every page a complete crawl reaches (traps and search results excluded)."""
        paths = ["/"]
        for col in self.spec.columns:
            if col.stub:
                paths.append(col.url_path)
            paths += [list_path(col, p) for p in range(self.n_list_pages(col))]
            if col.category == "online_system":
                continue
            paths += [self.item_url_path(col, i) for i in range(len(col.items))]
            paths += [f"{col.url_path}guide_{i}.html" for i in range(len(col.guides))]
            paths += [f"{col.url_path}msg_{i}.html" for i in range(len(col.messages))]
        paths += list(OTHER_PAGES)
        return paths
