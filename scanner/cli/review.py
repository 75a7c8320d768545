"""``census review``: the 人工复核 queue — list findings, confirm or dismiss them, add one found
by hand, and show a finding's audit trail. Only confirmed findings count in scoring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from scanner.cli.context import open_database
from scanner.cli.db import DatabaseOpt
from scanner.cli.output import console, console_err, markup, print_json
from scanner.clock import RealClock
from scanner.errors import CensusError

if TYPE_CHECKING:
    from scanner.db.models import Finding, FindingEvent, Site

EXIT_REFUSED = 2

app = typer.Typer(
    help="The 人工复核 queue: findings a machine cannot decide (严重错误、虚假内容、"
    "基本信息不准确、办事指南要素不准确). Only confirmed findings count.",
    no_args_is_help=True,
)

ReviewerOpt = Annotated[
    str, typer.Option("--reviewer", "-r", help="Who decides (复核人); kept in the audit trail.")
]
CommentOpt = Annotated[
    str, typer.Option("--comment", "-m", help="Why (复核意见); kept in the audit trail.")
]
# FindingStatus values (a StrEnum): the models are not loaded to build the CLI.
_STATUS_WORDS = {
    "candidate": "candidate", "待复核": "candidate",
    "confirmed": "confirmed", "已确认": "confirmed",
    "dismissed": "dismissed", "已排除": "dismissed",
}  # fmt: skip


def _fail(message: str) -> NoReturn:
    console_err.print(f"[red]错误:[/] {escape(message)}")
    raise SystemExit(EXIT_REFUSED)


def _site_of(session: Any, key: str) -> Site:
    from scanner.registry.lookup import find_site

    try:
        return find_site(session, key)
    except CensusError as exc:
        _fail(str(exc))


def _event_json(e: FindingEvent) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "reviewer": e.reviewer,
        "from": e.old_status,
        "to": e.new_status,
        "comment": e.comment,
    }


def _finding_json(
    f: Finding, site: Site, trail: list[FindingEvent] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "site": site.code,
        "site_name": site.name,
        "kind": f.kind,
        "status": f.status.value,
        "page_url": f.page_url,
        "excerpt": f.excerpt,
        "detail": f.detail,
        "source": f.source,
        "found_at": f.found_at.isoformat(),
        "reviewer": f.reviewer,
        "reviewed_at": f.reviewed_at.isoformat() if f.reviewed_at else None,
        "comment": f.comment,
    }
    if trail is not None:
        out["events"] = [_event_json(e) for e in trail]
    return out


@app.command("list")
def list_(
    site_key: Annotated[
        str | None, typer.Argument(metavar="[SITE]", help="网站标识码 or homepage URL.")
    ] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status", help="candidate | confirmed | dismissed | all (待复核/已确认/已排除)."
        ),
    ] = "candidate",
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="serious_error | false_content | inaccurate_basic_info | inaccurate_guide.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List findings (default: those waiting for review)."""
    from scanner.db.models import FindingStatus, Site
    from scanner.review import KIND_LABEL, STATUS_LABEL, kind_of, list_findings

    statuses = None
    if status != "all":
        if status not in _STATUS_WORDS:
            _fail(f"未知的状态 {status!r}（可选：candidate、confirmed、dismissed、all）")
        statuses = [FindingStatus(_STATUS_WORDS[status])]
    db = open_database(database_url)
    try:
        with db.session() as session:
            try:
                kinds = [kind_of(kind)] if kind else None
            except CensusError as exc:
                _fail(str(exc))
            site = _site_of(session, site_key) if site_key else None
            found = list_findings(session, site=site, statuses=statuses, kinds=kinds)
            rows = [_finding_json(f, session.get(Site, f.site_id)) for f in found]  # type: ignore[arg-type]
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    label = "全部" if statuses is None else STATUS_LABEL[statuses[0]]
    table = Table(title=f"人工复核：{label} {len(rows)} 条")
    for header in ("编号", "网站", "类别", "状态", "页面", "摘录", "复核人", "复核意见"):
        table.add_column(header, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]), markup(f"{r['site_name']} ({r['site']})"),
            KIND_LABEL.get(r["kind"], r["kind"]), STATUS_LABEL[FindingStatus(r["status"])],
            markup(r["page_url"]), markup(r["excerpt"]), markup(r["reviewer"]),
            markup(r["comment"]),
        )  # fmt: skip
    console.print(table)


