"""The second factor: TOTP (RFC 6238, 30-second steps, 6 digits) with one-time recovery codes.

Required for the roles in `SECOND_FACTOR_ROLES` (bank staff, the financial office, the
operator), optional for enterprises. A code is accepted one step either side of now
(`valid_window=1`) and only for a later time step than the last accepted one, so a code
seen over someone's shoulder cannot be used again. Time comes from `app.clock` only.
Wrong codes count toward the same per-address lock as wrong passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import NoReturn

import pyotp
import segno
from cryptography.fernet import InvalidToken
from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.auth import sessions
from app.auth.models import SECOND_FACTOR_ROLES, RecoveryCode, Role, User
from app.auth.services import count_login_failure, refuse_if_locked
from app.clock import utcnow
from app.crypto import fernet_for
from app.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from app.extensions import db
from app.identity import services as identity
from app.identity.models import EventKind

ISSUER = "信易贷"
RECOVERY_CODES = 10
# Recovery codes: 10 characters of an alphabet without look-alikes (50 bits), shown as
# two groups of five.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_INFO = b"xinyidai/totp-secret/v1"


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted (SECRET_KEY changed): reset the second factor."""


def is_required(user: User) -> bool:
    """Whether the user's role must sign in with a second factor (the one rule)."""
    return user.role in SECOND_FACTOR_ROLES


def is_enrolled(user: User) -> bool:
    return user.totp_enrolled_at is not None


def is_optional(user: User) -> bool:
    """Whether the user may turn the second factor on and off (enterprises)."""
    return user.role == Role.ENTERPRISE


# --- the secret ---------------------------------------------------------------------------


def _store_secret(user: User, secret: str) -> None:
    user.totp_secret_encrypted = fernet_for(_INFO).encrypt(secret.encode()).decode("ascii")


