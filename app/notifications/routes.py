"""The notification list and the unread count shown in the header."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.applications.forms import ActionForm
from app.auth.decorators import role_required
from app.notifications import mail, services
from app.paging import read_page

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
    listed = read_page(services.for_user(current_user))
    return render_template(
        "notifications/index.html",
        items=listed.rows,
        listed=listed,
        form=ActionForm(),
        email_on=mail.email_on(current_user),
    )


@bp.route("/notifications/preferences", methods=["POST"])
@role_required()
def preferences():
    """Whether notifications also come by e-mail (to the account's address)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    on = request.form.get("email") == "y"
    mail.set_email(current_user, on)
    flash(_("已开启邮件通知") if on else _("已关闭邮件通知"), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@role_required()
def mark_read(notification_id: int | None = None):
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index"))
