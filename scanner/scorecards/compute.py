"""Scoring sites from the database, and the stored scorecards (one per site, T and ruleset).

The engine is pure and knows nothing of which checks ran. A rule whose check has not run for a
site is swapped for one that judges nothing ("未检查"), adds no points and makes the card
provisional: an official sees the gap instead of a deduction the site did not earn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scanner.db import Database
from scanner.db.models import Scorecard as StoredCard
from scanner.db.models import Site
from scanner.labels import read_via_label
from scanner.scorecards.facts import CHECKS, SiteInput, Window, iter_site_inputs
from scoring import Ruleset, load_ruleset, score
from scoring.context import Context
from scoring.facts import SiteFacts
from scoring.params import Period
from scoring.results import RuleResult, Scorecard
from scoring.rules.veto import HomepageStaleParams

NOT_CHECKED = "未检查"


def window_for(ruleset: Ruleset, at: date) -> Window:
    """What to read for T: the probe week, and dated entries back to the ruleset's widest window."""
    m = ruleset.monitoring
    starts = [p.start(at) for rc in ruleset.rules for p in _periods(rc.params)]
    oldest = min(starts, default=at) - timedelta(days=1)
    homepage = ruleset.rule("veto.homepage_stale").params
    assert isinstance(homepage, HomepageStaleParams)
    return Window.of(
        at,
        probe_days=m.probe_days,
        timeout_ms=m.timeout_ms,
        homepage_start=homepage.window.start(at),
        tz=m.tz,
        oldest=oldest,
    )


