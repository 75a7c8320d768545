"""The facts a scorecard is computed from: scoring's own input types.

Scoring imports neither ``scanner`` nor ``probes``; the scanner maps its database rows to these
plain, frozen records (field names follow the storage columns where one exists). Collections are
tuples so a fact set can be shared between threads and scored twice with the same result.
Enumerations are ``StrEnum``: a plain string with the same value compares equal, so the scanner
may pass either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# The enumerations live in `scoring.kinds` (loaded without these records); named here too.
from scoring.kinds import Category as Category
from scoring.kinds import FailureKind as FailureKind
from scoring.kinds import FindingKind as FindingKind
from scoring.kinds import FindingStatus as FindingStatus
from scoring.kinds import SiteType as SiteType

ColumnKey = int | str
Day = date  # alias: DatedItem has a field named ``date``


@dataclass(frozen=True, slots=True)
class Probe:
    """One homepage visit. ``valid=False`` means the scanner's own network was unhealthy."""

    started_at: datetime  # timezone-aware (UTC) or naive local (Beijing) time
    ok: bool
    failure: FailureKind | str | None = None
    valid: bool = True
    total_ms: float | None = None
    status_code: int | None = None


@dataclass(frozen=True, slots=True)
class DatedItem:
    """An entry of a list page; ``date`` is None when the page shows no date (never an update)."""

    url: str
    title: str = ""
    date: Day | None = None
    first_seen: Day | None = None


@dataclass(frozen=True, slots=True)
class PageItems:
    """The dated items of one second-level page (used when the homepage is navigation-only)."""

    url: str
    items: tuple[DatedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Homepage:
    url: str = ""
    items: tuple[DatedItem, ...] = ()
    navigation_only: bool = False
    second_level: tuple[PageItems, ...] = ()
    # False when every read of the homepage in the window failed: "no new items" is then
    # unknown, not a finding (站点无法访问 judges the outage).
    readable: bool = True


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar length for per-column window overrides (exactly one unit is non-zero)."""

    days: int = 0
    weeks: int = 0
    months: int = 0
    years: int = 0


@dataclass(frozen=True, slots=True)
class Column:
    """A column and what its latest snapshot showed.

    ``items`` are the dated entries seen (any order); ``newest_*`` is the snapshot's own newest
    entry, used when ``items`` is empty or incomplete. ``readable=False``: the page could not be
    read, so the column is not judged and the scorecard is provisional.
    """

    id: ColumnKey
    name: str
    url: str
    category: Category | str
    exempt: bool = False  # operator marked it exempt
    static: bool = False  # other_info that need not be updated
    readable: bool = True
    blank: bool = False  # 有栏目无内容
    exempt_note: str = ""  # page explains why no information exists
    newest_date: date | None = None
    newest_title: str = ""
    newest_url: str = ""
    items: tuple[DatedItem, ...] = ()
    update_window: Period | None = None  # operator override of the category window
    # How the latest read got the entries: static | endpoint | browser; unrendered (a list
    # built by script that no browser could render: readable is False then).
    read_via: str = "static"


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """A link target that failed; only ``confirmed`` ones (failed again on re-check) count."""

    target: str
    on_homepage: bool = False
    on_second_level: bool = False
    pages: tuple[str, ...] = ()
    status_code: int | None = None
    kind: str = ""
    confirmed: bool = True
    # Where the crawl found it — each page and tag — stored as evidence or not (``pages`` holds
    # at most `link_max_occurrences` of them); 0: not known.
    occurrences: int = 0


@dataclass(frozen=True, slots=True)
class LinkScan:
    """How the crawl behind the link facts was made, shown with them: what it took over from
    earlier nights instead of asking again (settings ``link_verdict_reuse`` and
    ``crawl_page_reuse``, conditional requests), so nobody mistakes a reused verdict for
    tonight's. Links on the homepage and the second-level pages are checked every night."""

    started_at: datetime
    pages: int = 0
    not_modified: int = 0  # pages answered 304 Not Modified: stored links read, no parse
    same_body: int = 0  # pages whose body was unchanged: stored links read, no parse
    pages_kept: int = 0  # pages not requested: an earlier night's reading stood
    links_checked: int = 0  # link checks made tonight
    verdicts_reused: int = 0  # link verdicts of an earlier night that stood
    # Broken links confirmed by tonight's check alone: broken as the last night confirmed them.
    confirmed_earlier: int = 0
    reused_since: datetime | None = None  # the oldest reused verdict or page
    verdict_reuse_s: float = 0.0
    page_reuse_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Message:
    """A letter or message; ``answered`` with no ``answered_on`` is 已回复但未注明日期."""

    column_id: ColumnKey
    url: str
    title: str = ""
    asked_on: date | None = None
    answered_on: date | None = None
    answered: bool = False
    valid: bool = True  # False for test/spam entries (not 有效信件)


@dataclass(frozen=True, slots=True)
class Channel:
    """A survey (调查征集) or interview (在线访谈) channel, merged over its columns."""

    exists: bool = False
    usable: bool = True
    activities: tuple[DatedItem, ...] = ()
    url: str = ""


@dataclass(frozen=True, slots=True)
class Guide:
    """A service guide (办事指南) and the element categories found in it."""

    url: str
    title: str = ""
    present: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A form or attachment: mentioned by a guide, offered for download, and whether it loads."""

    name: str
    guide_url: str = ""
    url: str = ""
    mentioned: bool = True
    offered: bool = True
    downloads_ok: bool | None = None  # None: not offered or not checked


@dataclass(frozen=True, slots=True)
class OnlineSystem:
    name: str
    url: str
    opens: bool


@dataclass(frozen=True, slots=True)
class Finding:
    """A review finding; only ``confirmed`` ones count, candidates make the card provisional."""

    kind: FindingKind | str
    status: FindingStatus | str
    url: str = ""
    excerpt: str = ""
    note: str = ""
    id: int | str | None = None


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """Everything scoring reads about one site, for one monitoring point."""

    code: str = ""  # 网站标识码
    name: str = ""
    url: str = ""
    site_type: SiteType | str = SiteType.PORTAL
    # 地方政府及国务院各部门门户网站: the survey minimum is 6 instead of 3. None: portal ⇒ True.
    major_portal: bool | None = None
    homepage: Homepage = field(default_factory=Homepage)
    probes: tuple[Probe, ...] = ()
    columns: tuple[Column, ...] = ()
    broken_links: tuple[BrokenLink, ...] = ()
    link_scan: LinkScan | None = None  # the crawl the broken links come from
    messages: tuple[Message, ...] = ()
    surveys: Channel = field(default_factory=Channel)
    interviews: Channel = field(default_factory=Channel)
    guides: tuple[Guide, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    online_systems: tuple[OnlineSystem, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def is_major_portal(self) -> bool:
        if self.major_portal is not None:
            return self.major_portal
        return self.site_type == SiteType.PORTAL
