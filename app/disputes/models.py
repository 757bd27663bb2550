"""Disputes (异议) and every transition of one, with who and when."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.cases import CaseEvent, case_part
from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.evidence import StoredFile
from app.extensions import db
from app.sources.models import RECORD_SOURCES
from app.types import UTCDateTime, one_of, partial_index

# The record sources an enterprise may contest (the registry itself is not one of them).
SOURCES = RECORD_SOURCES
STATUSES = ("open", "corrected", "withdrawn", "upheld")
OUTCOMES = STATUSES[1:]


class Dispute(db.Model):
    """One objection to one record, from filing to resolution.

    `record_key` / `record_values` are the record as it stood when filed (the record may
    change later). `deadline` is the last local day (Asia/Shanghai) of the step it is at:
    `DISPUTE_FLAG_WORKING_DAYS` Chinese working days after filing for the operator to forward
    it to the authority that holds the record (or decide it at once), then
    `DISPUTE_SOURCE_WORKING_DAYS` after forwarding for that authority's answer, which the
    operator records as the outcome. At most one open dispute per record (partial unique
    index); while open, banks see the record marked 有异议.
    """

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(one_of("source", SOURCES), name="source"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        partial_index(
            "uq_disputes_one_open", "source", "record_id", where="status = 'open'", unique=True
        ),
        # the readers' "which of these records are disputed / withdrawn" and the exclusion
        Index("ix_disputes_source_record", "source", "record_id", "status"),
        Index("ix_disputes_uscc_status", "uscc", "status"),
        Index("ix_disputes_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18))  # the records are keyed by USCC
    source: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)  # no FK: one of five tables
    record_key: Mapped[dict[str, Any]] = mapped_column(JSON)
    record_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    field: Mapped[str | None] = mapped_column(String(50), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[date] = mapped_column(Date)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrected_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Forwarded to the authority that holds the record (转交来源机关), its clock from then.
    forwarded_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="joined")
    events: Mapped[list[DisputeEvent]] = case_part("DisputeEvent", "dispute")
    files: Mapped[list[DisputeFile]] = case_part("DisputeFile", "dispute")

    @property
    def forwarded(self) -> bool:
        return self.forwarded_at is not None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<Dispute #{self.id} {self.source}:{self.record_id} {self.status}>"


class DisputeEvent(CaseEvent, db.Model):
    """A transition of a dispute: filed (None → open) and resolved (open → outcome)."""

    __tablename__ = "dispute_events"

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )

    dispute: Mapped[Dispute] = relationship(back_populates="events")


class DisputeFile(StoredFile, db.Model):
    """An evidence file of an objection (`app.evidence`: checked by content, stored under a
    random name outside the web root; served to the enterprise and the operator only)."""

    __tablename__ = "dispute_files"

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )

    dispute: Mapped[Dispute] = relationship(back_populates="files")
