"""Scheduled: sending the e-mail outbox."""

from __future__ import annotations


def send_emails() -> dict:
    """Send the notifications' e-mails that are due (retries included)."""
    from app.notifications.mail import deliver_pending
    from app.scheduler.tasks import JobSkipped

    result = deliver_pending()
    if not (result.sent or result.retried or result.failed):
        raise JobSkipped("nothing to send")
    return result.to_dict()
