"""Authorization rules. Every check of "may this data be collected / seen" lives here.

Validity is decided from the clock (valid_from / valid_until) and the state, by these
functions themselves: a lapsed authorization stops counting the moment it lapses, whether
or not the expiry job has marked it `expired` yet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, exists, or_, select

from app.consent.models import Authorization, AuthorizationScope
from app.extensions import db
from app.util import utcnow

# Non-public categories: stored only under a collection authorization.
NON_PUBLIC_CATEGORIES = ("tax_ratings", "tax_payments", "utility_bills", "social_insurance")
PUBLIC_CATEGORIES = ("enterprises", "public_credit")


def _in_force(at: datetime):
    return and_(
        Authorization.state == "active",
        Authorization.valid_from <= at,
        or_(Authorization.valid_until.is_(None), Authorization.valid_until > at),
    )


def collecting_enterprise_ids(category: str, at: datetime | None = None) -> Select:
    """SELECT of the ids of enterprises whose collection authorization covers `category` now.

    Set-based: ingestion joins staged rows against it instead of asking per row.
    """
    at = at or utcnow()
    return (
        select(Authorization.enterprise_id)
        .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
        .where(
            Authorization.kind == "collection",
            AuthorizationScope.category == category,
            _in_force(at),
        )
        .distinct()
    )


def has_collection_consent(enterprise_id: int, category: str, at: datetime | None = None) -> bool:
    if category in PUBLIC_CATEGORIES:
        return True
    at = at or utcnow()
    query = select(
        exists().where(
            Authorization.id == AuthorizationScope.authorization_id,
            Authorization.kind == "collection",
            Authorization.enterprise_id == enterprise_id,
            AuthorizationScope.category == category,
            _in_force(at),
        )
    )
    return bool(db.session.scalar(query))
