"""``census inspect``: what the scanner reads from one page, exactly as the probes see it.

The JSON form is the **contract** of design.md; it is the quickest way for an operator to check
why a column counts as stale (which entries were found, which date each one shows).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import typer
from rich.markup import escape
from rich.table import Table

from scanner.cli.edge import run_async
from scanner.cli.output import FAILURE_LABELS, console, console_err, markup, print_json
from scanner.clock import CST, RealClock
from scanner.errors import CensusError, PageNotOpened

EXIT_REFUSED = 2

KIND_LABELS: dict[str, str] = {
    "homepage": "首页",
    "list": "列表页（栏目）",
    "article": "文章页",
    "guide": "办事指南",
    "messages": "留言/信件",
    "other": "其他页面",
}


def _not_opened(kind: str, target: str, detail: str = "") -> PageNotOpened:
    label = FAILURE_LABELS.get(kind, "无法读取文件" if kind == "file" else kind)
    text = f"页面无法打开：{label} ({kind}) — {target}"
    return PageNotOpened(kind, f"{text}：{detail}" if detail else text)


def today_cst() -> date:
    """Year-less dates are resolved against the scan day in China, not the machine's zone."""
    return RealClock().now().astimezone(CST).date()


def _is_url(target: str) -> bool:
    return urlsplit(target).scheme.lower() in ("http", "https")


def _local_path(target: str) -> Path:
    parts = urlsplit(target)
    if parts.scheme.lower() == "file":
        return Path(url2pathname(parts.path))
    return Path(target)


async def _fetch(url: str) -> tuple[bytes, str, int, str | None]:
    from scanner.http import FailureKind, FetchFailed, build_client, fetch
    from scanner.http.charset import charset_of
    from scanner.settings import load_settings

    settings = load_settings()
    async with build_client(settings) as client:
        try:
            got = await fetch(
                client, url, deadline=settings.page_timeout, max_bytes=settings.max_body_bytes
            )
        except FetchFailed as exc:
            raise _not_opened(exc.kind, url, exc.detail) from None
    if got.status >= 400:
        raise _not_opened(FailureKind.HTTP_STATUS, url, f"HTTP {got.status}")
    if not got.content.strip():
        raise _not_opened(FailureKind.EMPTY, url)
    if got.truncated:
        raise _not_opened(FailureKind.TOO_LARGE, url, f"> {settings.max_body_bytes} bytes")
    return got.content, got.final_url, got.status, charset_of(got.content_type)


def _read_local(path: Path) -> bytes:
    """A local page, read only if it is a regular file and no larger than a page may be
    (``/dev/zero``, a FIFO or a 4 GB log would otherwise be read until memory runs out)."""
    from scanner.settings import load_settings

    cap = load_settings().max_body_bytes
    try:
        if not path.is_file():
            kind = "文件夹 (a folder)" if path.is_dir() else "不是普通文件 (not a regular file)"
            raise _not_opened("file", str(path), kind if path.exists() else "文件不存在 (missing)")
        with path.open("rb") as handle:
            content = handle.read(cap + 1)
    except OSError as exc:
        raise _not_opened("file", str(path), exc.strerror or type(exc).__name__) from None
    if len(content) > cap:
        raise _not_opened("file", str(path), f"大于 {cap} 字节 (larger than CENSUS_MAX_BODY_BYTES)")
    return content


async def _render(url: str) -> tuple[str, str]:
    """The page's DOM after its scripts ran, in headless Chromium behind the one client."""
    from scanner.render import renderer_for
    from scanner.settings import load_settings

    async with renderer_for(load_settings()) as renderer:
        page = await renderer.render(url)
    return page.html, page.final_url


def inspect_target(
    target: str, *, base_url: str | None = None, as_of: date, render: bool = False
) -> dict[str, Any]:
    """The contract object for a URL (fetched through the one client, or rendered in the
    browser with ``render``) or a local HTML file."""
    from probes.page import summarize_page

    if render:
        if not _is_url(target):
            raise _not_opened("file", target, "--render 只适用于网址（http/https）")
        html, final_url = run_async(_render(target))
        return summarize_page(html, target, final_url=final_url, status=None, as_of=as_of)
    if _is_url(target):
        content, final_url, status, encoding = run_async(_fetch(target))
        return summarize_page(
            content, target, final_url=final_url, status=status, encoding=encoding, as_of=as_of
        )
    path = _local_path(target)
    content = _read_local(path)
    url = base_url or path.resolve().as_uri()
    return summarize_page(content, url, final_url=url, status=None, as_of=as_of)


def _print_summary(data: dict[str, Any]) -> None:
    console.print(f"[bold]{markup(data['title'] or '（无标题）')}[/]")
    console.print(f"地址：{data['final_url']}", markup=False)
    status = data["status"] if data["status"] is not None else "（本地文件）"
    console.print(f"页面类型：{KIND_LABELS.get(data['kind'], data['kind'])}　状态：{status}　"
                  f"编码：{data['encoding'] or '未知'}")  # fmt: skip
    meta = {k: v for k, v in data["meta"].items() if v}
    if meta:
        console.print("元数据：" + "　".join(f"{k}={v}" for k, v in meta.items()), markup=False)
    items = data["items"]
    if items:
        dated = sum(1 for it in items if it["date"])
        table = Table(title=f"条目 {len(items)} 条（注明日期 {dated} 条）")
        for header in ("序号", "日期", "标题", "地址"):
            table.add_column(header, overflow="fold")
        for n, it in enumerate(items, 1):
            table.add_row(
                str(n), it["date"] or "（无日期）", markup(it["title"]), markup(it["url"])
            )
        console.print(table)
    elif data["kind"] in ("homepage", "list", "messages"):
        console.print("未找到条目。")
    console.print(f"最新日期：{data['newest_date'] or '无'}")
    if data["kind"] == "article":
        console.print(f"发布日期：{data['published'] or '未注明'}")
    console.print(f"链接 {len(data['links'])} 个。")


def inspect(
    target: Annotated[str, typer.Argument(help="A page URL (http/https) or a local HTML file.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="For a local file: the URL its relative links resolve against "
            "(default: the file:// path).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="YYYY-MM-DD: the day year-less dates such as [01-05] are resolved "
            "against (default: today, China time).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the contract JSON object.")
    ] = False,
    render: Annotated[
        bool,
        typer.Option(
            "--render",
            help="Read the page as headless Chromium shows it after its scripts ran (for lists "
            "built by JavaScript); every request still goes through the host map.",
        ),
    ] = False,
) -> None:
    """Show what the scanner reads from one page: kind, list items with dates, newest date."""
    from scanner.cli.values import parse_day
    from scanner.errors import ConfigError

    try:
        day = parse_day(as_of, "--as-of") if as_of else today_cst()
    except ConfigError as exc:
        console_err.print(f"[red]错误:[/] {escape(str(exc))}")
        raise SystemExit(EXIT_REFUSED) from None
    try:
        data = inspect_target(target, base_url=base_url, as_of=day, render=render)
    except CensusError as exc:
        console_err.print(f"[red]错误:[/] {escape(str(exc))}")
        raise SystemExit(EXIT_REFUSED) from None
    if as_json:
        print_json(data)
    else:
        if render:
            console.print("（经浏览器渲染读取）")
        _print_summary(data)
