"""Repairs (信用修复), each transition of one, their evidence files and the credit commitment
texts (信用承诺书) an enterprise signs, versioned and hashed like the consent texts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.cases import CaseEvent, case_part
from app.clock import utcnow
from app.consent.models import PublishedText
from app.enterprises.models import Enterprise
from app.evidence import StoredFile
from app.extensions import db
from app.ingest.models import PublicCreditRecord
from app.types import UTCDateTime, one_of, partial_index

# pending → extended (once) → approved | rejected; approved → revoked (found unjustified)
STATUSES = ("pending", "extended", "approved", "rejected", "revoked")
OPEN_STATUSES = ("pending", "extended")
OUTCOMES = ("approved", "rejected", "extended")
# the quarterly re-check of a sampled approved repair
RECHECK_OUTCOMES = ("confirmed", "revoked")


class CommitmentText(PublishedText, db.Model):
    """A version of the 信用承诺书; its SHA-256 is kept with each repair that signed it."""

    __tablename__ = "commitment_texts"
    __table_args__ = (db.UniqueConstraint("version", "locale"),)


class Repair(db.Model):
    """One application to repair one public-credit record.

    `deadline` is the last local day (Asia/Shanghai) for the operator's decision:
    `REPAIR_WORKING_DAYS` Chinese working days after the filing day, extended once by
    `REPAIR_EXTENSION_WORKING_DAYS`. `repaired_on` is the local day of the approval: from it
    the record no longer counts. At most one open or approved repair per record.
    """

    __tablename__ = "repairs"
    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(one_of("recheck_outcome", RECHECK_OUTCOMES), name="recheck_outcome"),
        partial_index(
            "uq_repairs_one_standing",
            "record_id",
            where="status IN ('pending','extended','approved')",
            unique=True,
        ),
        # the record rule's anti-join and the queue
        Index("ix_repairs_record_status", "record_id", "status"),
        Index("ix_repairs_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("public_credit_records.id"))
    statement: Mapped[str] = mapped_column(Text)
    commitment_text_id: Mapped[int] = mapped_column(ForeignKey("commitment_texts.id"))
    commitment_version: Mapped[int] = mapped_column(Integer)
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[date] = mapped_column(Date)
    extension_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    repaired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The quarterly re-check (复查): sampled on a day, then confirmed or revoked; a revocation
    # records the broken commitment as a new public-credit record (`breach_record_id`).
    sampled_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    recheck_outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    rechecked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    rechecked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recheck_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    breach_record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    record: Mapped[PublicCreditRecord] = relationship(lazy="joined")
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    rechecked_by: Mapped[User | None] = relationship(foreign_keys=[rechecked_by_id])
    commitment: Mapped[CommitmentText] = relationship()
    events: Mapped[list[RepairEvent]] = case_part("RepairEvent", "repair")
    files: Mapped[list[RepairFile]] = case_part("RepairFile", "repair")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"<Repair #{self.id} record={self.record_id} {self.status}>"


class RepairEvent(CaseEvent, db.Model):
    """A transition: filed (None → pending), extended, approved, rejected, revoked."""

    __tablename__ = "repair_events"

    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"), index=True)

    repair: Mapped[Repair] = relationship(back_populates="events")


class RepairFile(StoredFile, db.Model):
    """An evidence file of a repair application (`app.evidence`)."""

    __tablename__ = "repair_files"

    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"), index=True)

    repair: Mapped[Repair] = relationship(back_populates="files")
