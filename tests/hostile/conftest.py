"""A hostile site on loopback, the census CLI run through its real entry point, and databases.

`HostileSite` serves whatever a test puts in its routes (bodies, headers, redirects) under a
real-looking host name the host map sends to 127.0.0.1, so the scanner under test cannot tell
it from a badly built or malicious government site. `census` runs ``scanner.cli:main``
in-process with its output captured: what an operator would see, exit code included.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from scanner.db import Database

HOST = "www.hostile.gov.cn"
CODE = "9900000666"
NAME = "恶意测试县人民政府"

Handler = Callable[[web.Request], Any]


@dataclass
class Route:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


class HostileSite:
    """An aiohttp server in its own thread; ``routes`` maps a path to a `Route` or handler."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.hits: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path_qs)
        route = self.routes.get(request.path_qs) or self.routes.get(request.path)
        if route is None:
            return web.Response(
                status=404, text="<title>404 页面不存在</title>", content_type="text/html"
            )
        if callable(route):
            return await route(request)
        body = route.body.encode() if isinstance(route.body, str) else route.body
        headers = {"Content-Type": route.content_type, **route.headers}
        return web.Response(status=route.status, body=body, headers=headers)

    async def _start(self) -> None:
        server = web.Server(self._handle)  # type: ignore[arg-type]  # low-level server: Requests
        self._runner = web.ServerRunner(server)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> HostileSite:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def host_map(self) -> str:
        return f"{HOST}=127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}{path}"

    def page(self, path: str, html: str, **kw: Any) -> None:
        self.routes[path] = Route(body=html, **kw)


def html_page(title: str, body: str = "") -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{body}</body></html>"
    )


@pytest.fixture
def site() -> Iterator[HostileSite]:
    server = HostileSite().start()
    yield server
    server.stop()


def registry_yaml(
    url: str,
    *,
    name: str = NAME,
    code: str = CODE,
    host_org: str = "恶意测试县政府办公室",
    extra: str = "",
) -> str:
    return f"""organisations:
  - {{code: "990000", name: 示例省, level: province}}
sites:
  - code: "{code}"
    name: "{name}"
    url: {url}
    host_org: "{host_org}"
    type: portal
    organisation: "990000"
{extra}"""


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Census:
    """Runs ``scanner.cli:main`` in-process, as the ``census`` script does."""

    def __init__(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, folder: Path
    ):
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.folder = folder
        self.env: dict[str, str] = {}

    def __call__(self, *args: str, **env: str) -> Ran:
        from scanner.cli import main

        with self.monkeypatch.context() as m:
            m.setattr(sys, "argv", ["census", *args])
            for key, value in {**self.env, **env}.items():
                m.setenv(key, value)
            m.chdir(self.folder)
            self.capsys.readouterr()
            code = 0
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            captured = self.capsys.readouterr()
        return Ran(code, captured.out, captured.err)


@pytest.fixture
def census(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Census:
    return Census(capsys, monkeypatch, tmp_path)


def assert_clean(ran: Ran) -> None:
    """No traceback, no raw escape byte, whatever happened."""
    assert "Traceback" not in ran.text, ran.text
    assert "\x1b" not in ran.text, repr(ran.text)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The crash-safety tests run on both databases the census supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'census.db'}"
    return str(request.getfixturevalue("postgres_url"))


_template: list[Path] = []


def fresh_db(url: str) -> Database:
    """A migrated database; SQLite ones are copies of one migrated file (migrating costs ~1 s,
    and the migrations themselves are tested in tests/db)."""
    if not url.startswith("sqlite:///"):
        db = Database(url)
        db.upgrade()
        return db
    target = Path(url.removeprefix("sqlite:///"))
    if not target.exists():
        if not _template:
            folder = Path(tempfile.mkdtemp(prefix="census-hostile-"))
            atexit.register(shutil.rmtree, folder, True)
            template = Database(f"sqlite:///{folder / 'template.db'}")
            template.upgrade()
            template.dispose()
            _template.append(folder / "template.db")
        shutil.copyfile(_template[0], target)
    return Database(url)


def import_registry(db: Database, folder: Path, text: str) -> None:
    from scanner.registry.importer import import_file

    path = folder / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    import_file(db, path, datetime.now(UTC))


def env_for(site: HostileSite, db_url: str, **more: str) -> dict[str, str]:
    env = {
        "CENSUS_DATABASE_URL": db_url,
        "CENSUS_HOST_MAP": site.host_map,
        "CENSUS_PER_HOST_RATE": "500",
        "CENSUS_PAGE_TIMEOUT": "5",
        "CENSUS_LINK_RECHECK_DELAY": "0.2",
        "CENSUS_LINK_RECHECK_WAIT": "5",
    }
    return env | more


def no_env_leak() -> None:
    assert not any(
        k.startswith("CENSUS_") and not k.startswith("CENSUS_TEST_") and k != "CENSUS_CONFIG"
        for k in os.environ
    )
