"""Page rendering by plain string building, recording every link and dated item as it is written.

The recorded links and items are what ``farm.truth`` reports, so the truth never parses HTML
and can never disagree with what the server sends. Five templates mimic real CMS families:
``ul`` (li + span dates), ``table`` (td dates), ``cards`` (div cards), ``trs`` (TRS WCM: relative
``./`` links, ``[01-05]``-style dates first) and ``kaipu`` (开普云: absolute links, dl/dd dates).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from urllib.parse import quote

from farm.scenario import (
    CST,
    GUIDE_SYNONYMS,
    AttachmentSpec,
    ColumnSpec,
    GuideSpec,
    ItemSpec,
    LinkSpec,
)
from farm.site import OTHER_PAGES, Site, Target, file_path, item_path, list_path

WEEKDAYS = "一二三四五六日"
COLUMN_TYPES = {
    "news": "动态要闻", "notice": "通知公告", "policy": "政策文件", "personnel": "人事信息",
    "planning": "规划计划", "other_info": "概况信息", "consult": "政务咨询",
    "report": "举报投诉", "survey": "调查征集", "interview": "在线访谈", "guide": "办事指南",
    "online_system": "在线办事",
}  # fmt: skip
SEARCH_WORD = "政府信息公开"
NOT_FOUND_TEXT = "对不起，您访问的页面不存在或已被删除！"
GUIDE_TEXT = {
    "事项名称": "{title}",
    "设定依据": "《中华人民共和国行政许可法》第十二条；"
    "《国务院对确需保留的行政审批项目设定行政许可的决定》",
    "申请条件": "申请人应为本辖区内依法登记的单位或具有完全民事行为能力的公民。",
    "办理材料": "1.申请表原件1份；2.申请人身份证明复印件1份；3.其他相关证明材料。",
    "办理地点": "县政务服务中心一楼综合窗口（人民路88号）",
    "办理时间": "工作日上午9:00-12:00，下午13:30-17:30（法定节假日除外）",
    "联系电话": "0371-12345678",
    "办理流程": "申请→受理→审查→决定→送达",
}  # fmt: skip


@dataclass(slots=True)
class Link:
    url: str  # absolute, percent-encoded
    text: str
    tag: str = "a"


@dataclass(slots=True)
class Shown:
    """A dated entry as the page shows it; ``date`` is None when the page shows no date."""

    title: str
    url: str
    date: date | None


@dataclass(slots=True)
class Rendered:
    kind: str
    title: str
    html: str
    links: list[Link] = field(default_factory=list)
    items: list[Shown] = field(default_factory=list)
    published: date | None = None


def format_date(d: date, fmt: str, salt: str = "") -> str:
    """The text a real site would show for ``d`` in format ``fmt``."""
    if fmt == "iso":
        return f"{d:%Y-%m-%d}"
    if fmt == "slash":
        return f"{d:%Y/%m/%d}"
    if fmt == "dot":
        return f"{d:%Y.%m.%d}"
    if fmt == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if fmt == "md":
        return f"[{d:%m-%d}]"
    if fmt == "pubtime":
        return f"发布时间：{d:%Y-%m-%d} {clock_of(salt)}"
    return ""


def clock_of(salt: str) -> str:
    """A stable office-hours time for a page, so 10:30-style stamps look real but stay fixed."""
    h = hashlib.blake2s(salt.encode(), digest_size=2).digest()
    return f"{8 + h[0] % 10:02d}:{h[1] % 60:02d}"


def attachment_bytes(att: AttachmentSpec) -> tuple[str, bytes]:
    """Deterministic file bytes whose magic number matches the extension."""
    ext = att.filename.rsplit(".", 1)[-1].lower()
    magic, ctype = {
        "pdf": (b"%PDF-1.4\n", "application/pdf"),
        "doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword"),
        "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-excel"),
        "docx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument"),
        "xlsx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument"),
        "zip": (b"PK\x03\x04", "application/zip"),
    }.get(ext, (b"", "application/octet-stream"))
    return ctype, magic + b"\x00" * max(0, att.size - len(magic))


class PageBuilder:
    """Renders one site's pages as of a moment (the header clock shows that moment)."""

    def __init__(self, site: Site, now: datetime) -> None:
        self.site = site
        self.spec = site.spec
        self.now = now.astimezone(CST)

    # -- small pieces ----------------------------------------------------------------------
    def _abs(self, target: str) -> str:
        return target if "://" in target else self.site.url(target)

    def _a(self, r: Rendered, target: str, text: str, href: str | None = None, **attrs: str) -> str:
        r.links.append(Link(self._abs(target), text))
        extra = "".join(f' {k}="{escape(v)}"' for k, v in attrs.items())
        return f'<a href="{escape(href or target)}"{extra}>{escape(text)}</a>'

    def _tagged(self, r: Rendered, link: LinkSpec) -> str:
        r.links.append(Link(self._abs(link.target), link.text, link.tag))
        t, x = escape(link.target), escape(link.text)
        return {
            "a": f'<a href="{t}" target="_blank">{x}</a>',
            "img": f'<img src="{t}" alt="{x}">',
            "script": f'<script src="{t}"></script>',
            "link": f'<link rel="stylesheet" href="{t}">',
            "iframe": f'<iframe src="{t}" title="{x}"></iframe>',
        }[link.tag]

    def _extra(self, r: Rendered, where: str) -> str:
        links = [lk for lk in self.spec.links if lk.on == where]
        if not links:
            return ""
        body = " ".join(self._tagged(r, lk) for lk in links)
        return f'<div class="links"><h3>相关链接</h3>{body}</div>'

    def _head(self, r: Rendered, col: ColumnSpec | None, meta: str = "") -> str:
        s = self.spec
        charset = "gb2312" if s.encoding != "utf-8" else "utf-8"
        declared = (
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            if s.declare_charset
            else ""
        )
        colmeta = ""
        if col is not None:
            colmeta = (
                f'<meta name="ColumnName" content="{escape(col.name)}">'
                f'<meta name="ColumnType" content="{COLUMN_TYPES[col.category]}">'
            )
        r.links.append(Link(self.site.url("/css/style.css"), "", "link"))
        r.links.append(Link(self.site.url("/js/common.js"), "", "script"))
        r.links.append(Link(self.site.url("/images/logo.png"), s.name, "img"))
        wd = WEEKDAYS[self.now.weekday()]
        clock = f"{self.now.year}年{self.now.month}月{self.now.day}日 星期{wd}"
        nav = self._a(r, "/", "首页") + "".join(self._a(r, c.url_path, c.name) for c in s.columns)
        return (
            f'<!DOCTYPE html><html lang="zh-CN"><head>{declared}'
            f"<title>{escape(r.title)}_{escape(s.name)}</title>"
            f'<meta name="SiteName" content="{escape(s.name)}">'
            f'<meta name="SiteDomain" content="{s.host}">'
            f'<meta name="SiteIDCode" content="{s.code}">{colmeta}{meta}'
            f'<link rel="stylesheet" href="/css/style.css">'
            f'<script src="/js/common.js"></script></head><body>'
            f'<div class="top"><span class="today">{clock}</span>'
            f'<a href="javascript:setHome()">设为首页</a> <a href="javascript:;">加入收藏</a></div>'
            f'<div class="header"><img src="/images/logo.png" alt="{escape(s.name)}"></div>'
            f'<div class="nav">{nav}</div><div class="main">'
        )

    def _foot(self, r: Rendered) -> str:
        s = self.spec
        extra = self._extra(r, "all")
        links = " | ".join(self._a(r, p, t) for p, t in OTHER_PAGES.items())
        return (
            f'</div>{extra}<div class="footer"><p>{links}</p>'
            f"<p>主办单位：{escape(s.host_org or s.name)}　网站标识码：{s.code}</p>"
            f"<p>{s.icp}　{s.police}</p>"
            f"<p>联系电话：{s.phone}　Copyright © {s.since}-{self.now.year} All Rights Reserved</p>"
            f"</div></body></html>"
        )

    def _href(self, path: str, here: str) -> str:
        """How the template writes a same-site link: TRS relative, 开普云 absolute, else rooted."""
        if self.spec.template == "trs":
            here_dir = here.rsplit("/", 1)[0] + "/"
            if path.startswith(here_dir) and path != here_dir:
                return "./" + path[len(here_dir) :]
        if self.spec.template == "kaipu":
            return self.site.url(path)
        return path

    def _entries(
        self,
        r: Rendered,
        entries: list[tuple[str, str, date | None, str]],
        here: str,
        record: bool = True,
        script: str = "",
        split: int = 0,
    ) -> str:
        """A dated list in the site's template (``li`` rows when a script builds it); entries
        are (path, title, day, format); ``split`` prints it as sibling wrappers of that many."""
        tpl = "ul" if script else self.spec.template
        rows = []
        for path, title, day, fmt in entries:
            shown = format_date(day, fmt, path) if day is not None else ""
            if script in ("", "jpage"):  # links a crawler that runs no script still sees
                r.links.append(Link(self.site.url(path), title))
            if record:
                r.items.append(Shown(title, self.site.url(path), day if shown else None))
            href, t = escape(self._href(path, here)), escape(title)
            if tpl == "table":
                rows.append(
                    f'<tr><td class="title"><a href="{href}" target="_blank">{t}</a></td>'
                    f'<td class="date" align="right">{shown}</td></tr>'
                )
            elif tpl == "cards":
                rows.append(
                    f'<div class="card"><h4><a href="{href}">{t}</a></h4>'
                    f'<p class="summary">{t}……</p><div class="info">{shown}</div></div>'
                )
            elif tpl == "trs":
                rows.append(
                    f'<li><span class="fr">{shown}</span>'
                    f'<a href="{href}" target="_blank" title="{t}">{t}</a></li>'
                )
            elif tpl == "kaipu":
                rows.append(
                    f'<dl><dt><a href="{href}" target="_blank">{t}</a></dt>'
                    f'<dd class="time">{shown}</dd></dl>'
                )
            else:
                rows.append(
                    f'<li><a href="{href}" target="_blank" title="{t}">{t}</a>'
                    f'<span class="date">{shown}</span></li>'
                )
        if script:
            if script == "getjson":
                r.links.append(Link(self.site.url("/js/jquery.js"), "", "script"))
            return scripted_list(script, rows, self._script_data(entries, script))
        size = split if split > 0 else max(1, len(rows))
        return "".join(_wrap(tpl, "".join(rows[k : k + size])) for k in range(0, len(rows), size))

    @staticmethod
    def _script_data(
        entries: list[tuple[str, str, date | None, str]], script: str
    ) -> list[dict[str, str]]:
        """The entries as a script-built page's data carries them (inline and computed)."""
        if script not in ("inline", "computed"):
            return []
        return [
            {"title": title, "url": path, "pubDate": f"{day:%Y-%m-%d} 09:30:00" if day else ""}
            for path, title, day, _ in entries
        ]

    def _item_entries(
        self, col: ColumnSpec, lo: int, hi: int
    ) -> list[tuple[str, str, date | None, str]]:
        out: list[tuple[str, str, date | None, str]] = []
        for i in range(lo, min(hi, len(col.items))):
            item = col.items[i]
            day = self.site.item_day(item)
            out.append((item_path(col, i, day), item.title, day, item.fmt or col.fmt))
        return out

    # -- pages -------------------------------------------------------------------------------
    def render(self, target: Target, path: str, query: str = "") -> Rendered:
        kind = target.kind
        if kind == "homepage":
            return self.homepage()
        if kind == "list":
            assert target.column is not None
            return self.column_page(target.column, target.index, path, query)
        if kind == "article":
            assert target.column is not None
            return self.article(target.column, target.index, path)
        if kind == "guide":
            assert target.column is not None
            return self.guide(target.column, target.index)
        if kind == "message":
            assert target.column is not None
            return self.message(target.column, target.index)
        if kind == "system":
            assert target.column is not None
            return self.system(target.column)
        if kind == "stub":
            assert target.column is not None
            return self.stub(target.column)
        if kind == "other":
            return self.other(path)
        if kind == "search":
            return self.search(query)
        if kind == "calendar":
            return self.calendar(query)
        return self.not_found()

    def homepage(self) -> Rendered:
        s = self.spec
        r = Rendered("homepage", "首页", "")
        head = self._head(r, None)
        parts = []
        if s.navigation_only:
            for col in s.columns:
                parts.append(
                    f'<div class="entry"><img src="/images/logo.png" alt="">'
                    f"{self._a(r, col.url_path, col.name)}</div>"
                )
            body = f'<div class="nav-grid">{"".join(parts)}</div>'
        else:
            if s.homepage_tabs:
                parts.append(self._tabs(r, [c for c in s.columns if c.shown_on_homepage]))
            for col in s.columns:
                if not col.shown_on_homepage or s.homepage_tabs:
                    continue
                entries = self._item_entries(col, 0, col.homepage_count)
                parts.append(
                    f'<div class="lmbox"><div class="lmtit">{self._a(r, col.url_path, col.name)}'
                    f"{self._a(r, col.url_path, '更多>>', cls='more')}</div>"
                    f"{self._entries(r, entries, '/')}</div>"
                )
            services = [c for c in s.columns if not c.shown_on_homepage]
            if services:
                links = "".join(f"<li>{self._a(r, c.url_path, c.name)}</li>" for c in services)
                parts.append(f'<div class="lmbox service"><h3>政务服务</h3><ul>{links}</ul></div>')
            body = "".join(parts)
        body += self._search_box(r) + self._traps(r, "/", "") + self._extra(r, "homepage")
        r.html = head + body + self._foot(r)
        if s.homepage_app:
            r.html = _app_shell(r.html)
        return r

    def _tabs(self, r: Rendered, cols: list[ColumnSpec]) -> str:
        """Homepage columns as one tab box: the first pane shown, the others display:none (a
        script switches them on mouseover); every pane's entries are on the page."""
        heads, panes = [], []
        for k, col in enumerate(cols):
            on = ' class="on"' if k == 0 else ""
            heads.append(
                f'<li{on} onmouseover="tab({k})">{self._a(r, col.url_path, col.name)}</li>'
            )
            entries = self._item_entries(col, 0, col.homepage_count)
            hidden = "" if k == 0 else ' style="display:none"'
            more = self._a(r, col.url_path, "更多>>", cls="more")
            panes.append(
                f'<div class="tab-pane" id="pane{k}"{hidden}>{self._entries(r, entries, "/")}'
                f"<div>{more}</div></div>"
            )
        return (
            f'<div class="tabbox"><ul class="tab-hd">{"".join(heads)}</ul>'
            f'<div class="tab-bd">{"".join(panes)}</div></div>'
        )

    def _search_box(self, r: Rendered) -> str:
        if not self.spec.search:
            return ""
        encoding = "gbk" if self.spec.encoding != "utf-8" else "utf-8"
        encoded = quote(SEARCH_WORD.encode(encoding))
        href = f"/search/?q={SEARCH_WORD}" if encoding == "utf-8" else f"/search/?q={encoded}"
        r.links.append(Link(self.site.url(f"/search/?q={encoded}"), "热点搜索"))
        return f'<div class="search">热点搜索：<a href="{escape(href)}">{SEARCH_WORD}</a></div>'

    def _traps(self, r: Rendered, path: str, query: str) -> str:
        out = ""
        if "calendar" in self.spec.traps and path == "/":
            month = f"{self.site.today:%Y-%m}"
            out += f'<div class="cal">{self._a(r, f"/calendar/?month={month}", "活动日历")}</div>'
        if "session" in self.spec.traps:
            sid = hashlib.blake2s(f"{path}?{query}".encode(), digest_size=8).hexdigest().upper()
            target = f"{path}?sid={sid}"
            out += f'<div class="sess">{self._a(r, target, "刷新")}</div>'
        return out

    def column_page(self, col: ColumnSpec, page: int, path: str, query: str) -> Rendered:
        r = Rendered("list", col.name, "")
        head = self._head(r, col)
        lo, hi = page * col.page_size, (page + 1) * col.page_size
        if col.messages:
            body = self._message_table(r, col, lo, hi)
        elif col.guides:
            entries: list[tuple[str, str, date | None, str]] = [
                (f"{col.url_path}guide_{i}.html", g.title, self.site.day(g.date), col.fmt)
                for i, g in enumerate(col.guides[lo:hi], start=lo)
            ]
            body = self._entries(r, entries, path)
        elif col.items:
            script = col.script if page == 0 else ""
            entries = self._item_entries(col, lo, hi)
            body = self._entries(r, entries, path, script=script, split=col.split)
            if col.lead and entries:
                body = self._lead(r, entries[0], path) + body
        elif col.exempt_note:
            body = f'<div class="empty-note">{escape(col.exempt_note)}</div>'
        else:
            body = '<div class="list-empty"></div>'
        if col.box:
            more = self._a(r, col.url_path, "更多>>", cls="more")
            body = (
                f'<div class="box"><div class="box-hd"><span class="tit">{escape(col.name)}</span>'
                f'{more}</div><div class="box-bd">{body}</div></div>'
            )
        pages = self.site.n_list_pages(col)
        if col.pager == "js":
            pager = self._js_pager(r, col, page, pages)
        else:
            nav = []
            if page > 0:
                nav.append(self._a(r, list_path(col, page - 1), "上一页"))
            if page + 1 < pages:
                nav.append(self._a(r, list_path(col, page + 1), "下一页"))
                nav.append(self._a(r, list_path(col, pages - 1), "尾页"))
            pager = f'<div class="page">共{pages}页 {" ".join(nav)}</div>' if pages > 1 else ""
        crumbs = (
            f'<div class="crumb">当前位置：{self._a(r, "/", "首页")} &gt; {escape(col.name)}</div>'
        )
        r.html = (
            head + crumbs + f'<div class="column"><h2>{escape(col.name)}</h2>{body}{pager}'
            f"</div>" + self._traps(r, path, query) + self._extra(r, "lists") + self._foot(r)
        )
        return r

    def _lead(self, r: Rendered, entry: tuple[str, str, date | None, str], here: str) -> str:
        """A 头条 card: the first entry again, with a picture and a summary (not an entry of
        its own: same link, no date)."""
        path, title = entry[0], entry[1]
        href, t = escape(self._href(path, here)), escape(title)
        r.links.append(Link(self.site.url(path), title))
        r.links.append(Link(self.site.url("/images/logo.png"), title, "img"))
        return (
            f'<div class="headline"><div class="pic"><a href="{href}" target="_blank">'
            f'<img src="/images/logo.png" alt="{t}"></a></div><div class="txt">'
            f'<h3><a href="{href}" target="_blank">{t}</a></h3>'
            f"<p>{t}。会议强调，要坚持稳中求进工作总基调，扎实推进各项工作落地见效……"
            f'<a href="{href}" target="_blank">[详细]</a></p></div></div>'
        )

    def _js_pager(self, r: Rendered, col: ColumnSpec, page: int, pages: int) -> str:
        """TRS's pager: a createPageHTML call that writes the page links in the browser. The
        pages it links stay reachable (the truth records them as the browser shows them)."""
        if pages <= 1:
            return ""
        for k in range(pages):
            if k != page:
                name = "index.html" if k == 0 else f"index_{k}.html"
                r.links.append(Link(self.site.url(f"{col.url_path}{name}"), str(k + 1)))
        return (
            f'<div class="page"><script type="text/javascript">'
            f'createPageHTML({pages}, {page}, "index", "html");</script></div>'
        )

    def stub(self, col: ColumnSpec) -> Rendered:
        """A redirect stub in front of the column's first page (a site moved to a new CMS)."""
        r = Rendered("other", col.name, "")
        target = "index.html"
        r.links.append(Link(self.site.url(f"{col.url_path}{target}"), ""))
        if col.stub == "meta":
            head = f'<meta http-equiv="refresh" content="0;url={target}">'
            body = "页面跳转中……"
        else:
            head = ""
            body = f'正在跳转……<script>window.location.href = "{target}";</script>'
        r.html = (
            f"<!DOCTYPE html><html><head>{head}"
            f"<title>{escape(col.name)}</title></head><body>{body}</body></html>"
        )
        return r

    def data_json(self, col: ColumnSpec) -> str:
        """What a "json" column's data.json answers: its first page's entries, the way CMS list
        APIs write them (nested under data.list, full date-times)."""
        entries = self._item_entries(col, 0, col.page_size)
        if col.script == "getjson":  # TRS's docs API: docTitle, docPubUrl, epoch milliseconds
            docs = [
                {"docTitle": title, "docPubUrl": path, "docRelTime": _epoch_ms(day)}
                for path, title, day, _ in entries
            ]
            return json.dumps({"result": {"docs": docs}}, ensure_ascii=False)
        rows = [
            {"title": title, "url": path, "pubDate": f"{day:%Y-%m-%d} 09:30:00" if day else ""}
            for path, title, day, _ in entries
        ]
        return json.dumps(
            {"code": 0, "data": {"total": len(rows), "list": rows}}, ensure_ascii=False
        )

    def _message_table(self, r: Rendered, col: ColumnSpec, lo: int, hi: int) -> str:
        if col.letters != "table":
            return self._lonsun_letters(r, col, lo, hi)
        rows = [
            "<tr><th>序号</th><th>标题</th><th>留言时间</th><th>状态</th><th>回复时间</th></tr>"
        ]
        for i in range(lo, min(hi, len(col.messages))):
            m = col.messages[i]
            asked, answered = self.site.day(m.asked), self.site.day(m.answered)
            path = f"{col.url_path}msg_{i}.html"
            status = "已回复" if answered else "办理中"
            reply = f"{answered:%Y-%m-%d}" if answered and m.show_reply_date else ""
            r.items.append(Shown(m.title, self.site.url(path), asked))
            rows.append(
                f"<tr><td>{i + 1}</td><td>{self._a(r, path, m.title)}</td>"
                f"<td>{asked:%Y-%m-%d}</td><td>{status}</td><td>{reply}</td></tr>"
            )
        return f'<table class="msg-list">{"".join(rows)}</table>'

    def _lonsun_letters(self, r: Rendered, col: ColumnSpec, lo: int, hi: int) -> str:
        """龙讯 lonsun's letter lists (see ``ColumnSpec.letters``): 留言时间 | 办理状态 | … |
        信件标题 cells, no reply date; a letter with only a pre-reply shows 已预答复, which says
        neither answered nor open, so its page must be read."""
        rows_shape = col.letters == "rows"
        names = ("留言时间", "办理状态", "信件编号", "信件标题")
        if rows_shape:
            out = [
                '<ul class="guestbook_title">' + "".join(f"<li>{n}</li>" for n in names) + "</ul>"
            ]
        else:
            cls = ("p4", "p3", "p2", "p1")
            head = "".join(f'<p class="{c}">{n}</p>' for c, n in zip(cls, names, strict=True))
            out = [f'<ul class="head"><li>{head}</li></ul><ul class="list">']
        for i in range(lo, min(hi, len(col.messages))):
            m = col.messages[i]
            asked, answered = self.site.day(m.asked), self.site.day(m.answered)
            assert asked is not None
            path = f"{col.url_path}msg_{i}.html"
            status = "已回复" if answered else ("已预答复" if m.pre_reply else "办理中")
            r.items.append(Shown(m.title, self.site.url(path), asked))
            link = self._a(r, path, m.title, title=m.title)
            number = f"{asked:%Y%m%d}{i + 1:03d}"
            parity = "odd" if i % 2 == 0 else "even"
            if rows_shape:
                out.append(
                    f'<ul class="{parity}"><li>{asked:%Y-%m-%d}</li><li><span>{status}</span></li>'
                    f'<li>{number}</li><li class="t3">{link}</li></ul>'
                )
            else:
                out.append(
                    f'<li class="{parity}"><p class="p4">{asked:%Y-%m-%d}</p><p class="p3">\n'
                    f'{status}\n</p><p class="p2">{number}</p><p class="p1">{link}</p></li>'
                )
        if rows_shape:
            return f'<div id="message_list">{"".join(out)}</div>'
        return f'<div class="mailbox">{"".join(out)}</ul></div>' + self._channel_extras(r)

    def _channel_extras(self, r: Rendered) -> str:
        """The 互动交流 channel's other blocks beside the mailbox: the site's 民意征集 entries,
        dated by ranges (征集时间：start 至 end), as lonsun draws them. They are not letters and
        not the column's items; read by link entries, they pass for its messages."""
        lis = []
        for col in self.spec.columns:
            if col.category != "survey":
                continue
            for path, title, day, _ in self._item_entries(col, 0, 6):
                if day is None:
                    continue
                end = date.fromordinal(day.toordinal() + 30)
                lis.append(
                    f'<li><span class="date">征集时间：{day:%Y-%m-%d} 至 {end:%Y-%m-%d}</span>'
                    f"{self._a(r, path, title)}</li>"
                )
        if not lis:
            return ""
        return f'<div class="hd">民意征集</div><ul id="hctab1">{"".join(lis)}</ul>'

    def _attachments(
        self, r: Rendered, col: ColumnSpec, owner: str, idx: int, atts: tuple[AttachmentSpec, ...]
    ) -> str:
        if not atts:
            return ""
        lis = []
        for att in atts:
            if att.state == "not_offered":
                lis.append(f"<li>《{escape(att.name)}》（请到窗口领取）</li>")
            else:
                target = file_path(col, owner, idx, att)
                lis.append(f"<li>{self._a(r, target, att.name)}</li>")
        return f'<div class="attach"><h4>附件下载：</h4><ul>{"".join(lis)}</ul></div>'

    def article(self, col: ColumnSpec, idx: int, path: str) -> Rendered:
        item: ItemSpec = col.items[idx]
        day = self.site.item_day(item)
        fmt = item.fmt or col.fmt
        visible = day if day is not None and fmt != "none" else None
        meta_day = self.site.day(item.meta_pubdate) if item.meta_pubdate is not None else day
        r = Rendered("article", item.title, "", published=visible)
        meta = f'<meta name="ArticleTitle" content="{escape(item.title)}">'
        if meta_day is not None:
            meta += f'<meta name="PubDate" content="{meta_day:%Y-%m-%d} {clock_of(path)}">'
        meta += (
            f'<meta name="ContentSource" content="{escape(self.spec.host_org or self.spec.name)}">'
        )
        head = self._head(r, col, meta)
        info = f"发布日期：{visible:%Y-%m-%d}　" if visible else ""
        year = (day or self.site.today).year
        text = item.body or (
            f"{escape(item.title)}。根据{escape(self.spec.host_org or '本单位')}"
            f"〔{year}〕{idx % 30 + 1}号文件精神，现将有关事项通知如下。"
        )
        # related links written relative, the way CMS templates do
        dir_path = path.rsplit("/", 1)[0] + "/"
        base = ""
        others = [c for c in self.spec.columns if c is not col][:2]
        back = "./" if self.spec.base_href or dir_path == col.url_path else "../"
        rel = [self._a(r, list_path(col, 0), f"返回{col.name}", href=back)]
        if self.spec.base_href:
            base = f'<base href="{self.site.url(col.url_path)}">'
            rel += [self._a(r, c.url_path, c.name, href=f"..{c.url_path}") for c in others]
        else:
            up = "../" * (dir_path.count("/") - 1)
            rel += [
                self._a(r, c.url_path, c.name, href=f"{up}{c.url_path.lstrip('/')}") for c in others
            ]
        head = head.replace("</head>", f"{base}</head>", 1)
        atts = self._attachments(r, col, "a", idx, item.attachments)
        if item.links:
            atts += '<div class="refs">' + " ".join(self._tagged(r, lk) for lk in item.links)
            atts += "</div>"
        r.html = (
            head + f'<div class="article"><h1>{escape(item.title)}</h1>'
            f'<div class="info">{info}来源：{escape(self.spec.host_org or self.spec.name)}'
            f'</div><div class="content"><p>{text}</p>{atts}</div>'
            f'<div class="related">{" ".join(rel)}</div></div>'
            + self._extra(r, "articles")
            + self._foot(r)
        )
        return r

    def guide(self, col: ColumnSpec, idx: int) -> Rendered:
        g: GuideSpec = col.guides[idx]
        r = Rendered("guide", g.title, "")
        head = self._head(r, col)
        parts = []
        for n, el in enumerate(e for e in GUIDE_TEXT if e in g.elements):
            label = GUIDE_SYNONYMS.get(el, el) if g.synonyms else el
            value = escape(GUIDE_TEXT[el].format(title=g.title))
            if g.layout == "dl":
                parts.append(f"<dt>{label}</dt><dd>{value}</dd>")
            elif g.layout == "headings":
                parts.append(f"<h3>{'一二三四五六七八'[n]}、{label}</h3><p>{value}</p>")
            else:
                parts.append(f'<tr><th width="20%">{label}</th><td>{value}</td></tr>')
        inner = "".join(parts)
        body = {"dl": f"<dl>{inner}</dl>", "headings": f"<div>{inner}</div>"}.get(
            g.layout, f'<table class="guide" border="1">{inner}</table>'
        )
        atts = self._attachments(r, col, "g", idx, g.attachments)
        r.html = (
            head
            + f'<div class="guide"><h1>{escape(g.title)}办事指南</h1>{body}{atts}</div>'
            + self._foot(r)
        )
        return r

    def message(self, col: ColumnSpec, idx: int) -> Rendered:
        m = col.messages[idx]
        asked, answered = self.site.day(m.asked), self.site.day(m.answered)
        r = Rendered("message", m.title, "")
        head = self._head(r, col)
        if col.letters != "table":
            r.html = (
                head
                + self._lonsun_letter(
                    m.title, m.asker, m.pre_reply, m.show_reply_date, asked, answered
                )
                + self._foot(r)
            )
            return r
        reply = '<div class="reply"><p>状态：办理中</p></div>'
        if answered:
            when = f"回复时间：{answered:%Y-%m-%d}" if m.show_reply_date else ""
            reply = (
                f'<div class="reply"><p>状态：已回复</p><p>回复单位：'
                f"{escape(self.spec.host_org or self.spec.name)}　{when}</p>"
                f"<p>您好，您反映的问题已转相关部门办理，感谢您的关注。</p></div>"
            )
        r.html = (
            head + f'<div class="message"><h1>{escape(m.title)}</h1>'
            f"<p>留言人：{escape(m.asker)}　留言时间：{asked:%Y-%m-%d}</p>"
            f"<p>{escape(m.title)}，请问相关部门如何处理？</p>{reply}</div>" + self._foot(r)
        )
        return r

    def _lonsun_letter(
        self,
        title: str,
        asker: str,
        pre_reply: bool,
        show_reply_date: bool,
        asked: date | None,
        answered: date | None,
    ) -> str:
        """A 龙讯 lonsun letter page: 来信时间; 智能预答复 with its 预答复时间 (the minute the
        letter came: not a reply); 答复情况 with 答复时间 alone on a line, indented by sixty
        spaces under its label, as the CMS writes it."""
        assert asked is not None
        came = f"{asked:%Y-%m-%d} {clock_of(title)}"
        pre = ""
        if pre_reply:
            pre = (
                '<div class="pre-reply"><h3>智能预答复</h3>'
                f"<p>预答复时间：{came}</p><p>您好，系统为您找到以下相似问题的答复，供参考。</p></div>"
            )
        pad = "\n" + " " * 60
        if answered:
            when = f"{pad}答复时间：{pad}{answered:%Y-%m-%d} 09:53" if show_reply_date else ""
            reply = (
                '<div class="reply"><h3>答复情况</h3><p>办理状态：已回复</p>'
                f"<div>答复单位：{escape(self.spec.host_org or self.spec.name)} {when}</div>"
                "<div>您好，您反映的问题已转相关部门办理，感谢您的关注。</div></div>"
            )
        else:
            reply = '<div class="reply"><h3>答复情况</h3><p>办理状态：办理中</p></div>'
        return (
            f'<div class="message lonsun"><h1>{escape(title)}</h1>'
            f"<p>来信人：{escape(asker)}</p><p>来信时间：{came}</p>"
            f"<div>{escape(title)}，请问相关部门如何处理？</div>{pre}{reply}</div>"
        )

    def system(self, col: ColumnSpec) -> Rendered:
        r = Rendered("other", col.name, "")
        r.html = (
            self._head(r, col) + f'<div class="system"><h2>{escape(col.name)}</h2>'
            '<form method="post" action="#"><input name="sqr" placeholder="申请人">'
            '<input name="sfzh" placeholder="身份证号"><button>提交</button></form></div>'
            + self._foot(r)
        )
        return r

    def other(self, path: str) -> Rendered:
        title = OTHER_PAGES[path]
        r = Rendered("other", title, "")
        head = self._head(r, None)
        if path == "/wzdt.html":
            body = "".join(f"<li>{self._a(r, c.url_path, c.name)}</li>" for c in self.spec.columns)
            body = f"<ul>{body}</ul>"
        else:
            body = f"<p>地址：人民路88号　邮编：450000　电话：{self.spec.phone}</p>"
        r.html = head + f"<h2>{title}</h2>{body}" + self._foot(r)
        return r

    def search(self, query: str) -> Rendered:
        r = Rendered("other", "搜索结果", "")
        head = self._head(r, None)
        r.html = (
            head
            + f'<div class="search-result">搜索“{escape(query)}”的结果：共0条</div>'
            + self._foot(r)
        )
        return r

    def calendar(self, query: str) -> Rendered:
        """An endless month chain: every month links to the next and the previous one."""
        r = Rendered("other", "活动日历", "")
        head = self._head(r, None)
        try:
            y, m = (int(x) for x in query.split("-")[:2])
            first = date(y, m, 1)
        except ValueError:
            first = self.site.today.replace(day=1)
        prev = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        links = (
            self._a(r, f"/calendar/?month={prev:%Y-%m}", "上个月")
            + " "
            + self._a(r, f"/calendar/?month={nxt:%Y-%m}", "下个月")
        )
        r.html = head + f"<h2>{first.year}年{first.month}月</h2>{links}" + self._foot(r)
        return r

    def not_found(self) -> Rendered:
        r = Rendered("other", "页面不存在", "")
        r.html = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在</title></head>'
            f"<body><h1>404</h1><p>{NOT_FOUND_TEXT}</p>"
            '<p><a href="/">返回首页</a></p></body></html>'
        )
        return r


