"""Bearer-token authentication and role checks for the API."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from app.auth.models import User
from app.auth.services import require_role, user_for_token
from app.errors import Unauthorized


def current_api_user() -> User:
    return g.api_user


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_auth(*roles: str, unverified_ok: bool = False):
    """Require a valid bearer token whose user holds one of `roles` (any role when empty).

    An unverified enterprise account gets 403 `enterprise_not_verified` unless the view
    shows only public facts (`unverified_ok`). The roles are recorded on the view for the
    OpenAPI document.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = _bearer_token()
            if token is None:
                raise Unauthorized(_("缺少 Authorization: Bearer 令牌"), code="token_missing")
            user = user_for_token(token)
            if user is None:
                raise Unauthorized(_("令牌无效或已吊销"), code="token_invalid")
            require_role(user, *roles, unverified_ok=unverified_ok)
            g.api_user = user
            return view(*args, **kwargs)

        wrapped.api_roles = roles  # type: ignore[attr-defined]
        wrapped.unverified_ok = unverified_ok  # type: ignore[attr-defined]
        return wrapped

    return decorator
