"""Web pages of account verification and account history."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.applications.services import draft_for
from app.auth.decorators import role_required
from app.auth.models import Role
from app.errors import ServiceError
from app.extensions import db
from app.forms import attach_error
from app.identity import phone, services
from app.identity.forms import PhoneCodeForm, SendCodeForm
from app.identity.models import EVENT_LABELS
from app.notifications.senders import Channel, development_outbox

bp = Blueprint("identity", __name__)


def _verify_page(code_form: PhoneCodeForm | None = None, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "identity/verify.html",
        state=services.state_of(user),
        verified=services.is_verified(user),
        phone=services.masked_phone(user),
        open_code=phone.open_code(user) if user.role == Role.ENTERPRISE else None,
        send_form=SendCodeForm(),
        code_form=code_form or PhoneCodeForm(),
        draft=draft_for(user.id),
    ), status


@bp.route("/account/verification")
@role_required(unverified_ok=True)
def verify():
    """账户核验: where the account stands and how to prove it acts for its enterprise."""
    return _verify_page()


@bp.route("/account/verification/phone/send", methods=["POST"])
@role_required(Role.ENTERPRISE, unverified_ok=True)
def send_phone_code():
    """Send a code to the registry's contact phone (never to a number typed here)."""
    if SendCodeForm().validate_on_submit():
        try:
            record = phone.send_code(current_user, ip=request.remote_addr)
        except ServiceError as exc:
            db.session.commit()  # keep the record of a failed send
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("验证码已发送至 %(p)s，请在 %(m)d 分钟内输入",
                    p=record.phone_masked, m=current_app.config["PHONE_CODE_MINUTES"]),
                  "success")  # fmt: skip
    return redirect(url_for("identity.verify"), code=303)


@bp.route("/account/verification/phone", methods=["POST"])
@role_required(Role.ENTERPRISE, unverified_ok=True)
def check_phone_code():
    """Verify the account by the code received on the phone on file."""
    form = PhoneCodeForm()
    if form.validate_on_submit():
        try:
            phone.check_code(current_user, form.code.data, ip=request.remote_addr)
        except ServiceError as exc:
            db.session.commit()  # a wrong try counts
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("账户核验通过，现在可以使用平台的全部功能"), "success")
            return redirect(url_for("identity.verify"), code=303)
    return _verify_page(form, 422)


@bp.route("/account/history")
@role_required(unverified_ok=True)
def history():
    """账户记录: the account's verification and security events."""
    return render_template(
        "identity/history.html", events=services.events_for(current_user), labels=EVENT_LABELS
    )


@bp.route("/admin/sms-outbox")
@role_required(Role.ADMIN)
def sms_outbox():
    """Development (`SMS_SENDER=log`): the SMS this process would have sent, for the operator."""
    logging_sender = current_app.config.get("SMS_SENDER", "log") == "log"
    messages = [
        out for out in development_outbox() if out.message.channel == Channel.SMS
    ] if logging_sender else []  # fmt: skip
    return render_template(
        "identity/sms_outbox.html", messages=messages, logging_sender=logging_sender
    )
