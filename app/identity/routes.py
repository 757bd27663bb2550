"""Web pages of account verification and account history."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import evidence
from app.applications.services import draft_for
from app.auth.decorators import role_required
from app.auth.models import Role
from app.errors import ServiceError
from app.extensions import db
from app.forms import attach_error
from app.identity import payment, phone, providers, review, services
from app.identity.forms import (
    DecideForm,
    MarkPaidForm,
    PaymentAmountForm,
    PaymentRequestForm,
    PhoneCodeForm,
    ReviewForm,
    SendCodeForm,
)
from app.identity.models import EVENT_LABELS, PAYMENT_LABELS, REVIEW_LABELS, PhoneCode, ReviewState
from app.notifications.senders import Channel, development_outbox
from app.paging import read_page
from app.replicas import reads_replica
from app.unit_of_work import discard, refusal_flashed

bp = Blueprint("identity", __name__)


def _verify_page(
    code_form: PhoneCodeForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
    *,
    payment_form: PaymentRequestForm | None = None,
    amount_form: PaymentAmountForm | None = None,
):
    user = current_user._get_current_object()
    enterprise = user.role == Role.ENTERPRISE
    return render_template(
        "identity/verify.html",
        providers=providers.enabled(),
        payment=payment.latest_for(user) if enterprise else None,
        payment_form=payment_form or PaymentRequestForm(),
        amount_form=amount_form or PaymentAmountForm(),
        payment_labels=PAYMENT_LABELS,
        state=services.state_of(user),
        verified=services.is_verified(user),
        phone=services.masked_phone(user),
        open_code=phone.open_code(user) if user.role == Role.ENTERPRISE else None,
        send_form=SendCodeForm(),
        code_form=code_form or PhoneCodeForm(),
        review_form=review_form or ReviewForm(),
        review=review.latest_for(user) if user.role == Role.ENTERPRISE else None,
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
            record = providers.get("phone").start(current_user, {}, ip=request.remote_addr)
        except ServiceError as exc:  # not discarded: the answer commits the failed send's record
            flash(exc.message, "error")
        else:
            assert isinstance(record, PhoneCode)
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
            user = providers.get("phone").complete(
                current_user, {"code": form.code.data}, ip=request.remote_addr
            )
        except ServiceError as exc:
            db.session.commit()  # a wrong try counts
            attach_error(form, exc)
        else:
            if services.is_verified(user):
                flash(_("账户核验通过，现在可以使用平台的全部功能"), "success")
            else:
                flash(
                    _(
                        "您已验证企业登记电话。该企业已有管理员，平台将据此审核是否将管理员变更给您。"
                    ),
                    "success",
                )
            return redirect(url_for("identity.verify"), code=303)
    return _verify_page(form, status=422)


@bp.route("/account/verification/review", methods=["POST"])
@role_required(Role.ENTERPRISE, unverified_ok=True)
def submit_review():
    """Upload the business licence (and letter of authorization) for the operator."""
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            files = {
                "licence": request.files.getlist(form.licence.name),
                "authorization": request.files.getlist(form.authorization.name),
                "legal_rep": bool(form.legal_rep.data),
            }
            providers.get("review").start(current_user, files, ip=request.remote_addr)
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            days = current_app.config["VERIFICATION_REVIEW_WORKING_DAYS"]
            flash(_("材料已提交，平台将在 %(n)d 个工作日内审核", n=days), "success")
            return redirect(url_for("identity.verify"), code=303)
    return _verify_page(review_form=form, status=422)


@bp.route("/account/verification/payment", methods=["POST"])
@role_required(Role.ENTERPRISE, unverified_ok=True)
def request_payment():
    """Ask for a small payment to the corporate account (its name: the registered name)."""
    form = PaymentRequestForm()
    if form.validate_on_submit():
        try:
            providers.get("payment").start(current_user, form.data, ip=request.remote_addr)
        except ServiceError as exc:
            db.session.commit()  # keep the record of a refusal
            attach_error(form, exc)
        else:
            flash(_("已记录打款申请：平台打款后，请查看对公账户的入账金额并在此输入"), "success")
            return redirect(url_for("identity.verify"), code=303)
    return _verify_page(payment_form=form, status=422)


@bp.route("/account/verification/payment/amount", methods=["POST"])
@role_required(Role.ENTERPRISE, unverified_ok=True)
def check_payment_amount():
    """Verify the account by the amount the corporate account received."""
    form = PaymentAmountForm()
    if form.validate_on_submit():
        try:
            providers.get("payment").complete(
                current_user, {"amount": form.amount.data}, ip=request.remote_addr
            )
        except ServiceError as exc:
            db.session.commit()  # a wrong amount counts
            attach_error(form, exc)
        else:
            flash(_("账户核验通过，现在可以使用平台的全部功能"), "success")
            return redirect(url_for("identity.verify"), code=303)
    return _verify_page(amount_form=form, status=422)


@bp.route("/admin/payments")
@role_required(Role.ADMIN)
def payments():
    """对公打款: the small payments to make (the `manual` channel), and the latest others."""
    pending_only = request.args.get("all") is None
    listed = read_page(payment.to_pay(pending_only=pending_only))
    return render_template(
        "identity/payments.html",
        payments=listed.rows,
        listed=listed,
        pending_only=pending_only,
        manual=not payment.configured_channel().immediate,
        form=MarkPaidForm(),
        labels=PAYMENT_LABELS,
    )


@bp.route("/admin/payments/<int:payment_id>/paid", methods=["POST"])
@role_required(Role.ADMIN)
def mark_paid(payment_id: int):
    """The operator paid it from the platform's account: the enterprise may type it now."""
    if MarkPaidForm().validate_on_submit():
        with refusal_flashed():
            payment.mark_paid(payment_id, actor=current_user)
            flash(_("已标记为已打款"), "success")
    return redirect(url_for("identity.payments"), code=303)


