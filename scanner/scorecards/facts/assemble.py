"""Facts per site at T, assembled chunk by chunk from every fact family."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.db.models import (
    Site,
    SiteStatus,
)
from scanner.scorecards.facts.columns import column_fact, column_facts, homepage_reads, item_facts
from scanner.scorecards.facts.findings import finding_facts
from scanner.scorecards.facts.interaction import interaction_facts
from scanner.scorecards.facts.links import link_facts
from scanner.scorecards.facts.probes import probe_facts
from scanner.scorecards.facts.rows import (
    CHUNK,
    chunks,
    core_rows,
    gc_paused,
)
from scanner.scorecards.facts.window import (
    COLUMNS,
    INTERACTION,
    LINKS,
    SiteInput,
    Window,
)
from scoring.facts import (
    Homepage,
    PageItems,
    SiteFacts,
)


def running_site_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Site.id).where(Site.status == SiteStatus.RUNNING).order_by(Site.code)
        )
    )


def iter_site_inputs(
    session: Session,
    site_ids: Sequence[int],
    window: Window,
    *,
    chunk: int = CHUNK,
) -> Iterator[SiteInput]:
    """Facts for the sites, in the order given, read ``chunk`` sites per query per table."""
    for ids in chunks(site_ids, chunk):
        with gc_paused():
            loaded = load_chunk(session, ids, window)
        yield from loaded


def load_site_inputs(session: Session, site_ids: Sequence[int], window: Window) -> list[SiteInput]:
    return list(iter_site_inputs(session, site_ids, window))


def load_chunk(session: Session, ids: list[int], w: Window) -> list[SiteInput]:
    sites = {
        r.id: r
        for r in core_rows(
            session,
            select(Site.id, Site.code, Site.name, Site.url, Site.type, Site.navigation_only).where(
                Site.id.in_(ids)
            ),
        )
    }
    probes = probe_facts(session, ids, w)
    columns, read_sites = column_facts(session, ids, w)
    home_items, second_items, column_items = item_facts(session, ids, w)
    reads = homepage_reads(session, ids, w)
    links, crawled = link_facts(session, ids, w)
    findings = finding_facts(session, ids, w)
    interaction = interaction_facts(session, ids, w)

    out: list[SiteInput] = []
    for sid in ids:
        site = sites.get(sid)
        if site is None:
            continue
        cols = tuple(
            column_fact(c, snap, column_items.get(c.id, ())) for c, snap in columns.get(sid, ())
        )
        read = reads.get(sid)
        # The operator's setting wins; else what the homepage reads detected.
        nav = site.navigation_only
        if nav is None:
            nav = bool(read and read.detected)
        second: tuple[PageItems, ...] = ()
        if nav:  # 二级页面: the pages read from the homepage's links, and the columns
            second = (
                PageItems(site.url, tuple(second_items.get(sid, ()))),
                *(PageItems(c.url, c.items) for c in cols if c.readable),
            )
        # Every read in the window failed: the homepage's updates are unknown, not absent.
        unread = read is not None and read.any and not read.days
        homepage = Homepage(
            site.url, tuple(home_items.get(sid, ())), nav, second, readable=not unread
        )
        not_run: set[str] = set()
        reasons: tuple[str, ...] = ()
        if sid not in read_sites and not home_items.get(sid) and read is None:
            not_run.add(COLUMNS)
        elif read is not None and len(read.days) < w.homepage_days:
            reasons = (
                f"首页读取不足：{w.homepage_start.isoformat()} 至 {w.at.isoformat()} 共 "
                f"{w.homepage_days} 天，读取到首页的 {len(read.days)} 天，首页新增信息可能漏计",
            )
        if sid not in crawled:
            not_run.add(LINKS)
        extra = interaction.get(sid)
        if extra is None:
            not_run.add(INTERACTION)
            extra = {}
        facts = SiteFacts(
            code=site.code,
            name=site.name,
            url=site.url,
            site_type=str(getattr(site.type, "value", site.type)),
            homepage=homepage,
            probes=tuple(probes.get(sid, ())),
            columns=cols,
            broken_links=tuple(links.get(sid, ())),
            link_scan=crawled.get(sid),
            findings=tuple(findings.get(sid, ())),
            **extra,
        )
        out.append(SiteInput(sid, facts, frozenset(not_run), reasons))
    return out
