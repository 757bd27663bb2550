"""Password reset by e-mail: a single-use link, valid `PASSWORD_RESET_MINUTES` (30), sent
through the configured mail sender (`MAIL_SENDER`). Asking gives the same answer whether or
not the address has an account; only the token's SHA-256 is stored. A reset ends every session
of the account and clears the address's failed-login lock.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urljoin

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth import services, sessions
from app.auth.models import PasswordReset, User
from app.clock import utcnow
from app.errors import ValidationFailed
from app.extensions import db
from app.identity import services as identity
from app.identity.models import EventKind
from app.notifications.senders import Channel, Message, SendFailed, sender_for

log = logging.getLogger(__name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, *, path_for: Callable[[str], str]) -> None:
    """Send a reset link to `email` if an active account has it; nothing otherwise. The
    caller shows the same words either way. `path_for(token)` is the reset page's path."""
    user = services.get_user_by_email(email)
    if user is None or not user.active:
        return
    now = utcnow()
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    # A new link replaces the ones not used yet.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000/"
    link = urljoin(base, path_for(token).lstrip("/"))
    body = _(
        "您好，\n\n有人（希望是您本人）请求重置信易贷账户 %(email)s 的密码。"
        "请在 %(m)d 分钟内打开以下链接设置新密码（链接只能使用一次）：\n\n%(link)s\n\n"
        "如果不是您本人操作，请忽略本邮件，您的密码不会改变。",
        email=user.email,
        m=minutes,
        link=link,
    )
    message = Message(Channel.EMAIL, user.email, body, subject=_("重置信易贷账户密码"),
                      kind="password_reset")  # fmt: skip
    try:
        sender_for(Channel.EMAIL).send(message)
    except SendFailed:
        # The answer stays the same; the operator sees the failure in the log.
        log.warning("password reset mail for user %s could not be sent", user.id)


def user_for_token(token: str) -> User | None:
    """The account a reset link is for, while the link is unused and unexpired."""
    row = _row(token)
    return db.session.get(User, row.user_id) if row is not None else None


def _row(token: str) -> PasswordReset | None:
    if not token:
        return None
    row = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password(token: str, new: str, *, ip: str | None = None) -> User:
    """Set a new password through a link (once): every session ends, the lock is cleared."""
    row = _row(token)
    if row is None:
        raise ValidationFailed(
            "password", _("重置链接无效、已使用或已过期，请重新申请"), code="reset_link_invalid"
        )
    user = db.session.get(User, row.user_id)
    assert user is not None
    uscc = user.enterprise.uscc if user.enterprise else ""
    problem = services.password_problem(new, email=user.email, uscc=uscc)
    if problem:
        raise ValidationFailed("password", problem, code="weak_password")
    row.used_at = utcnow()
    user.password_hash = services.hash_password(new)
    user.password_changed_at = utcnow()
    sessions.end_all(user, record=False)
    services.clear_login_lock(user.email)
    identity.record_event(user, EventKind.PASSWORD_RESET, ip=ip)
    db.session.flush()
    return user
