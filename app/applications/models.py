"""Loan applications (a demand for one product, or an open demand) and their events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.applications.states import State
from app.banks.models import Bank
from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.facts.registry import dimensions_query
from app.i18n import Later
from app.products.models import Product
from app.types import Money, Rate, UTCDateTime, one_of, partial_index

# A disbursement whose bank declared 首贷 otherwise than the platform knew (`stats.first_loans`):
# the condition of the partial index the office's count and list read.
FIRST_LOAN_DISAGREES = (
    "state = 'disbursed' AND first_loan_declared IS NOT NULL"
    " AND first_loan_platform IS NOT NULL AND first_loan_declared <> first_loan_platform"
)


class Application(db.Model):
    """An enterprise's request for a loan.

    `product_id` null = an open demand (抢单): any bank with a fitting product may accept it;
    the first one wins and `bank_id` is set. `version` is bumped by every transition, which
    is a conditional UPDATE, so two concurrent decisions cannot both win.
    """

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(one_of("state", State), name="state"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        Index("ix_applications_bank_state", "bank_id", "state"),
        partial_index(
            "ix_applications_first_loan_disagrees", "disbursed_on", where=FIRST_LOAN_DISAGREES
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id"), nullable=True, index=True
    )
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(12), default=State.DRAFT.value, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(300), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # The bank must accept (受理) by then: end of the Nth working day after submission.
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    response_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    approved_rate: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    approved_term_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    disbursed_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    disbursed_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # 首贷 as statistics count it (`facts.services.counted_first_loan`), from what the bank
    # declared at disbursement (NULL: it did not say) and what the platform knew then (no
    # earlier disbursed loan of the enterprise on the platform).
    first_loan: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    first_loan_declared: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    first_loan_platform: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Where the enterprise was registered and in which industry when it applied, copied on
    # insert (`_copy_enterprise_dims`): statistics group and filter by these without joining
    # the registry, and a later change of the registry does not rewrite past figures.
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    industry_section: Mapped[str | None] = mapped_column(String(1), nullable=True)
    industry_division: Mapped[str | None] = mapped_column(String(2), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, index=True
    )

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    product: Mapped[Product | None] = relationship(lazy="joined")
    bank: Mapped[Bank | None] = relationship(lazy="joined")

    @property
    def is_open_demand(self) -> bool:
        return self.product_id is None

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.state}>"


class ApplicationEvent(db.Model):
    """One transition of an application: who, when, from, to, note."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_state: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")  # as typed by the person who acted
    # The platform's own note (approved terms, the disbursement, expiry), kept as a sentence
    # to be said in the reader's language (`app.i18n.Later`: its msgid and arguments).
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    args: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def said(self) -> Later | None:
        return None if self.message is None else Later.from_stored(self.message, self.args)

    @property
    def note_shown(self) -> str:
        """The platform's note in the reader's language, else what the person who acted
        typed."""
        said = self.said
        return said.render() if said is not None else self.note


class ApplicationDraft(db.Model):
    """What an account typed into the application form before it was allowed to apply
    (an unverified enterprise account): one per user, as typed, offered again once the
    account is verified. Personal to the user, so neither the enterprise's other accounts
    nor any bank see it."""

    __tablename__ = "application_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), nullable=True)
    amount: Mapped[str] = mapped_column(String(40), default="")
    term_months: Mapped[str] = mapped_column(String(20), default="")
    purpose: Mapped[str] = mapped_column(String(300), default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@event.listens_for(Application, "before_insert")
def _copy_enterprise_dims(_mapper, connection, target: Application) -> None:
    if target.region_code is None and target.industry_division is None:
        row = connection.execute(dimensions_query([target.enterprise_id])).one_or_none()
        if row is not None:
            _id, target.region_code, target.industry_section, target.industry_division = row
