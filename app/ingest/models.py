"""Import batches, their rejections, the source-record tables and the correction history.

Each source-record table has its natural key as a unique constraint (the upsert target).
Every natural key starts with `uscc`, so that unique index also serves the profile's
"all records of this enterprise" reads; no separate uscc index is needed.
`batch_id` is the batch that last *wrote* the row (an unchanged re-import leaves it alone).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db
from app.types import LabelledEnum, Money, UTCDateTime, one_of


class Origin(LabelledEnum):
    """How a batch arrived: an uploaded file, a pull from an HTTP source, a push to the API,
    or a correction the platform itself made to one record (an upheld objection, a credit
    repair), which the enterprise is told of by that process rather than as new data."""

    FILE = "file", _l("文件上传")
    PULL = "pull", _l("从数据源拉取")
    PUSH = "push", _l("接口推送")
    CORRECTION = "correction", _l("平台更正（异议、信用修复）")


ORIGIN_LABELS = Origin.labels()
ORIGINS: tuple[str, ...] = tuple(o.value for o in Origin)
BATCH_STATES = ("queued", "running", "succeeded", "failed")
BATCH_STATE_LABELS = {
    "queued": _l("排队中"),
    "running": _l("导入中"),
    "succeeded": _l("成功"),
    "failed": _l("失败"),
}


class TaxGrade(StrEnum):
    """纳税信用级别 (the tax office's annual credit grade), best first; M = 新设立 (a newly
    registered taxpayer, ranked between B and C)."""

    A = "A"
    B = "B"
    M = "M"
    C = "C"
    D = "D"


TAX_GRADES: tuple[str, ...] = tuple(g.value for g in TaxGrade)  # best → worst


class ImportBatch(db.Model):
    """One file, pull or push: who, when, what, and what became of its rows.

    A file imported at once is `running` only inside its own transaction; others see
    `succeeded` or `failed` (a failed batch is recorded after its rollback, with no data
    rows). A big upload or push is stored (`stored_file`) and `queued`; the scheduler
    claims it (`running`, committed: `claimed_by`, `attempts`) and writes `rows_read`,
    `rows_rejected`, `total_rows` and `heartbeat_at` in short transactions of their own
    while the import's transaction is open (app/ingest/jobs.py).
    """

    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(one_of("origin", ORIGINS), name="origin"),
        CheckConstraint(one_of("status", BATCH_STATES), name="status"),
        Index("ix_import_batches_source_started", "source", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    origin: Mapped[str] = mapped_column(String(10), default="file")
    filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)  # sha256 hex
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="running")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    skipped_no_consent: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Background imports only (app/ingest/jobs.py):
    stored_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    total_rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_read: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_rejected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return str(BATCH_STATE_LABELS.get(self.status, self.status))

    @property
    def percent(self) -> int | None:
        """How far a background import is (0–100), when its total is known."""
        if self.status == "succeeded":
            return 100
        if not self.total_rows or self.rows_read is None:
            return None
        return min(99, self.rows_read * 100 // self.total_rows)

    @property
    def origin_label(self) -> str:
        return Origin(self.origin).label if self.origin in ORIGINS else self.origin


class ImportRejection(db.Model):
    """A rejected row: its spreadsheet row number (header = 1), the column and why."""

    __tablename__ = "import_rejections"
    __table_args__ = (Index("ix_import_rejections_batch_row", "batch_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(100), nullable=True)
    code: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason_zh: Mapped[str] = mapped_column(String(300))
    reason_en: Mapped[str] = mapped_column(String(300))


class RecordHistory(db.Model):
    """The previous values of a record that a later batch corrected."""

    __tablename__ = "record_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    natural_key: Mapped[str] = mapped_column(Text)  # JSON object
    old_values: Mapped[str] = mapped_column(Text)  # JSON object
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class _SourceRecord:
    """Columns every source-record table has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    # No foreign key (like enterprises.batch_id): bulk upserts skip a per-row check.
    batch_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PublicCreditRecord(_SourceRecord, db.Model):
    """行政许可 / 行政处罚 / 红名单 / 黑名单 decisions (public)."""

    __tablename__ = "public_credit_records"
    __table_args__ = (
        UniqueConstraint("uscc", "category", "ref_no"),
        CheckConstraint(
            "category IN ('license','penalty','red_list','black_list')", name="category"
        ),
        # the daily expiry's "shown until before today, not yet marked"
        Index("ix_public_credit_records_shown_until", "shown_until"),
    )

    category: Mapped[str] = mapped_column(String(20))
    ref_no: Mapped[str] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(String(200))
    decided_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    penalty_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # The publicity period (公示期), assigned by app/publicity from its rule table (not
    # imported): no tier = not graded (licences, red list); no shown_from = not shown at all.
    tier: Mapped[str | None] = mapped_column(String(10), nullable=True)
    shown_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    shown_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    publicity_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TaxRating(_SourceRecord, db.Model):
    """纳税信用级别 per year (non-public)."""

    __tablename__ = "tax_ratings"
    __table_args__ = (
        UniqueConstraint("uscc", "year"),
        CheckConstraint(one_of("grade", TAX_GRADES), name="grade"),
    )

    year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(1))


class TaxPayment(_SourceRecord, db.Model):
    """Tax paid per period and tax type (non-public); paid_on empty = unpaid."""

    __tablename__ = "tax_payments"
    __table_args__ = (UniqueConstraint("uscc", "period", "tax_type"),)

    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    tax_type: Mapped[str] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Money())
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class UtilityBill(_SourceRecord, db.Model):
    """Water, electricity, gas and heating bills (non-public)."""

    __tablename__ = "utility_bills"
    __table_args__ = (
        UniqueConstraint("uscc", "utility", "period"),
        CheckConstraint("utility IN ('water','electricity','gas','heating')", name="utility"),
    )

    utility: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))
    amount_due: Mapped[Decimal] = mapped_column(Money())
    amount_paid: Mapped[Decimal] = mapped_column(Money())
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class SocialInsuranceRecord(_SourceRecord, db.Model):
    """Social-insurance contributions per month (non-public)."""

    __tablename__ = "social_insurance_records"
    __table_args__ = (UniqueConstraint("uscc", "period"),)

    period: Mapped[str] = mapped_column(String(7))
    headcount: Mapped[int] = mapped_column(Integer)
    amount_due: Mapped[Decimal] = mapped_column(Money())
    amount_paid: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
