"""Login, logout, throttling, cookies, CSRF and the security headers."""

from __future__ import annotations

import re

from sqlalchemy import select

from scanner.db import Database
from scanner.db.models import AuditEvent
from tests.web.conftest import PASSWORD, Web, csrf_of, login


async def test_login_form_carries_a_hidden_csrf_token(web: Web) -> None:
    async with web.client() as client:
        page = await client.get("/login")
    assert page.status_code == 200
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]{20,}">', page.text)
    assert 'name="username"' in page.text and 'name="password"' in page.text


async def test_pages_need_a_login_and_the_api_answers_401(web: Web) -> None:
    async with web.client() as client:
        for path in ("/", "/sites", "/sites/9101210101", "/review", "/reports", "/users"):
            page = await client.get(path)
            assert (page.status_code, page.headers["location"]) == (303, "/login"), path
        for path in ("/api/sites", "/api/sites/9101210101/scorecard", "/api/overview"):
            assert (await client.get(path)).status_code == 401, path


async def test_login_sets_an_httponly_samesite_cookie_and_logout_ends_it(web: Web) -> None:
    async with web.client() as client:
        form = await client.get("/login")
        answer = await client.post(
            "/login",
            data={"username": "qs_viewer", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"].lower()
        assert "census_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert "secure" not in cookie  # plain http on 127.0.0.1
        home = await client.get("/")
        assert home.status_code == 200 and "qs_viewer" in home.text
        stolen = client.cookies.get("census_session")
        out = await client.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
    async with web.client() as other:  # the old cookie no longer opens anything
        other.cookies.set("census_session", stolen or "")
        assert (await other.get("/")).status_code == 303


async def test_cookie_is_secure_behind_https(web: Web) -> None:
    async with web.client("https://testserver") as client:
        form = await client.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()
        answer = await client.post(
            "/login",
            data={"username": "qs_viewer", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert "secure" in answer.headers["set-cookie"].lower()


async def test_wrong_password_and_unknown_user_are_refused_alike(web: Web) -> None:
    async with web.client() as client:
        for name, password in (("qs_viewer", "wrong-password"), ("nobody", PASSWORD)):
            form = await client.get("/login")
            answer = await client.post(
                "/login",
                data={"username": name, "password": password, "csrf_token": csrf_of(form.text)},
            )
            assert answer.status_code == 401
            assert "用户名或密码错误" in answer.text
            assert "census_session" not in client.cookies


async def test_login_without_csrf_token_is_refused(web: Web) -> None:
    async with web.client() as client:
        await client.get("/login")
        for token in ("", "forged-token-0123456789"):
            answer = await client.post(
                "/login", data={"username": "qs_viewer", "password": PASSWORD, "csrf_token": token}
            )
            assert answer.status_code == 403
            assert "census_session" not in client.cookies


async def test_repeated_failures_lock_the_name_even_with_the_right_password(web: Web) -> None:
    async with web.client() as client:
        for _ in range(5):  # CENSUS_WEB_LOGIN_FAILURES defaults to 5
            form = await client.get("/login")
            data = {
                "username": "qs_reviewer",
                "password": "guess",
                "csrf_token": csrf_of(form.text),
            }
            assert (await client.post("/login", data=data)).status_code == 401
        form = await client.get("/login")
        right = {"username": "qs_reviewer", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
        answer = await client.post("/login", data=right)
        assert answer.status_code == 429 and "登录失败次数过多" in answer.text
        assert "census_session" not in client.cookies
        # Another user is not locked out by someone guessing this one's password.
        await login(client, "qs_viewer")
    db = Database(web.url)
    with db.session() as session:
        actions = [a for (a,) in session.execute(select(AuditEvent.action))]
    db.dispose()
    assert actions.count("login_failed") == 5 and "login_throttled" in actions
    assert "login" in actions


async def test_state_changes_without_the_session_token_are_refused(web: Web) -> None:
    async with web.client() as client:
        await login(client, "city_admin")
        for path, data in (
            ("/logout", {}),
            ("/users", {"username": "x1", "password": "password123", "org": "910121",
                        "role": "viewer"}),
            ("/reports/sampling", {"year": "2026", "quarter": "1", "ratio": "50"}),
        ):  # fmt: skip
            answer = await client.post(path, data=data)
            assert answer.status_code == 403, path
            wrong = await client.post(path, data={**data, "csrf_token": "not-the-token"})
            assert wrong.status_code == 403, path
        assert (await client.get("/")).status_code == 200  # still logged in: logout was refused


async def test_every_page_has_a_strict_policy_and_no_script(web: Web) -> None:
    async with web.client() as client:
        await login(client, "city_admin")
        for path in ("/", "/sites", "/sites/9101210101", "/review", "/reports", "/users", "/login"):
            page = await client.get(path)
            csp = page.headers["content-security-policy"]
            assert "script-src 'none'" in csp and "default-src 'none'" in csp, path
            assert "frame-ancestors 'none'" in csp
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["x-frame-options"] == "DENY"
            assert "<script" not in page.text.lower(), path
            assert " style=" not in page.text, path  # no inline styles either (CSP)
            # Nothing from another server: every stylesheet and image is ours.
            assert not re.search(
                r'(src|href)="(https?:)?//(?!testserver)[^"]*\.(css|js)', page.text
            )
