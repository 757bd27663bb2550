"""The one guard for bank-facing reads of an enterprise's data.

Every entry point that shows a bank user anything about an identified enterprise — web page,
API, export — calls `check_bank_access()` first and shows only the categories it returns.
The guard decides from the clock itself (an authorization past `valid_until` no longer
counts, whether or not the expiry job has run), and logs every attempt, allowed or denied,
on the tamper-evident access log before anything is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.audit import services as audit
from app.auth.models import BANK_ROLES, User
from app.clock import utcnow
from app.consent.models import Authorization, AuthorizationScope
from app.consent.services import in_force
from app.enterprises.models import Enterprise
from app.extensions import db
from app.sources.models import SOURCE_NAMES

# What a bank may be shown, by source name; registry data ("enterprises") included: without
# an authorization the bank sees only an anonymous summary, never the name or code.
ALL_CATEGORIES = SOURCE_NAMES


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    categories: frozenset[str] = field(default_factory=frozenset)
    authorization_id: int | None = None
    purpose: str = ""
    reason: str = ""
    log_id: int | None = None

    def covers(self, category: str) -> bool:
        return category in self.categories


@dataclass(frozen=True)
class Covering:
    """An in-force query authorization, reduced to what the guard needs."""

    id: int
    purpose: str
    categories: frozenset[str]


def covering_authorizations(enterprise_id: int, bank_id: int) -> list[Covering]:
    """The query authorizations of this enterprise to this bank in force now, newest first.

    One statement (authorizations joined to their scopes): it runs on every bank read.
    """
    rows = db.session.execute(
        select(Authorization.id, Authorization.purpose, AuthorizationScope.category)
        .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
        .where(
            Authorization.kind == "query",
            Authorization.enterprise_id == enterprise_id,
            Authorization.grantee_bank_id == bank_id,
            in_force(utcnow()),
        )
        .order_by(Authorization.valid_until.desc(), Authorization.id.desc())
    )
    found: dict[int, tuple[str, set[str]]] = {}
    for auth_id, purpose, category in rows:
        found.setdefault(auth_id, (purpose, set()))[1].add(category)
    return [Covering(i, p, frozenset(c)) for i, (p, c) in found.items()]


def enterprises_authorizing(enterprise_ids, bank_id: int) -> set[int]:
    """Which of `enterprise_ids` have a query authorization in force to `bank_id` now.

    One statement for a whole list (the bank's inbox); it only tells *whether* the bank may
    know who an applicant is — reading the enterprise's data still goes through
    `check_bank_access`.
    """
    ids = set(enterprise_ids)
    if not ids:
        return set()
    rows = db.session.scalars(
        select(Authorization.enterprise_id)
        .where(
            Authorization.kind == "query",
            Authorization.enterprise_id.in_(ids),
            Authorization.grantee_bank_id == bank_id,
            in_force(utcnow()),
        )
        .distinct()
    )
    return set(rows)


def _commit_keeping_objects() -> None:
    """Commit the log row without expiring what the request already loaded.

    The guard runs before the read it guards; nothing it commits changes the user or the
    enterprise, so reloading them after the commit (the default) would only cost round trips.
    """
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def check_bank_access(
    user: User,
    enterprise: Enterprise,
    requested: Iterable[str] = ALL_CATEGORIES,
    *,
    endpoint: str,
    channel: str,
    ip: str | None,
) -> AccessDecision:
    """Decide which of `requested` this bank user may see now, and log the attempt.

    Allowed when at least one requested category is covered by an in-force query
    authorization of `enterprise` to the user's bank; the decision lists exactly the
    covered ones. The log row is committed at once so that a denial (or an error later in
    the request) cannot roll it back.
    """
    wanted = frozenset(requested) & frozenset(ALL_CATEGORIES)
    if user.role not in BANK_ROLES or user.bank_id is None:
        decision = AccessDecision(False, reason="not_bank_user")
    else:
        granted: set[str] = set()
        used: Covering | None = None
        for authorization in covering_authorizations(enterprise.id, user.bank_id):
            new = wanted & set(authorization.categories) - granted
            if new:
                granted |= new
                used = used or authorization
        if used is None:
            decision = AccessDecision(False, reason="no_authorization")
        else:
            decision = AccessDecision(
                True,
                frozenset(granted),
                used.id,
                used.purpose,
                reason="" if granted == wanted else "partial",
            )
    entry = audit.append(
        user_id=user.id,
        bank_id=user.bank_id,
        enterprise_id=enterprise.id,
        endpoint=endpoint,
        channel=channel,
        outcome="allowed" if decision.allowed else "denied",
        requested=wanted,
        granted=decision.categories,
        authorization_id=decision.authorization_id,
        purpose=decision.purpose,
        ip=ip,
        reason=decision.reason,
    )
    log_id = entry.id
    _commit_keeping_objects()
    return AccessDecision(
        decision.allowed,
        decision.categories,
        decision.authorization_id,
        decision.purpose,
        decision.reason,
        log_id,
    )