@bp.route("/verification-reviews/<int:review_id>/files/<int:file_id>")
@role_required(Role.ENTERPRISE, Role.ADMIN, unverified_ok=True)
def review_file(review_id: int, file_id: int):
    """A licence or letter: to the operator and the enterprise's own accounts only."""
    return evidence.send_kept(review.file_for(review_id, file_id, current_user))


@bp.route("/admin/verifications")
@role_required(Role.ADMIN)
def queue():
    """核验审核: pending reviews by deadline (the overdue first), then the decided."""
    pending_only = request.args.get("all") is None
    rows = review.reviews(pending_only=pending_only)
    return render_template(
        "identity/queue.html",
        reviews=rows,
        days_left={r.id: review.days_left(r) for r in rows if r.state == ReviewState.PENDING},
        pending_only=pending_only,
        labels=REVIEW_LABELS,
    )


@bp.route("/admin/verifications/<int:review_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def decide(review_id: int):
    """One review: the account, the enterprise's registry facts, the files; the decision."""
    found = review.get_review(review_id)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            review.decide(
                review_id,
                approve=form.decision.data == "approve",
                reason=form.reason.data or "",
                actor=current_user,
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            flash(_("审核结论已保存"), "success")
            return redirect(url_for("identity.queue"), code=303)
    account = services.account_of(found.user_id)
    return render_template(
        "identity/review.html",
        review=found,
        account=account,
        form=form,
        days_left=review.days_left(found) if found.state == ReviewState.PENDING else None,
        labels=REVIEW_LABELS,
    ), (422 if form.errors else 200)


@bp.route("/account/history")
@role_required(unverified_ok=True)
@reads_replica
def history():
    """账户记录: the account's verification and security events."""
    listed = read_page(services.events_of(current_user))
    return render_template(
        "identity/history.html", events=listed.rows, listed=listed, labels=EVENT_LABELS
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
