"""A bank administrator's management of the bank's officers and their API tokens."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth import services as auth_services
from app.auth.models import ApiToken, Role, User
from app.clock import utcnow
from app.errors import NotFound
from app.extensions import db


def _own_officer(bank_id: int, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.bank_id != bank_id or user.role != Role.BANK_OFFICER:
        raise NotFound(_("人员不存在"))
    return user


def create_officer(bank_id: int, bank_code: str, email: str, display_name: str = ""):
    """A new officer account; the generated one-time password is returned to show once."""
    return auth_services.create_user(
        role=Role.BANK_OFFICER, email=email, bank_code=bank_code, display_name=display_name
    )


def deactivate_officer(bank_id: int, user_id: int) -> User:
    """The officer can no longer log in; its sessions end and its tokens stop working."""
    user = _own_officer(bank_id, user_id)
    user.active = False
    user.session_version += 1
    now = utcnow()
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    db.session.flush()
    return user


def bank_tokens(bank_id: int) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .where(User.bank_id == bank_id)
            .order_by(ApiToken.id.desc())
        )
    )


def revoke_token(bank_id: int, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user.bank_id != bank_id:
        raise NotFound(_("令牌不存在"))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
    return token


def bank_users(bank_id: int) -> list[User]:
    """The bank's people (officers and administrators), as its home page and staff page list
    them."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.bank_id == bank_id, User.role.in_([Role.BANK_OFFICER, Role.BANK_ADMIN]))
            .order_by(User.role, User.email)
        )
    )
