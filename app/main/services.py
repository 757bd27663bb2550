"""What each role's home page shows."""

from __future__ import annotations

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
