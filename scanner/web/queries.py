"""Scoped reads: every query here takes the user's ``Scope`` and filters by its organisations.

The overview needs, per stored card, which 单项否决 hold and each row's points; those live in
the card's JSON body. A small in-process digest of each card (keyed by the stored row id, which
changes whenever a card is re-stored) means each body is parsed once, not on every page view.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from scanner.db.models import Finding, FindingStatus, Organisation, Site
from scanner.db.models import Scorecard as StoredCard
from scanner.web.deps import Scope

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Digest:
    """What the overview and the list's veto filter need of one card."""

    vetoes: tuple[str, ...]
    points: tuple[tuple[str, float], ...]  # scored deduction rows with points > 0


class DigestCache:
    """Card digests by stored row id, least recently used dropped beyond ``limit``."""

    def __init__(self, limit: int = 400_000):
        self.limit = limit
        self._items: OrderedDict[int, Digest] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, session: Session, ids: Sequence[int]) -> dict[int, Digest]:
        with self._lock:
            found = {i: self._items[i] for i in ids if i in self._items}
        missing = [i for i in ids if i not in found]
        extract = None
        if missing and session.get_bind().dialect.name == "sqlite":
            # One card read whole names the rules; the others give SQLite's JSON functions
            # just the fields a digest needs (a tenth of the time of parsing whole bodies).
            first = session.scalar(select(StoredCard.body).where(StoredCard.id == missing[0]))
            found[missing[0]] = digest(first or {})
            with self._lock:
                self._items[missing[0]] = found[missing[0]]
            extract = _fields_of(first or {})
            missing = missing[1:]
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            if extract is not None:
                names, paths = extract
                column = func.json_extract(StoredCard.body, *paths)
                rows = session.execute(
                    select(StoredCard.id, column).where(StoredCard.id.in_(chunk))
                )
                fresh = {i: _digest_fields(names, json.loads(v)) for i, v in rows}
            else:
                rows = session.execute(
                    select(StoredCard.id, StoredCard.body).where(StoredCard.id.in_(chunk))
                )
                fresh = {card_id: digest(body) for card_id, body in rows}
            found.update(fresh)
            with self._lock:
                self._items.update(fresh)
                while len(self._items) > self.limit:
                    self._items.popitem(last=False)
        return found


def digest(body: dict[str, Any]) -> Digest:
    rules = body.get("rules", {})
    vetoes = tuple(k for k, r in rules.items() if r.get("kind") == "veto" and r.get("holds"))
    points = tuple(
        (k, float(r["points"]))
        for k, r in rules.items()
        if r.get("kind") == "deduction" and r.get("scored") and (r.get("points") or 0) > 0
    )
    return Digest(vetoes, points)


