"""Where each source is pulled from, on what schedule, and how its last pull went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.i18n import later
from app.types import LabelledEnum, UTCDateTime, one_of


class Source(LabelledEnum):
    """The seven data sources, in the order pages list them: the six government sources
    about enterprises, then the banks' loan-status reports. The government ones' names are
    also the data categories an authorization covers: the registry and public credit
    information are public, the other four stored and shown only under an authorization."""

    ENTERPRISES = "enterprises", later("企业登记信息")  # the registry (工商登记)
    # licences, penalties, red and black lists
    PUBLIC_CREDIT = "public_credit", later("公共信用信息")
    TAX_RATINGS = "tax_ratings", later("纳税信用评价")  # one grade a year
    TAX_PAYMENTS = "tax_payments", later("纳税记录")
    UTILITY_BILLS = "utility_bills", later("水电气暖缴费")  # water, electricity, gas, heating
    SOCIAL_INSURANCE = "social_insurance", later("社会保险缴纳")
    # 贷款状态: a lending bank's monthly report of its own loans (app.loans), not data about
    # an enterprise collected from the government: no authorization, profile or HTTP pull.
    LOAN_STATUS = "loan_status", later("贷款状态报送")


# Labels as `Later`: shown like lazy strings, and kept as msgids inside stored sentences.
SOURCE_LABELS = Source.labels()
# The names as plain strings (for click choices, JSON and SQL): every source the import
# path takes (files, pushes).
SOURCE_NAMES: tuple[str, ...] = tuple(s.value for s in Source)
# What the banks report about their own loans. Not government data about an enterprise: an
# enterprise authorizes no collection of it (the bank made the loan), profiles, scores and
# disputes do not read it, and no HTTP source is pulled for it.
BANK_SOURCES: tuple[str, ...] = (Source.LOAN_STATUS.value,)
# The government data about enterprises: the data categories of authorizations, the
# coverage of profiles and scores, the sources pulled over HTTP.
ENTERPRISE_SOURCES: tuple[str, ...] = tuple(s for s in SOURCE_NAMES if s not in BANK_SOURCES)
PUBLIC_SOURCES: tuple[str, ...] = (Source.ENTERPRISES.value, Source.PUBLIC_CREDIT.value)
NON_PUBLIC_SOURCES: tuple[str, ...] = tuple(
    s for s in ENTERPRISE_SOURCES if s not in PUBLIC_SOURCES
)
# Records about an enterprise (every government source but the registry itself), and the
# monthly ones.
RECORD_SOURCES: tuple[str, ...] = tuple(s for s in ENTERPRISE_SOURCES if s != Source.ENTERPRISES)
MONTHLY_SOURCES: tuple[str, ...] = (
    Source.TAX_PAYMENTS.value,
    Source.UTILITY_BILLS.value,
    Source.SOCIAL_INSURANCE.value,
)


def source_label(name: str) -> str:
    """A source's name in the reader's language (the name itself when unknown)."""
    return Source(name).label if name in SOURCE_NAMES else name


STATUSES = ("ok", "failed")


class DataSource(db.Model):
    """One configured HTTP source (a government one). The token is kept encrypted (see
    app.sources.crypto).

    The `last_*` columns and `since` describe full pulls of the source (the schedule); a
    pull limited to one enterprise is reported to its caller and leaves them alone.
    """

    __tablename__ = "data_sources"
    __table_args__ = (
        CheckConstraint(one_of("source", ENTERPRISE_SOURCES), name="source"),
        CheckConstraint(f"last_status IS NULL OR {one_of('last_status', STATUSES)}", name="status"),
        CheckConstraint("interval_minutes > 0", name="interval"),
        CheckConstraint("timeout_seconds > 0", name="timeout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    # Fernet ciphertext of the bearer token; never shown, never logged.
    token_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    interval_minutes: Mapped[int] = mapped_column(Integer, default=1440, server_default="1440")
    # Read timeout per request, in seconds (the connect timeout is capped separately).
    timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0, server_default="30")
    # The period (YYYY-MM) asked from on the next full pull; None = everything.
    since: Mapped[str | None] = mapped_column(String(7), nullable=True)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The import batch written by the last successful pull (app.ingest's batch id).
    last_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:  # no token, not even encrypted
        return f"<DataSource {self.source} {self.base_url}>"
