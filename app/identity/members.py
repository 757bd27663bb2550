"""One enterprise, several people.

The first verified account is the enterprise's administrator (管理员). It invites colleagues
by e-mail — a link that works once, for `INVITATION_DAYS` (7), for the invited address only —
and removes them. An invitee registers (or, with an unverified account of the same
enterprise, logs in) and joins as staff (员工), verified through the administrator. Staff
do what the enterprise does except what binds it towards others: managing people and
granting or revoking authorizations (`services.require_enterprise_admin`).

When another person proves a stronger claim (the legal representative, by the phone on file
or in person), the operator moves the administration (`transfer_admin`); the new
administrator then reviews every authorization the previous one granted and keeps or revokes
each (`handover`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urljoin

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update

from app.auth import services as auth_services
from app.auth.models import ApiToken, Role, User
from app.clock import utcnow
from app.consent.models import Authorization
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.identity import services
from app.identity.models import (
    AccountEvent,
    AdminTransfer,
    EnterpriseRole,
    EventKind,
    Invitation,
    VerificationMethod,
    VerificationState,
)
from app.notifications.senders import Channel, Message, sender_for


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def people(enterprise_id: int) -> list[User]:
    """The enterprise's verified people, the administrator first."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.enterprise_id == enterprise_id,
                User.role == Role.ENTERPRISE,
                User.verification_state == VerificationState.VERIFIED,
            )
            .order_by((User.enterprise_role == EnterpriseRole.ADMIN).desc(), User.id)
        )
    )


def open_invitations(enterprise_id: int) -> list[Invitation]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.enterprise_id == enterprise_id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.id)
        )
    )


