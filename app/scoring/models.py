"""The scorecard as data: versioned definitions, exactly one active at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.types import UTCDateTime, one_of, partial_index

STATUSES = ("draft", "active", "retired")


class Scorecard(db.Model):
    """One version of the scorecard. A version's definition never changes once stored:
    a change is a new version, so that every profile can name the rules that made it.

    `definition` holds dimensions (code, names, weight, rules), grades, caps and the
    confidence rule; its schema is checked by `services.validate_definition` and described
    in docs/scoring.md.
    """

    __tablename__ = "scorecards"
    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        # At most one active version (the service also retires the previous one).
        partial_index("uq_scorecards_one_active", "status", where="status = 'active'", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"<Scorecard v{self.version} {self.status}>"


@event.listens_for(Scorecard, "before_update")
def _definition_is_immutable(mapper, connection, target: Scorecard) -> None:
    """A stored version's definition never changes (profiles name the version they used)."""
    if inspect(target).attrs.definition.history.has_changes():
        raise ValueError(f"scorecard v{target.version} is immutable; import a new version")
