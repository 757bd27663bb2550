"""A policy or notice: shown to everyone from `publish_at` until `withdraw_at` (if any)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.types import UTCDateTime

NOTICE_KINDS = ("policy", "notice")  # 政策 / 公告


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint("kind IN ('policy','notice')", name="kind"),
        CheckConstraint("withdraw_at IS NULL OR withdraw_at > publish_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200), default="")  # 发布机关
    body: Mapped[str] = mapped_column(Text)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    withdraw_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def shown_at(self, now: datetime) -> bool:
        return self.publish_at <= now and (self.withdraw_at is None or now < self.withdraw_at)

    @property
    def paragraphs(self) -> list[str]:
        """The body as paragraphs (blank lines separate them); shown as text, never as HTML."""
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]
