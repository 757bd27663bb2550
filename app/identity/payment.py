"""Verification by a small payment to the corporate account (对公账户打款验证).

The user names the enterprise's corporate account (bank, number, account name); the name must
be the registered name exactly (a personal account, or another company's, is refused before
anything is paid). The platform records a random amount of 0.01–0.99 元 (`secrets`) and hands
it to the payment channel (`PAYMENT_CHANNEL`, below). Once paid, the user types the amount
seen on the account's statement: `PAYMENT_VERIFICATION_TRIES` (3) tries within
`PAYMENT_VERIFICATION_HOURS` (48) of the payment. Every request, refusal, payment, wrong
amount, lock and success is an account event.

Channels: `manual` (the operator pays from the platform's own account, by online banking,
and marks each payment paid on `/admin/payments`), `http` (`HttpPaymentChannel`: a bank's
payment interface pays at once), or any "module:Class" with `immediate` and `pay(transfer)`.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update

from app.auth.models import User
from app.clock import utcnow
from app.errors import Conflict, FieldErrors, NotFound, ServiceError, ValidationFailed
from app.extensions import db
from app.httpclient import post_once
from app.identity import services
from app.identity.models import (
    EventKind,
    PaymentState,
    PaymentVerification,
    VerificationMethod,
)

log = logging.getLogger("xinyidai.identity")

CENT = Decimal("0.01")
# The memo (附言) the statement shows beside the amount; it never carries the amount.
MEMO = "信易贷账户核验"


class TooManyPayments(ServiceError):
    status = 429
    code = "too_many_payments"


class PaymentFailed(ServiceError):
    status = 502
    code = "payment_failed"


@dataclass(frozen=True)
class Transfer:
    """What a channel pays: `id` is the receiver's key to tell a retry from a new payment."""

    id: str
    bank_name: str
    account_number: str
    account_name: str
    amount: Decimal
    memo: str = MEMO


class PaymentChannel(Protocol):
    # True: `pay` is the payment (a bank interface); False: someone pays by hand and marks it.
    immediate: bool

    def pay(self, transfer: Transfer) -> None: ...


class ManualChannel:
    """Development, and a platform that pays by hand: nothing leaves; the operator sees the
    payment on `/admin/payments`, pays it from the platform's account and marks it paid."""

    immediate = False

    def pay(self, transfer: Transfer) -> None:
        log.info("payment %s waits for the operator", transfer.id)


class HttpPaymentChannel:
    """A bank's payment interface: `POST PAYMENT_GATEWAY_URL` with `Authorization: Bearer
    PAYMENT_GATEWAY_TOKEN` and `{"id", "bank_name", "account_number", "account_name",
    "amount", "memo"}` (amount a decimal string in 元); any 2xx means paid. 5xx and
    connection errors are retried with the same `Idempotency-Key` (the id)."""

    immediate = True

    def __init__(self) -> None:
        config = current_app.config
        self.url = config.get("PAYMENT_GATEWAY_URL") or ""
        self.token = config.get("PAYMENT_GATEWAY_TOKEN") or ""
        self.timeout = float(config.get("PAYMENT_TIMEOUT", 15.0))

    def pay(self, transfer: Transfer) -> None:
        if not self.url:
            raise PaymentFailed(_("打款通道未配置"), code="payment_not_configured")
        payload = {
            "id": transfer.id,
            "bank_name": transfer.bank_name,
            "account_number": transfer.account_number,
            "account_name": transfer.account_name,
            "amount": str(transfer.amount),
            "memo": transfer.memo,
        }
        try:
            response = post_once(
                self.url,
                self.token,
                payload,
                key=transfer.id,
                agent="xinyidai-payment/1",
                timeout=self.timeout,
                retries=3,
                backoff_factor=1.0,
            )
        except requests.RequestException as exc:
            log.warning("payment %s failed: %s", transfer.id, type(exc).__name__)
            raise PaymentFailed(_("打款失败：无法连接打款通道，请稍后再试")) from exc
        if not 200 <= response.status_code < 300:
            log.warning("payment %s refused: HTTP %s", transfer.id, response.status_code)
            raise PaymentFailed(
                _("打款失败：打款通道返回 %(status)d，请稍后再试", status=response.status_code)
            )


CHANNELS = {
    "manual": "app.identity.payment:ManualChannel",
    "http": "app.identity.payment:HttpPaymentChannel",
}


def draw_amount() -> Decimal:
    """A random amount of 0.01 … 0.99 元 (`secrets`: it must not be guessable)."""
    return (secrets.randbelow(99) + 1) * CENT


