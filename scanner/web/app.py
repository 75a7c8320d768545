"""The FastAPI application: routers, templates, static files, security headers, error pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from scanner.clock import Clock, RealClock
from scanner.db import Database
from scanner.settings import Settings, load_settings
from scanner.web import filters
from scanner.web.deps import AppState, LoginRequired, Viewer
from scoring import Ruleset, default_ruleset_path, load_ruleset

HERE = Path(__file__).resolve().parent
# No script at all, styles only from our own files, no framing, forms only to ourselves.
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every scraped string is text, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters.install(env)
    return Jinja2Templates(env=env)


TEMPLATES = templates()


def render(
    request: Request, name: str, user: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("title", "")
    return TEMPLATES.TemplateResponse(
        request, name, {"user": user, **context}, status_code=status_code
    )


WARM_EVERY = 60.0  # seconds between checks for newly stored cards


async def keep_warm(state: AppState) -> None:
    """In the background, digest the newest monitoring point's cards whenever cards change."""
    from scanner.web.queries import cards_version, warm

    seen = -1

    def step() -> int:
        with state.db.session() as session:
            version = cards_version(session)
            if version != seen:
                warm(session, state.ruleset.id)
            return version

    while True:
        try:
            seen = await asyncio.to_thread(step)
        except Exception:  # a busy or locked database: try again at the next round
            logging.getLogger(__name__).warning("warming the card digests failed", exc_info=True)
        await asyncio.sleep(WARM_EVERY)


def create_app(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    ruleset: Ruleset | None = None,
) -> FastAPI:
    """The app over one database (checked to be at the code's schema revision)."""
    from scanner.web.routes import api, auth, overview, reports, review, sites, users

    settings = settings or load_settings(database_url=database_url)
    db = Database(database_url or settings.database_url)
    db.check_current()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warmer = asyncio.create_task(keep_warm(app.state.census))
        yield
        warmer.cancel()
        db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="gov-census 政府网站普查",
        summary="Scorecards, 人工复核 and 抽查 of the sites in the user's region.",
        docs_url=None,  # Swagger UI loads from a CDN; the schema is at /api/openapi.json
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.census = AppState(
        db, settings, ruleset or load_ruleset(default_ruleset_path()), clock or RealClock()
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth, overview, sites, review, reports, users, api):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "未登录 (not logged in)"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or exc.status_code not in (400, 403, 404, 429):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return render(
            request,
            "error.html",
            None,
            status_code=exc.status_code,
            title="出错了",
            message=exc.detail,
            code=exc.status_code,
        )

    return app