@app.command("show")
def show(
    finding_id: Annotated[int, typer.Argument(help="Finding number (编号).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """One finding with its whole audit trail (复核记录)."""
    from scanner.db.models import Finding, FindingStatus, Site
    from scanner.review import KIND_LABEL, STATUS_LABEL, events

    db = open_database(database_url)
    try:
        with db.session() as session:
            f = session.get(Finding, finding_id)
            if f is None:
                _fail(f"没有编号为 {finding_id} 的发现")
            site = session.get(Site, f.site_id)
            assert site is not None
            row = _finding_json(f, site, events(session, f.id))
    finally:
        db.dispose()
    if as_json:
        print_json(row)
        return
    console.print(
        f"[bold]发现 {row['id']}[/]：{KIND_LABEL.get(row['kind'], row['kind'])} — "
        f"{STATUS_LABEL[FindingStatus(row['status'])]}"
    )
    console.print(f"  网站：{escape(row['site_name'])} ({row['site']})")
    console.print(f"  页面：{markup(row['page_url'])}")
    console.print(f"  摘录：{escape(row['excerpt'])}")
    console.print("  复核记录：")
    for e in row["events"]:
        before = STATUS_LABEL[FindingStatus(e["from"])] if e["from"] else "（新建）"
        after = STATUS_LABEL[FindingStatus(e["to"])]
        console.print(
            f"    {e['at']}  {escape(e['reviewer'])}：{before} → {after}  {escape(e['comment'])}"
        )


def _decide(
    finding_id: int, decision: str, reviewer: str, comment: str, database_url: str | None
) -> None:
    """``decision`` is a FindingStatus value (the commands do not load the models to say so)."""
    from scanner.db.models import FindingStatus
    from scanner.review import KIND_LABEL, transition

    new = FindingStatus(decision)
    db = open_database(database_url)
    try:
        with db.session() as session:
            try:
                f = transition(
                    session, finding_id, new, reviewer=reviewer, at=RealClock().now(),
                    comment=comment,
                )  # fmt: skip
            except CensusError as exc:
                _fail(str(exc))
            kind = KIND_LABEL.get(f.kind, f.kind)
    finally:
        db.dispose()
    done = {FindingStatus.CONFIRMED: "确认", FindingStatus.DISMISSED: "排除"}.get(new, "退回待复核")
    console.print(f"发现 {finding_id}（{kind}）已{done}：复核人 {escape(reviewer)}")


@app.command("confirm")
def confirm(
    finding_id: Annotated[int, typer.Argument(help="Finding number (编号).")],
    reviewer: ReviewerOpt,
    comment: CommentOpt = "",
    database_url: DatabaseOpt = None,
) -> None:
    """Confirm a finding (确认): from now on it counts in scoring."""
    _decide(finding_id, "confirmed", reviewer, comment, database_url)


@app.command("dismiss")
def dismiss(
    finding_id: Annotated[int, typer.Argument(help="Finding number (编号).")],
    reviewer: ReviewerOpt,
    comment: CommentOpt = "",
    database_url: DatabaseOpt = None,
) -> None:
    """Dismiss a finding (排除): it never counts; a re-run does not queue the same hit again."""
    _decide(finding_id, "dismissed", reviewer, comment, database_url)


@app.command("reopen")
def reopen(
    finding_id: Annotated[int, typer.Argument(help="Finding number (编号).")],
    reviewer: ReviewerOpt,
    comment: CommentOpt = "",
    database_url: DatabaseOpt = None,
) -> None:
    """Put a decided finding back in the queue (待复核)."""
    _decide(finding_id, "candidate", reviewer, comment, database_url)


@app.command("add")
def add(
    site_key: Annotated[str, typer.Argument(metavar="SITE", help="网站标识码 or homepage URL.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="serious_error | false_content | inaccurate_basic_info | inaccurate_guide "
            "(or 严重错误/虚假或伪造内容/基本信息不准确/办事指南要素不准确).",
        ),
    ],
    url: Annotated[str, typer.Option("--url", help="The page where it is (页面地址).")],
    reviewer: ReviewerOpt,
    excerpt: Annotated[str, typer.Option("--excerpt", help="What the page says (摘录).")] = "",
    comment: CommentOpt = "",
    confirmed: Annotated[
        bool,
        typer.Option("--confirmed", help="Confirm it at once (the official already checked it)."),
    ] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Add a finding by hand (e.g. false content an official found); it starts as 待复核."""
    from scanner.db.models import FindingStatus
    from scanner.review import KIND_LABEL, STATUS_LABEL, add_finding, kind_of, transition

    db = open_database(database_url)
    try:
        with db.session() as session:
            site = _site_of(session, site_key)
            now = RealClock().now()
            try:
                f = add_finding(
                    session, site, kind=kind, page_url=url, excerpt=excerpt, reviewer=reviewer,
                    at=now, comment=comment,
                )  # fmt: skip
                if confirmed:
                    transition(
                        session, f.id, FindingStatus.CONFIRMED, reviewer=reviewer, at=now,
                        comment=comment,
                    )  # fmt: skip
            except CensusError as exc:
                _fail(str(exc))
            number, status = f.id, f.status
    finally:
        db.dispose()
    console.print(
        f"已添加发现 {number}（{KIND_LABEL[kind_of(kind)]}，{STATUS_LABEL[status]}）：{url}"
    )
