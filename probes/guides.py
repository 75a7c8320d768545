"""Service guides (办事指南): which element categories a guide shows, and its forms.

`service.guide` deducts per missing element category — 事项名称、设定依据、申请条件、办理材料、
办理地点、办理时间、联系电话、办理流程 — and sites label them in many ways (受理条件, 申请材料,
法定依据, 咨询电话, 办理程序 …) in tables (``th``/first ``td``), definition lists (``dt``),
headings (``h3``: 一、办理地点) or inline (``<p>办理地点：…</p>``). A label counts only as a
whole label — 办理时限 is not 办理时间 — and only outside header and footer (every footer says
联系电话). `service.attachments` needs the forms a guide mentions: links to files, entries of an
附件/下载 block, and 《…表》-style names with no link (mentioned, not offered); and whether each
offered file really downloads — a 200 answer carrying an HTML error page does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.listpage import Regions, collapse_space, page_base, skip_href
from scanner.errors import FetchFailed
from scanner.http.fetch import fetch
from scanner.http.limits import HostLimiter
from scanner.http.urls import join_href

__all__ = [
    "ELEMENTS", "SYNONYMS", "AttachmentRef", "DownloadCheck", "GuideRead", "SystemCheck",
    "canonical_label", "check_download", "check_system", "read_guide",
]  # fmt: skip

ELEMENTS: tuple[str, ...] = (
    "事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理时间", "联系电话", "办理流程",
)  # fmt: skip

#: Labels sites use for each element category (the canonical name first).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "事项名称": ("事项名称", "项目名称", "服务事项名称", "审批事项名称", "办理事项", "服务名称",
                 "事项", "许可事项名称", "权力事项名称", "服务事项"),
    "设定依据": ("设定依据", "法定依据", "办理依据", "法律依据", "政策依据", "实施依据", "审批依据",
                 "受理依据", "许可依据", "依据", "设立依据"),
    "申请条件": ("申请条件", "受理条件", "办理条件", "申办条件", "申报条件", "准予许可的条件",
                 "许可条件", "受理标准", "申请人条件", "准予批准的条件", "服务对象及条件"),
    "办理材料": ("办理材料", "申请材料", "申报材料", "提交材料", "所需材料", "材料清单",
                 "申请材料目录", "需提交材料", "申请资料", "办事材料", "应提交材料", "所需资料"),
    "办理地点": ("办理地点", "受理地点", "办公地点", "办理地址", "受理地址", "办事地点",
                 "窗口地址", "受理窗口", "办理窗口", "服务地点", "办事窗口"),
    "办理时间": ("办理时间", "受理时间", "办公时间", "工作时间", "服务时间", "窗口办公时间",
                 "对外办公时间"),
    "联系电话": ("联系电话", "咨询电话", "联系方式", "咨询方式", "办理电话", "咨询联系电话",
                 "业务咨询电话", "咨询途径"),
    "办理流程": ("办理流程", "办理程序", "办事流程", "审批流程", "受理流程", "办理步骤",
                 "申办流程", "审批程序", "许可程序", "办理环节", "流程图", "服务流程"),
}  # fmt: skip
_LABELS: dict[str, str] = {label: canon for canon, labels in SYNONYMS.items() for label in labels}
_MAX_LABEL = max(len(label) for label in _LABELS)
_NUMBERING_RE = re.compile(
    r"^\s*(?:[（(]?[一二三四五六七八九十\d]{1,3}[)）、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]"
    r"|第[一二三四五六七八九十]+[项条部分]?[、:：]?|[●■◆▪•·★☆※]|\d{1,2}\s)\s*"
)
_LABEL_END_RE = re.compile(r"[\s:：]+$")
_INLINE_RE = re.compile(rf"^(.{{2,{_MAX_LABEL}}}?)\s*[:：]\s*\S")
_LABEL_TAGS = frozenset({"th", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "label"})
_FILE_EXT_RE = re.compile(r"\.(?:docx?|xlsx?|pdf|wps|et|dps|zip|rar|7z|ofd|odt|ods|csv|txt)$", re.I)
_ATTACH_HEAD_RE = re.compile(r"附件|下载|相关表格|表格|文书|样表|表单")
_FORM_NAME_RE = re.compile(
    r"《([^《》]{2,40}?(?:申请表|登记表|审批表|备案表|信息表|汇总表|明细表|统计表|表格|表|申请书|"
    r"承诺书|委托书|告知书|模板|范本|样本|样表))》"
)
_NAME_STRIP_RE = re.compile(
    r"^[《\s]+|[》\s]+$|\.(?:docx?|xlsx?|pdf|wps|et|zip|rar)$|（[^）]*）$|下载$"
)
_HTML_START_RE = re.compile(
    rb"^\s*(?:\xef\xbb\xbf)?\s*<(?:!doctype|html|head|body|meta|script|\?xml)", re.I
)
_ERROR_TEXT_RE = re.compile(
    r"页面不存在|不存在或已被删除|找不到|无法找到|无法访问|错误提示|出错了|Not Found|404|"
    r"系统维护|暂停服务|Service Unavailable|Internal Server Error",
    re.I,
)


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A form a guide mentions: with a download link (``url``), or mentioned only."""

    name: str
    url: str | None

    @property
    def offered(self) -> bool:
        return self.url is not None


