"""Funds, the loans registered with them, claims, recoveries, and the ledger.

No balance is stored: capital, exposure, payments, recoveries and the fund's balance are
sums of ledger lines (`ledger.py`). Each entry's lines sum to zero (double entry).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.banks.models import Bank
from app.clock import utcnow
from app.evidence import StoredFile
from app.extensions import db
from app.loans.models import Loan
from app.types import LabelledEnum, Money, UTCDateTime, one_of


def _codes(text: str | None) -> list[str]:
    return [code for code in (text or "").split(",") if code]


class Fund(db.Model):
    """A fund and its rules. `share` is the percent of a principal loss it pays (50 = half),
    at most `cap_per_loan` per loan; covered principal (exposure) at most `leverage` × capital.
    Eligibility: `product_types` / `sizes` empty = any; `credit_only` = credit loans (信用贷)
    only; the other limits None = none."""

    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint("share > 0 AND share <= 100", name="share"),
        CheckConstraint("cap_per_loan > 0", name="cap_per_loan"),
        CheckConstraint("leverage > 0", name="leverage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2, asdecimal=True))
    cap_per_loan: Mapped[Decimal] = mapped_column(Money())
    leverage: Mapped[Decimal] = mapped_column(Numeric(6, 2, asdecimal=True))
    credit_only: Mapped[bool] = mapped_column(Boolean, default=False)
    product_types_text: Mapped[str] = mapped_column("product_types", String(100), default="")
    sizes_text: Mapped[str] = mapped_column("sizes", String(100), default="")
    max_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    max_term_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    disbursed_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    disbursed_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    # a bank registers a loan within this many days of disbursement
    register_within_days: Mapped[int] = mapped_column(Integer, default=30)
    # a claim may be filed once the loan is this many days past due
    claim_after_days: Mapped[int] = mapped_column(Integer, default=90)
    # the office decides a claim within this many Chinese working days
    decide_working_days: Mapped[int] = mapped_column(Integer, default=10)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def product_types(self) -> list[str]:
        return _codes(self.product_types_text)

    @property
    def sizes(self) -> list[str]:
        return _codes(self.sizes_text)

    def __repr__(self) -> str:
        return f"<Fund {self.code}>"


class Registration(db.Model):
    """A loan registered (备案) with a fund: its principal is reserved as exposure until the
    loan is settled or a claim on it is paid (`released_on`). A loan is in one fund at most."""

    __tablename__ = "fund_loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    covered: Mapped[Decimal] = mapped_column(Money())
    registered_on: Mapped[date] = mapped_column(Date)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fund: Mapped[Fund] = relationship(lazy="joined")
    loan: Mapped[Loan] = relationship(lazy="joined")
    bank: Mapped[Bank] = relationship(lazy="joined")


class ClaimStatus(LabelledEnum):
    PENDING = "pending", _l("待决定")
    APPROVED = "approved", _l("已代偿")  # and paid
    REJECTED = "rejected", _l("已驳回")


CLAIM_STATUS_LABELS = ClaimStatus.labels()
OUTCOMES = (ClaimStatus.APPROVED, ClaimStatus.REJECTED)


class Claim(db.Model):
    """A bank's compensation claim (代偿申请) on a registered loan: the principal lost and its
    evidence; decided by `deadline` (a local day, working days after filing). `paid` is what
    the fund paid on approval (share × loss, capped)."""

    __tablename__ = "fund_claims"
    __table_args__ = (
        CheckConstraint(one_of("status", ClaimStatus), name="status"),
        CheckConstraint("loss_amount > 0", name="loss_positive"),
        Index("ix_fund_claims_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("fund_loans.id"))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    loss_amount: Mapped[Decimal] = mapped_column(Money())
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.PENDING.value)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    paid: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)

    fund: Mapped[Fund] = relationship(lazy="joined")
    loan: Mapped[Loan] = relationship(lazy="joined")
    bank: Mapped[Bank] = relationship(lazy="joined")
    files: Mapped[list[ClaimFile]] = relationship(
        back_populates="claim", order_by="ClaimFile.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return ClaimStatus(self.status).label

    @property
    def is_open(self) -> bool:
        """Pending, not yet decided: its deadline's clock runs (`app.cases`)."""
        return self.status == ClaimStatus.PENDING


class ClaimFile(StoredFile, db.Model):
    """An evidence file of a compensation claim (`app.evidence`: checked by content, kept
    outside the web root under a random name), served to the claiming bank and the office."""

    __tablename__ = "fund_claim_files"

    claim_id: Mapped[int] = mapped_column(
        ForeignKey("fund_claims.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    claim: Mapped[Claim] = relationship(back_populates="files")


class Recovery(db.Model):
    """What the bank recovered (追偿) on a paid claim's loan, and the fund's pro rata part of
    it (paid ÷ loss of what was recovered)."""

    __tablename__ = "fund_recoveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("fund_claims.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    to_fund: Mapped[Decimal] = mapped_column(Money())
    recovered_on: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Account(StrEnum):
    """The fund's accounts. Debits are positive, credits negative."""

    CASH = "cash"  # money the fund holds (its balance)
    CAPITAL = "capital"  # contributed capital (credit)
    CLAIMS_PAID = "claims_paid"  # compensation paid out (debit)
    RECOVERIES = "recoveries"  # recoveries flowing back (credit)
    EXPOSURE = "exposure"  # covered principal reserved (memo, debit)
    COMMITMENTS = "commitments"  # its contra account (memo, credit)


class EntryKind(LabelledEnum):
    CAPITAL = "capital", _l("注资")
    RESERVE = "reserve", _l("备案占用额度")
    RELEASE = "release", _l("释放额度")
    PAYMENT = "payment", _l("代偿支付")
    RECOVERY = "recovery", _l("追偿回款")


ENTRY_LABELS = EntryKind.labels()


class LedgerEntry(db.Model):
    """One movement of a fund: its lines sum to zero."""

    __tablename__ = "fund_entries"
    __table_args__ = (CheckConstraint(one_of("kind", EntryKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money())
    on: Mapped[date] = mapped_column(Date)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), nullable=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("fund_claims.id"), nullable=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[LedgerLine]] = relationship(back_populates="entry", order_by="LedgerLine.id")

    @property
    def kind_label(self) -> str:
        return EntryKind(self.kind).label


class LedgerLine(db.Model):
    __tablename__ = "fund_lines"
    __table_args__ = (
        CheckConstraint(one_of("account", Account), name="account"),
        Index("ix_fund_lines_fund_account", "fund_id", "account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("fund_entries.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    account: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Money())  # debit > 0, credit < 0

    entry: Mapped[LedgerEntry] = relationship(back_populates="lines")
