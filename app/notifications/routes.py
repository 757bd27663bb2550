"""The notification list and the unread count shown in the header."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from app.applications.forms import ActionForm
from app.auth.decorators import role_required
from app.extensions import db
from app.notifications import services

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_notifications():
    def count() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": count}


@bp.route("/notifications")
@role_required()
def index():
    return render_template(
        "notifications/index.html", items=services.list_for(current_user), form=ActionForm()
    )


@bp.route("/notifications/read", methods=["POST"])
@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@role_required()
def mark_read(notification_id: int | None = None):
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(url_for("notifications.index"))
