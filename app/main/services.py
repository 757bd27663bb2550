"""What each role's home page shows."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.models import User
from app.banks.models import Bank
from app.enterprises.models import Enterprise
from app.extensions import db


def platform_counts() -> dict[str, int]:
    """Headline counts for the operator."""
    return {
        "enterprises": db.session.scalar(select(func.count()).select_from(Enterprise)) or 0,
        "verified": db.session.scalar(
            select(func.count()).select_from(Enterprise).where(Enterprise.verified.is_(True))
        )
        or 0,
        "banks": db.session.scalar(select(func.count()).select_from(Bank)) or 0,
        "users": db.session.scalar(select(func.count()).select_from(User)) or 0,
    }


def users_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role))
    return {role: count for role, count in rows}


@dataclass(frozen=True)
class Queue:
    """A queue the operator works through: how many wait, how many are past their deadline
    (working days, by the queue's own rule), and the page that lists them."""

    key: str
    label: str
    waiting: int
    overdue: int
    endpoint: str


def operator_queues() -> list[Queue]:
    """What waits on the operator today: account verifications to review, objections and
    credit-repair applications to decide, each counted by its queue's own deadline rule
    (`identity.review.days_left`, `cases.is_overdue`); no case is opened to count it."""
    from app import cases
    from app.disputes.services import list_open
    from app.identity import review
    from app.repairs.services import list_repairs

    reviews = review.reviews(pending_only=True)
    disputes = list_open(limit=None)
    repairs = list_repairs(pending=True, limit=None)
    return [
        Queue("verifications", _("核验审核"), len(reviews),
              sum(1 for r in reviews if review.days_left(r) < 0), "identity.queue"),
        Queue("disputes", _("异议处理"), len(disputes),
              sum(1 for d in disputes if cases.is_overdue(d)), "disputes.queue"),
        Queue("repairs", _("信用修复"), len(repairs),
              sum(1 for r in repairs if cases.is_overdue(r)), "repairs.queue"),
    ]  # fmt: skip
