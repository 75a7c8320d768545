"""用户管理 (admins): the users of the admin's organisation and below; add and remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from scanner.db.models import Role, User
from scanner.errors import AccountError
from scanner.web.accounts import ROLE_LABEL, add_user, list_users, parse_role
from scanner.web.app import render
from scanner.web.deps import AdminScope, CsrfChecked, DbSession, now
from scanner.web.routes.auth import client_of
from scanner.web.security import audit

router = APIRouter(tags=["用户管理"])


@router.get("/users")
def users_page(request: Request, session: DbSession, scope: AdminScope) -> Response:
    users = list_users(session, set(scope.org_ids))
    orgs = sorted(scope.codes.items(), key=lambda kv: kv[1])
    return render(
        request,
        "users.html",
        scope.user,
        title="用户管理",
        users=users,
        names=scope.names,
        orgs=[(code, scope.names[i]) for i, code in orgs],
        roles=[(r.value, ROLE_LABEL[r]) for r in Role],
    )


@router.post("/users")
def create_user(
    request: Request,
    session: DbSession,
    user: CsrfChecked,
    scope: AdminScope,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    org: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    if org not in scope.org_codes:  # an admin creates users only within its own region
        raise HTTPException(404, "没有这个组织 (no such organisation)")
    try:
        added = add_user(session, username.strip(), password, org, parse_role(role), now(request))
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    audit(
        session, now(request), user.username, "user_add", added.username,
        client=client_of(request), org=org, role=added.role.value,
    )  # fmt: skip
    session.commit()
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/remove")
def delete_user(
    request: Request, session: DbSession, user: CsrfChecked, scope: AdminScope, username: str
) -> Response:
    target = session.scalar(
        select(User).where(User.username == username, User.organisation_id.in_(scope.org_ids))
    )
    if target is None:
        raise HTTPException(404, "没有这个用户 (no such user)")
    if target.id == user.id:
        raise HTTPException(400, "不能删除自己的账号")
    session.delete(target)
    audit(session, now(request), user.username, "user_remove", username, client=client_of(request))
    session.commit()
    return RedirectResponse("/users", status_code=303)
