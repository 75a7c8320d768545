"""Request dependencies: the database session, the logged-in user, the ONE scope every data
query is filtered by, role checks and CSRF checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.clock import Clock
from scanner.db import Database
from scanner.db.models import Organisation, Role, User
from scanner.settings import Settings
from scanner.web.security import find_session, same_token
from scoring import Ruleset

SESSION_COOKIE = "census_session"
LOGIN_CSRF_COOKIE = "census_login_csrf"
ROLE_ORDER = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.ADMIN: 2}


@dataclass
class AppState:
    """What every request shares: set once by ``create_app``."""

    db: Database
    settings: Settings
    ruleset: Ruleset
    clock: Clock


def state(request: Request) -> AppState:
    return request.app.state.census  # type: ignore[no-any-return]


def db_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the handler returns, else rolled back."""
    with state(request).db.session() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


def now(request: Request) -> datetime:
    return state(request).clock.now()


class LoginRequired(Exception):
    """No valid session: pages redirect to /login, the API answers 401."""


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as a plain value (no lazy loads after the request's session)."""

    id: int
    username: str
    role: Role
    org_id: int
    org_code: str
    org_name: str
    csrf_token: str

    def may(self, role: Role) -> bool:
        return ROLE_ORDER[self.role] >= ROLE_ORDER[role]


def current_user(request: Request, session: DbSession) -> Viewer:
    found = find_session(session, request.cookies.get(SESSION_COOKIE), now(request))
    if found is None:
        raise LoginRequired()
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        raise LoginRequired()
    org = user.organisation
    return Viewer(user.id, user.username, user.role, org.id, org.code, org.name, found.csrf_token)


CurrentUser = Annotated[Viewer, Depends(current_user)]


@dataclass(frozen=True)
class Scope:
    """The organisations a user may see: its own and every one below it, by id and by code.

    Every query of sites, scorecards, findings, samplings and 问责 filters by ``org_ids``; a
    site outside them is answered exactly like a site that does not exist.
    """

    user: Viewer
    org_ids: frozenset[int]
    org_codes: frozenset[str]
    # Each organisation of the scope → the child of the user's organisation it lies under
    # (the user's own organisation maps to itself): the overview's one bar per sub-organisation.
    branch_of: dict[int, int]
    names: dict[int, str]
    codes: dict[int, str]
    parents: dict[int, int | None]


def scope(user: CurrentUser, session: DbSession) -> Scope:
    """THE scoping dependency: the user's organisation subtree."""
    rows = session.execute(
        select(Organisation.id, Organisation.parent_id, Organisation.code, Organisation.name)
    ).all()
    children: dict[int | None, list[int]] = {}
    for org_id, parent_id, _, _ in rows:
        children.setdefault(parent_id, []).append(org_id)
    branch_of = {user.org_id: user.org_id}
    stack = [(child, child) for child in children.get(user.org_id, [])]
    while stack:
        org_id, branch = stack.pop()
        if org_id in branch_of:
            continue  # a cycle in the register: each organisation once
        branch_of[org_id] = branch
        stack += [(child, branch) for child in children.get(org_id, [])]
    codes = {r[0]: r[2] for r in rows if r[0] in branch_of}
    parents = {r[0]: r[1] for r in rows if r[0] in branch_of}
    names = {r[0]: r[3] for r in rows if r[0] in branch_of}
    return Scope(
        user, frozenset(branch_of), frozenset(codes.values()), branch_of, names, codes, parents
    )


UserScope = Annotated[Scope, Depends(scope)]


def _at_least(role: Role, found: Scope) -> Scope:
    if not found.user.may(role):
        raise HTTPException(status_code=403, detail="无权执行此操作（权限不足）")
    return found


def reviewer_scope(found: UserScope) -> Scope:
    """The scope of a user who may decide findings, draw samples and record 问责 (else 403)."""
    return _at_least(Role.REVIEWER, found)


def admin_scope(found: UserScope) -> Scope:
    """The scope of a user who may manage users (else 403)."""
    return _at_least(Role.ADMIN, found)


ReviewerScope = Annotated[Scope, Depends(reviewer_scope)]
AdminScope = Annotated[Scope, Depends(admin_scope)]


async def csrf_form_token(request: Request) -> str:
    """The token a state-changing request carries: form field, else the X-CSRF-Token header."""
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        if isinstance(value, str):
            return value
    return request.headers.get("x-csrf-token", "")


def csrf_checked(user: CurrentUser, token: Annotated[str, Depends(csrf_form_token)]) -> Viewer:
    """Every state-changing request of a logged-in user must carry its session's token."""
    if not same_token(token, user.csrf_token):
        raise HTTPException(status_code=403, detail="请求缺少有效的 CSRF 令牌，请刷新页面后重试")
    return user


CsrfChecked = Annotated[Viewer, Depends(csrf_checked)]
