"""A real database for the web app: the test farm (tests/web/farm.yaml: two counties under a
city) run through the demo pipeline — probes, column reads, crawl, checks, scoring — once per
session; each test gets its own copy of the file, and users made with the real accounts code."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from farm.scenario import load_scenario
from scanner.db import Database
from scanner.db.models import Role
from scanner.demo import run_demo
from scanner.settings import load_settings
from scanner.web import create_app
from scanner.web.accounts import add_user

T = date(2026, 3, 1)
FARM = Path(__file__).with_name("farm.yaml")
PASSWORD = "correct-horse-1"
# Ground truth from farm.yaml, not from the code under test.
QINGSHAN_SITES = {"9101210101", "9101210102"}  # 青山县 (910121)
DONGHU_SITE = "9101020101"  # 东湖区 (910102)
CITY_SITE = "9101000101"  # 临江市 (910100) itself
QS_PORTAL = "9101210101"  # fresh, with a forbidden-word article and a script in a title
QS_BUREAU = "9101210102"  # down two hours a day: 单项否决
USERS = {
    "qs_viewer": ("910121", Role.VIEWER),
    "qs_reviewer": ("910121", Role.REVIEWER),
    "dh_reviewer": ("910102", Role.REVIEWER),
    "city_admin": ("910100", Role.ADMIN),
}


@pytest.fixture(scope="session")
def farm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's database file with its users (built once; copied per test)."""
    folder = tmp_path_factory.mktemp("webfarm")
    run_demo(folder, days=1, at=T, farm_spec=load_scenario(FARM))
    db = Database(f"sqlite:///{folder / 'census.db'}")
    with db.session() as session:
        for name, (org, role) in USERS.items():
            add_user(session, name, PASSWORD, org, role, datetime.now(UTC))
    db.dispose()
    return folder / "census.db"


@pytest.fixture
def db_url(farm_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "census.db"
    shutil.copy(farm_db, target)
    return f"sqlite:///{target}"


@dataclass
class Web:
    url: str
    app: object

    def client(self, base_url: str = "http://testserver") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
def web(db_url: str) -> Iterator[Web]:
    app = create_app(db_url, settings=load_settings(database_url=db_url))
    yield Web(db_url, app)
    app.state.census.db.dispose()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; the session's CSRF token (from the next page) is returned."""
    form = await client.get("/login")
    answer = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert answer.status_code == 303, answer.text
    home = await client.get("/")
    assert home.status_code == 200
    return csrf_of(home.text)


@pytest.fixture
def as_user(web: Web) -> Callable[[str], object]:
    """``async with as_user("qs_viewer") as (client, csrf)``: a logged-in client."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(username: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        async with web.client() as client:
            yield client, await login(client, username)

    return make
