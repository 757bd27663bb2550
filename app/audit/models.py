"""The access log: append-only and tamper-evident.

Each row carries the hash of the row before it in its enterprise's chain (`prev_hash`) and
its own hash over a canonical form of its fields (`row_hash`), so changing or deleting a row
breaks its chain at that point. A chain's rows are written one at a time under that chain's
lock (a transaction-scoped advisory lock on PostgreSQL), each moving the chain's head
(`access_log_heads`), and a trigger refuses UPDATE, DELETE and TRUNCATE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.chain import GENESIS_HASH
from app.extensions import db
from app.types import UTCDateTime

__all__ = [
    "GENESIS_HASH", "OUTCOMES", "AccessLogEntry", "AccessLogHead", "AuditCheckpoint",
    "AuditCheckpointLeaf", "AuditVerification",
]  # fmt: skip

# What became of a read attempt.
OUTCOMES = ("allowed", "denied")


class AccessLogEntry(db.Model):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_enterprise_at", "enterprise_id", "at"),
        Index("ix_access_log_bank_at", "bank_id", "at"),
        Index("ix_access_log_chain_id", "chain", "id"),
        Index("ix_access_log_authorization_at", "authorization_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Which hash chain the row belongs to: its enterprise's id, 0 for rows about no
    # enterprise, -1 for the global chain written before migration 0026_audit
    # (`chain.LEGACY_CHAIN`).
    chain: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True)
    authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorizations.id"), nullable=True
    )
    # The categories the caller asked for and the ones it was given, comma-separated, sorted.
    requested: Mapped[str] = mapped_column(String(300), default="")
    granted: Mapped[str] = mapped_column(String(300), default="")
    purpose: Mapped[str] = mapped_column(String(300), default="")
    endpoint: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))  # web | api | export
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    outcome: Mapped[str] = mapped_column(String(10))  # OUTCOMES
    reason: Mapped[str] = mapped_column(String(40), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AccessLogHead(db.Model):
    """Each chain's current end: how many rows, its last row's id and hash. The append that
    writes a row moves its chain's head in the same statement, under the chain's advisory
    lock, so a checkpoint reads every chain's leaf from here instead of grouping the whole
    log. Not evidence in itself: a checkpoint walks the rows added
    since the signed leaf and refuses to sign a head they do not reach."""

    __tablename__ = "access_log_heads"

    chain: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    head: Mapped[str] = mapped_column(String(64))


class AuditVerification(db.Model):
    """The result of each walk of the chain (by `flask audit verify` or the nightly job)."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column()
    rows: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_bad_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    message: Mapped[str] = mapped_column(String(300), default="")


class AuditCheckpoint(db.Model):
    """A signed statement of the chains' Merkle tree head (`app.audit.chain.Statement`),
    also written as a file to the checkpoint directory outside the database. Append-only
    (triggers refuse UPDATE, DELETE and TRUNCATE)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    version: Mapped[int] = mapped_column(Integer, default=2)
    at: Mapped[str] = mapped_column(String(40))  # exactly as signed (ISO 8601, UTC)
    length: Mapped[int] = mapped_column(BigInteger)
    chains: Mapped[int] = mapped_column(Integer, default=0)
    last_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # version 1 only
    # Version 2: the Merkle tree head of the chains; version 1: the global chain's head.
    head: Mapped[str] = mapped_column(String(64))
    previous: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))


class AuditCheckpointLeaf(db.Model):
    """A chain's leaf that changed at checkpoint `seq` (append-only)."""

    __tablename__ = "audit_checkpoint_leaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    chain: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    head: Mapped[str] = mapped_column(String(64))
