"""登录 / 退出: a throttled login form with its own CSRF cookie, and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from scanner.db.models import User
from scanner.web.app import render
from scanner.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    DbSession,
    now,
    state,
)
from scanner.web.security import (
    audit,
    close_session,
    new_token,
    open_session,
    record_attempt,
    same_token,
    throttled,
    verify_password,
)

router = APIRouter(tags=["登录"])


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or state(request).settings.web_secure_cookies


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
    )


def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    response = render(
        request, "login.html", None, status_code=status, title="登录", csrf=token, message=message
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(request, "登录表单已过期，请重新输入（缺少有效的 CSRF 令牌）", 403)
    settings = state(request).settings
    at, client = now(request), client_of(request)
    name = username.strip()
    if throttled(
        session, name, client, at,
        failures=settings.web_login_failures, window=settings.web_login_window,
    ):  # fmt: skip
        audit(session, at, name, "login_throttled", client=client)
        session.commit()
        minutes = max(1, round(settings.web_login_window / 60))
        return _login_page(request, f"登录失败次数过多，请 {minutes} 分钟后再试", 429)
    user = session.scalar(select(User).where(User.username == name))
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.active
    record_attempt(session, name, client, at, ok)
    if not ok or user is None:
        audit(session, at, name, "login_failed", client=client)
        session.commit()
        return _login_page(request, "用户名或密码错误", 401)
    token, _ = open_session(session, user, at, settings.web_session_hours)
    user.last_login_at = at
    audit(session, at, user.username, "login", client=client)
    session.commit()  # before the browser follows the redirect with the new cookie
    response = RedirectResponse("/", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, user: CsrfChecked) -> Response:
    close_session(session, request.cookies.get(SESSION_COOKIE))
    audit(session, now(request), user.username, "logout", client=client_of(request))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
