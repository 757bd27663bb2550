"""Issued credit reports and every verification of one.

The platform keeps what makes verification possible, never the PDF itself: the report
number, a hash of the verification code (the code is printed in the PDF only) and the
SHA-256 of the exact bytes handed out, with what the report was made from (the profile
snapshot, the categories it shows, the bank it was issued to under which authorization).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.types import UTCDateTime, one_of


class Outcome(StrEnum):
    """What one verification found."""

    UNCHANGED = "unchanged"  # number and code right, the file's SHA-256 is the issued one
    ALTERED = "altered"  # number and code right, the file (or hash) differs
    CODE_ONLY = "code_only"  # number and code right, no file or hash given to compare
    WRONG_CODE = "wrong_code"  # a real number with a wrong code


class Method(StrEnum):
    """How the verifier gave the report's content."""

    FILE = "file"
    HASH = "hash"
    NONE = "none"


class CreditReport(db.Model):
    __tablename__ = "credit_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile_snapshots.id"), nullable=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Issued to a bank (under `authorization_id`, read logged as `access_log_id`), or to the
    # enterprise itself when None.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True)
    authorization_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    access_log_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    categories: Mapped[list[str]] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_start: Mapped[str | None] = mapped_column(String(7), nullable=True)
    period_end: Mapped[str | None] = mapped_column(String(7), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: not shown
    grade: Mapped[str | None] = mapped_column(String(10), nullable=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(Integer)

    enterprise = relationship("Enterprise")
    bank = relationship("Bank")

    def __repr__(self) -> str:
        return f"<CreditReport {self.number}>"


class ReportVerification(db.Model):
    """One check on /reports/verify of a real report number (shown to the enterprise)."""

    __tablename__ = "report_verifications"
    __table_args__ = (
        CheckConstraint(one_of("outcome", Outcome), name="outcome"),
        CheckConstraint(one_of("method", Method), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("credit_reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(6))
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)

    report: Mapped[CreditReport] = relationship()

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "outcome": self.outcome, "method": self.method}
