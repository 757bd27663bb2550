"""Notifications: stored for the site (list page, unread count) and handed to the sender."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select, update

from app import events
from app.auth.models import BANK_ROLES, User
from app.clock import utcnow
from app.errors import NotFound
from app.extensions import db
from app.i18n import Later, default_locale, later
from app.identity.services import is_verified, verified_enterprise_account
from app.ingest.models import Origin
from app.ingest.services import BatchSummary
from app.notifications import mail
from app.notifications.models import AuthorizationReminder, Notification
from app.notifications.senders import Channel, Message, configured_sender
from app.sources.models import ENTERPRISE_SOURCES, SOURCE_LABELS, Source
from app.util import among, chunked, to_local


def notify(
    kind: str,
    said: Later,
    *,
    link: str = "",
    user_id: int | None = None,
    bank_id: int | None = None,
    enterprise_id: int | None = None,
) -> Notification:
    """Store a notification for a user, a bank's staff or an enterprise's users, and send it.

    `said` is kept as msgid and arguments, so each reader (the site, each e-mail) gets it in
    their own language; `text` keeps the Chinese rendering."""
    text = said.render_in(default_locale())
    note = Notification(
        kind=kind,
        message=said.msgid,
        args=said.to_json(),
        text=text,
        link=link,
        user_id=user_id,
        bank_id=bank_id,
        enterprise_id=enterprise_id,
    )
    db.session.add(note)
    db.session.flush()
    recipient = (
        f"user:{user_id}" if user_id is not None
        else f"bank:{bank_id}" if bank_id is not None
        else f"enterprise:{enterprise_id}"
    )  # fmt: skip
    configured_sender().send(Message(Channel.SITE, recipient, text, kind=kind))
    mail.queue(note)
    return note


def _for_user(user: User):
    clauses = [Notification.user_id == user.id]
    if user.role in BANK_ROLES and user.bank_id is not None:
        clauses.append(Notification.bank_id == user.bank_id)
    # What is addressed to the enterprise is for its verified accounts only.
    if user.enterprise_id is not None and is_verified(user):
        clauses.append(Notification.enterprise_id == user.enterprise_id)
    return or_(*clauses)


def for_user(user: User) -> Select[tuple[Notification]]:
    """The user's notifications (their own, their bank's, their enterprise's), newest first."""
    return select(Notification).where(_for_user(user)).order_by(Notification.id.desc())


def list_for(user: User, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(for_user(user).limit(limit)))


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(_for_user(user), Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) notification of this user read."""
    query = update(Notification).where(_for_user(user), Notification.read_at.is_(None))
    if notification_id is not None:
        own = db.session.scalar(
            select(Notification.id).where(Notification.id == notification_id, _for_user(user))
        )
        if own is None:
            raise NotFound(_("通知不存在"))
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(
        synchronize_session=False))  # fmt: skip
    db.session.flush()
    return result.rowcount  # type: ignore[attr-defined]


def remind_expiring(now: datetime | None = None) -> int:
    """Notify the enterprises whose authorizations lapse within `AUTHORIZATION_REMIND_DAYS`
    and were not yet told (one reminder per authorization); how many were told."""
    from app.consent.models import Authorization
    from app.consent.services import expiring

    now = now or utcnow()
    within = timedelta(days=int(current_app.config["AUTHORIZATION_REMIND_DAYS"]))
    told = select(AuthorizationReminder.authorization_id)
    due = db.session.scalars(
        select(Authorization)
        .where(expiring(now, within), Authorization.id.not_in(told))
        .order_by(Authorization.valid_until, Authorization.id)
    ).all()
    for auth in due:
        assert auth.valid_until is not None
        day = to_local(auth.valid_until).date().isoformat()  # type: ignore[union-attr]
        if auth.kind == "query":
            said = later(
                "您授权 %(bank)s 查询企业数据的授权将于 %(date)s 到期，到期后该行不能再查看；"
                "如需继续，请重新授权",
                bank=auth.grantee_bank.name if auth.grantee_bank else "",
                date=day,
            )
            link = "/consent/banks"
        else:
            said = later(
                "您对平台的数据归集授权将于 %(date)s 到期，到期后平台停止归集相应数据，"
                "画像和评分不再更新；如需继续，请重新授权",
                date=day,
            )
            link = "/consent"
        note = notify("authorization_expiring", said, link=link, enterprise_id=auth.enterprise_id)
        db.session.add(
            AuthorizationReminder(authorization_id=auth.id, notification_id=note.id, sent_at=now)
        )
    db.session.flush()
    return len(due)


@events.batch_settled.connect
def tell_of_new_data(summary: BatchSummary) -> None:
    """After an import batch of government data, tell each enterprise whose records it
    inserted or changed, and that has a verified account to hear it, that new data arrived
    (its profile and score are rebuilt in the same transaction); how many were told. A bank's
    loan-status report is the bank's own business and tells nobody; a platform correction
    (an upheld objection, a revoked repair) is told by the process that made it."""
    if summary.source not in ENTERPRISE_SOURCES or not summary.touched_enterprise_ids:
        return
    if summary.origin == Origin.CORRECTION:
        return
    ids = sorted(set(summary.touched_enterprise_ids))
    listening: list[int] = []
    for chunk in chunked(ids):
        listening += db.session.scalars(
            select(User.enterprise_id)
            .where(among(db.session, User.enterprise_id, chunk), verified_enterprise_account())
            .distinct()
        )
    said = later(
        "平台收到了贵企业新的%(source)s（导入批次 #%(batch)s），画像和评分随之更新",
        source=SOURCE_LABELS[Source(summary.source)],
        batch=summary.batch_id,
    )
    for enterprise_id in sorted(set(listening)):
        notify("data_arrived", said, link="/enterprise/profile", enterprise_id=enterprise_id)