def secret_of(user: User) -> str:
    """The user's TOTP secret in base32 (for the enrolment page and the checks)."""
    if not user.totp_secret_encrypted:
        raise SecretUnreadable("no second-factor secret")
    try:
        return fernet_for(_INFO).decrypt(user.totp_secret_encrypted.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("stored second-factor secret cannot be decrypted") from exc


def set_secret(user: User, secret: str) -> None:
    """Enrol `user` with a known secret at once (the demo accounts; tests)."""
    _store_secret(user, secret)
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = None
    db.session.flush()


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI an authenticator app reads (issuer 信易贷, the user's e-mail)."""
    return pyotp.TOTP(secret_of(user)).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(user: User) -> str:
    """The provisioning URI as a QR code, an SVG data URI for an <img>."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=4, border=2)


# --- codes ----------------------------------------------------------------------------------


def _accepted_step(user: User, code: str) -> int | None:
    """The time step `code` belongs to (now, or one step either side), or None."""
    totp = pyotp.TOTP(secret_of(user))
    now = utcnow()
    if not totp.verify(code, for_time=now, valid_window=1):
        return None
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _check_totp(user: User, code: str) -> None:
    """Accept a current code once: a wrong code, or one of an already used time step, is
    refused (ValidationFailed on the field `code`)."""
    step = _accepted_step(user, code)
    if step is None:
        raise ValidationFailed("code", _("验证码不正确，请输入验证器应用中当前的 6 位数字"))
    if user.totp_last_step is not None and step <= user.totp_last_step:
        raise ValidationFailed("code", _("该验证码已使用过，请等待验证器应用显示下一个验证码"))
    user.totp_last_step = step


def _normalize_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalize_code(code).encode()).hexdigest()


def _use_recovery_code(user: User, code: str) -> int | None:
    """Spend one unused recovery code; returns how many remain, or None when it is not one."""
    row = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return None
    row.used_at = utcnow()
    db.session.flush()
    return remaining_recovery_codes(user)


def remaining_recovery_codes(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def _issue_recovery_codes(user: User) -> list[str]:
    """New recovery codes for `user`, replacing every earlier one; the plaintexts are
    returned once and never stored."""
    db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    now = utcnow()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c), created_at=now) for c in codes
    )
    db.session.flush()
    return codes


# --- enrolment, change, reset ----------------------------------------------------------------


def begin_enrolment(user: User) -> None:
    """A new secret for `user` to add to an authenticator app; it counts once confirmed
    (`confirm_enrolment`). An unconfirmed secret is kept, so reloading the page keeps the
    QR code the user may already have scanned."""
    if is_enrolled(user):
        raise Conflict(_("两步验证已开启"), code="totp_enrolled")
    if not user.totp_secret_encrypted:
        _store_secret(user, pyotp.random_base32())
        db.session.flush()


def confirm_enrolment(user: User, code: str, *, ip: str | None = None) -> list[str]:
    """Turn the second factor on with a first code from the app; returns the recovery codes
    (shown once)."""
    if is_enrolled(user):
        raise Conflict(_("两步验证已开启"), code="totp_enrolled")
    _check_totp(user, code)
    user.totp_enrolled_at = utcnow()
    codes = _issue_recovery_codes(user)
    identity.record_event(user, EventKind.TOTP_ENROLLED, ip=ip)
    return codes


def regenerate_recovery_codes(user: User, code: str, *, ip: str | None = None) -> list[str]:
    """New recovery codes against a current code; the old ones stop working."""
    _require_enrolled(user)
    _check_totp(user, code)
    codes = _issue_recovery_codes(user)
    identity.record_event(user, EventKind.RECOVERY_RENEWED, ip=ip)
    return codes


def disable(user: User, code: str, *, ip: str | None = None) -> None:
    """Turn the second factor off with a current code (enterprises only: for the other roles
    it is required)."""
    if not is_optional(user):
        raise Forbidden(_("您的角色必须使用两步验证，不能关闭"), code="totp_required")
    _require_enrolled(user)
    _check_totp(user, code)
    _clear(user)
    identity.record_event(user, EventKind.TOTP_DISABLED, ip=ip)


def reset(user: User, evidence: str) -> None:
    """The operator removes the second factor of a user who lost it, after checking who they
    are (`evidence`: the reference of that check). Every session of the user ends; at the
    next sign-in a privileged user enrols again."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationFailed("evidence", _("请填写核实身份的凭证编号"))
    if not is_enrolled(user) and not user.totp_secret_encrypted:
        raise Conflict(_("该账户未开启两步验证"), code="totp_not_enrolled")
    _clear(user)
    sessions.end_all(user, record=False)
    identity.record_event(user, EventKind.TOTP_RESET, evidence)


def _require_enrolled(user: User) -> None:
    if not is_enrolled(user):
        raise Conflict(_("该账户未开启两步验证"), code="totp_not_enrolled")


def _clear(user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


# --- sign-in ----------------------------------------------------------------------------


def step_after_password(user: User) -> str | None:
    """What a sign-in asks once the password is right: "code" (the second factor), "enrol"
    (a role that needs it and has none: a secret is made for the enrolment page), or None
    (signed in with the password alone)."""
    if is_enrolled(user):
        return "code"
    if is_required(user):
        begin_enrolment(user)
        return "enrol"
    return None


def verify_sign_in(user: User, answer: str, *, ip: str | None = None) -> None:
    """The second step of a sign-in: a current code from the app or an unused recovery code.

    A refused answer counts toward the address's lock (`count_login_failure`) and is
    recorded; Unauthorized (or Locked once the address is locked).
    """
    refuse_if_locked(user.email)
    answer = _normalize_code(answer)
    try:
        if answer.isdigit() and len(answer) == 6:
            _check_totp(user, answer)
            db.session.flush()
            return
        remaining = _use_recovery_code(user, answer) if answer else None
    except ValidationFailed as exc:
        _refuse(user, exc.message, ip=ip)
    if remaining is None:
        _refuse(user, _("验证码或恢复码不正确"), ip=ip)
    detail = _("剩余 %(n)d 个恢复码", n=remaining)
    identity.record_event(user, EventKind.RECOVERY_USED, detail, ip=ip)


def _refuse(user: User, message: str, *, ip: str | None) -> NoReturn:
    count_login_failure(user.email)
    identity.record_event(user, EventKind.TOTP_FAILED, ip=ip)
    refuse_if_locked(user.email)  # the failure that locks is answered as the lock
    raise Unauthorized(message, code="bad_second_factor", field="code")