@dataclass(slots=True)
class GuideRead:
    title: str
    present: dict[str, str] = field(default_factory=dict)  # canonical → label as shown
    attachments: list[AttachmentRef] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [e for e in ELEMENTS if e not in self.present]


def canonical_label(text: str) -> str | None:
    """The element category a label names (numbering and colon stripped), or None."""
    text = _NUMBERING_RE.sub("", text.strip())
    text = _LABEL_END_RE.sub("", text).replace(" ", "").replace("\u3000", "")
    if len(text) > _MAX_LABEL + 2:
        return None
    return _LABELS.get(text)


def _title(tree: LexborHTMLParser) -> str:
    for selector in ("h1", "title"):
        node = tree.css_first(selector)
        if node is not None:
            text = collapse_space(node.text())
            if text:
                return re.sub(r"_.*$", "", text) if selector == "title" else text
    return ""


def _label_nodes(tree: LexborHTMLParser, regions: Regions) -> list[tuple[LexborNode, str]]:
    """Candidate label nodes in document order with their text."""
    out = []
    for node in tree.css("th, td, dt, h1, h2, h3, h4, h5, h6, strong, b, label, p, li, div, span"):
        if regions.penalised(node):
            continue
        tag = node.tag or ""
        if tag == "td":
            row = node.parent
            cells = [c for c in row.iter() if c.tag in ("td", "th")] if row is not None else []
            if not cells or cells[0].mem_id != node.mem_id or len(cells) < 2:
                continue
        text = node.text(separator=" ", strip=True)
        if tag in _LABEL_TAGS or tag == "td":
            if text:
                out.append((node, text))
        elif tag in ("p", "li", "div", "span"):
            own = "".join(
                c.text(deep=False, strip=True)
                for c in node.iter(include_text=True)
                if c.tag == "-text"
            )
            if own:
                out.append((node, own if tag == "div" else text))
    return out


def _has_value(node: LexborNode, text: str) -> bool:
    """A label with nothing after it (an empty row) does not make the element present."""
    tag = node.tag
    if tag in ("th", "td"):
        sib = node.next
        while sib is not None and sib.tag not in ("td", "th"):
            sib = sib.next
        return sib is not None and bool(sib.text(strip=True))
    if tag == "dt":
        sib = node.next
        while sib is not None and sib.tag not in ("dd", "dt"):
            sib = sib.next
        return sib is not None and sib.tag == "dd" and bool(sib.text(strip=True))
    return True


def read_guide(content: str, url: str) -> GuideRead:
    """The element categories and forms of one guide page."""
    tree = LexborHTMLParser(content)
    tree.strip_tags(["script", "style", "noscript", "template"])
    base = page_base(tree, url)
    regions = Regions()
    guide = GuideRead(title=_title(tree))
    for node, text in _label_nodes(tree, regions):
        canon = canonical_label(text)
        label = text
        if canon is None:
            m = _INLINE_RE.match(_NUMBERING_RE.sub("", text.strip()))
            if m is None:
                continue
            canon, label = canonical_label(m.group(1)), m.group(1)
            if canon is None:
                continue
        elif not _has_value(node, text):
            continue
        guide.present.setdefault(canon, _LABEL_END_RE.sub("", _NUMBERING_RE.sub("", label)))
    guide.attachments = _attachments(tree, base, regions)
    return guide


def _in_attach_block(node: LexborNode) -> bool:
    """Whether a node sits in a block headed 附件/下载/表格 (up to four levels up)."""
    parent = node.parent
    for _ in range(4):
        if parent is None or parent.tag in ("body", "html"):
            return False
        head = parent.css_first("h1, h2, h3, h4, h5, h6, strong, b, .title, th, dt")
        if head is not None and _ATTACH_HEAD_RE.search(head.text(strip=True)[:12]):
            return True
        parent = parent.parent
    return False