def channel_name() -> str:
    return str(current_app.config.get("PAYMENT_CHANNEL") or "manual")


def configured_channel() -> PaymentChannel:
    """The channel `PAYMENT_CHANNEL` names (a short name or "module:Class")."""
    path = CHANNELS.get(channel_name(), channel_name())
    module, _sep, name = path.partition(":")
    return getattr(importlib.import_module(module), name)()


def _config(name: str) -> int:
    return int(current_app.config[name])


def _account_number(typed: str) -> str:
    return "".join((typed or "").replace("-", "").split())


def open_payment(user: User) -> PaymentVerification | None:
    """The payment the user is waiting for or may type the amount of, if any."""
    return services.latest_attempt(
        PaymentVerification,
        user,
        PaymentVerification.state.in_([PaymentState.REQUESTED, PaymentState.SENT]),
    )


def latest_for(user: User) -> PaymentVerification | None:
    return services.latest_attempt(PaymentVerification, user)


def request_payment(
    user: User, *, bank_name: str, account_number: str, account_name: str, ip: str | None = None
) -> PaymentVerification:
    """Record a small payment to the corporate account and hand it to the channel.

    Every malformed field is named at once (nothing written); an account name that is not
    the registered name is refused and recorded (`account_name_mismatch`); a newer request
    replaces the open one, at most `PAYMENT_VERIFICATION_MAX_PER_MONTH` in 30 days.
    """
    if services.is_verified(user):
        raise Conflict(_("账户已核验，无需打款验证"), code="already_verified")
    services.require_unclaimed(user.enterprise_id)
    bank_name = (bank_name or "").strip()
    number = _account_number(account_number)
    name = (account_name or "").strip()
    errors = {}
    if not 2 <= len(bank_name) <= 100:
        errors["bank_name"] = _("请填写开户银行（含支行）")
    if not (number.isascii() and number.isdigit() and 8 <= len(number) <= 32):
        errors["account_number"] = _("对公账号应为 8 到 32 位数字")
    if not name:
        errors["account_name"] = _("请填写账户名称")
    elif len(name) > 200:
        errors["account_name"] = _("账户名称过长")
    if errors:
        raise FieldErrors(errors)
    registered = user.enterprise.name if user.enterprise is not None else ""
    if name != registered:
        services.record_event(
            user, EventKind.PAYMENT_REFUSED, _("户名“%(n)s”与登记名称不符", n=name), ip=ip
        )
        raise ValidationFailed(
            "account_name",
            _("账户名称须与企业登记名称“%(r)s”完全一致：只能向贵企业的对公账户打款", r=registered),
            code="account_name_mismatch",
        )
    now = utcnow()
    counted = (
        PaymentVerification.user_id == user.id,
        PaymentVerification.state != PaymentState.FAILED,
        PaymentVerification.requested_at > now - timedelta(days=30),
    )
    made = db.session.scalar(select(func.count()).select_from(PaymentVerification).where(*counted))
    limit = _config("PAYMENT_VERIFICATION_MAX_PER_MONTH")
    if made >= limit:
        raise TooManyPayments(_("30 天内最多申请 %(n)d 次打款验证，请选择其他核验方式", n=limit))
    db.session.execute(
        update(PaymentVerification)
        .where(
            PaymentVerification.user_id == user.id,
            PaymentVerification.state.in_([PaymentState.REQUESTED, PaymentState.SENT]),
        )
        .values(state=PaymentState.REPLACED)
        .execution_options(synchronize_session=False)
    )
    payment = PaymentVerification(
        user_id=user.id,
        enterprise_id=user.enterprise_id,
        bank_name=bank_name,
        account_number=number,
        account_name=name,
        amount=draw_amount(),
        state=PaymentState.REQUESTED,
        tries=0,
        channel=channel_name()[:60],
        reference=uuid.uuid4().hex,
        requested_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    services.record_event(
        user,
        EventKind.PAYMENT_REQUESTED,
        f"{payment.bank_name} {payment.masked_account}",
        ip=ip,
    )
    channel = configured_channel()
    transfer = Transfer(payment.reference, bank_name, number, name, payment.amount)
    try:
        channel.pay(transfer)
    except PaymentFailed as exc:
        payment.state = PaymentState.FAILED
        services.record_event(user, EventKind.PAYMENT_FAILED, exc.message, ip=ip)
        raise
    if channel.immediate:
        _mark_paid(payment, None)
    return payment


def _mark_paid(payment: PaymentVerification, actor: User | None) -> None:
    now = utcnow()
    payment.state = PaymentState.SENT
    payment.sent_at = now
    payment.sent_by_id = actor.id if actor is not None else None
    payment.expires_at = now + timedelta(hours=_config("PAYMENT_VERIFICATION_HOURS"))
    user = services.account_of(payment.user_id)
    services.record_event(
        user,
        EventKind.PAYMENT_SENT,
        f"{payment.bank_name} {payment.masked_account}",
        actor=actor,
    )
    db.session.flush()


def mark_paid(payment_id: int, *, actor: User | None = None) -> PaymentVerification:
    """The operator paid it (the `manual` channel): the enterprise may type the amount."""
    payment = db.session.get(PaymentVerification, payment_id)
    if payment is None:
        raise NotFound(_("打款记录不存在"))
    if payment.state != PaymentState.REQUESTED:
        raise Conflict(_("该打款记录已处理或已被取代"), code="payment_not_requested")
    _mark_paid(payment, actor)
    return payment


def to_pay(*, pending_only: bool = True) -> Select[tuple[PaymentVerification]]:
    """The operator's list: the payments still to make (oldest first), or all, newest first."""
    query = select(PaymentVerification)
    if pending_only:
        return query.where(PaymentVerification.state == PaymentState.REQUESTED).order_by(
            PaymentVerification.id
        )
    return query.order_by(PaymentVerification.id.desc())


def waiting(*, pending_only: bool = True, limit: int | None = 200) -> list[PaymentVerification]:
    return list(db.session.scalars(to_pay(pending_only=pending_only).limit(limit)))


def parse_amount(typed: object) -> Decimal:
    """The amount typed, in 元 (0.37, "0.37", "￥0.37 元"); exactly two decimals at most."""
    text = str(typed if typed is not None else "").strip()
    for noise in ("￥", "¥", "元", " "):
        text = text.replace(noise, "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    # The range first: quantizing 1E+999999 would raise.
    if not amount.is_finite() or not CENT <= amount < 1 or amount != amount.quantize(CENT):
        raise ValidationFailed(
            "amount", _("请输入收到的金额，0.01 到 0.99 元，例如 0.37"), code="bad_amount_format"
        )
    return amount.quantize(CENT)


def check_amount(user: User, typed: object, *, ip: str | None = None) -> User:
    """Verify the account when `typed` is the amount paid; count a wrong try otherwise."""
    if services.is_verified(user):
        return user
    amount = parse_amount(typed)
    payment = open_payment(user)
    if payment is None:
        raise Conflict(_("没有待确认的打款，请先申请打款验证"), code="no_payment")
    if payment.state == PaymentState.REQUESTED:
        raise Conflict(_("平台尚未打款，请收到款项后再输入金额"), code="payment_not_sent")
    assert payment.expires_at is not None
    if payment.expires_at <= utcnow():
        payment.state = PaymentState.EXPIRED
        services.record_event(user, EventKind.PAYMENT_FAILED, _("打款验证已过期"), ip=ip)
        raise ValidationFailed(
            "amount",
            _(
                "打款验证已超过 %(h)d 小时，已失效，请重新申请",
                h=_config("PAYMENT_VERIFICATION_HOURS"),
            ),
            code="payment_expired",
        )
    if not hmac.compare_digest(str(payment.amount.quantize(CENT)), str(amount)):
        payment.tries += 1
        left = _config("PAYMENT_VERIFICATION_TRIES") - payment.tries
        if left <= 0:
            payment.state = PaymentState.LOCKED
            services.record_event(
                user, EventKind.PAYMENT_LOCKED, _("第 %(n)d 次输入错误", n=payment.tries), ip=ip
            )
            raise ValidationFailed(
                "amount",
                _("金额错误次数过多，本次打款验证已失效，请重新申请或选择其他核验方式"),
                code="payment_locked",
            )
        services.record_event(
            user, EventKind.PAYMENT_FAILED, _("第 %(n)d 次输入错误", n=payment.tries), ip=ip
        )
        raise ValidationFailed(
            "amount", _("金额不正确，还可以再试 %(n)d 次", n=left), code="wrong_amount"
        )
    services.require_unclaimed(user.enterprise_id)
    payment.state = PaymentState.USED
    return services.mark_verified(
        user,
        VerificationMethod.PAYMENT,
        detail=_("对公账户打款 %(b)s %(a)s", b=payment.bank_name, a=payment.masked_account),
        ip=ip,
    )
