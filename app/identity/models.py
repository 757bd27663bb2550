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
from app.types import LabelledEnum, Money, UTCDateTime, one_of


class VerificationState(LabelledEnum):
    """Whether an enterprise account has proved it acts for its enterprise.

    Registration only *claims* a USCC (it is printed on every invoice); until verified the
    account sees the public registry facts and nothing else.
    """

    UNVERIFIED = "unverified", _l("待核验")
    PENDING = "pending", _l("审核中")  # evidence handed in, waiting for the operator
    VERIFIED = "verified", _l("已核验")
    REJECTED = "rejected", _l("未通过")  # the operator refused the evidence


VERIFICATION_LABELS = VerificationState.labels()


class EnterpriseRole(LabelledEnum):
    """A verified person's place in its enterprise: the first verified account is its
    administrator (管理员), who invites and removes colleagues (staff, 员工)."""

    ADMIN = "admin", _l("管理员")
    STAFF = "staff", _l("员工")


ENTERPRISE_ROLE_LABELS = EnterpriseRole.labels()


class VerificationMethod(StrEnum):
    """How an account was verified."""

    PHONE = "phone"  # a code sent to the registry's contact phone (联系电话)
    OPERATOR = "operator"  # the operator, after an in-person or paper check
    CREATED = "created"  # made verified by the operator (`flask users create --verified`)
    REVIEW = "review"  # the operator approved the uploaded business licence
    PAYMENT = "payment"  # the amount of a small payment to the corporate account (对公打款)
    INVITED = "invited"  # invited by the enterprise's administrator (staff)
    TRANSFER = "transfer"  # made administrator by the operator on a stronger claim


class EventKind(LabelledEnum):
    """What happened to an account (shown on its history page)."""

    REGISTERED = "registered", _l("注册账户")
    CODE_SENT = "code_sent", _l("发送短信验证码")
    # the SMS gateway did not take the message
    CODE_SEND_FAILED = "code_send_failed", _l("短信验证码发送失败")
    CODE_FAILED = "code_failed", _l("验证码错误或已过期")  # a wrong or expired code
    CODE_LOCKED = "code_locked", _l("验证码错误次数过多")  # too many wrong codes
    # licence uploaded for the operator's review
    EVIDENCE_SUBMITTED = "evidence_submitted", _l("提交营业执照等待审核")
    REVIEW_REJECTED = "review_rejected", _l("人工审核未通过")
    VERIFIED = "verified", _l("账户核验通过")
    LOGIN = "login", _l("登录")
    LOGOUT_EVERYWHERE = "logout_everywhere", _l("退出全部设备")
    PASSWORD_CHANGED = "password_changed", _l("修改密码")
    PASSWORD_RESET = "password_reset", _l("通过邮件重置密码")  # set anew through the e-mailed link
    # a small payment recorded for the channel
    PAYMENT_REQUESTED = "payment_requested", _l("申请对公账户打款验证")
    # the account name is not the registered name…
    PAYMENT_REFUSED = "payment_refused", _l("对公账户信息不符，未打款")
    # the channel paid it: the amount may be typed
    PAYMENT_SENT = "payment_sent", _l("平台已向对公账户打款")
    # a wrong amount, or typed after the deadline
    PAYMENT_FAILED = "payment_failed", _l("打款金额错误或已过期")
    PAYMENT_LOCKED = "payment_locked", _l("打款金额错误次数过多")  # too many wrong amounts
    # the administrator invited a colleague (detail: the address)
    INVITED = "invited", _l("邀请同事加入企业")
    JOINED = "joined", _l("通过邀请加入企业")  # joined the enterprise by an invitation
    REMOVED = "removed", _l("被移出企业")  # removed from the enterprise by its administrator
    # the administration moved (to or from this account)
    TRANSFERRED = "transferred", _l("企业管理员变更")
    # The phone on file proved by a claimant of an enterprise that has an administrator
    # already: a stronger claim, for the operator to decide on a transfer.
    CLAIM_PROVEN = "claim_proven", _l("已验证企业登记电话，等待平台变更管理员")
    TOTP_ENROLLED = "totp_enrolled", _l("开启两步验证")  # the second factor turned on
    TOTP_DISABLED = "totp_disabled", _l("关闭两步验证")  # turned off by the user (enterprises only)
    TOTP_FAILED = "totp_failed", _l("两步验证码错误")  # a wrong or replayed code at login
    # removed by the operator after an identity check
    TOTP_RESET = "totp_reset", _l("平台重置两步验证")
    # a recovery code signed in (each works once)
    RECOVERY_USED = "recovery_used", _l("使用恢复码登录")
    # new recovery codes; the old ones no longer work
    RECOVERY_RENEWED = "recovery_renewed", _l("重新生成恢复码")


EVENT_LABELS = EventKind.labels()


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


class ReviewState(LabelledEnum):
    PENDING = "pending", _l("待审核")
    APPROVED = "approved", _l("已通过")
    REJECTED = "rejected", _l("未通过")


REVIEW_LABELS = ReviewState.labels()


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


class PaymentState(LabelledEnum):
    REQUESTED = "requested", _l("待打款")  # recorded for the payment channel, not paid yet
    SENT = "sent", _l("已打款")  # paid: the user may type the amount received
    USED = "used", _l("验证通过")  # the right amount: the account was verified by it
    LOCKED = "locked", _l("错误次数过多")  # too many wrong amounts
    EXPIRED = "expired", _l("已过期")  # typed after the deadline
    REPLACED = "replaced", _l("已被新的申请取代")  # a newer payment was asked for
    # the channel did not take it (does not count against the limits)
    FAILED = "failed", _l("打款失败")


PAYMENT_LABELS = PaymentState.labels()


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
