"""Notifications by e-mail: who receives one, the outbox, and its delivery.

`notify` stores a notification for the site and calls `queue(note)`, which writes one outbox
row per recipient who has not turned e-mail off, in the same transaction as the event (a
rolled-back action sends nothing; a committed one is not lost if the mail server is down).
The `send_emails` job (`deliver_pending`) sends what is due through the configured sender
(`MAIL_SENDER`: log or smtp), one commit per message, and retries a refused message after
1, 2, 4, 8 … minutes until `MAIL_MAX_ATTEMPTS`, then marks it failed (kept, with the error).

Recipients: a notification to a user goes to that user; to a bank, to its active staff; to
an enterprise, to its active verified accounts (an unverified claim to a company hears
nothing about it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import BANK_ROLES, User
from app.clock import utcnow
from app.extensions import db
from app.i18n import default_locale
from app.identity.services import verified_enterprise_account
from app.notifications.models import EmailOutbox, Notification, NotificationPreference
from app.notifications.senders import Channel, Message, SendFailed, sender_for


def recipients(note: Notification) -> list[User]:
    """The users a notification concerns (active; enterprise accounts only when verified)."""
    query = select(User).where(User.active.is_(True))
    if note.user_id is not None:
        query = query.where(User.id == note.user_id)
    elif note.bank_id is not None:
        query = query.where(User.bank_id == note.bank_id, User.role.in_(list(BANK_ROLES)))
    else:
        query = query.where(User.enterprise_id == note.enterprise_id, verified_enterprise_account())
    return list(db.session.scalars(query.order_by(User.id)))


def wants_email(user_ids: list[int]) -> set[int]:
    """Which of these users take notifications by e-mail (the default, unless turned off)."""
    off = set(
        db.session.scalars(
            select(NotificationPreference.user_id).where(
                NotificationPreference.user_id.in_(user_ids),
                NotificationPreference.email.is_(False),
            )
        )
    )
    return set(user_ids) - off


def email_on(user: User) -> bool:
    return user.id in wants_email([user.id])


def set_email(user: User, on: bool) -> None:
    pref = db.session.get(NotificationPreference, user.id)
    if pref is None:
        pref = NotificationPreference(user_id=user.id)
        db.session.add(pref)
    pref.email = on
    db.session.flush()


def _body(note: Notification, text: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000/"
    lines = [text, ""]
    if note.link:
        lines += [_("查看详情：%(url)s", url=urljoin(base, note.link)), ""]
    lines.append(_("这是信易贷平台的自动通知，请勿直接回复。可在平台“通知”页关闭邮件通知。"))
    return "\n".join(lines)


def queue(note: Notification) -> int:
    """Outbox rows for the recipients of `note` who take e-mail, each written in the
    recipient's language; returns how many."""
    users = recipients(note)
    wanted = wants_email([u.id for u in users])
    rows = []
    for u in users:
        if u.id not in wanted or not u.email:
            continue
        with force_locale(u.locale or default_locale()):
            text = note.render()
            rows.append(
                EmailOutbox(
                    notification_id=note.id,
                    user_id=u.id,
                    to_address=u.email,
                    subject=_("信易贷通知：%(text)s", text=text[:60]),
                    body=_body(note, text),
                    kind=note.kind,
                    created_at=note.created_at,
                    next_try_at=note.created_at,
                )
            )
    db.session.add_all(rows)
    return len(rows)


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def deliver_pending(now: datetime | None = None, limit: int = 200) -> Delivery:
    """Send the outbox rows that are due; each message is committed on its own."""
    now = now or utcnow()
    most = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 6))
    sender = sender_for(Channel.EMAIL)
    ids = list(
        db.session.scalars(
            select(EmailOutbox.id)
            .where(
                EmailOutbox.sent_at.is_(None),
                EmailOutbox.failed_at.is_(None),
                EmailOutbox.next_try_at <= now,
            )
            .order_by(EmailOutbox.id)
            .limit(limit)
        )
    )
    result = Delivery()
    for outbox_id in ids:
        row = db.session.get(EmailOutbox, outbox_id)
        if row is None or row.sent_at is not None:
            continue
        message = Message(
            Channel.EMAIL,
            row.to_address,
            row.body,
            subject=row.subject,
            kind=row.kind,
            id=f"outbox-{row.id}",
        )
        row.attempts += 1
        try:
            sender.send(message)
        except SendFailed as exc:
            row.last_error = exc.message[:300]
            if row.attempts >= most:
                row.failed_at = now
                result.failed += 1
            else:
                row.next_try_at = now + timedelta(minutes=2 ** (row.attempts - 1))
                result.retried += 1
        else:
            row.sent_at = now
            result.sent += 1
        db.session.commit()
    return result
