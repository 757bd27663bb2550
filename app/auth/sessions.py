"""Server-side sessions: what a login starts, logout ends, and "sign out everywhere" ends
for every browser. The session cookie holds a random key (`sid`); only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from app.auth.models import User, UserSession
from app.clock import utcnow
from app.extensions import db
from app.identity import services as identity
from app.identity.models import EventKind


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, *, ip: str | None, user_agent: str = "") -> str:
    """A new session of `user` — a sign-in, after every factor it needs, recorded in the
    account history with the IP; returns the key for the cookie (not stored)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    user.last_login_at = now
    identity.record_event(user, EventKind.LOGIN, ip=ip)
    db.session.add(
        UserSession(
            user_id=user.id,
            key_hash=_digest(key),
            created_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:200],
        )
    )
    db.session.flush()
    return key


def is_live(user: User, key: str | None) -> bool:
    """Whether `key` is a session of `user` that has not ended."""
    if not key:
        return False
    return (
        db.session.scalar(
            select(UserSession.id).where(
                UserSession.key_hash == _digest(key),
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
            )
        )
        is not None
    )


def end(key: str | None) -> None:
    """End one session (logout)."""
    if key:
        db.session.execute(
            update(UserSession)
            .where(UserSession.key_hash == _digest(key), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.flush()


def end_all(
    user: User, *, keep: str | None = None, ip: str | None = None, record: bool = True
) -> None:
    """End every session of `user` but `keep` (after a password change: the one that changed
    it). Without `keep` this is "sign out everywhere", recorded in the account history
    unless the caller records its own event (`record=False`)."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep:
        query = query.where(UserSession.key_hash != _digest(keep))
    db.session.execute(query.values(ended_at=utcnow()).execution_options(synchronize_session=False))
    user.session_version += 1
    if keep is None and record:
        identity.record_event(user, EventKind.LOGOUT_EVERYWHERE, ip=ip)
    db.session.flush()


def active(user: User) -> list[UserSession]:
    """The user's sessions that have not ended, newest first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.id.desc())
        )
    )


def is_current(row: UserSession, key: str | None) -> bool:
    return bool(key) and row.key_hash == _digest(key or "")
