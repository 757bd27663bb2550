"""View decorators that delegate the decision to `auth.services.require_role`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.services import require_role
from app.errors import Forbidden, Unauthorized
from app.identity.services import NotVerified


def role_required(
    *roles: str, unverified_ok: bool = False, draft: Callable[[], None] | None = None
):
    """Web views: log in first, then 403 unless the user holds one of `roles` (any role when
    none is named).

    An unverified enterprise account is sent to the verification page instead, unless the
    view shows only public facts (`unverified_ok`). A view with a `draft` is a form: the
    empty form shows (GET), and a refused POST keeps what it carried (for example a
    half-filled application) so that nothing typed is lost.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                form_only = draft is not None and request.method == "GET"
                require_role(current_user, *roles, unverified_ok=unverified_ok or form_only)
            except Unauthorized:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            except NotVerified as exc:
                if draft is not None and request.method == "POST":
                    draft()  # committed with the redirect below (app.unit_of_work)
                    flash(_("您填写的内容已保存为草稿，核验通过后可继续提交"), "success")
                flash(exc.message, "warning")
                return redirect(url_for("identity.verify"), code=303)
            except Forbidden:
                abort(403)
            return view(*args, **kwargs)

        wrapped.web_roles = roles  # type: ignore[attr-defined]
        wrapped.unverified_ok = unverified_ok  # type: ignore[attr-defined]
        return wrapped

    return decorator
