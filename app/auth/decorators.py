"""View decorators that delegate the decision to `auth.services.require_role`."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.auth.services import require_role
from app.errors import Forbidden, Unauthorized


def role_required(*roles: str):
    """Web views: log in first, then 403 unless the user holds one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                require_role(current_user, *roles)
            except Unauthorized:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            except Forbidden:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
