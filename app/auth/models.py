from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.banks.models import Bank
from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.identity.models import EnterpriseRole, VerificationState
from app.types import UTCDateTime, one_of


class Role(StrEnum):
    ENTERPRISE = "enterprise"  # a small business
    BANK_OFFICER = "bank_officer"  # a loan officer
    BANK_ADMIN = "bank_admin"  # manages the bank's products and officers
    REGULATOR = "regulator"  # the financial office
    ADMIN = "admin"  # the platform operator


BANK_ROLES = (Role.BANK_OFFICER, Role.BANK_ADMIN)
# Who must sign in with a second factor (TOTP): bank staff, the financial office and the
# operator. Enterprises may turn it on. Every check asks `auth.twofactor.is_required`.
SECOND_FACTOR_ROLES = (*BANK_ROLES, Role.REGULATOR, Role.ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role"),
        # A bank user belongs to a bank; an enterprise user to an enterprise.
        CheckConstraint(f"NOT ({one_of('role', BANK_ROLES)}) OR bank_id IS NOT NULL", name="bank"),
        CheckConstraint("role <> 'enterprise' OR enterprise_id IS NOT NULL", name="enterprise"),
        CheckConstraint(one_of("verification_state", VerificationState), name="verification"),
        CheckConstraint(
            f"enterprise_role IS NULL OR {one_of('enterprise_role', EnterpriseRole)}",
            name="enterprise_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), nullable=True, index=True
    )
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The session generation: bumped on password change, "sign out everywhere" and
    # deactivation, so that every session made before ends (checked on each request).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Enterprise accounts only (see `identity.services.is_verified`): registration claims
    # the enterprise, verification proves it.
    verification_state: Mapped[str] = mapped_column(
        String(12), default=VerificationState.UNVERIFIED
    )
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verification_method: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # A verified enterprise account's place: its administrator or staff (`EnterpriseRole`);
    # None before verification and after removal.
    enterprise_role: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # The second factor (`auth.twofactor`): the TOTP secret, encrypted (`app.crypto`); it is
    # set when enrolment starts and counts only once confirmed (`totp_enrolled_at`). The last
    # accepted time step refuses a code used again.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)

    bank: Mapped[Bank | None] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        # The session version in the id ends other sessions after a password change.
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class TokenScope(StrEnum):
    """What a token may do: `read` calls only the API's reading methods (GET), `write` all
    that its user may."""

    READ = "read"
    WRITE = "write"


TOKEN_SCOPE_LABELS = {
    TokenScope.READ: _l("只读（仅查询）"),
    TokenScope.WRITE: _l("读写（可提交、修改）"),
}
TOKEN_STATE_LABELS = {"active": _l("有效"), "expired": _l("已过期"), "revoked": _l("已吊销")}
TOKEN_DAYS = (30, 90, 180, 365)  # the validities a new token may be given, in days
DEFAULT_TOKEN_DAYS = 90
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # what a read-only token may call


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; it is shown once. It
    expires (`TOKEN_DAYS`) and has a scope (`TokenScope`)."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(one_of("scope", TokenScope), name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scope: Mapped[str] = mapped_column(String(10), default=TokenScope.WRITE)

    user: Mapped[User] = relationship()

    def is_active(self, now: datetime) -> bool:
        return self.state(now) == "active"

    def state(self, now: datetime) -> str:
        """`revoked`, `expired` or `active` (labels: `TOKEN_STATE_LABELS`)."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > now else "expired"

    def allows(self, method: str) -> bool:
        """Whether this token may make a call with HTTP `method`."""
        return self.scope == TokenScope.WRITE or method.upper() in READING_METHODS


class UserSession(db.Model):
    """A signed-in browser. The cookie carries a random key, the table only its SHA-256; each
    request checks the row, so logging out ends the session on the server, and a cookie
    copied before then opens nothing."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginThrottle(db.Model):
    """Failed logins per e-mail address, known or not (keyed by the address's SHA-256), so
    that an unknown address locks exactly as an account does and the lock tells nothing."""

    __tablename__ = "login_throttles"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PasswordReset(db.Model):
    """A password-reset link sent by e-mail: only the token's SHA-256 is kept; it works once,
    for `PASSWORD_RESET_MINUTES` (30)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecoveryCode(db.Model):
    """A one-time recovery code of the second factor: only its SHA-256 is kept (the codes are
    random, 50 bits each); shown once, when made; usable once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
