"""Web pages of one enterprise's people: the administrator's list, invitations, removal,
the invitation link, the handover after a transfer, and the operator's transfer page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.consent.forms import CATEGORY_LABELS
from app.errors import ServiceError
from app.forms import attach_error
from app.identity import members, services
from app.identity.forms import ConfirmForm, InviteForm, JoinForm, TransferForm
from app.identity.models import ENTERPRISE_ROLE_LABELS
from app.paging import read_page
from app.unit_of_work import discard, refusal_flashed

bp = Blueprint("people", __name__)


def _invitation_path(token: str) -> str:
    return url_for("people.invitation", token=token)


def _people_page(form: InviteForm | None = None, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "identity/people.html",
        people=members.people(user.enterprise_id),
        invitations=members.open_invitations(user.enterprise_id)
        if services.is_enterprise_admin(user)
        else [],
        is_admin=services.is_enterprise_admin(user),
        handover=members.open_handover(user),
        form=form or InviteForm(),
        confirm=ConfirmForm(),
        labels=ENTERPRISE_ROLE_LABELS,
    ), status


@bp.route("/account/people", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def index():
    """企业成员: who acts for the enterprise; the administrator invites colleagues here."""
    form = InviteForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                members.invite(
                    current_user, form.email.data, path_for=_invitation_path,
                    ip=request.remote_addr,
                )  # fmt: skip
            except ServiceError as exc:
                discard()
                attach_error(form, exc)
                status = exc.status if exc.status == 403 else 422
            else:
                flash(_("邀请已发送至 %(e)s", e=form.email.data.strip()), "success")
                return redirect(url_for("people.index"), code=303)
    return _people_page(form, status=status)


@bp.route("/account/people/<int:user_id>/remove", methods=["POST"])
@role_required(Role.ENTERPRISE)
def remove(user_id: int):
    """The administrator removes a colleague (sessions and API tokens end)."""
    if ConfirmForm().validate_on_submit():
        with refusal_flashed():
            removed = members.remove(current_user, user_id, ip=request.remote_addr)
            flash(_("已将 %(e)s 移出企业", e=removed.email), "success")
    return redirect(url_for("people.index"), code=303)


@bp.route("/account/invitations/<int:invitation_id>/revoke", methods=["POST"])
@role_required(Role.ENTERPRISE)
def revoke_invitation(invitation_id: int):
    if ConfirmForm().validate_on_submit():
        with refusal_flashed():
            members.revoke_invitation(current_user, invitation_id)
            flash(_("邀请已撤回"), "success")
    return redirect(url_for("people.index"), code=303)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The invitation link: register (or, logged in with the invited address, join)."""
    try:
        found = members.invitation_for(token)
    except ServiceError as exc:
        discard()
        return render_template("identity/invitation.html", problem=exc.message), exc.status
    form = JoinForm()
    signed_in = current_user.is_authenticated
    status = 200
    if request.method == "POST":
        try:
            if signed_in:
                if not ConfirmForm().validate_on_submit():
                    abort(400)
                members.accept(token, current_user, ip=request.remote_addr)
            elif form.validate_on_submit():
                members.register_invited(
                    token,
                    display_name=form.display_name.data,
                    password=form.password.data,
                    ip=request.remote_addr,
                )
            else:
                raise _Invalid
        except _Invalid:
            status = 422
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
            status = 422
        else:
            if signed_in:
                flash(_("您已加入企业，可以使用平台的功能"), "success")
                return redirect(url_for("main.home"), code=303)
            flash(_("账户已注册并加入企业，请登录"), "success")
            return redirect(url_for("auth.login"), code=303)
    return render_template(
        "identity/invitation.html",
        invitation=found,
        form=form,
        confirm=ConfirmForm(),
        signed_in=signed_in,
        problem=None,
    ), status


class _Invalid(Exception):
    """The join form has errors (shown beside their fields)."""


@bp.route("/account/handover/<int:transfer_id>", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def handover(transfer_id: int):
    """交接: every authorization the previous administrator granted; revoke or keep each."""
    transfer, grants = members.handover(current_user, transfer_id)
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        members.finish_handover(current_user, transfer_id)
        flash(_("交接已完成：未撤销的授权继续有效"), "success")
        return redirect(url_for("people.index"), code=303)
    return render_template(
        "identity/handover.html",
        transfer=transfer,
        grants=grants,
        confirm=ConfirmForm(),
        category_labels=CATEGORY_LABELS,
    )


@bp.route("/admin/transfers", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def transfers():
    """变更企业管理员: the operator moves an enterprise's administration on a stronger claim."""
    form = TransferForm()
    if form.validate_on_submit():
        try:
            transfer = members.transfer_admin(
                form.email.data, reason=form.reason.data, actor=current_user
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            flash(_("已变更“%(n)s”的管理员", n=transfer.enterprise.name), "success")
            return redirect(url_for("people.transfers"), code=303)
    listed = read_page(members.transfers())
    claims = read_page(members.stronger_claims(), param="claims_page")
    return render_template(
        "identity/transfers.html",
        form=form,
        transfers=listed.rows,
        listed=listed,
        claims=claims,
    ), (422 if form.errors else 200)
