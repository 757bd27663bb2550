"""Where each source is pulled from, on what schedule, and how its last pull went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.types import UTCDateTime

# The six source names; the same tuple as app.ingest.services.SOURCES.
SOURCE_NAMES = (
    "enterprises",
    "public_credit",
    "tax_ratings",
    "tax_payments",
    "utility_bills",
    "social_insurance",
)
STATUSES = ("ok", "failed")


class DataSource(db.Model):
    """One configured HTTP source. The token is kept encrypted (see app.sources.crypto).

    The `last_*` columns and `since` describe full pulls of the source (the schedule); a
    pull limited to one enterprise is reported to its caller and leaves them alone.
    """

    __tablename__ = "data_sources"
    __table_args__ = (
        CheckConstraint(
            "source IN ('enterprises','public_credit','tax_ratings','tax_payments',"
            "'utility_bills','social_insurance')",
            name="source",
        ),
        CheckConstraint("last_status IS NULL OR last_status IN ('ok','failed')", name="status"),
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
