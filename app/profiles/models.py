"""Profile snapshots (every rebuild that changed something) and the pointer to the current one.

A snapshot is never updated: a bank's decision names the snapshot it saw (`snapshot_id` in the
profile JSON), so the exact score, reasons and features behind it stay readable. The current
profile of an enterprise is one primary-key lookup in `current_profiles`, a one-row-per-
enterprise table the rebuild upserts; it also holds the fingerprint that lets a rebuild skip
enterprises whose profile would not change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.types import UTCDateTime


class ProfileSnapshot(db.Model):
    """One enterprise's profile as computed by one rebuild (immutable once written).

    `trigger` says what caused the rebuild: `batch:<import batch id>`, `full`, `dispute`,
    `manual`, `schedule`, `publicity`, `repair` (optionally `kind:reference`). `fingerprint`
    is the SHA-256 of the scorecard version, the record-derived features and the result
    (see services.fingerprint).
    JSON columns hold codes and numbers only; names and messages come from the scorecard
    version and `scoring.scorecard.REASONS` when shown, in the reader's language.
    """

    __tablename__ = "profile_snapshots"
    __table_args__ = (Index("ix_profile_snapshots_enterprise_id", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    raw_score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float] = mapped_column(Float)
    confidence_level: Mapped[str] = mapped_column(String(10))
    dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    coverage: Mapped[dict[str, int]] = mapped_column(JSON)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    trigger: Mapped[str] = mapped_column(String(60))
    fingerprint: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<ProfileSnapshot {self.id} enterprise={self.enterprise_id} {self.score}>"


class CurrentProfile(db.Model):
    """The latest snapshot of each enterprise (one row per enterprise, upserted)."""

    __tablename__ = "current_profiles"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("profile_snapshots.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The last day the snapshot was computed as of, or found unchanged as of by a rebuild
    # (the snapshot keeps its own `as_of`): the day its features are known to hold.
    as_of: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    snapshot: Mapped[ProfileSnapshot] = relationship(lazy="joined")


class ProfileDataVersion(db.Model):
    """A counter per enterprise that every change to what its profile shows bumps: an import
    batch, a dispute filed or decided, a credit repair decided, a rebuild (`profiles.cache`).
    An enterprise without a row is at version 0."""

    __tablename__ = "profile_data_versions"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class ProfileCacheEntry(db.Model):
    """The assembled, authorization-independent material of one enterprise's profile (JSON),
    valid while its `version` is the enterprise's data version and its `context` (day,
    locale, registry row) is the reader's; one row per enterprise, replaced on a miss."""

    __tablename__ = "profile_cache"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger)
    context: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