# The script of a "json" column: fetch the column's data.json and write the rows (what the
# 政务公开 platforms' Vue/jQuery pages do). Dates are shown as their first 10 characters.
_FILL_FROM_JSON = """<script>fetch("data.json").then(function (r) { return r.json(); })
.then(function (d) { document.getElementById("list").innerHTML = d.data.list.map(function (e) {
  return '<li><a href="' + e.url + '" target="_blank">' + e.title + '</a><span class="date">'
    + e.pubDate.slice(0, 10) + '</span></li>'; }).join(""); });</script>"""


def _js_string(text: str) -> str:
    """A JavaScript string literal that cannot end the <script> it sits in."""
    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")


def _wrap(tpl: str, body: str) -> str:
    """One list wrapper of the template around its rows."""
    if tpl == "table":
        return f'<table class="list-table" width="100%">{body}</table>'
    if tpl in ("cards", "kaipu"):
        return f'<div class="news-list">{body}</div>'
    return f'<ul class="list">{body}</ul>'


def _epoch_ms(day: date | None) -> int | None:
    """09:30 Beijing time of ``day`` in epoch milliseconds (what TRS's docs API sends)."""
    if day is None:
        return None
    return int(datetime(day.year, day.month, day.day, 9, 30, tzinfo=CST).timestamp() * 1000)