def _fields_of(body: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(rule id, kind) of every rule, and the JSON paths of holds / points / scored."""
    names, paths = [], []
    for rule_id, rule in body.get("rules", {}).items():
        kind = str(rule.get("kind"))
        names.append((rule_id, kind))
        paths += [f'$.rules."{rule_id}".{field}' for field in ("holds", "points", "scored")]
    return names, paths


def _digest_fields(names: Sequence[tuple[str, str]], values: list[Any]) -> Digest:
    rules = {
        rule_id: {"kind": kind, "holds": values[3 * i], "points": values[3 * i + 1],
                  "scored": values[3 * i + 2]}
        for i, (rule_id, kind) in enumerate(names)
    }  # fmt: skip
    return digest({"rules": rules})


DIGESTS = DigestCache()


class ScopeCache:
    """Aggregates of a scope (overview at T, the trend) until any card is stored or removed.

    The key includes the scorecards table's version — its highest row id — which changes
    whenever a card is stored or re-stored (re-scoring deletes and inserts). (A card removed
    with its site and nothing stored since is still counted until the next scoring run.)
    """

    def __init__(self, limit: int = 256):
        self.limit = limit
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.limit:
                self._items.popitem(last=False)


AGGREGATES = ScopeCache()


def cards_version(session: Session) -> int:
    return int(session.scalar(select(func.max(StoredCard.id))) or 0)


def site_in_scope(session: Session, scope: Scope, code: str) -> Site | None:
    """The site with this 标识码 if the user may see it; None exactly as for a missing site."""
    return session.scalar(
        select(Site).where(Site.code == code, Site.organisation_id.in_(scope.org_ids))
    )


def finding_in_scope(session: Session, scope: Scope, finding_id: int) -> Finding | None:
    return session.scalar(
        select(Finding)
        .join(Site, Finding.site_id == Site.id)
        .where(Finding.id == finding_id, Site.organisation_id.in_(scope.org_ids))
    )


def monitoring_points(session: Session, scope: Scope, ruleset: str) -> list[date]:
    """Every T with stored cards in the scope, newest first."""
    return [point[0] for point in reversed(trend(session, scope, ruleset))]


def latest_point(session: Session, scope: Scope, ruleset: str) -> date | None:
    """The newest T with stored cards in the scope."""
    key = ("latest", scope.org_ids, ruleset, cards_version(session))
    cached = AGGREGATES.get(key)
    if cached is None:
        cached = (_latest_point(session, scope, ruleset),)
        AGGREGATES.put(key, cached)
    return cached[0]  # type: ignore[no-any-return]


def _latest_point(session: Session, scope: Scope, ruleset: str) -> date | None:
    return session.scalar(
        select(func.max(StoredCard.at))
        .join(Site, StoredCard.site_id == Site.id)
        .where(StoredCard.ruleset == ruleset, Site.organisation_id.in_(scope.org_ids))
    )


@dataclass
class Bar:
    org_code: str
    org_name: str
    total: int = 0
    qualified: int = 0
    unqualified: int = 0
    provisional: int = 0


@dataclass
class Overview:
    at: date | None
    sites: int = 0
    scored: int = 0
    qualified: int = 0
    unqualified: int = 0
    provisional: int = 0
    vetoes: dict[str, int] = field(default_factory=dict)
    deductions: dict[str, tuple[int, float]] = field(default_factory=dict)  # rule → (sites, pts)
    bars: list[Bar] = field(default_factory=list)
    trend: list[tuple[date, int, int, int]] = field(default_factory=list)  # T, 合格, 不合格, 暂定

    @property
    def rate(self) -> float | None:
        return self.qualified / self.scored if self.scored else None


def overview(session: Session, scope: Scope, ruleset: str, at: date | None) -> Overview:
    """The region at T: counts, 合格率, vetoes by kind, deductions by row, bars, the trend
    (kept until a card changes: see ``ScopeCache``)."""
    key = ("overview", scope.org_ids, ruleset, at, cards_version(session))
    cached = AGGREGATES.get(key)
    if cached is None:
        cached = _overview(session, scope, ruleset, at)
        AGGREGATES.put(key, cached)
    return cached  # type: ignore[no-any-return]


def _overview(session: Session, scope: Scope, ruleset: str, at: date | None) -> Overview:
    out = Overview(at)
    out.sites = (
        session.scalar(
            select(func.count()).select_from(Site).where(Site.organisation_id.in_(scope.org_ids))
        )
        or 0
    )
    own = scope.user.org_id
    bars = {
        branch: Bar(
            scope.codes[branch], scope.names[branch] + ("（本级）" if branch == own else "")
        )
        for branch in sorted(set(scope.branch_of.values()), key=lambda b: scope.codes[b])
    }
    if at is not None:
        rows = session.execute(
            select(
                StoredCard.id, Site.organisation_id, StoredCard.qualified, StoredCard.provisional
            )
            .join(Site, StoredCard.site_id == Site.id)
            .where(
                StoredCard.at == at,
                StoredCard.ruleset == ruleset,
                Site.organisation_id.in_(scope.org_ids),
            )
        ).all()
        digests = DIGESTS.get_many(session, [r[0] for r in rows])
        for card_id, org_id, qualified, provisional in rows:
            out.scored += 1
            bar = bars[scope.branch_of[org_id]]
            bar.total += 1
            if qualified:
                out.qualified += 1
                bar.qualified += 1
            else:
                out.unqualified += 1
                bar.unqualified += 1
            if provisional:
                out.provisional += 1
                bar.provisional += 1
            d = digests[card_id]
            for rule in d.vetoes:
                out.vetoes[rule] = out.vetoes.get(rule, 0) + 1
            for rule, pts in d.points:
                n, total = out.deductions.get(rule, (0, 0.0))
                out.deductions[rule] = (n + 1, total + pts)
    out.bars = [b for b in bars.values() if b.total or b.org_code != scope.user.org_code]
    out.trend = trend(session, scope, ruleset)
    return out


def trend(
    session: Session, scope: Scope, ruleset: str, limit: int = 400
) -> list[tuple[date, int, int, int]]:
    """(T, 合格, 不合格, 暂定) at every stored monitoring point of the scope, oldest first."""
    key = ("trend", scope.org_ids, ruleset, limit, cards_version(session))
    cached = AGGREGATES.get(key)
    if cached is None:
        cached = _trend(session, scope, ruleset, limit)
        AGGREGATES.put(key, cached)
    return cached  # type: ignore[no-any-return]


def _trend(
    session: Session, scope: Scope, ruleset: str, limit: int
) -> list[tuple[date, int, int, int]]:
    rows = session.execute(
        select(
            StoredCard.at,
            func.count(),
            func.sum(func.cast(StoredCard.qualified, _int())),
            func.sum(func.cast(StoredCard.provisional, _int())),
        )
        .join(Site, StoredCard.site_id == Site.id)
        .where(StoredCard.ruleset == ruleset, Site.organisation_id.in_(scope.org_ids))
        .group_by(StoredCard.at)
        .order_by(StoredCard.at.desc())
        .limit(limit)
    ).all()
    return [(at, int(q or 0), int(n) - int(q or 0), int(p or 0)) for at, n, q, p in reversed(rows)]


def _int() -> Any:
    from sqlalchemy import Integer

    return Integer


def _count(session: Session, query: Any, key: tuple[Any, ...]) -> int:
    """How many rows the list's query matches, the same for every page: cached until a card or
    a site is added (the versions in the key)."""
    versions = (cards_version(session), session.scalar(select(func.max(Site.id))))
    full = ("count", *key, versions)
    cached = AGGREGATES.get(full)
    if cached is None:
        cached = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        AGGREGATES.put(full, cached)
    return int(cached)


MAX_IN_LIST = 10_000  # more matching cards than this: filtered in Python instead


def _vetoed_cards(
    session: Session, scope: Scope, ruleset: str, at: date | None, veto: str
) -> list[int] | None:
    """Ids of the scope's cards at T in which ``veto`` holds (cached until a card changes)."""
    if at is None:
        return []
    key = ("vetoed", scope.org_ids, ruleset, at, veto, cards_version(session))
    cached = AGGREGATES.get(key)
    if cached is None:
        ids = list(
            session.scalars(
                select(StoredCard.id)
                .join(Site, StoredCard.site_id == Site.id)
                .where(
                    StoredCard.at == at,
                    StoredCard.ruleset == ruleset,
                    Site.organisation_id.in_(scope.org_ids),
                )
            )
        )
        digests = DIGESTS.get_many(session, ids)
        cached = sorted(i for i in ids if veto in digests[i].vetoes)
        AGGREGATES.put(key, cached)
    return cached  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SiteFilters:
    org: str = ""
    verdict: str = ""  # qualified | unqualified | none (no card at T)
    veto: str = ""  # a veto rule id
    provisional: str = ""  # yes | no
    text: str = ""
    page: int = 1


@dataclass(frozen=True)
class SiteRow:
    code: str
    name: str
    url: str
    org_name: str
    qualified: bool | None
    provisional: bool | None
    total: float | None
    vetoes: tuple[str, ...]


def _org_subtree(scope: Scope, code: str) -> set[int]:
    """The scope's organisations at or under ``code`` (empty: not an organisation of the scope)."""
    root = next((i for i, c in scope.codes.items() if c == code), None)
    if root is None:
        return set()
    under = set()
    for org_id in scope.org_ids:
        node: int | None = org_id
        while node is not None and node in scope.org_ids:
            if node == root:
                under.add(org_id)
                break
            node = scope.parents.get(node)
    return under


def list_sites(
    session: Session,
    scope: Scope,
    ruleset: str,
    at: date | None,
    f: SiteFilters,
    page_size: int | None = PAGE_SIZE,
) -> tuple[list[SiteRow], int]:
    """One page of the scope's sites with their card at T, and how many match in all."""
    org_ids: Iterable[int] = scope.org_ids
    if f.org:
        org_ids = _org_subtree(scope, f.org)
    card_join = and_(
        StoredCard.site_id == Site.id,
        StoredCard.at == at,
        StoredCard.ruleset == ruleset,
    )
    query = (
        select(
            Site.code,
            Site.name,
            Site.url,
            Organisation.name,
            StoredCard.id,
            StoredCard.qualified,
            StoredCard.provisional,
            StoredCard.total_deduction,
        )
        .join(Organisation, Site.organisation_id == Organisation.id)
        .outerjoin(StoredCard, card_join)
        .where(Site.organisation_id.in_(list(org_ids)))
    )
    if f.text:
        like = f"%{f.text.strip()}%"
        query = query.where(or_(Site.name.like(like), Site.code.like(like), Site.url.like(like)))
    if f.verdict == "qualified":
        query = query.where(StoredCard.qualified.is_(True))
    elif f.verdict == "unqualified":
        query = query.where(StoredCard.qualified.is_(False))
    elif f.verdict == "none":
        query = query.where(StoredCard.id.is_(None))
    if f.provisional == "yes":
        query = query.where(StoredCard.provisional.is_(True))
    elif f.provisional == "no":
        query = query.where(StoredCard.provisional.is_(False))
    query = query.order_by(Site.code)  # the unique index walks it: no sort of the region
    start = (max(f.page, 1) - 1) * (page_size or 0)
    vetoed = _vetoed_cards(session, scope, ruleset, at, f.veto) if f.veto else None
    if vetoed is not None and len(vetoed) <= MAX_IN_LIST:
        query = query.where(StoredCard.id.in_(vetoed))  # then paged in SQL like the rest
    if f.veto and (vetoed is None or len(vetoed) > MAX_IN_LIST):
        rows = session.execute(query).all()
        digests = DIGESTS.get_many(session, [r[4] for r in rows if r[4] is not None])
        rows = [r for r in rows if r[4] is not None and f.veto in digests[r[4]].vetoes]
        total = len(rows)
        if page_size is not None:
            rows = rows[start : start + page_size]
    else:
        if page_size is not None:
            total = _count(session, query, (scope.org_ids, ruleset, at, replace(f, page=1)))
            query = query.offset(start).limit(page_size)
        rows = session.execute(query).all()
        total = total if page_size is not None else len(rows)
        digests = DIGESTS.get_many(session, [r[4] for r in rows if r[4] is not None])
    page = [
        SiteRow(
            r[0], r[1], r[2], r[3], r[5], r[6], r[7],
            digests[r[4]].vetoes if r[4] is not None else (),
        )
        for r in rows
    ]  # fmt: skip
    return page, total


@dataclass(frozen=True)
class PastVerdict:
    at: date
    qualified: bool
    provisional: bool
    total: float


def verdict_history(session: Session, site: Site, ruleset: str) -> list[PastVerdict]:
    """Every stored card of the site, newest first (without their bodies)."""
    rows = session.execute(
        select(
            StoredCard.at, StoredCard.qualified, StoredCard.provisional, StoredCard.total_deduction
        )
        .where(StoredCard.site_id == site.id, StoredCard.ruleset == ruleset)
        .order_by(StoredCard.at.desc())
    )
    return [PastVerdict(*r) for r in rows]


def findings_in_scope(
    session: Session,
    scope: Scope,
    statuses: Sequence[FindingStatus] | None,
    site: Site | None = None,
    limit: int = 500,
) -> list[tuple[Finding, Site]]:
    query = (
        select(Finding, Site)
        .join(Site, Finding.site_id == Site.id)
        .where(Site.organisation_id.in_(scope.org_ids))
        .order_by(Finding.found_at.desc(), Finding.id.desc())
        .limit(limit)
    )
    if statuses:
        query = query.where(Finding.status.in_(list(statuses)))
    if site is not None:
        query = query.where(Finding.site_id == site.id)
    return [(f, s) for f, s in session.execute(query).all()]


def warm(session: Session, ruleset: str) -> int:
    """Digest every card of the newest monitoring point, so the first overview after a scoring
    run does not parse tens of thousands of bodies while an official waits; the cards digested."""
    at = session.scalar(select(func.max(StoredCard.at)).where(StoredCard.ruleset == ruleset))
    if at is None:
        return 0
    ids = list(
        session.scalars(
            select(StoredCard.id).where(StoredCard.at == at, StoredCard.ruleset == ruleset)
        )
    )
    DIGESTS.get_many(session, ids)
    return len(ids)
