"""``census columns``: find a site's columns (discover), read them into snapshots (read), and
show what the latest reads found (list).

Freshness is judged per column and per category, so a site whose registry lists no columns
cannot be scored; ``discover`` proposes them from the homepage, ``--accept`` stores the ones
the operator can take as they are (a category was guessed and the page opened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from scanner.cli.context import open_database, settings_with
from scanner.cli.db import DatabaseOpt
from scanner.cli.edge import run_async
from scanner.cli.inspect import today_cst
from scanner.cli.output import FAILURE_LABELS, console, console_err, markup, print_json
from scanner.clock import RealClock
from scanner.errors import CensusError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from probes.columns import Discovery, PageRead, Proposal
    from scanner.db.models import ColumnSnapshot, ColumnSource, Site
    from scanner.settings import Settings
    from scanner.snapshots import SiteReads, Stored

EXIT_REFUSED = 2

app = typer.Typer(
    help="Find a site's columns (栏目) from its homepage and accept them into the registry.",
    no_args_is_help=True,
)

STATE_LABEL = {
    "ok": "有条目", "blank": "空白栏目", "exempt": "说明无此类信息", "system": "在线系统",
    "scripted": "列表由脚本生成（读取时经数据接口或浏览器）",
}  # fmt: skip
# Short labels for the table (the registry's 附件4 wording, e.g. 机构设置及职能, reads like a
# column name next to one).
CATEGORY_LABEL = {
    "news": "动态要闻", "notice": "通知公告", "policy": "政策文件", "personnel": "人事信息",
    "planning": "规划计划", "other_info": "其他信息", "consult": "政务咨询", "report": "举报投诉",
    "survey": "调查征集", "interview": "互动访谈", "guide": "办事指南", "online_system": "在线系统",
}  # fmt: skip
# Keyed by ColumnSource's values (a StrEnum): the models are not loaded to build the CLI.
SOURCE_LABEL = {"config": "是（配置）", "discovered": "是（发现）"}


@dataclass(frozen=True, slots=True)
class Registered:
    """A registry column as discovery compares it: by URL, and by name for a hint."""

    name: str
    url: str
    source: ColumnSource


def _registered(site: Site) -> dict[str, Registered]:
    from probes.columns import column_key

    return {column_key(c.url): Registered(c.name, c.url, c.source) for c in site.columns}


def registered_label(proposal: Proposal, registered: dict[str, Registered]) -> str:
    from probes.columns import column_key

    found = registered.get(column_key(proposal.url))
    if found is not None:
        return SOURCE_LABEL[found.source]
    if any(r.name == proposal.name for r in registered.values()):
        return "否（同名栏目地址不同）"
    return "否"


def state_label(proposal: Proposal) -> str:
    if proposal.state is None:
        kind = FAILURE_LABELS.get(proposal.error, proposal.error)
        return f"无法打开（{kind}）"
    label = STATE_LABEL.get(proposal.state, proposal.state)
    return f"{label} {proposal.items} 条" if proposal.state == "ok" else label


def category_label(proposal: Proposal) -> str:
    if proposal.category is None:
        return "？需人工确定"
    label = CATEGORY_LABEL[proposal.category]
    basis = "" if proposal.basis == "name" else f"（据 {proposal.basis}）"
    return f"{label} {proposal.category}{basis}"


def acceptable(proposal: Proposal, registered: dict[str, Registered]) -> bool:
    """New, with a category, and opened: what can be stored without an operator's choice."""
    from probes.columns import column_key

    return (
        proposal.category is not None
        and proposal.state is not None
        and column_key(proposal.url) not in registered
    )


def accept(session: Session, site_id: int, proposals: list[Proposal]) -> list[Proposal]:
    """Store new proposals as discovered columns; an existing column (any source) is kept as is.

    Runs in the caller's session, so the whole set lands in one transaction or not at all.
    """
    from probes.columns import column_key
    from scanner.db.models import Column, ColumnCategory, ColumnSource, Site

    site = session.get(Site, site_id)
    if site is None:  # deleted between discovery and acceptance
        raise CensusError("网站已不在登记表中 (the site was removed meanwhile)")
    registered = _registered(site)
    stored: list[Proposal] = []
    for proposal in proposals:
        if proposal.category is None or not acceptable(proposal, registered):
            continue
        site.columns.append(
            Column(
                name=proposal.name,
                url=proposal.url,
                category=ColumnCategory(proposal.category),
                source=ColumnSource.DISCOVERED,
            )
        )
        registered[column_key(proposal.url)] = Registered(
            proposal.name, proposal.url, ColumnSource.DISCOVERED
        )
        stored.append(proposal)
    session.flush()
    return stored


