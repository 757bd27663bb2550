"""The authorization model shared by both halves of the double authorization.

1. *collection* (kind = "collection", grantee = the platform): the enterprise lets the
   platform collect a category of its non-public data.
2. *query* (kind = "query", grantee = one bank): the enterprise lets one named bank view
   named categories, for a purpose, until an expiry.

Each authorization records what was shown (consent text version and hash), who clicked,
when and from where, and its state. Categories are the source names (`tax_payments`…),
one `AuthorizationScope` row each, so that checks are set-based joins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.banks.models import Bank
from app.clock import utcnow
from app.types import LabelledEnum, UTCDateTime, one_of

KINDS = ("collection", "query")
STATES = ("active", "revoked", "expired")


class Purpose(LabelledEnum):
    """What a query authorization lets the bank read for (授权用途): a fixed list, so that
    the enterprise, the bank and the access log name it in the same words."""

    PRE_LOAN = "pre_loan", _l("贷前审查")  # a loan application or demand under review
    POST_LOAN = "post_loan", _l("贷后管理")  # monitoring a loan already made
    RENEWAL = "renewal", _l("授信续期")  # renewing or raising a credit line
    GUARANTEE = "guarantee", _l("担保审查")  # a guarantee for the enterprise's loan


PURPOSE_LABELS = Purpose.labels()
PURPOSES: tuple[str, ...] = tuple(p.value for p in Purpose)
# How far back a query authorization lets the bank see (months before the grant's month).
DATA_MONTHS = (12, 24, 36)
# How long the bank may keep a downloaded copy (days; 0 = none may be kept).
KEEP_COPY_DAYS = (0, 30, 90, 180, 365)


class PublishedText:
    """The columns of a published, versioned text an enterprise signs (a consent text, the
    credit commitment): each version is kept as published, and its SHA-256 is recorded with
    what was signed, so that what was agreed to can be shown word for word later."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(10), default="zh")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentText(PublishedText, db.Model):
    """A version of the text an enterprise agrees to; its SHA-256 is kept with each grant."""

    __tablename__ = "consent_texts"
    __table_args__ = (
        db.UniqueConstraint("kind", "version", "locale", name="uq_consent_texts_kind_version"),
    )

    kind: Mapped[str] = mapped_column(String(20))


class Authorization(db.Model):
    __tablename__ = "authorizations"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("state", STATES), name="state"),
        CheckConstraint("method IN ('online','paper')", name="method"),
        # A query authorization names a bank; a collection authorization does not.
        CheckConstraint(
            "(kind = 'query' AND grantee_bank_id IS NOT NULL) OR "
            "(kind = 'collection' AND grantee_bank_id IS NULL)",
            name="grantee",
        ),
        # A query authorization names its purpose from the fixed list; collection has none.
        CheckConstraint(
            "(kind = 'query' AND " + one_of("purpose", PURPOSES) + ") OR "
            "(kind = 'collection' AND purpose = '')",
            name="purpose",
        ),
        CheckConstraint("keep_copy_days >= 0", name="keep_copy_days"),
        Index("ix_authorizations_enterprise_kind", "enterprise_id", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    grantee_bank_id: Mapped[int | None] = mapped_column(
        ForeignKey("banks.id"), nullable=True, index=True
    )
    # A `Purpose` (query); "" for collection.
    purpose: Mapped[str] = mapped_column(String(20), default="")
    # Free words beside the purpose: the application it was given for, or, for grants made
    # before migration 0049_authz, the purpose as the enterprise typed it then.
    purpose_note: Mapped[str] = mapped_column(String(300), default="")
    application_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The range of the data covered: records from `data_from` on (the first day of the
    # month N = 12, 24 or 36 months back from the grant's month); None = all on record.
    data_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    data_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A query authorization's cap on the bank's reads per Shanghai calendar day (the guard
    # denies, and logs, the read past it); None = no cap (collection; query grants before
    # migration 0027_audit).
    reads_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Whether (> 0) and for how many days the bank may keep a copy it downloads (the credit
    # report); 0 = it may not keep one.
    keep_copy_days: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None = until revoked (collection); a query authorization always expires.
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    consent_text_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent_texts.id"), nullable=True
    )
    consent_text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str] = mapped_column(String(10), default="online")
    evidence_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    granted_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="active")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Set when a later grant for the same category closed this one (state "revoked").
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorizations.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scopes: Mapped[list[AuthorizationScope]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    consent_text: Mapped[ConsentText | None] = relationship()
    grantee_bank: Mapped[Bank | None] = relationship(lazy="joined")
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_user_id])

    @property
    def categories(self) -> list[str]:
        return sorted(scope.category for scope in self.scopes)

    def effective_state(self, at: datetime | None = None) -> str:
        """The state as of `at`: an active row past valid_until is expired already,
        whether or not the expiry job has marked it yet."""
        at = at or utcnow()
        if self.state == "active" and self.valid_until is not None and self.valid_until <= at:
            return "expired"
        return self.state


class AuthorizationScope(db.Model):
    """One data category (a source name) covered by an authorization."""

    __tablename__ = "authorization_scopes"
    __table_args__ = (Index("ix_authorization_scopes_category", "category", "authorization_id"),)

    authorization_id: Mapped[int] = mapped_column(
        ForeignKey("authorizations.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)


class PullRequest(db.Model):
    """A pull of one enterprise's data, queued when it grants collection.

    The scheduler job `process_pull_requests` works through the rows with no `done_at`.
    """

    __tablename__ = "pull_requests"
    __table_args__ = (Index("ix_pull_requests_pending", "done_at", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorizations.id"), nullable=True
    )
    categories: Mapped[list[str]] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A short result ("ok: …", an error, "sources module unavailable"); None while pending.
    outcome: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
