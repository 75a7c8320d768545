"""Passwords, session tokens, login throttling and the audit log.

Passwords are argon2id hashes; the session cookie carries a random token of which only the
SHA-256 is stored, so a stolen database does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from scanner.db.models import AuditEvent, LoginAttempt, User, WebSession

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an empty or missing token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def open_session(session: Session, user: User, now: datetime, hours: float) -> tuple[str, str]:
    """Store a new login session; the cookie token and the session's CSRF token."""
    token = new_token()
    csrf = new_token()
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return token, csrf


def find_session(session: Session, token: str | None, now: datetime) -> WebSession | None:
    if not token:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or _aware(row.expires_at) <= now:
        return None
    return row


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def throttled(
    session: Session, username: str, client: str, now: datetime, *, failures: int, window: float
) -> bool:
    """Too many recent failures for this name, or (four times as many) from this client."""
    since = now - timedelta(seconds=window)
    failed = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.ok.is_(False))
    )
    by_name = session.scalar(failed.where(LoginAttempt.username == username)) or 0
    by_client = session.scalar(failed.where(LoginAttempt.client == client)) or 0
    return by_name >= failures or by_client >= 4 * failures


def record_attempt(session: Session, username: str, client: str, now: datetime, ok: bool) -> None:
    session.add(LoginAttempt(username=username[:64], client=client[:64], at=now, ok=ok))


def audit(
    session: Session,
    now: datetime,
    username: str,
    action: str,
    target: str = "",
    *,
    client: str = "",
    note: str = "",
    **detail: Any,
) -> None:
    """One line of the audit log (logins, review decisions, draws, 问责, user changes)."""
    session.add(
        AuditEvent(
            at=now,
            username=username[:64],
            action=action,
            target=target[:200],
            client=client[:64],
            detail=detail,
            note=note,
        )
    )


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