async def run_discovery(
    settings: Settings, homepage: str, hosts: list[str], as_of: date, depth: int = 2
) -> Discovery:
    from probes.columns import discover
    from scanner.http import HostLimiter, build_client

    limiter = HostLimiter(settings.per_host_connections, settings.per_host_rate)
    async with build_client(settings) as client:
        return await discover(
            client,
            homepage,
            as_of=as_of,
            deadline=settings.page_timeout,
            max_bytes=settings.max_body_bytes,
            limiter=limiter,
            hosts=hosts,
            depth=depth,
        )


def _fail(message: str) -> NoReturn:
    console_err.print(f"[red]错误:[/] {escape(message)}")
    raise SystemExit(EXIT_REFUSED)


def _print_table(site: Site, found: Discovery, registered: dict[str, Registered]) -> None:
    table = Table(title=f"{site.name}（{site.code}）栏目 {len(found.proposals)} 个")
    for header in ("栏目名称", "地址", "推测类别", "已登记", "状态", "最新日期"):
        table.add_column(header, overflow="fold")
    for p in found.proposals:
        table.add_row(
            markup(p.name), markup(p.url), category_label(p), registered_label(p, registered),
            state_label(p), p.newest.isoformat() if p.newest else "",
        )  # fmt: skip
    console.print(table)
    flagged = [p.name for p in found.proposals if p.flagged]
    if flagged:
        console.print(f"无法推测类别（需人工确定）：{escape('、'.join(flagged))}")
    if found.navigation_only:
        console.print("首页没有注明日期的条目（导航型首页）：按规则以二级页面的更新为准。")


