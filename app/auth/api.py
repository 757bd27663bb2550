"""The account behind a token: who is calling."""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import Shape, choice
from app.api.spec import doc
from app.auth.models import Role
from app.identity.services import is_verified


class Account(Shape):
    id: int
    email: str
    role: choice(Role)  # type: ignore[valid-type]
    bank: str | None
    uscc: str | None
    locale: str | None
    verified: bool | None = Field(
        description="Enterprise accounts: verified (核验) or not; null for other roles."
    )


@bp.route("/me")
@api_auth(unverified_ok=True)
@doc(response=Account, tag="me")
def me():
    """The account that owns the token."""
    user = current_api_user()
    return jsonify(
        id=user.id,
        email=user.email,
        role=user.role,
        bank=user.bank.code if user.bank else None,
        uscc=user.enterprise.uscc if user.enterprise else None,
        locale=user.locale,
        verified=is_verified(user) if user.role == Role.ENTERPRISE else None,
    )