# Fill #list from the page's own data (inline: a JSON array; computed: an encoded string the
# script decodes first). Dates are shown as their first 10 characters.
_FILL_ROWS = """document.getElementById("list").innerHTML = rows.map(function (e) {
  return '<li><a href="' + e.url + '" target="_blank">' + e.title + '</a><span class="date">'
    + e.pubDate.slice(0, 10) + '</span></li>'; }).join("");"""
_FILL_FROM_GETJSON = """<script>$.getJSON("data.json", function (d) {
  document.getElementById("list").innerHTML = d.result.docs.map(function (e) {
    var t = new Date(e.docRelTime + 8 * 3600 * 1000).toISOString().slice(0, 10);
    return '<li><a href="' + e.docPubUrl + '" target="_blank">' + e.docTitle
      + '</a><span class="date">' + t + '</span></li>'; }).join(""); });</script>"""


def _hidden(text: str) -> str:
    """``text`` as a script expression that only a browser turns back into it: UTF-8, base64,
    reversed (how the "computed" column and the app-shell homepage hide their markup)."""
    packed = _js_string(base64.b64encode(text.encode()).decode()[::-1])
    return f'decodeURIComponent(escape(atob({packed}.split("").reverse().join(""))))'


def _app_shell(html: str) -> str:
    """The page with its whole body drawn by one script from a hidden string: the markup holds
    no link or date until a browser runs it."""
    start = html.index("<body>") + len("<body>")
    end = html.rindex("</body>")
    body = _hidden(html[start:end])
    draw = f'<script>document.getElementById("app").innerHTML = {body};</script>'
    return f'{html[:start]}<div id="app"></div>{draw}{html[end:]}'


