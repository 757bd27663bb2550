"""Loans and their status reports.

`LoanStatus` is the closed set a bank reports (the CHECK constraint and the labels come from
it); `Repayment` is how the principal is paid back.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.applications.models import Application
from app.banks.models import Bank
from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.types import LabelledEnum, Money, Rate, UTCDateTime, one_of


class LoanStatus(LabelledEnum):
    NORMAL = "normal", _l("正常")
    SPECIAL_MENTION = "special_mention", _l("关注")  # paying, but with signs of trouble
    OVERDUE = "overdue", _l("逾期")  # with days past due
    NON_PERFORMING = "non_performing", _l("不良")
    SETTLED = "settled", _l("结清")  # repaid in full
    WRITTEN_OFF = "written_off", _l("核销")  # the bank wrote the loss off


STATUS_LABELS = LoanStatus.labels()
# After these no later report is taken: the loan is closed.
CLOSED_STATUSES = (LoanStatus.SETTLED, LoanStatus.WRITTEN_OFF)


class Repayment(LabelledEnum):
    BULLET = "bullet", _l("到期一次还本")  # all principal at maturity
    INSTALMENTS = "instalments", _l("按月等额本金")  # 分期还本: equal principal every month


REPAYMENT_LABELS = Repayment.labels()


class ReportOrigin(StrEnum):
    WEB = "web"
    API = "api"
    FILE = "file"


class Loan(db.Model):
    """One disbursed application, opened at disbursement (`services.open_loan`).

    The terms are copied from the application (principal = the disbursed amount); the
    current status, days past due and outstanding balance (贷款余额) are those of the latest
    report (`as_of`), or normal with the whole principal outstanding before the first one.
    """

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(one_of("status", LoanStatus), name="status"),
        CheckConstraint(one_of("repayment", Repayment), name="repayment"),
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint("outstanding >= 0 AND outstanding <= principal", name="outstanding"),
        CheckConstraint("days_past_due >= 0", name="days_past_due"),
        Index("ix_loans_bank_status", "bank_id", "status"),
        # half of each page free: the monthly status import rewrites every loan, in place
        # where no indexed column changes (migration 0047)
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    product_type: Mapped[str | None] = mapped_column(String(12), nullable=True)
    principal: Mapped[Decimal] = mapped_column(Money())
    rate: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    term_months: Mapped[int] = mapped_column(Integer)
    disbursed_on: Mapped[date] = mapped_column(Date, index=True)
    maturity_on: Mapped[date] = mapped_column(Date)
    repayment: Mapped[str] = mapped_column(String(12))
    first_loan: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=LoanStatus.NORMAL.value)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    outstanding: Mapped[Decimal] = mapped_column(Money())
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    bank: Mapped[Bank] = relationship(lazy="joined")
    reports: Mapped[list[LoanReport]] = relationship(
        back_populates="loan", order_by="(LoanReport.as_of.desc(), LoanReport.id.desc())"
    )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def status_label(self) -> str:
        return LoanStatus(self.status).label

    @property
    def repayment_label(self) -> str:
        return Repayment(self.repayment).label

    def __repr__(self) -> str:
        return f"<Loan {self.id} {self.status}>"


class LoanReport(db.Model):
    """A status the bank reported for a day (append-only: a correction is a new report)."""

    __tablename__ = "loan_reports"
    __table_args__ = (
        CheckConstraint(one_of("status", LoanStatus), name="status"),
        CheckConstraint(one_of("origin", ReportOrigin), name="origin"),
        Index("ix_loan_reports_loan_as_of", "loan_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    outstanding: Mapped[Decimal] = mapped_column(Money())
    origin: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="reports")

    @property
    def status_label(self) -> str:
        return LoanStatus(self.status).label
