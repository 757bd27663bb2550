"""Scheduled: sending the e-mail outbox, and telling enterprises of authorizations that
are about to expire."""

from __future__ import annotations


def send_emails() -> dict:
    """Send the notifications' e-mails that are due (retries included)."""
    from app.notifications.mail import deliver_pending
    from app.scheduler.tasks import JobSkipped

    result = deliver_pending()
    if not (result.sent or result.retried or result.failed):
        raise JobSkipped("nothing to send")
    return result.to_dict()


def remind_expiring_authorizations() -> dict:
    """Tell each enterprise, once, of its authorizations that lapse within
    `AUTHORIZATION_REMIND_DAYS` (a bank's query access ends with it; collection stops)."""
    from app.notifications.services import remind_expiring
    from app.scheduler.tasks import JobSkipped

    told = remind_expiring()
    if not told:
        raise JobSkipped("nothing expiring")
    return {"reminded": told}