def _clean_name(text: str) -> str:
    text = collapse_space(text)
    for _ in range(3):
        text = _NAME_STRIP_RE.sub("", text).strip()
    return text


def _attachments(tree: LexborHTMLParser, base: str, regions: Regions) -> list[AttachmentRef]:
    body = tree.body
    if body is None:
        return []
    out: dict[str, AttachmentRef] = {}
    offered_names: set[str] = set()
    for a in body.css("a[href]"):
        href = (a.attrs.get("href") or "").strip()
        if skip_href(href) or regions.penalised(a):
            continue
        url = join_href(base, href)
        if url is None:
            continue  # not a URL: no attachment offered there
        is_file = bool(_FILE_EXT_RE.search(urlsplit(url).path))
        if not is_file and not _in_attach_block(a):
            continue
        if not is_file and urlsplit(url).path.endswith((".html", ".htm", "/")):
            continue
        name = _clean_name(a.text() or a.attrs.get("title") or "") or url.rsplit("/", 1)[-1]
        out.setdefault(url, AttachmentRef(name, url))
        offered_names.add(name)
    text = "\n".join(
        n.text(deep=False, strip=True)
        for n in body.traverse(include_text=True)
        if n.tag == "-text" and not regions.penalised(n.parent)
    )
    for li in body.css("li"):
        # an entry of an 附件/下载 block with no link: mentioned, not offered
        if li.css_first("a[href]") is not None or regions.penalised(li):
            continue
        name = _clean_name(li.text())
        if 2 <= len(name) <= 40 and name not in offered_names and _in_attach_block(li):
            out.setdefault(f"mention:{name}", AttachmentRef(name, None))
            offered_names.add(name)
    for m in _FORM_NAME_RE.finditer(text):
        name = m.group(1).strip()
        if name in offered_names or any(name in o or o in name for o in offered_names):
            continue
        out.setdefault(f"mention:{name}", AttachmentRef(name, None))
        offered_names.add(name)
    return list(out.values())


@dataclass(frozen=True, slots=True)
class DownloadCheck:
    """Whether a file really downloads; ``failure``: html_error, http_status, empty, or a
    fetch failure kind."""

    url: str
    ok: bool
    failure: str = ""
    status_code: int | None = None
    content_type: str = ""


def _looks_html(content: bytes, content_type: str) -> bool:
    return "html" in content_type.lower() or bool(_HTML_START_RE.match(content[:512]))


async def check_download(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float = 15.0,
    max_bytes: int = 5_000_000,
    limiter: HostLimiter | None = None,
) -> DownloadCheck:
    """Fetch an attachment; an HTML answer where a file was linked is an error page."""
    try:
        got = await fetch(client, url, deadline=deadline, max_bytes=max_bytes, limiter=limiter)
    except FetchFailed as exc:
        return DownloadCheck(url, False, exc.kind)
    ctype = got.content_type
    if got.status >= 400:
        return DownloadCheck(url, False, "http_status", got.status, ctype)
    if not got.content.strip():
        return DownloadCheck(url, False, "empty", got.status, ctype)
    expects_file = bool(_FILE_EXT_RE.search(urlsplit(got.final_url).path))
    if _looks_html(got.content, ctype):
        text, _ = got.text()
        if expects_file or _ERROR_TEXT_RE.search(text[:4000]):
            return DownloadCheck(url, False, "html_error", got.status, ctype)
    return DownloadCheck(url, True, "", got.status, ctype)


@dataclass(frozen=True, slots=True)
class SystemCheck:
    """Whether an online application/query system opens (在线系统能否正常访问)."""

    url: str
    opens: bool
    failure: str = ""
    status_code: int | None = None
    title: str = ""


async def check_system(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float = 15.0,
    max_bytes: int = 5_000_000,
    limiter: HostLimiter | None = None,
) -> SystemCheck:
    """Open a system's entry page: an error status, an empty or an error page is "cannot open"."""
    try:
        got = await fetch(client, url, deadline=deadline, max_bytes=max_bytes, limiter=limiter)
    except FetchFailed as exc:
        return SystemCheck(url, False, exc.kind)
    if got.status >= 400:
        return SystemCheck(url, False, "http_status", got.status)
    if not got.content.strip():
        return SystemCheck(url, False, "empty", got.status)
    text, _ = got.text()
    tree = LexborHTMLParser(text)
    title = _title(tree)
    body = tree.body
    visible = collapse_space(body.text(separator=" ")) if body is not None else ""
    if len(visible) < 400 and _ERROR_TEXT_RE.search(title + " " + visible):
        return SystemCheck(url, False, "soft404", got.status, title)
    return SystemCheck(url, True, "", got.status, title)
