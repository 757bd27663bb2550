"""Bearer-token authentication and role checks for the API."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from app.auth.models import User
from app.auth.services import require_role, token_for
from app.errors import Forbidden, Unauthorized
from app.replicas import primary_reads


def current_api_user() -> User:
    return g.api_user


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def optional_api_user() -> User | None:
    """The caller when a token is sent (a bad one is refused as by `api_auth`), else None:
    for the views that answer anyone and say more to some."""
    token = _bearer_token()
    return None if token is None else _token_user(token)


def _token_user(plaintext: str) -> User:
    """The user of a token in force that may make this request's call, or 401/403."""
    with primary_reads():  # a revocation holds at once, not after a replica's lag
        token = token_for(plaintext)
    if token is None:
        raise Unauthorized(_("令牌无效、已过期或已吊销"), code="token_invalid")
    if not token.allows(request.method):
        raise Forbidden(
            _("该令牌只读，不能调用 %(method)s 接口", method=request.method),
            code="token_read_only",
        )
    return token.user


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
            user = _token_user(token)
            require_role(user, *roles, unverified_ok=unverified_ok)
            g.api_user = user
            return view(*args, **kwargs)

        wrapped.api_roles = roles  # type: ignore[attr-defined]
        wrapped.unverified_ok = unverified_ok  # type: ignore[attr-defined]
        return wrapped

    return decorator
