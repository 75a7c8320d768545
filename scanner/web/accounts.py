"""User accounts, shared by ``census users`` and the 用户管理 page."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.db.models import Organisation, Role, User
from scanner.errors import AccountError
from scanner.web.security import MIN_PASSWORD, hash_password

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
ROLE_LABEL = {Role.VIEWER: "查看", Role.REVIEWER: "复核", Role.ADMIN: "管理员"}


def parse_role(word: str) -> Role:
    try:
        return Role(word.strip().lower())
    except ValueError:
        raise AccountError(f"未知的角色 {word!r}（可选：viewer、reviewer、admin）") from None


def add_user(
    session: Session, username: str, password: str, org_code: str, role: Role, now: datetime
) -> User:
    """Validate and store a new user with an argon2id hash of the password."""
    if not USERNAME.match(username):
        raise AccountError("用户名须为 2–64 个字母、数字或 _.@- (invalid user name)")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符 (password too short)")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户 {username} 已存在 (user exists)")
    org = session.scalar(select(Organisation).where(Organisation.code == org_code))
    if org is None:
        raise AccountError(f"未知的组织代码 (unknown organisation) '{org_code}'")
    user = User(
        username=username,
        password_hash=hash_password(password),
        organisation_id=org.id,
        role=role,
        active=True,
        created_at=now,
    )
    user.organisation = org
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, org_ids: set[int] | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if org_ids is not None:
        query = query.where(User.organisation_id.in_(org_ids))
    return list(session.scalars(query))


def remove_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"没有用户 {username} (no such user)")
    session.delete(user)
    session.flush()
    return user
