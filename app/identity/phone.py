"""Verification by a code sent to the phone on file: the registry's contact phone (联系电话
from the enterprise annual report), never a number the user types.

A code has 6 digits, lives `PHONE_CODE_MINUTES` (10), allows `PHONE_CODE_TRIES` (5) wrong
tries and is then locked; a new code replaces the open one, at most once every
`PHONE_CODE_RESEND_SECONDS` (60) and `PHONE_CODE_MAX_PER_DAY` (5) times a day. Only an HMAC of
the code is stored. Every send, failed send, wrong try, lock and success is an account event.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.auth.models import User
from app.clock import utcnow
from app.errors import Conflict, ServiceError, ValidationFailed
from app.extensions import db
from app.identity import services
from app.identity.models import EventKind, PhoneCode, PhoneCodeState, VerificationMethod
from app.notifications.senders import Channel, Message, SendFailed, sender_for

# China's SMS rules register a signature and a fixed template with the carrier: the text is
# the same whatever the reader's language.
SMS_TEXT = (
    "【信易贷】您的企业账户核验验证码为 {code}，{minutes} 分钟内有效。如非本企业人员操作，请忽略。"
)


class TooManyCodes(ServiceError):
    status = 429
    code = "too_many_codes"


def _config(name: str) -> int:
    return int(current_app.config[name])


def _hash(salt: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_on_file(user: User) -> str | None:
    """The registry's contact phone of the user's enterprise (digits only), or None."""
    enterprise = user.enterprise
    phone = (enterprise.contact_phone or "") if enterprise is not None else ""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return digits or None


def open_code(user: User) -> PhoneCode | None:
    """The code the user may type now (sent, not used, not locked, not expired), if any."""
    code = services.latest_attempt(PhoneCode, user, PhoneCode.state == PhoneCodeState.OPEN)
    if code is None or code.expires_at <= utcnow():
        return None
    return code


def _check_resend_limits(user: User) -> None:
    now = utcnow()
    counted = (PhoneCode.user_id == user.id, PhoneCode.state != PhoneCodeState.FAILED)
    last = db.session.scalar(select(func.max(PhoneCode.sent_at)).where(*counted))
    wait = _config("PHONE_CODE_RESEND_SECONDS")
    if last is not None and (now - last).total_seconds() < wait:
        seconds = math.ceil(wait - (now - last).total_seconds())
        raise TooManyCodes(_("验证码发送过于频繁，请 %(s)d 秒后再试", s=seconds))
    today = db.session.scalar(
        select(func.count())
        .select_from(PhoneCode)
        .where(*counted, PhoneCode.sent_at > now - timedelta(days=1))
    )
    if today >= _config("PHONE_CODE_MAX_PER_DAY"):
        limit = _config("PHONE_CODE_MAX_PER_DAY")
        raise TooManyCodes(
            _("24 小时内最多发送 %(n)d 次验证码，请明天再试或选择其他核验方式", n=limit)
        )


def send_code(user: User, *, ip: str | None = None) -> PhoneCode:
    """Send a new code to the phone on file; the previous open code stops working.

    Raises before anything is written when the account needs no verification, there is no
    phone on file or a limit is reached; a gateway failure is recorded (the code is marked
    failed, an event written) and then raised as `SendFailed`.
    """
    if services.is_verified(user):
        raise Conflict(_("账户已核验，无需再发送验证码"), code="already_verified")
    # A claimant of an enterprise that has an administrator may still prove the phone on
    # file: a stronger claim the operator may transfer the administration on (`check_code`).
    phone = phone_on_file(user)
    if phone is None:
        raise ValidationFailed(
            "phone",
            _("企业登记信息中没有联系电话，无法发送验证码，请选择其他核验方式"),
            code="no_phone_on_file",
        )
    _check_resend_limits(user)
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.state == PhoneCodeState.OPEN)
        .values(state=PhoneCodeState.REPLACED)
        .execution_options(synchronize_session=False)
    )
    plain = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    minutes = _config("PHONE_CODE_MINUTES")
    masked = services.masked_phone(user) or ""
    message = Message(
        Channel.SMS, phone, SMS_TEXT.format(code=plain, minutes=minutes), kind="phone_code"
    )
    now = utcnow()
    record = PhoneCode(
        user_id=user.id,
        phone_masked=masked,
        salt=salt,
        code_hash=_hash(salt, plain),
        state=PhoneCodeState.OPEN,
        tries=0,
        sent_at=now,
        expires_at=now + timedelta(minutes=minutes),
        sender=str(current_app.config.get("SMS_SENDER") or "log")[:60],
        message_id=message.id,
    )
    db.session.add(record)
    db.session.flush()
    try:
        sender_for(Channel.SMS).send(message)
    except SendFailed as exc:
        record.state = PhoneCodeState.FAILED
        services.record_event(user, EventKind.CODE_SEND_FAILED, f"{masked} {exc.message}", ip=ip)
        raise
    services.record_event(user, EventKind.CODE_SENT, masked, ip=ip)
    return record


def check_code(user: User, typed: str, *, ip: str | None = None) -> User:
    """Verify the account when `typed` is the open code; count a wrong try otherwise.

    When another account administers the enterprise already, the right code verifies
    nothing: it is recorded as a proven claim (`claim_proven`) for the operator."""
    if services.is_verified(user):
        return user
    typed = "".join((typed or "").split())
    if not (len(typed) == 6 and typed.isdigit()):
        raise ValidationFailed("code", _("请输入短信中的 6 位数字验证码"), code="bad_code_format")
    record = open_code(user)
    if record is None:
        services.record_event(user, EventKind.CODE_FAILED, _("验证码已过期或未发送"), ip=ip)
        raise ValidationFailed("code", _("验证码已过期或已失效，请重新获取"), code="code_expired")
    if not hmac.compare_digest(record.code_hash, _hash(record.salt, typed)):
        record.tries += 1
        left = _config("PHONE_CODE_TRIES") - record.tries
        if left <= 0:
            record.state = PhoneCodeState.LOCKED
            services.record_event(user, EventKind.CODE_LOCKED, record.phone_masked, ip=ip)
            raise ValidationFailed(
                "code", _("验证码错误次数过多，该验证码已失效，请重新获取"), code="code_locked"
            )
        services.record_event(
            user, EventKind.CODE_FAILED, _("第 %(n)d 次输入错误", n=record.tries), ip=ip
        )
        raise ValidationFailed(
            "code", _("验证码不正确，还可以再试 %(n)d 次", n=left), code="wrong_code"
        )
    record.state = PhoneCodeState.USED
    if services.admin_of(user.enterprise_id) is not None:
        # Another account administers the enterprise: this proves a stronger claim, which
        # the operator weighs (members.stronger_claims, then transfer_admin); no access yet.
        services.record_event(user, EventKind.CLAIM_PROVEN, record.phone_masked, ip=ip)
        return user
    services.require_unclaimed(user.enterprise_id)
    return services.mark_verified(
        user, VerificationMethod.PHONE, detail=_("短信验证码 %(p)s", p=record.phone_masked), ip=ip
    )