def invite(
    admin: User, email: str, *, path_for: Callable[[str], str], ip: str | None = None
) -> Invitation:
    """Invite a colleague: an e-mail with a single-use link. The address may not belong to
    another enterprise's or another role's account; a newer invitation replaces an open one."""
    services.require_enterprise_admin(admin)
    email = auth_services.normalize_email(email)
    if not auth_services.EMAIL_RE.match(email):
        raise ValidationFailed("email", _("邮箱格式不正确"), code="invalid_email")
    existing = auth_services.get_user_by_email(email)
    if existing is not None:
        if existing.role != Role.ENTERPRISE or existing.enterprise_id != admin.enterprise_id:
            raise Conflict(
                _("该邮箱已用于其他账户，请使用其他邮箱"), code="email_taken", field="email"
            )
        if services.is_verified(existing):
            raise Conflict(_("该同事已是企业成员"), code="already_member", field="email")
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.enterprise_id == admin.enterprise_id,
            Invitation.email == email,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    days = int(current_app.config["INVITATION_DAYS"])
    invitation = Invitation(
        enterprise_id=admin.enterprise_id,
        email=email,
        token_hash=_digest(token),
        invited_by_id=admin.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000/"
    link = urljoin(base, path_for(token).lstrip("/"))
    name = admin.enterprise.name if admin.enterprise is not None else ""
    body = _(
        "您好，\n\n%(who)s 邀请您以员工身份加入信易贷平台上的企业“%(name)s”。"
        "请在 %(d)d 天内打开以下链接注册或登录并加入（链接只能使用一次）：\n\n%(link)s\n\n"
        "如果您不认识邀请人，请忽略本邮件。",
        who=admin.display_name or admin.email,
        name=name,
        d=days,
        link=link,
    )
    message = Message(Channel.EMAIL, email, body, subject=_("邀请您加入“%(name)s”", name=name),
                      kind="enterprise_invitation")  # fmt: skip
    sender_for(Channel.EMAIL).send(message)  # SendFailed: nothing kept, the admin retries
    services.record_event(admin, EventKind.INVITED, email, ip=ip)
    return invitation


def invitation_for(token: str) -> Invitation:
    """The open invitation of a link, or 404 (unknown) / 409 (used, withdrawn, expired)."""
    found = db.session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if found is None:
        raise NotFound(_("邀请链接无效"), code="invitation_not_found")
    if found.used_at is not None or found.revoked_at is not None:
        raise Conflict(_("该邀请链接已使用或已撤回"), code="invitation_used")
    if found.expires_at <= utcnow():
        raise Conflict(_("该邀请链接已过期，请联系企业管理员重新邀请"), code="invitation_expired")
    return found


def _join(user: User, invitation: Invitation, ip: str | None) -> User:
    now = utcnow()
    invitation.used_at = now
    invitation.used_by_id = user.id
    user.verification_state = VerificationState.VERIFIED
    user.verified_at = now
    user.verification_method = VerificationMethod.INVITED
    user.enterprise_role = EnterpriseRole.STAFF
    inviter = db.session.get(User, invitation.invited_by_id)
    by = inviter.email if inviter is not None else ""
    services.record_event(user, EventKind.JOINED, by, ip=ip)
    services.record_event(user, EventKind.VERIFIED, _("企业管理员邀请 %(e)s", e=by), ip=ip)
    db.session.flush()
    return user


def accept(token: str, user: User, *, ip: str | None = None) -> User:
    """An existing unverified account of the same enterprise, with the invited address,
    joins as staff."""
    invitation = invitation_for(token)
    if user.email != invitation.email:
        raise Conflict(
            _("该邀请发给 %(e)s，请用该邮箱的账户登录", e=invitation.email),
            code="invitation_other_email",
        )
    if user.role != Role.ENTERPRISE or user.enterprise_id != invitation.enterprise_id:
        raise Conflict(_("该账户不属于邀请您的企业"), code="invitation_other_enterprise")
    if services.is_verified(user):
        raise Conflict(_("该同事已是企业成员"), code="already_member")
    return _join(user, invitation, ip)


def register_invited(
    token: str, *, display_name: str, password: str, ip: str | None = None
) -> User:
    """A new account for the invited address, joined as staff at once."""
    invitation = invitation_for(token)
    if auth_services.get_user_by_email(invitation.email) is not None:
        raise Conflict(
            _("该邮箱已有账户，请先登录再打开邀请链接"), code="email_taken", field="email"
        )
    problem = auth_services.password_problem(password, email=invitation.email)
    if problem:
        raise ValidationFailed("password", problem, code="weak_password")
    user = User(
        email=invitation.email,
        password_hash=auth_services.hash_password(password),
        role=Role.ENTERPRISE,
        display_name=display_name.strip()[:100] or invitation.email.split("@")[0],
        enterprise_id=invitation.enterprise_id,
        verification_state=VerificationState.UNVERIFIED,
    )
    db.session.add(user)
    db.session.flush()
    services.record_event(user, EventKind.REGISTERED, invitation.enterprise.name, ip=ip)
    return _join(user, invitation, ip)


def _end_access(user: User) -> None:
    """Every session and API token of the account ends."""
    user.session_version += 1
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def remove(admin: User, user_id: int, *, ip: str | None = None) -> User:
    """The administrator removes a colleague: the account is no longer verified for the
    enterprise (it sees public facts only), and its sessions and API tokens end."""
    services.require_enterprise_admin(admin)
    user = db.session.get(User, user_id)
    if user is None or user.enterprise_id != admin.enterprise_id or not services.is_verified(user):
        raise NotFound(_("该成员不存在"))
    if user.id == admin.id:
        raise Conflict(
            _("管理员不能移除自己；如需变更管理员，请联系平台"), code="cannot_remove_admin"
        )
    user.verification_state = VerificationState.UNVERIFIED
    user.enterprise_role = None
    _end_access(user)
    services.record_event(user, EventKind.REMOVED, admin.email, actor=admin, ip=ip)
    db.session.flush()
    return user


def revoke_invitation(admin: User, invitation_id: int) -> Invitation:
    services.require_enterprise_admin(admin)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.enterprise_id != admin.enterprise_id:
        raise NotFound(_("邀请不存在"))
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()
    return invitation


def transfer_admin(to_email: str, *, reason: str, actor: User | None = None) -> AdminTransfer:
    """The operator makes `to_email`'s account the administrator of its enterprise, on a
    stronger claim named in `reason`; the previous administrator stays, as staff. An
    unverified claimant is verified by it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "reason", _("请填写变更理由（所依据的核验凭证）"), code="reason_required"
        )
    user = auth_services.get_user_by_email(to_email)
    if user is None or user.role != Role.ENTERPRISE:
        raise NotFound(_("企业账户 %(e)s 不存在", e=to_email), code="user_not_found")
    previous = services.admin_of(user.enterprise_id)
    if previous is not None and previous.id == user.id:
        raise Conflict(_("该账户已是企业管理员"), code="already_admin")
    if previous is not None:
        previous.enterprise_role = EnterpriseRole.STAFF
        services.record_event(
            previous, EventKind.TRANSFERRED, _("管理员改为 %(e)s：%(r)s", e=user.email, r=reason),
            actor=actor,
        )  # fmt: skip
    now = utcnow()
    if not services.is_verified(user):
        user.verification_state = VerificationState.VERIFIED
        user.verified_at = now
        user.verification_method = VerificationMethod.TRANSFER
        services.record_event(user, EventKind.VERIFIED, reason, actor=actor)
    user.enterprise_role = EnterpriseRole.ADMIN
    services.record_event(
        user, EventKind.TRANSFERRED,
        _("成为企业管理员（原管理员 %(e)s）：%(r)s",
          e=previous.email if previous is not None else "-", r=reason),
        actor=actor,
    )  # fmt: skip
    transfer = AdminTransfer(
        enterprise_id=user.enterprise_id,
        from_user_id=previous.id if previous is not None else None,
        to_user_id=user.id,
        reason=reason[:300],
        actor_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(transfer)
    db.session.flush()
    return transfer


def open_handover(admin: User) -> AdminTransfer | None:
    """The latest transfer to this administrator, if it has not finished reviewing it."""
    return db.session.scalar(
        select(AdminTransfer)
        .where(AdminTransfer.to_user_id == admin.id, AdminTransfer.reviewed_at.is_(None))
        .order_by(AdminTransfer.id.desc())
        .limit(1)
    )


def handover(admin: User, transfer_id: int) -> tuple[AdminTransfer, list[Authorization]]:
    """A transfer to this administrator and every authorization (collection and query) the
    previous administrator granted for the enterprise, newest first, in force or not."""
    services.require_enterprise_admin(admin)
    transfer = db.session.get(AdminTransfer, transfer_id)
    if transfer is None or transfer.to_user_id != admin.id:
        raise NotFound(_("管理员变更记录不存在"))
    grants = list(
        db.session.scalars(
            select(Authorization)
            .where(
                Authorization.enterprise_id == transfer.enterprise_id,
                Authorization.granted_by_user_id == transfer.from_user_id,
            )
            .order_by(Authorization.id.desc())
        )
    ) if transfer.from_user_id is not None else []  # fmt: skip
    return transfer, grants


def finish_handover(admin: User, transfer_id: int) -> AdminTransfer:
    """The new administrator keeps the authorizations it did not revoke."""
    transfer, _grants = handover(admin, transfer_id)
    if transfer.reviewed_at is None:
        transfer.reviewed_at = utcnow()
        db.session.flush()
    return transfer


def transfers() -> Select[tuple[AdminTransfer]]:
    """The operator's transfers of an enterprise's administration, newest first."""
    return select(AdminTransfer).order_by(AdminTransfer.id.desc())


def stronger_claims() -> Select[tuple[User, AccountEvent]]:
    """Unverified accounts that proved the phone on file of an enterprise another account
    administers, each with its latest `claim_proven` event, newest first: the operator's
    leads for a transfer."""
    latest = (
        select(func.max(AccountEvent.id))
        .where(AccountEvent.kind == EventKind.CLAIM_PROVEN)
        .group_by(AccountEvent.user_id)
    )
    return (
        select(User, AccountEvent)
        .join(AccountEvent, AccountEvent.user_id == User.id)
        .where(
            AccountEvent.id.in_(latest),
            User.role == Role.ENTERPRISE,
            User.verification_state != VerificationState.VERIFIED,
        )
        .order_by(AccountEvent.id.desc())
    )
