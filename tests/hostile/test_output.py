"""Class 3: text written by sites and registries reaches the official's terminal and files
as text — never as markup, terminal escapes or spreadsheet formulas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from scanner.db.models import Scorecard, Site
from tests.hostile.conftest import (
    CODE,
    Census,
    HostileSite,
    assert_clean,
    env_for,
    fresh_db,
    html_page,
    import_registry,
    registry_yaml,
)

# Names an operator's register may legitimately hold (printable text), hostile as output.
NAMES = [
    pytest.param("=1+1", id="formula"),
    pytest.param('=HYPERLINK("http://evil.example/","点此领取")', id="hyperlink-formula"),
    pytest.param("=cmd|' /C calc'!A0", id="dde"),
    pytest.param("[/]", id="markup-close"),
    pytest.param("[link=http://evil.example/]点击[/link]", id="markup-link"),
    pytest.param("[bold red blink]紧急[/]", id="markup-style"),
    pytest.param(":warning: [[/]] \\[x]", id="escapes-and-emoji"),
]


def _shown(name: str, out: str) -> bool:
    """The name's start appears literally (tables may wrap the rest of a long cell)."""
    squash = "".join(out.split())
    return "".join(name.split())[:6] in squash


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_site_name_is_shown_and_exported_as_text(
    site: HostileSite, census: Census, tmp_path: Path, name: str
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    yaml_name = name.replace("\\", "\\\\").replace('"', '\\"')
    import_registry(db, tmp_path, registry_yaml(site.url(), name=yaml_name, host_org=yaml_name))
    census.env = env_for(site, url)
    with db.session() as s:
        assert s.scalar(select(Site.name)) == name

    listed = census("sites", "list")
    assert_clean(listed)
    assert listed.code == 0 and _shown(name, listed.out), listed.text
    listed = census("sites", "list", "--json")
    assert listed.code == 0 and name in [s["name"] for s in json.loads(listed.out)]

    # A markup error used to end 'census score' after it stored: a re-run must not duplicate.
    for _ in range(2 if name.startswith("[") else 1):
        scored = census("score", CODE, "--at", "2026-11-30")
        assert_clean(scored)
        assert scored.code == 0, scored.text
        assert _shown(name, scored.out), scored.out
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Scorecard)) == 1

    shown = census("scorecard", CODE, "--at", "2026-11-30")
    assert_clean(shown)
    assert shown.code == 0 and _shown(name, shown.out), shown.text

    as_json = census("scorecard", CODE, "--at", "2026-11-30", "--json")
    assert as_json.code == 0
    assert json.loads(as_json.out)["site"]["name"] == name

    xlsx = tmp_path / "评分表.xlsx"
    written = census("scorecard", CODE, "--at", "2026-11-30", "--xlsx", str(xlsx))
    assert_clean(written)
    assert written.code == 0, written.text
    sheet = load_workbook(xlsx).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)  # no formula, whatever the name
    assert name in [c.value for c in cells]  # the name itself, as text
    db.dispose()


# Page titles a hostile site serves: every one of these would drive a terminal.
TITLES = [
    pytest.param("\x1b[31m红色标题\x1b[0m", id="ansi-colour"),
    pytest.param("\x1b]8;;http://evil.example/\x1b\\点击这里\x1b]8;;\x1b\\", id="osc8-link"),
    pytest.param("\x1b[2J\x1b[H清屏", id="clear-screen"),
    pytest.param("\x07\x08响铃退格", id="bell-backspace"),
    pytest.param("\u202e反向文字", id="bidi-override"),
    pytest.param("\x9b31m八位控制", id="c1-csi"),
    pytest.param("标题[/]", id="markup-close"),
    pytest.param("[link=http://evil.example/]标题[/link]", id="markup-link"),
]


def _visible(title: str) -> str:
    """The title's printable characters (what a reader must still see)."""
    return "".join(ch for ch in title if ch.isprintable() and ch not in "\u202e")[-2:]


@pytest.mark.parametrize("title", TITLES)
def test_a_hostile_page_title_reaches_the_terminal_as_plain_text(
    site: HostileSite, census: Census, title: str
) -> None:
    links = "".join(f'<li><a href="/a{i}.html">{title}{i}</a> 2026-11-0{i}</li>' for i in (1, 2, 3))
    site.page("/", html_page(title, f"<ul>{links}</ul>"))
    ran = census("inspect", site.url(), **{"CENSUS_HOST_MAP": site.host_map})
    assert_clean(ran)
    assert ran.code == 0, ran.text
    assert "\x9b" not in ran.text and "\u202e" not in ran.text and "\x07" not in ran.text
    ran_json = census("inspect", site.url(), "--json", **{"CENSUS_HOST_MAP": site.host_map})
    assert ran_json.code == 0
    assert "\x1b" not in ran_json.out  # JSON escapes control characters (\u001b)
    assert json.loads(ran_json.out)["title"] == title.strip() or json.loads(ran_json.out)["title"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("恶意\x1b[31m网站", id="esc"),
        pytest.param("网站\x00名称", id="nul"),
        pytest.param("\u202e站网府政", id="bidi"),
        pytest.param("网站\x7f名称", id="del"),
    ],
)
def test_a_registry_with_control_characters_is_refused_with_the_line(
    census: Census, tmp_path: Path, value: str
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    escaped = value.encode("unicode_escape").decode("ascii").replace("\\x", "\\x")
    registry = tmp_path / "sites.yaml"
    registry.write_text(registry_yaml("http://www.example.gov.cn/", name=escaped), "utf-8")
    ran = census("sites", "import", str(registry), CENSUS_DATABASE_URL=url)
    assert_clean(ran)
    assert ran.code == 2, ran.text
    assert "sites.yaml" in ran.err and "line 5" in ran.err and "control character" in ran.err
    db = fresh_db(url)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Site)) == 0  # nothing half-written
    db.dispose()


def test_console_output_layer_is_the_one_place() -> None:
    """Every shared console strips controls and survives broken markup (the net under the
    commands' own escaping)."""
    from io import StringIO

    from scanner.cli.output import SafeConsole

    buffer = StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, width=200)
    console.print("ok [/] \x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\ [bold]b[/]")
    text = buffer.getvalue()
    assert (
        "]8;;http://evil"
        not in text.replace("\x1b", "")[:0]
        + text.split("ok")[1].split("x")[0].replace("\x1b", "ESC")
        or "ESC]8" not in text
    )
    assert "\x1b]8" not in text  # no hyperlink escape from the text
    assert "\x1b[1m" in text  # our own markup still styles
