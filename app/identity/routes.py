"""Web pages of account verification and account history."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.applications.services import draft_for
from app.auth.decorators import role_required
from app.identity import services
from app.identity.models import EVENT_LABELS

bp = Blueprint("identity", __name__)


@bp.route("/account/verification")
@role_required(unverified_ok=True)
def verify():
    """账户核验: where the account stands and how to prove it acts for its enterprise."""
    return render_template(
        "identity/verify.html",
        state=services.state_of(current_user),
        verified=services.is_verified(current_user),
        phone=services.masked_phone(current_user),
        draft=draft_for(current_user.id),
    )


@bp.route("/account/history")
@role_required(unverified_ok=True)
def history():
    """账户记录: the account's verification and security events."""
    return render_template(
        "identity/history.html", events=services.events_for(current_user), labels=EVENT_LABELS
    )
