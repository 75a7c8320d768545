"""End to end in a real browser: Playwright driving Debian's Chromium against `census serve`'s
app under uvicorn on 127.0.0.1. Screenshots of each page are kept as test artefacts
(CENSUS_TEST_ARTIFACTS, default tests/artifacts/)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from scanner.settings import load_settings
from scanner.web import create_app
from tests.web.conftest import PASSWORD, QS_BUREAU, QS_PORTAL

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(
    os.environ.get("CENSUS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts")
)


def _note_dialog(dialogs: list[str], dialog: Any) -> None:
    """A dialog is evidence of script from a page running: note it, close it."""
    dialogs.append(dialog.message)
    dialog.dismiss()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(farm_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free port of 127.0.0.1."""
    folder = tmp_path_factory.mktemp("e2e")
    shutil.copy(farm_db, folder / "census.db")
    url = f"sqlite:///{folder / 'census.db'}"
    app = create_app(url, settings=load_settings(database_url=url))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: scripts/test installs it"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        yield launched
        launched.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("总览")


def test_county_reviewer_drills_in_confirms_and_downloads(server: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: _note_dialog(dialogs, d))
    page.goto(f"{server}/login")
    shot(page, "01-login")
    log_in(page, server, "qs_reviewer")
    expect(page.locator(".tile.bad b")).to_have_text("1")  # the bureau, down 2 h a day
    shot(page, "02-overview")

    page.locator(".tile.bad").click()  # 不合格 → the list filtered
    expect(page.locator("table.list")).to_contain_text("青山县教育局")
    shot(page, "03-sites-unqualified")
    page.get_by_role("link", name="青山县教育局").click()
    expect(page.locator("#verdict")).to_contain_text("不合格（单项否决：站点无法访问）")
    shot(page, "04-scorecard-unqualified")

    # The portal: qualified, with a news title holding a script; no dialog may fire.
    page.goto(f"{server}/sites/{QS_PORTAL}")
    expect(page.locator("#verdict")).to_contain_text("合格")
    title = page.get_by_text("<script>alert('xss')</script>县政府召开常务会议").first
    page.locator("details", has=title).first.locator("summary").click()
    title.wait_for()
    shot(page, "05-scorecard-portal")

    # 人工复核: the forbidden-word finding on the portal, confirmed with a reason.
    page.goto(f"{server}/review")
    shot(page, "06-review-queue")
    page.locator("tr", has_text="青山县人民政府").locator("a").first.click()
    expect(page.locator("blockquote.excerpt")).to_contain_text("网上赌场")
    shot(page, "07-finding")
    page.get_by_label("复核意见（必填）").fill("页面确有赌博广告，确认为严重错误")
    page.get_by_role("button", name="确认").click()
    expect(page.locator("#verdict")).to_contain_text("不合格（单项否决：严重错误）")
    shot(page, "08-scorecard-after-confirm")

    with page.expect_download() as info:
        page.get_by_role("link", name="下载评分表（xlsx）").click()
    data = Path(info.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("青山县人民政府" in c for c in cells) and any("严重错误" in c for c in cells)

    page.goto(f"{server}/reports")
    shot(page, "09-reports")
    assert dialogs == []
    context.close()


def test_admin_pages_and_a_bureau_probe_week(server: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    dialogs: list[Any] = []
    page.on("dialog", lambda d: _note_dialog(dialogs, d))
    log_in(page, server, "city_admin")
    shot(page, "10-overview-city")
    page.goto(f"{server}/users")
    expect(page.locator("table")).to_contain_text("qs_reviewer")
    shot(page, "11-users")
    page.goto(f"{server}/sites/{QS_BUREAU}")
    expect(page.locator("svg.chart")).to_have_count(1)
    page.goto(f"{server}/sites")
    shot(page, "12-sites-city")
    assert dialogs == []
    context.close()
