"""Verification state of enterprise accounts and the account-history events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.evidence import StoredFile
from app.extensions import db
from app.types import Money, UTCDateTime, one_of


class VerificationState(StrEnum):
    """Whether an enterprise account has proved it acts for its enterprise.

    Registration only *claims* a USCC (it is printed on every invoice); until verified the
    account sees the public registry facts and nothing else.
    """

    UNVERIFIED = "unverified"  # 待核验
    PENDING = "pending"  # 审核中: evidence handed in, waiting for the operator
    VERIFIED = "verified"  # 已核验
    REJECTED = "rejected"  # 未通过: the operator refused the evidence

    @property
    def label(self) -> str:
        return str(VERIFICATION_LABELS[self])


VERIFICATION_LABELS = {
    VerificationState.UNVERIFIED: _l("待核验"),
    VerificationState.PENDING: _l("审核中"),
    VerificationState.VERIFIED: _l("已核验"),
    VerificationState.REJECTED: _l("未通过"),
}


class EnterpriseRole(StrEnum):
    """A verified person's place in its enterprise: the first verified account is its
    administrator (管理员), who invites and removes colleagues (staff, 员工)."""

    ADMIN = "admin"
    STAFF = "staff"

    @property
    def label(self) -> str:
        return str(ENTERPRISE_ROLE_LABELS[self])


ENTERPRISE_ROLE_LABELS = {
    EnterpriseRole.ADMIN: _l("管理员"),
    EnterpriseRole.STAFF: _l("员工"),
}


class VerificationMethod(StrEnum):
    """How an account was verified."""

    PHONE = "phone"  # a code sent to the registry's contact phone (联系电话)
    OPERATOR = "operator"  # the operator, after an in-person or paper check
    CREATED = "created"  # made verified by the operator (`flask users create --verified`)
    REVIEW = "review"  # the operator approved the uploaded business licence
    PAYMENT = "payment"  # the amount of a small payment to the corporate account (对公打款)
    INVITED = "invited"  # invited by the enterprise's administrator (staff)
    TRANSFER = "transfer"  # made administrator by the operator on a stronger claim


class EventKind(StrEnum):
    """What happened to an account (shown on its history page)."""

    REGISTERED = "registered"
    CODE_SENT = "code_sent"
    CODE_SEND_FAILED = "code_send_failed"  # the SMS gateway did not take the message
    CODE_FAILED = "code_failed"  # a wrong or expired code
    CODE_LOCKED = "code_locked"  # too many wrong codes
    EVIDENCE_SUBMITTED = "evidence_submitted"  # licence uploaded for the operator's review
    REVIEW_REJECTED = "review_rejected"
    VERIFIED = "verified"
    LOGIN = "login"
    LOGOUT_EVERYWHERE = "logout_everywhere"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"  # set anew through the e-mailed link
    PAYMENT_REQUESTED = "payment_requested"  # a small payment recorded for the channel
    PAYMENT_REFUSED = "payment_refused"  # the account name is not the registered name…
    PAYMENT_SENT = "payment_sent"  # the channel paid it: the amount may be typed
    PAYMENT_FAILED = "payment_failed"  # a wrong amount, or typed after the deadline
    PAYMENT_LOCKED = "payment_locked"  # too many wrong amounts
    INVITED = "invited"  # the administrator invited a colleague (detail: the address)
    JOINED = "joined"  # joined the enterprise by an invitation
    REMOVED = "removed"  # removed from the enterprise by its administrator
    TRANSFERRED = "transferred"  # the administration moved (to or from this account)
    # The phone on file proved by a claimant of an enterprise that has an administrator
    # already: a stronger claim, for the operator to decide on a transfer.
    CLAIM_PROVEN = "claim_proven"
    TOTP_ENROLLED = "totp_enrolled"  # the second factor turned on
    TOTP_DISABLED = "totp_disabled"  # turned off by the user (enterprises only)
    TOTP_FAILED = "totp_failed"  # a wrong or replayed code at login
    TOTP_RESET = "totp_reset"  # removed by the operator after an identity check
    RECOVERY_USED = "recovery_used"  # a recovery code signed in (each works once)
    RECOVERY_RENEWED = "recovery_renewed"  # new recovery codes; the old ones no longer work

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    EventKind.REGISTERED: _l("注册账户"),
    EventKind.CODE_SENT: _l("发送短信验证码"),
    EventKind.CODE_SEND_FAILED: _l("短信验证码发送失败"),
    EventKind.CODE_FAILED: _l("验证码错误或已过期"),
    EventKind.CODE_LOCKED: _l("验证码错误次数过多"),
    EventKind.EVIDENCE_SUBMITTED: _l("提交营业执照等待审核"),
    EventKind.REVIEW_REJECTED: _l("人工审核未通过"),
    EventKind.VERIFIED: _l("账户核验通过"),
    EventKind.LOGIN: _l("登录"),
    EventKind.LOGOUT_EVERYWHERE: _l("退出全部设备"),
    EventKind.PASSWORD_CHANGED: _l("修改密码"),
    EventKind.PASSWORD_RESET: _l("通过邮件重置密码"),
    EventKind.PAYMENT_REQUESTED: _l("申请对公账户打款验证"),
    EventKind.PAYMENT_REFUSED: _l("对公账户信息不符，未打款"),
    EventKind.PAYMENT_SENT: _l("平台已向对公账户打款"),
    EventKind.PAYMENT_FAILED: _l("打款金额错误或已过期"),
    EventKind.PAYMENT_LOCKED: _l("打款金额错误次数过多"),
    EventKind.INVITED: _l("邀请同事加入企业"),
    EventKind.JOINED: _l("通过邀请加入企业"),
    EventKind.REMOVED: _l("被移出企业"),
    EventKind.TRANSFERRED: _l("企业管理员变更"),
    EventKind.CLAIM_PROVEN: _l("已验证企业登记电话，等待平台变更管理员"),
    EventKind.TOTP_ENROLLED: _l("开启两步验证"),
    EventKind.TOTP_DISABLED: _l("关闭两步验证"),
    EventKind.TOTP_FAILED: _l("两步验证码错误"),
    EventKind.TOTP_RESET: _l("平台重置两步验证"),
    EventKind.RECOVERY_USED: _l("使用恢复码登录"),
    EventKind.RECOVERY_RENEWED: _l("重新生成恢复码"),
}


class AccountEvent(db.Model):
    """One verification or account-security event of a user (never updated)."""

    __tablename__ = "account_events"
    __table_args__ = (CheckConstraint(one_of("kind", EventKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Free text for the reader: the method, the evidence reference, the masked phone…
    detail: Mapped[str] = mapped_column(String(300), default="")
    # Who did it when not the user (the operator's account; None for the CLI or the user).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PhoneCodeState(StrEnum):
    OPEN = "open"  # sent, may be typed
    USED = "used"  # typed correctly: the account was verified by it
    LOCKED = "locked"  # too many wrong tries
    REPLACED = "replaced"  # a newer code was sent
    FAILED = "failed"  # the gateway did not take it (does not count against the limits)


class PhoneCode(db.Model):
    """One verification code sent to the registry's contact phone: the SMS log.

    Only an HMAC of the code is kept (keyed by the secret key and a per-code salt), never
    the code itself, and the number only masked: the registry holds the number.
    """

    __tablename__ = "phone_codes"
    __table_args__ = (CheckConstraint(one_of("state", PhoneCodeState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    phone_masked: Mapped[str] = mapped_column(String(30))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default=PhoneCodeState.OPEN)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The sender that took it (`log`, `http`…) and the message id the gateway saw.
    sender: Mapped[str] = mapped_column(String(60))
    message_id: Mapped[str] = mapped_column(String(32))


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(REVIEW_LABELS[self])


REVIEW_LABELS = {
    ReviewState.PENDING: _l("待审核"),
    ReviewState.APPROVED: _l("已通过"),
    ReviewState.REJECTED: _l("未通过"),
}


class ReviewFileKind(StrEnum):
    LICENCE = "licence"  # 营业执照
    AUTHORIZATION = "authorization"  # 授权委托书 (when the user is not the legal representative)


class VerificationReview(db.Model):
    """An account's business licence (and letter of authorization) for the operator, who
    decides within `VERIFICATION_REVIEW_WORKING_DAYS` Chinese working days."""

    __tablename__ = "verification_reviews"
    __table_args__ = (CheckConstraint(one_of("state", ReviewState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    legal_rep: Mapped[bool] = mapped_column(Boolean, default=False)  # the user says so
    state: Mapped[str] = mapped_column(String(10), default=ReviewState.PENDING, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    files: Mapped[list[ReviewFile]] = relationship(
        back_populates="review", order_by="ReviewFile.id", cascade="all, delete-orphan"
    )


class ReviewFile(StoredFile, db.Model):
    """A licence or letter of authorization (`app.evidence`: kept outside the web root under
    a random name)."""

    __tablename__ = "verification_review_files"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:  # noqa: N805 - a class-level directive
        kind = CheckConstraint(one_of("kind", ReviewFileKind), name="kind")
        return (*StoredFile.__table_args__, kind)

    review_id: Mapped[int] = mapped_column(ForeignKey("verification_reviews.id"), index=True)
    kind: Mapped[str] = mapped_column(String(15))

    review: Mapped[VerificationReview] = relationship(back_populates="files")


class PaymentState(StrEnum):
    REQUESTED = "requested"  # recorded for the payment channel, not paid yet
    SENT = "sent"  # paid: the user may type the amount received
    USED = "used"  # the right amount: the account was verified by it
    LOCKED = "locked"  # too many wrong amounts
    EXPIRED = "expired"  # typed after the deadline
    REPLACED = "replaced"  # a newer payment was asked for
    FAILED = "failed"  # the channel did not take it (does not count against the limits)

    @property
    def label(self) -> str:
        return str(PAYMENT_LABELS[self])


PAYMENT_LABELS = {
    PaymentState.REQUESTED: _l("待打款"),
    PaymentState.SENT: _l("已打款"),
    PaymentState.USED: _l("验证通过"),
    PaymentState.LOCKED: _l("错误次数过多"),
    PaymentState.EXPIRED: _l("已过期"),
    PaymentState.REPLACED: _l("已被新的申请取代"),
    PaymentState.FAILED: _l("打款失败"),
}


class PaymentVerification(db.Model):
    """A small payment to the enterprise's corporate account (对公账户打款验证): the platform
    pays a random amount of 0.01–0.99 元 through the payment channel; whoever can read the
    account's statement types it back. The account name must be the registered name."""

    __tablename__ = "payment_verifications"
    __table_args__ = (
        CheckConstraint(one_of("state", PaymentState), name="state"),
        CheckConstraint("amount >= 0.01 AND amount <= 0.99", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    bank_name: Mapped[str] = mapped_column(String(100))  # 开户银行
    account_number: Mapped[str] = mapped_column(String(40))  # 对公账号 (digits)
    account_name: Mapped[str] = mapped_column(String(200))  # 户名 = the registered name
    # What the channel pays; shown to the operator who pays, never to the enterprise.
    amount: Mapped[Decimal] = mapped_column(Money())
    state: Mapped[str] = mapped_column(String(10), default=PaymentState.REQUESTED, index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(60))  # the channel that took it (`manual`…)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # the channel's key
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Set when paid: the amount may be typed until then (PAYMENT_VERIFICATION_HOURS, 48).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    @property
    def masked_account(self) -> str:
        """The account number as the enterprise sees it again (6222 **** 1234)."""
        number = self.account_number
        return number if len(number) <= 8 else f"{number[:4]} **** {number[-4:]}"


class Invitation(db.Model):
    """The administrator's invitation of a colleague by e-mail: a link that works once, for
    `INVITATION_DAYS` (7), for the invited address only. Only the token's SHA-256 is kept."""

    __tablename__ = "enterprise_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class AdminTransfer(db.Model):
    """The operator moved an enterprise's administration to another of its people (on a
    stronger claim, named in `reason`). The new administrator reviews every authorization
    the previous one granted, keeping or revoking each; `reviewed_at` when done."""

    __tablename__ = "admin_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
