"""Public policy and notice pages, and the operator's pages that publish them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.errors import ServiceError
from app.extensions import db
from app.forms import attach_error
from app.notices import services
from app.notices.forms import NoticeForm, WithdrawForm
from app.notices.models import Notice
from app.paging import read_page
from app.replicas import reads_replica
from app.unit_of_work import discard, refusal_flashed
from app.util import to_local

bp = Blueprint("notices", __name__)
MAX_ID = 2**31 - 1
FIELDS = ("kind", "title", "issuer", "body", "publish_at", "withdraw_at")


@bp.route("/notices")
@reads_replica
def index():
    kind = request.args.get("kind") or None
    listed = read_page(services.shown(kind))
    return render_template(
        "notices/index.html",
        notices=listed.rows,
        pages=listed.pages,
        page=listed.page,
        kind=kind,
        kinds=services.KIND_LABELS,
    )


@bp.route("/notices/<int:notice_id>")
@reads_replica
def detail(notice_id: int):
    if notice_id > MAX_ID:
        abort(404)
    return render_template(
        "notices/detail.html", notice=services.get_shown(notice_id), kinds=services.KIND_LABELS
    )


@bp.route("/admin/notices")
@role_required(Role.ADMIN)
def manage():
    return render_template(
        "notices/manage.html",
        notices=services.every_notice(),
        state=services.state,
        states=services.STATE_LABELS,
        kinds=services.KIND_LABELS,
        form=WithdrawForm(),
    )


def _save(form: NoticeForm, notice_id: int | None):
    data = {name: getattr(form, name).data for name in FIELDS}
    try:
        if notice_id is None:
            notice = services.create(data, user_id=current_user.id)
        else:
            notice = services.update(notice_id, data, expected_version=form.version.data)
    except ServiceError as exc:
        discard()
        attach_error(form, exc)
        return None, exc.status
    return notice, 200


@bp.route("/admin/notices/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new():
    return _edit_page(None)


@bp.route("/admin/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(notice_id: int):
    notice = db.session.get(Notice, notice_id) if notice_id <= MAX_ID else None
    if notice is None:
        abort(404)
    return _edit_page(notice)


def _edit_page(notice: Notice | None):
    """The notice's form (a new one when `notice` is None); once saved, back to the list."""
    form = NoticeForm()
    status = 200
    if notice is not None and request.method == "GET":
        for name in ("kind", "title", "issuer", "body"):
            getattr(form, name).data = getattr(notice, name)
        form.publish_at.data = to_local(notice.publish_at).strftime("%Y-%m-%d %H:%M")
        withdraw = to_local(notice.withdraw_at)
        form.withdraw_at.data = withdraw.strftime("%Y-%m-%d %H:%M") if withdraw else ""
        form.version.data = str(notice.version)
    elif form.validate_on_submit():
        saved, status = _save(form, notice.id if notice else None)
        if saved is not None:
            flash(_("已保存"), "success")
            return redirect(url_for("notices.manage"))
    return render_template("notices/edit.html", form=form, notice=notice), status


@bp.route("/admin/notices/<int:notice_id>/withdraw", methods=["POST"])
@role_required(Role.ADMIN)
def withdraw(notice_id: int):
    form = WithdrawForm()
    if not form.validate_on_submit() or notice_id > MAX_ID:
        abort(400)
    with refusal_flashed():
        kept = services.withdraw(notice_id)
        flash(_("已撤下") if kept is not None else _("未发布的公告已删除"), "success")
    return redirect(url_for("notices.manage"), 303)
