"""Ground truth: what a perfect scanner would find, computed from the spec — never from HTML.

Item lists and links come from the same builder that writes the pages (it records them as it
writes), and link verdicts from the same ``Site.locate`` the server answers with, so truth and
pages cannot drift apart. Verdicts follow the design's rules: soft 404 is broken, 429/403 are
undetermined, a page slower than 15 s is broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from farm.catalog import Catalog
from farm.render import PageBuilder, Rendered, Shown
from farm.scenario import CST, GUIDE_ELEMENTS, GUIDE_SYNONYMS, SiteSpec
from farm.site import Site, file_path, item_path, list_path

Verdict = Literal["ok", "broken", "soft404", "undetermined"]
PAGE_TIMEOUT = 15.0
_PAGE_KINDS = {"homepage", "list", "article", "guide", "message", "system", "other", "stub"}


@dataclass(frozen=True)
class ColumnTruth:
    name: str
    category: str
    url: str
    items: tuple[Shown, ...]  # in page order over all list pages; date None = shown undated
    newest: date | None
    blank: bool  # no items and no explanation (counts as 空白栏目)
    exempt: bool  # no items, with a note such as 本单位不产生此类信息


@dataclass(frozen=True)
class MessageTruth:
    title: str
    url: str
    column: str
    category: str
    asked: date
    answered: date | None  # the real answer day, even when the page does not show it
    reply_date_shown: bool


@dataclass(frozen=True)
class GuideTruth:
    title: str
    url: str
    present: tuple[str, ...]  # canonical element names
    missing: tuple[str, ...]
    labels: tuple[str, ...]  # as written on the page (synonyms included)


@dataclass(frozen=True)
class AttachmentTruth:
    name: str
    url: str | None  # None: mentioned but not offered for download
    state: str  # ok | missing | html_error | not_offered
    page: str


@dataclass
class LinkTruth:
    """Every distinct link target of a site with the pages that link it."""

    pages: dict[str, set[str]] = field(default_factory=dict)  # target -> linking pages
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # target -> what the farm does there
    homepage: set[str] = field(default_factory=set)  # targets linked from the homepage

    def _with(self, verdict: str) -> dict[str, set[str]]:
        return {u: self.pages[u] for u, v in self.verdicts.items() if v == verdict}

    @property
    def broken(self) -> dict[str, set[str]]:
        """Broken targets, soft 404s included."""
        return {u: self.pages[u] for u, v in self.verdicts.items() if v in ("broken", "soft404")}

    @property
    def soft404(self) -> dict[str, set[str]]:
        return self._with("soft404")

    @property
    def undetermined(self) -> dict[str, set[str]]:
        return self._with("undetermined")


class Truth:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.today = catalog.today
        self._render_at = datetime.combine(self.today, time(12), tzinfo=CST)
        self._rendered = lru_cache(maxsize=4096)(self._render)
        self.links = lru_cache(maxsize=64)(self._links)

    def _site(self, host: str) -> Site:
        site = self.catalog.get(host)
        if site is None:
            raise KeyError(host)
        return site

    def _render(self, host: str, path: str) -> Rendered | None:
        site = self._site(host)
        target = site.locate(path, faults=False)
        if target.kind not in _PAGE_KINDS:
            return None
        return PageBuilder(site, self._render_at).render(target, path)

    def spec(self, host: str) -> SiteSpec:
        return self._site(host).spec

    # -- columns -------------------------------------------------------------------------------
    def columns(self, host: str) -> list[ColumnTruth]:
        site = self._site(host)
        out = []
        for col in site.spec.columns:
            items: list[Shown] = []
            if col.category != "online_system":
                for page in range(site.n_list_pages(col)):
                    path = list_path(col, page)
                    rendered = self._rendered(host, path)
                    if rendered is not None:
                        items += rendered.items
            dates = [i.date for i in items if i.date is not None]
            empty = not (col.items or col.messages or col.guides)
            out.append(
                ColumnTruth(
                    col.name,
                    col.category,
                    site.url(col.url_path),
                    tuple(items),
                    max(dates) if dates else None,
                    blank=empty and not col.exempt_note and col.category != "online_system",
                    exempt=empty and bool(col.exempt_note),
                )
            )
        return out

    def column(self, host: str, name_or_path: str) -> ColumnTruth:
        for c in self.columns(host):
            if name_or_path in (c.name, urlsplit(c.url).path.strip("/")):
                return c
        raise KeyError(name_or_path)

    def homepage_items(self, host: str) -> list[Shown]:
        rendered = self._rendered(host, "/")
        return list(rendered.items) if rendered else []

    def article_published(self, url: str) -> date | None:
        """The visible publication date of an article page (not its PubDate meta)."""
        parts = urlsplit(url)
        rendered = self._rendered(parts.hostname or "", parts.path)
        return rendered.published if rendered else None

    # -- interaction and services ------------------------------------------------------------
    def messages(self, host: str) -> list[MessageTruth]:
        site = self._site(host)
        return [
            MessageTruth(
                m.title,
                site.url(f"{col.url_path}msg_{i}.html"),
                col.name,
                col.category,
                site.day(m.asked) or self.today,
                site.day(m.answered),
                m.show_reply_date and m.answered is not None,
            )
            for col in site.spec.columns
            for i, m in enumerate(col.messages)
        ]

    def guides(self, host: str) -> list[GuideTruth]:
        site = self._site(host)
        out = []
        for col in site.spec.columns:
            for i, g in enumerate(col.guides):
                present = tuple(e for e in GUIDE_ELEMENTS if e in g.elements)
                labels = tuple(GUIDE_SYNONYMS.get(e, e) if g.synonyms else e for e in present)
                missing = tuple(e for e in GUIDE_ELEMENTS if e not in g.elements)
                out.append(
                    GuideTruth(
                        g.title, site.url(f"{col.url_path}guide_{i}.html"), present, missing, labels
                    )
                )
        return out

    def attachments(self, host: str) -> list[AttachmentTruth]:
        site = self._site(host)
        out = []
        for col in site.spec.columns:
            owners: Iterable[tuple[str, int, Any, str]] = [
                *(
                    ("g", i, g.attachments, f"{col.url_path}guide_{i}.html")
                    for i, g in enumerate(col.guides)
                ),
                *(
                    ("a", i, it.attachments, item_path(col, i, site.item_day(it)))
                    for i, it in enumerate(col.items)
                    if it.attachments
                ),
            ]
            for owner, i, atts, page in owners:
                for att in atts:
                    url = (
                        None
                        if att.state == "not_offered"
                        else site.url(file_path(col, owner, i, att))
                    )
                    out.append(AttachmentTruth(att.name, url, att.state, site.url(page)))
        return out

    # -- links ---------------------------------------------------------------------------------
    def outcome(self, url: str) -> tuple[Verdict, str]:
        """What fetching ``url`` gives outside down periods: (verdict, farm behaviour)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https"):
            return "ok", "not-http"
        if self.catalog.is_closed(host):
            return "broken", "closed"
        site = self.catalog.get(host)
        if site is None:
            return "broken", "dns"
        if site.spec.cert_mismatch and parts.scheme == "https":
            return "broken", "tls"
        target = site.locate(parts.path or "/")
        if target.kind == "fault":
            assert target.fault is not None
            f = target.fault
            if f.kind == "status":
                verdict: Verdict = "undetermined" if f.status in (403, 429) else "broken"
                return verdict, f"status {f.status}"
            if f.kind == "slow":
                return ("broken" if f.delay >= PAGE_TIMEOUT else "ok"), "slow"
            if f.kind == "huge":
                return "ok", "huge"
            if f.kind in ("soft404", "html_error"):
                return "soft404", f.kind
            return "broken", f.kind
        if target.kind == "not_found":
            return "broken", "not_found"
        if target.kind == "soft404":
            return "soft404", "soft404"
        if target.attachment is not None and target.attachment.state != "ok":
            state = target.attachment.state
            return ("broken" if state == "missing" else "soft404"), state
        return "ok", target.kind

    def _links(self, host: str) -> LinkTruth:
        site = self._site(host)
        lt = LinkTruth()
        todo = list(site.page_paths())
        done: set[str] = set()
        while todo:
            path = todo.pop(0)
            if path in done:
                continue
            done.add(path)
            rendered = self._served(site, host, path)
            if rendered is None:
                continue
            page = site.url(path)
            for link in rendered.links:
                lt.pages.setdefault(link.url, set()).add(page)
                if path == "/":
                    lt.homepage.add(link.url)
                slow = self._slow_page_path(site, host, link.url)
                if slow is not None and slow not in done:
                    todo.append(slow)  # a slow page is not a page of its own, yet it loads
        for url in lt.pages:
            lt.verdicts[url], lt.kinds[url] = self.outcome(url)
        return lt

    def _served(self, site: Site, host: str, path: str) -> Rendered | None:
        """What a browser gets at ``path``: a failing page shows no links; a slow one loads
        (its own page, or the homepage where the path has none) after its delay."""
        located = site.locate(path)
        if located.kind != "fault":
            return self._render(host, path)
        fault = located.fault
        if fault is None or fault.kind != "slow" or fault.delay >= PAGE_TIMEOUT:
            return None
        unfaulted = site.locate(path, faults=False).kind
        return self._render(host, "/" if unfaulted == "not_found" else path)

    @staticmethod
    def _slow_page_path(site: Site, host: str, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.hostname != host or parts.query:
            return None
        located = site.locate(parts.path or "/")
        if located.kind == "fault" and located.fault is not None and located.fault.kind == "slow":
            return parts.path or "/"
        return None

    # -- availability ----------------------------------------------------------------------
    def is_up(self, host: str, t: datetime) -> bool:
        """Whether a homepage probe at ``t`` succeeds (loads fully within 15 s)."""
        if self.catalog.is_closed(host):
            return False
        site = self.catalog.get(host)
        if site is None or site.down_at(t) is not None:
            return False
        return self.outcome(site.url("/"))[0] == "ok"

    def failures(self, host: str, times: Iterable[datetime]) -> list[datetime]:
        return [t for t in times if not self.is_up(host, t)]

    def down_fraction(self, host: str, start: datetime, end: datetime) -> float:
        """Share of [start, end) inside down periods (exact, repeated periods included)."""
        site = self._site(host)
        spans: list[tuple[datetime, datetime]] = []
        for p in [] if site.spec.canary else site.spec.down:
            first = p.start if isinstance(p.start, datetime) else site._week_start + p.start
            step = p.every or (end - first + timedelta(seconds=1))
            t = first
            if p.every and t < start:
                t += ((start - t) // step) * step
            while t < end:
                spans.append((max(t, start), min(t + p.duration, end)))
                t += step
        spans = sorted(s for s in spans if s[1] > s[0])
        total, cur_start, cur_end = timedelta(), None, None
        for a, b in spans:
            if cur_end is None or a > cur_end:
                if cur_end is not None and cur_start is not None:
                    total += cur_end - cur_start
                cur_start, cur_end = a, b
            else:
                cur_end = max(cur_end, b)
        if cur_end is not None and cur_start is not None:
            total += cur_end - cur_start
        return total / (end - start)

    # -- registry ------------------------------------------------------------------------------
    def registry(self) -> dict[str, Any]:
        """The declared sites in the `census sites import` YAML shape (a contract)."""
        orgs = [
            {
                k: v
                for k, v in (
                    ("code", o.code),
                    ("name", o.name),
                    ("level", o.level),
                    ("parent", o.parent),
                )
                if v is not None
            }
            for o in self.catalog.spec.organisations
        ]
        sites = []
        for s in self.catalog.static_specs():
            if not s.registered:
                continue
            site = self._site(s.host)
            sites.append(
                {
                    "code": s.code,
                    "name": s.name,
                    "url": s.root_url,
                    "host_org": s.host_org or s.name,
                    "type": s.type,
                    "organisation": s.organisation,
                    "icp": s.icp.removesuffix("号"),
                    "police": s.police.removesuffix("号"),
                    "navigation_only": s.navigation_only,
                    "columns": [
                        {"name": c.name, "url": site.url(c.url_path), "category": c.category}
                        for c in s.columns
                    ],
                }
            )
        return {"organisations": orgs, "sites": sites}

    def registry_yaml(self) -> str:
        return yaml.safe_dump(self.registry(), allow_unicode=True, sort_keys=False)