def scripted_list(script: str, rows: list[str], data: list[dict[str, str]] | None = None) -> str:
    """A column list as a script-built page carries it (see ColumnSpec.script)."""
    if script == "jpage":
        records = "".join(f"<record><![CDATA[{row}]]></record>" for row in rows)
        return (
            '<div id="4196"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="'
            '/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=1&unitid=4196"></a>]]>'
            f"</nextgroup><recordset>{records}</recordset></datastore></script>"
            f'<script>$("#4196").jpage({{perPage: 20, totalRecord: {len(rows)}}});</script></div>'
        )
    if script == "docwrite":
        writes = "".join(f"document.write({_js_string(row)});" for row in rows)
        return f'<ul class="list"><script>{writes}</script></ul>'
    empty = '<ul id="list" class="list"></ul>'
    if script == "inline":
        array = json.dumps(data or [], ensure_ascii=False).replace("</", "<\\/")
        return f"{empty}<script>var rows = {array};\n{_FILL_ROWS}</script>"
    if script == "computed":
        as_json = json.dumps(data or [], ensure_ascii=False)
        return f"{empty}<script>var rows = JSON.parse({_hidden(as_json)});\n{_FILL_ROWS}</script>"
    if script == "getjson":
        return f'{empty}<script src="/js/jquery.js"></script>{_FILL_FROM_GETJSON}'
    return empty + _FILL_FROM_JSON


def html_error_page() -> str:
    """What some CMSes send with status 200 where a download should be."""
    return (
        '<html><head><meta charset="utf-8"><title>错误提示</title></head><body>'
        "<p>错误提示：您要下载的文件不存在或已被删除！</p></body></html>"
    )
