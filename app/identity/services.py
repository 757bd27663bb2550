"""The verification rules: the one gate every enterprise route passes, and the history.

`require_verified` is the single check: `auth.services.require_role` calls it for every web
view (`role_required`) and API view (`api_auth`) unless the view is marked as showing only
public facts (`unverified_ok=True`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, and_, select

from app.auth.models import Role, User
from app.clock import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.identity.models import (
    AccountEvent,
    EnterpriseRole,
    EventKind,
    VerificationMethod,
    VerificationState,
)

Attempt = TypeVar("Attempt")


class NotVerified(Forbidden):
    code = "enterprise_not_verified"


def is_verified(user: User) -> bool:
    """An enterprise account that proved it acts for its enterprise; every other role is
    what the operator made it, so the question does not arise."""
    return user.role != Role.ENTERPRISE or user.verification_state == VerificationState.VERIFIED


def verified_enterprise_account():
    """The SQL condition of `is_verified` for enterprise accounts: an active account that
    proved it acts for its enterprise (who hears what is addressed to the enterprise)."""
    return and_(
        User.active.is_(True),
        User.role == Role.ENTERPRISE,
        User.verification_state == VerificationState.VERIFIED,
    )


def require_verified(user: User) -> User:
    """The user, or `NotVerified` (403, `enterprise_not_verified`) for an unverified
    enterprise account."""
    if not is_verified(user):
        raise NotVerified(
            _("贵企业账户尚未核验：核验前只能查看企业的公开登记信息。请先完成账户核验。")
        )
    return user


def latest_attempt(model: type[Attempt], user: User, *where: Any) -> Attempt | None:
    """The user's latest try of one verification method (a phone code, a payment, a review),
    among those that meet `where` if given."""
    attempt: Any = model
    return db.session.scalar(
        select(attempt)
        .where(attempt.user_id == user.id, *where)
        .order_by(attempt.id.desc())
        .limit(1)
    )


def state_of(user: User) -> VerificationState:
    return VerificationState(user.verification_state)


def record_event(
    user: User,
    kind: EventKind,
    detail: str = "",
    *,
    actor: User | None = None,
    ip: str | None = None,
) -> AccountEvent:
    """Append an event to the user's account history."""
    event = AccountEvent(
        user_id=user.id,
        kind=kind,
        detail=detail[:300],
        actor_id=actor.id if actor is not None else None,
        ip=ip,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def require_unclaimed(enterprise_id: int | None, *, field: str | None = None) -> None:
    """Refuse (409 `uscc_taken`) when an account already proved it acts for the enterprise:
    that account is the enterprise's administrator and invites its colleagues."""
    taken = db.session.scalar(
        select(User.id)
        .where(
            User.enterprise_id == enterprise_id,
            User.verification_state == VerificationState.VERIFIED,
        )
        .limit(1)
    )
    if taken is not None:
        raise Conflict(
            _("该企业已有核验通过的账户，请联系贵企业的账户管理员或平台"),
            code="uscc_taken",
            field=field,
        )


def mark_verified(
    user: User,
    method: VerificationMethod,
    *,
    detail: str = "",
    actor: User | None = None,
    ip: str | None = None,
) -> User:
    """Verify an enterprise account (recorded with how and on what evidence)."""
    if user.role != Role.ENTERPRISE:
        raise ValidationFailed("email", _("只有企业账户需要核验"), code="not_enterprise")
    if user.verification_state == VerificationState.VERIFIED:
        return user
    user.verification_state = VerificationState.VERIFIED
    user.verified_at = utcnow()
    user.verification_method = method
    # The first verified account is the enterprise's administrator; it invites the others.
    first = admin_of(user.enterprise_id) is None
    user.enterprise_role = EnterpriseRole.ADMIN if first else EnterpriseRole.STAFF
    record_event(user, EventKind.VERIFIED, detail or method.value, actor=actor, ip=ip)
    return user


def verify_by_operator(user: User, evidence: str, *, actor: User | None = None) -> User:
    """The operator's in-person or paper check, recorded with its evidence reference."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationFailed("evidence", _("请填写核验凭证编号"), code="evidence_required")
    return mark_verified(user, VerificationMethod.OPERATOR, detail=evidence, actor=actor)


def events_of(user: User) -> Select[tuple[AccountEvent]]:
    """The user's account history, newest first (the page reads it a page at a time)."""
    return (
        select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id.desc())
    )


def masked_phone(user: User) -> str | None:
    """The registry's contact phone of the user's enterprise, masked (138****5678)."""
    enterprise = user.enterprise
    phone = (enterprise.contact_phone or "").strip() if enterprise is not None else ""
    if not phone:
        return None
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def account_of(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("账户不存在"))
    return user


class NotAdministrator(Forbidden):
    code = "enterprise_admin_only"


def admin_of(enterprise_id: int | None) -> User | None:
    """The enterprise's administrator (its first verified account, or whom the operator
    made one), if any."""
    return db.session.scalar(
        select(User)
        .where(
            User.enterprise_id == enterprise_id,
            User.enterprise_role == EnterpriseRole.ADMIN,
            User.verification_state == VerificationState.VERIFIED,
        )
        .order_by(User.id)
        .limit(1)
    )


def is_enterprise_admin(user: User) -> bool:
    return (
        user.role == Role.ENTERPRISE
        and is_verified(user)
        and user.enterprise_role != EnterpriseRole.STAFF
    )


def require_enterprise_admin(user: User) -> User:
    """The user, or 403 `enterprise_admin_only` for staff (and unverified accounts).

    Staff do what the enterprise does except what binds it towards others: managing its
    people, and granting or revoking authorizations (which let a bank or the platform read
    its data). Applying, objections, reports and reading stay open to staff."""
    require_verified(user)
    if not is_enterprise_admin(user):
        raise NotAdministrator(_("只有企业管理员可以办理此项（授权、撤销授权和管理企业成员）"))
    return user


def require_may_authorize(user_id: int | None) -> None:
    """Refuse staff a grant or a revocation (`consent.services` asks this for every one);
    the operator's paper records and the system's own changes (no user) pass."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is not None and user.role == Role.ENTERPRISE:
        require_enterprise_admin(user)
