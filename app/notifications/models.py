"""In-site notifications to a user, to all users of an enterprise, or to a bank's staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.i18n import Later
from app.types import UTCDateTime


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "user_id IS NOT NULL OR bank_id IS NOT NULL OR enterprise_id IS NOT NULL",
            name="recipient",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    # The sentence as its Chinese msgid and arguments, rendered in the reader's language;
    # `text` keeps the Chinese rendering (and is all that rows from before 0040 have).
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    args: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def said(self) -> Later | None:
        return None if self.message is None else Later.from_stored(self.message, self.args)

    def render(self, locale: str | None = None) -> str:
        """The notification in `locale` (default: the request's), or as it was stored."""
        said = self.said
        if said is None:
            return self.text
        return said.render_in(locale) if locale else said.render()


class NotificationPreference(db.Model):
    """How a user wants notifications besides the site; no row = the defaults (e-mail on)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EmailOutbox(db.Model):
    """An e-mail waiting to be sent, written in the same transaction as what it tells (so a
    rolled-back action sends nothing) and sent by the `send_emails` job, retried with a
    growing delay until `MAIL_MAX_ATTEMPTS`."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_pending", "sent_at", "failed_at", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # An e-mail is part of what it tells and of whom it tells: it goes with either.
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), nullable=True, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class AuthorizationReminder(db.Model):
    """That the enterprise was told an authorization is about to expire (once per
    authorization: a renewed one is a new authorization and is told of again)."""

    __tablename__ = "authorization_reminders"

    authorization_id: Mapped[int] = mapped_column(
        ForeignKey("authorizations.id", ondelete="CASCADE"), primary_key=True
    )
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), nullable=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
