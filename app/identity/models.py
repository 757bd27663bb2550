"""Verification state of enterprise accounts and the account-history events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.evidence import StoredFile
from app.extensions import db
from app.types import UTCDateTime, one_of


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


class VerificationMethod(StrEnum):
    """How an account was verified."""

    PHONE = "phone"  # a code sent to the registry's contact phone (联系电话)
    OPERATOR = "operator"  # the operator, after an in-person or paper check
    CREATED = "created"  # made verified by the operator (`flask users create --verified`)
    REVIEW = "review"  # the operator approved the uploaded business licence


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
