"""The web app's accounts: users scoped to an organisation, sessions, login attempts (for
throttling) and the audit log of logins and decisions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scanner.db.models.base import Base, enum_column
from scanner.db.models.registry import Organisation


class Role(enum.StrEnum):
    """What a user may do, each role including the ones before it."""

    VIEWER = "viewer"  # read scorecards, reports and downloads of the region
    REVIEWER = "reviewer"  # + 人工复核 decisions, 抽查 draws, 问责 records
    ADMIN = "admin"  # + 用户管理 within the region


class User(Base):
    """An official's login; sees the sites of its organisation and everything below it."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()


class WebSession(Base):
    """A login session; the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One try at logging in, kept for throttling (by user name and by client address)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)


class AuditEvent(Base):
    """Who did what, when, from where: logins, review decisions, draws, 问责, user changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