def _periods(value: Any) -> Iterator[Period]:
    """Every window (``Period``) anywhere in a rule's parameters."""
    if isinstance(value, Period):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _periods(getattr(value, name))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _periods(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _periods(v)


def _not_run_rule(reason: str, veto: bool) -> Callable[[Context, BaseModel], RuleResult]:
    def judge(ctx: Context, params: BaseModel) -> RuleResult:
        return RuleResult(
            holds=False,
            figure=f"{NOT_CHECKED}：{reason}，本项暂不" + ("判定" if veto else "扣分"),
            points=None if veto else Decimal(0),
            provisional=(reason,),
        )

    return judge


_VARIANTS: dict[tuple[int, frozenset[str]], tuple[Ruleset, Ruleset]] = {}


def ruleset_without(ruleset: Ruleset, not_run: frozenset[str]) -> Ruleset:
    """The ruleset with the rules of checks that have not run replaced by "未检查" ones."""
    if not not_run:
        return ruleset
    key = (id(ruleset), not_run)
    hit = _VARIANTS.get(key)
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    swap: dict[str, str] = {}
    for check in sorted(not_run):
        reason, rule_ids = CHECKS[check]
        for rule_id in rule_ids:
            swap[rule_id] = reason
    rules = tuple(
        dataclasses.replace(rc, func=_not_run_rule(swap[rc.id], rc.kind == "veto"))
        if rc.id in swap
        else rc
        for rc in ruleset.rules
    )
    variant = dataclasses.replace(ruleset, rules=rules)
    if len(_VARIANTS) > 64:
        _VARIANTS.clear()
    _VARIANTS[key] = (ruleset, variant)
    return variant


def unchecked_rules(not_run: Iterable[str]) -> set[str]:
    return {rule_id for check in not_run for rule_id in CHECKS[check][1]}


def score_input(inp: SiteInput, ruleset: Ruleset, at: date) -> Scorecard:
    card = score(inp.facts, ruleset_without(ruleset, inp.not_run), at)
    if inp.reasons:  # gaps the engine cannot see: provisional, with the reason
        reasons = tuple(dict.fromkeys((*card.reasons, *inp.reasons)))
        card = dataclasses.replace(card, provisional=True, reasons=reasons)
    return card


def column_reads(facts: SiteFacts) -> tuple[dict[str, Any], ...]:
    """Each registered column as its latest read by T saw it, and how it was read (读取方式):
    an official can tell a list read from the markup from one read through its data endpoint
    or a browser, and one that could not be read at all."""
    return tuple(
        {
            "name": c.name,
            "url": c.url,
            "category": str(c.category),
            "readable": c.readable,
            "read_via": c.read_via or None,
            "read_via_label": read_via_label(c.read_via),
            "newest_date": c.newest_date.isoformat() if c.newest_date else None,
        }
        for c in facts.columns
    )


def card_body(
    card: Scorecard, not_run: Iterable[str] = (), columns: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The contract JSON, with unjudged rules' status set to 未检查 and the checks listed, and
    the columns' reads (``columns``)."""
    body = card.to_dict()
    skipped = unchecked_rules(not_run)
    for rule_id in skipped:
        if rule_id in body["rules"]:
            body["rules"][rule_id]["status"] = NOT_CHECKED
            body["rules"][rule_id]["checked"] = False
    body["checks_not_run"] = sorted(not_run)
    body["columns"] = [dict(c) for c in columns]
    return body


@dataclasses.dataclass(slots=True)
class Scored:
    """One site's card; ``body`` (the JSON) is built on first use, as many callers never need it."""

    site_id: int
    card: Scorecard
    not_run: frozenset[str] = frozenset()
    columns: tuple[dict[str, Any], ...] = ()
    _body: dict[str, Any] | None = None

    @property
    def body(self) -> dict[str, Any]:
        if self._body is None:
            self._body = card_body(self.card, self.not_run, self.columns)
        return self._body


def score_sites(
    session: Session, site_ids: Sequence[int], ruleset: Ruleset, at: date
) -> Iterator[Scored]:
    """Read the sites' facts in bulk and score each; lazily, so memory stays one chunk."""
    for inp in iter_site_inputs(session, site_ids, window_for(ruleset, at)):
        card = score_input(inp, ruleset, at)
        yield Scored(inp.site_id, card, inp.not_run, column_reads(inp.facts))


def store(
    session: Session, scored: Sequence[Scored], ruleset: Ruleset, computed_at: datetime
) -> None:
    """Replace the sites' cards for (T, ruleset id) with these ones (re-scoring replaces)."""
    if not scored:
        return
    at = scored[0].card.at
    session.execute(
        delete(StoredCard).where(
            StoredCard.site_id.in_([s.site_id for s in scored]),
            StoredCard.at == at,
            StoredCard.ruleset == ruleset.id,
        )
    )
    session.add_all(
        StoredCard(
            site_id=s.site_id,
            at=at,
            ruleset=ruleset.id,
            ruleset_version=ruleset.version,
            qualified=s.card.qualified,
            provisional=s.card.provisional,
            total_deduction=float(s.card.total_deduction),
            body=s.body,
            computed_at=computed_at,
        )
        for s in scored
    )
    session.flush()


def score_and_store(
    db: Database,
    site_ids: Sequence[int],
    ruleset: Ruleset,
    at: date,
    computed_at: datetime,
    *,
    batch: int = 500,
) -> list[Scored]:
    """Score and store, one transaction per batch of sites; the cards in the order given."""
    return list(_score_and_store(db, site_ids, ruleset, at, computed_at, batch))


def score_and_store_summaries(
    db: Database,
    site_ids: Sequence[int],
    ruleset: Ruleset,
    at: date,
    computed_at: datetime,
    *,
    batch: int = 500,
) -> list[Summary]:
    """As ``score_and_store``, keeping only each card's summary (memory: one batch of cards)."""
    return [summary(s) for s in _score_and_store(db, site_ids, ruleset, at, computed_at, batch)]


def _score_and_store(
    db: Database,
    site_ids: Sequence[int],
    ruleset: Ruleset,
    at: date,
    computed_at: datetime,
    batch: int,
) -> Iterator[Scored]:
    """Stored batch by batch; a consumer that drops each card holds one batch at a time."""
    with db.session() as read:
        pending: list[Scored] = []
        for s in score_sites(read, site_ids, ruleset, at):
            pending.append(s)
            if len(pending) >= batch:
                _flush(db, pending, ruleset, computed_at)
                yield from pending
                pending = []
        _flush(db, pending, ruleset, computed_at)
        yield from pending


def _flush(db: Database, scored: list[Scored], ruleset: Ruleset, computed_at: datetime) -> None:
    if scored:
        with db.session() as session:
            store(session, scored, ruleset, computed_at)


def stored_card(session: Session, site: Site, at: date, ruleset_id: str) -> StoredCard | None:
    return session.scalar(
        select(StoredCard).where(
            StoredCard.site_id == site.id, StoredCard.at == at, StoredCard.ruleset == ruleset_id
        )
    )


def card_at(
    session: Session, site: Site, ruleset: Ruleset, at: date
) -> tuple[dict[str, Any], StoredCard | None]:
    """The site's card for T as ``census scorecard --json`` prints it: the stored one, or (none
    stored) one computed on the fly and not stored. The stored row, if any, comes second."""
    stored = stored_card(session, site, at, ruleset.id)
    if stored is not None:
        return stored.body, stored
    return next(iter(score_sites(session, [site.id], ruleset, at))).body, None


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """What a summary table needs of one card (cheap to send back from a worker process)."""

    site_id: int
    code: str
    name: str
    verdict: str
    vetoes: tuple[str, ...]
    total: float
    not_scored: float
    provisional: bool


def summary(s: Scored) -> Summary:
    c = s.card
    return Summary(
        s.site_id,
        c.site_code,
        c.site_name,
        c.verdict,
        tuple(o.name for o in c.rules if o.kind == "veto" and o.holds),
        float(c.total_deduction),
        float(c.deduction_not_scored),
        c.provisional,
    )


def _worker(
    url: str, ids: list[int], ruleset_path: str, at: date, computed_at: datetime | None
) -> list[Summary]:
    db = Database(url)
    try:
        ruleset = load_ruleset(ruleset_path)
        if computed_at is not None:
            return score_and_store_summaries(db, ids, ruleset, at, computed_at)
        with db.session() as session:
            return [summary(s) for s in score_sites(session, ids, ruleset, at)]
    finally:
        db.dispose()


def score_in_processes(
    url: str,
    site_ids: Sequence[int],
    ruleset_path: str,
    at: date,
    *,
    workers: int,
    computed_at: datetime | None = None,
) -> list[Summary]:
    """Score (and store, given ``computed_at``) in ``workers`` processes, each a contiguous
    share of the sites with its own connection; summaries come back in the order given."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from scanner.processes import die_with_parent

    ids = list(site_ids)
    step = -(-len(ids) // max(1, workers))
    shares = [ids[i : i + step] for i in range(0, len(ids), step)] if ids else []
    with ProcessPoolExecutor(
        max_workers=max(1, len(shares)), initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        parts = pool.map(
            _worker,
            [url] * len(shares),
            shares,
            [ruleset_path] * len(shares),
            [at] * len(shares),
            [computed_at] * len(shares),
        )
        return [s for part in parts for s in part]