@app.command("discover")
def discover_(
    site_key: Annotated[
        str, typer.Argument(metavar="SITE", help="网站标识码 or homepage URL of a registered site.")
    ],
    accept_: Annotated[
        bool,
        typer.Option(
            "--accept",
            help="Store the new columns that have a category and opened "
            "(source=discovered), in one transaction; registered columns are never changed.",
        ),
    ] = False,
    depth: Annotated[
        int,
        typer.Option(
            "--depth",
            min=1,
            max=3,
            help="1: the homepage's links only; 2: also look inside "
            "linked channels (政务公开, 互动交流 …) that are not columns themselves.",
        ),
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Propose columns from the homepage navigation, with a category guessed from each name."""
    from scanner.db.models import Site
    from scanner.http import FetchFailed
    from scanner.registry.lookup import find_site

    settings = settings_with(database_url)
    db = open_database(settings=settings)
    try:
        with db.session() as session:
            try:
                site = find_site(session, site_key)
            except CensusError as exc:
                _fail(str(exc))
            site_id, homepage, hosts = site.id, site.url, list(site.own_hosts or [])
        try:
            found = run_async(run_discovery(settings, homepage, hosts, today_cst(), depth))
        except FetchFailed as exc:
            label = FAILURE_LABELS.get(exc.kind, exc.kind)
            _fail(f"首页无法打开：{label} ({exc.kind}) — {homepage}")
        with db.session() as session:
            current = session.get(Site, site_id)
            if current is None:
                _fail("网站已不在登记表中 (the site was removed meanwhile)")
            registered = _registered(current)
            stored = accept(session, site_id, found.proposals) if accept_ else []
            if as_json:
                print_json(_as_json(current, found, registered, stored if accept_ else None))
            else:
                _print_table(current, found, registered)
    finally:
        db.dispose()
    if accept_ and not as_json:
        skipped = len(found.proposals) - len(stored)
        console.print(
            f"已登记 {len(stored)} 个新栏目（来源：discovered）；"
            f"未登记 {skipped} 个（已在登记表中、无法推测类别或无法打开）。"
        )


def _as_json(
    site: Site,
    found: Discovery,
    registered: dict[str, Registered],
    stored: list[Proposal] | None,
) -> dict[str, Any]:
    from probes.columns import column_key

    proposals = []
    for p in found.proposals:
        row = p.as_json()
        entry = registered.get(column_key(p.url))
        row["registered"] = entry.source.value if entry else None
        proposals.append(row)
    return {
        "site": site.code,
        "homepage": found.homepage,
        "final_url": found.final_url,
        "navigation_only": found.navigation_only,
        "proposals": proposals,
        "rejected": [{"text": t, "url": u, "reason": r} for t, u, r in found.rejected],
        "accepted": None if stored is None else [p.url for p in stored],
    }


@app.command("read")
def read(
    site_key: Annotated[
        str | None,
        typer.Argument(metavar="[SITE]", help="网站标识码 or homepage URL; or use --all."),
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all", help="Every running site in the registry.")
    ] = False,
    open_undated: Annotated[
        int,
        typer.Option(
            "--open-undated",
            min=0,
            max=20,
            help="When a list shows no dates, open this many of "
            "its newest entries and use their own publication dates.",
        ),
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Read every registered column (and the homepage) now and store a snapshot of each."""
    from scanner.registry.lookup import find_site
    from scanner.snapshots import read_and_store, wanted_sites

    if (site_key is None) == (not all_sites):
        _fail("请指定一个网站（标识码或首页网址）或 --all，二者选一")
    settings = settings_with(database_url)
    db = open_database(settings=settings)
    try:
        with db.session() as session:
            if site_key is not None:
                try:
                    codes: list[str] | None = [find_site(session, site_key).code]
                except CensusError as exc:
                    _fail(str(exc))
            else:
                codes = None
            sites = wanted_sites(session, codes)
        results = run_async(
            read_and_store(
                db,
                settings,
                sites,
                as_of=today_cst(),
                clock=RealClock(),
                open_undated=open_undated,
            )
        )
    finally:
        db.dispose()
    if as_json:
        print_json([_read_json(reads, stored) for reads, stored in results])
        return
    for reads, stored in results:
        _print_reads(reads, stored)


# How a column's entries were read, when not from the markup (the evidence says so).
READ_VIA_LABEL = {"endpoint": "经数据接口读取", "browser": "经浏览器渲染读取"}
UNRENDERED_STATE = "未能判定（列表由脚本生成，浏览器未能渲染）"


def _read_state(read: PageRead) -> str:
    if not read.ok:
        return f"无法打开（{FAILURE_LABELS.get(read.error, read.error)}）"
    if read.uncertain:
        return UNRENDERED_STATE
    label = STATE_LABEL.get(read.state or "", read.state or "")
    state = f"{label} {len(read.items)} 条" if read.state == "ok" else label
    via = READ_VIA_LABEL.get(read.read_via)
    return f"{state}（{via}）" if via else state


def _print_reads(reads: SiteReads, stored: Stored) -> None:
    site = reads.site
    table = Table(title=f"{site.name}（{site.code}）栏目 {len(site.columns)} 个")
    for header in ("栏目名称", "类别", "状态", "新条目", "最新日期", "最新条目"):
        table.add_column(header, overflow="fold")
    for column in site.columns:
        read = reads.columns[column.column_id]
        newest = read.newest_item
        table.add_row(
            escape(column.name), CATEGORY_LABEL.get(column.category, column.category),
            _read_state(read), str(stored.new_items.get(column.column_id, 0)),
            read.newest.isoformat() if read.newest else "", escape(newest.title) if newest else "",
        )  # fmt: skip
    console.print(table)
    home = reads.homepage
    if not home.ok:
        console.print(f"首页：{_read_state(home)}")
    else:
        dated = sum(1 for it in home.items if it.date is not None)
        console.print(
            f"首页：注明日期的条目 {dated} 条，新条目 {stored.new_items.get(None, 0)} 条，"
            f"最新日期 {home.newest.isoformat() if home.newest else '无'}"
        )
    if reads.navigation_only:
        basis = "登记设置" if site.navigation_only is not None else "自动检测：首页无注明日期的条目"
        second = reads.second_level_items
        opened = sum(1 for r in reads.second_level.values() if r.ok)
        latest = max((it.date for it in second if it.date), default=None)
        console.print(
            f"首页仅为导航（{basis}）：改查二级页面 {opened}/{len(reads.second_level)} 个，"
            f"注明日期的条目 {len(second)} 条，新条目 {stored.new_second_level} 条，"
            f"最新日期 {latest.isoformat() if latest else '无'}"
        )


def _page_json(read: PageRead) -> dict[str, Any]:
    return {
        "url": read.url,
        "ok": read.ok,
        "error": read.error,
        "kind": read.kind,
        "state": read.state,
        "items": len(read.items),
        "newest_date": read.newest.isoformat() if read.newest else None,
        "exempt_note": read.exempt_note,
        "dated_from_pages": read.dated_from_pages,
        "read_via": read.read_via,
    }


def _read_json(reads: SiteReads, stored: Stored) -> dict[str, Any]:
    columns = []
    for column in reads.site.columns:
        row: dict[str, Any] = {"name": column.name, "category": column.category}
        row.update(_page_json(reads.columns[column.column_id]))
        row["new_items"] = stored.new_items.get(column.column_id, 0)
        columns.append(row)
    second = reads.second_level_items
    return {
        "site": reads.site.code,
        "homepage": {
            **_page_json(reads.homepage),
            "new_items": stored.new_items.get(None, 0),
            "navigation_only": reads.navigation_only,
            "navigation_only_setting": reads.site.navigation_only,
            "navigation_only_detected": reads.homepage.navigation_only,
            "second_level": [_page_json(r) for r in reads.second_level.values()],
            "second_level_items": len(second),
            "second_level_new_items": stored.new_second_level,
        },
        "columns": columns,
    }


def _latest(session: Session, column_id: int) -> ColumnSnapshot | None:
    from sqlalchemy import select

    from scanner.db.models import ColumnSnapshot

    return session.scalar(
        select(ColumnSnapshot)
        .where(ColumnSnapshot.column_id == column_id)
        .order_by(ColumnSnapshot.taken_at.desc(), ColumnSnapshot.id.desc())
        .limit(1)
    )


def _snapshot_state(snap: ColumnSnapshot) -> str:
    if snap.read_via == "unrendered":
        return UNRENDERED_STATE
    if not snap.readable:
        return f"无法打开（{FAILURE_LABELS.get(snap.error, snap.error)}）"
    if snap.exempt_note:
        return STATE_LABEL["exempt"]
    if snap.blank:
        return STATE_LABEL["blank"]
    via = READ_VIA_LABEL.get(snap.read_via)
    return f"{STATE_LABEL['ok']} {snap.item_count} 条" + (f"（{via}）" if via else "")


@app.command("list")
def list_(
    site_key: Annotated[
        str, typer.Argument(metavar="SITE", help="网站标识码 or homepage URL of a registered site.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List a site's registered columns with what their latest read showed."""
    from scanner.registry.lookup import find_site

    db = open_database(database_url)
    today = today_cst()
    rows: list[dict[str, Any]] = []
    try:
        with db.session() as session:
            try:
                site = find_site(session, site_key)
            except CensusError as exc:
                _fail(str(exc))
            title = f"{site.name}（{site.code}）登记栏目 {len(site.columns)} 个"
            for column in site.columns:
                snap = _latest(session, column.id)
                newest = snap.newest_date if snap is not None else None
                rows.append(
                    {
                        "name": column.name,
                        "url": column.url,
                        "category": column.category.value,
                        "source": column.source.value,
                        "exempt": column.exempt,
                        "read_at": snap.taken_at.isoformat() if snap is not None else None,
                        "state": _snapshot_state(snap) if snap is not None else None,
                        "read_via": snap.read_via if snap is not None else None,
                        "newest_date": newest.isoformat() if newest else None,
                        "days_since_newest": (today - newest).days if newest else None,
                        "newest_title": snap.newest_title if snap is not None else "",
                    }
                )
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table(title=title)
    for header in ("栏目名称", "类别", "来源", "最近读取", "状态", "最新日期", "距今（天）"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            escape(row["name"]), CATEGORY_LABEL[row["category"]],
            "配置" if row["source"] == "config" else "发现",
            (row["read_at"] or "未读取")[:16].replace("T", " "), row["state"] or "",
            row["newest_date"] or "", "" if row["days_since_newest"] is None
            else str(row["days_since_newest"]),
        )  # fmt: skip
    console.print(table)
    if not any(row["read_at"] for row in rows):
        console.print("尚未读取：运行 census columns read 获取各栏目的最新状态。")
