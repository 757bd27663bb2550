"""The one guard for bank-facing reads of an enterprise's data.

Every entry point that shows a bank user anything about an identified enterprise — web page,
API, export — calls `check_bank_access()` first and shows only the categories it returns.
The guard decides from the clock itself (an authorization past `valid_until` no longer
counts, whether or not the expiry job has run), and logs every attempt, allowed or denied,
on the tamper-evident access log before anything is shown. Who applied (the name and code on
a bank's own applications) is decided and logged the same way by `identify_applicants`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Integer, bindparam, func, select

from app.audit import services as audit
from app.audit.models import AccessLogEntry
from app.auth.models import BANK_ROLES, User
from app.clock import local_today, utcnow
from app.consent.models import Authorization, AuthorizationScope
from app.consent.services import in_force
from app.consent.terms import DAILY_CAP, DATA_RANGE, Terms, valid_until_capped
from app.enterprises.models import Enterprise
from app.extensions import db
from app.sources.models import ENTERPRISE_SOURCES
from app.types import UTCDateTime
from app.unit_of_work import commit_keeping_objects
from app.util import SHANGHAI

if TYPE_CHECKING:
    from app.applications.models import Application

__all__ = ["DAILY_CAP", "DATA_RANGE"]  # the access log's reasons for a refused read (terms)
# What a bank may be shown, by source name; registry data ("enterprises") included: without
# an authorization the bank sees only an anonymous summary, never the name or code.
ALL_CATEGORIES = ENTERPRISE_SOURCES


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    categories: frozenset[str] = field(default_factory=frozenset)
    authorization_id: int | None = None
    purpose: str = ""
    reason: str = ""
    log_id: int | None = None
    # Per category given, the first day of the data the bank may see (None: all on record).
    ranges: Mapping[str, date | None] = field(default_factory=dict)
    # The terms of the authorization used, or of the one whose term refused the read.
    terms: Terms | None = None

    def covers(self, category: str) -> bool:
        return category in self.categories

    def since(self, category: str) -> date | None:
        return self.ranges.get(category)


@dataclass(frozen=True)
class Covering:
    """An in-force query authorization, reduced to what the guard needs."""

    id: int
    purpose: str
    categories: frozenset[str]
    reads_per_day: int | None = None
    data_from: date | None = None
    keep_copy_days: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def terms(self) -> Terms:
        assert self.valid_from is not None
        return Terms(
            self.purpose,
            tuple(sorted(self.categories)),
            self.valid_from,
            self.valid_until,
            self.data_from,
            self.reads_per_day,
            self.keep_copy_days,
        )


# The guard's statements run on every bank read: built once, with bound parameters.
_COVERING = (
    select(
        Authorization.id,
        Authorization.purpose,
        Authorization.reads_per_day,
        Authorization.data_from,
        Authorization.keep_copy_days,
        Authorization.valid_from,
        Authorization.valid_until,
        AuthorizationScope.category,
    )
    .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
    .where(
        Authorization.kind == "query",
        Authorization.enterprise_id == bindparam("enterprise"),
        Authorization.grantee_bank_id == bindparam("bank"),
        in_force(bindparam("now", type_=UTCDateTime())),
    )
    .order_by(Authorization.valid_until.desc(), Authorization.id.desc())
)
_COVERING_LOCKED = _COVERING.with_for_update(key_share=True, of=Authorization)


def covering_authorizations(
    enterprise_id: int, bank_id: int, *, lock: bool = False
) -> list[Covering]:
    """The query authorizations of this enterprise to this bank in force now, newest first.

    One statement (authorizations joined to their scopes): it runs on every bank read. A
    row past `QUERY_MAX_DAYS` from its start no longer counts, whatever its `valid_until`.

    With `lock` (the guard), the same statement holds the authorizations' rows until the
    caller commits (PostgreSQL; SQLite has one writer and ignores it). Counting the day's
    reads and logging this one must be one step: without the lock two reads at a cap's last
    slot both count `cap - 1` and both pass. `FOR NO KEY UPDATE` serialises the guard's
    reads under one authorization (their count then sees the row the other committed) but
    not the inserts of log rows citing it (their foreign key takes `FOR KEY SHARE`). Every
    guard locks in the statement's one order, so two guards never wait for each other in a
    circle.
    """
    now = utcnow()
    query = _COVERING_LOCKED if lock else _COVERING
    rows = db.session.execute(query, {"enterprise": enterprise_id, "bank": bank_id, "now": now})
    found: dict[int, Covering] = {}
    scopes: dict[int, set[str]] = {}
    for auth_id, purpose, cap, start, keep, valid_from, valid_until, category in rows:
        if valid_until_capped(valid_from, valid_until) <= now:
            continue
        found.setdefault(
            auth_id,
            Covering(auth_id, purpose, frozenset(), cap, start, keep or 0, valid_from, valid_until),
        )
        scopes.setdefault(auth_id, set()).add(category)
    return [
        Covering(c.id, c.purpose, frozenset(scopes[c.id]), c.reads_per_day, c.data_from,
                 c.keep_copy_days, c.valid_from, c.valid_until)
        for c in found.values()
    ]  # fmt: skip


def reads_today(enterprise_id: int, bank_id: int, caps: dict[int, int]) -> dict[int, int]:
    """The bank's allowed reads of the enterprise's data today (Shanghai calendar day) under
    each authorization in `caps` (id → cap), as the access log records them, counted up to
    the cap only (index `ix_access_log_authorization_at`: at most `cap` rows read each)."""
    start = datetime.combine(local_today(), time(), SHANGHAI)
    params = {"enterprise": enterprise_id, "bank": bank_id, "start": start}
    return {
        auth_id: db.session.scalar(_reads_query(), {**params, "authorization": auth_id, "cap": cap})
        or 0
        for auth_id, cap in caps.items()
    }


@cache
def _reads_query():
    """The count of `reads_today` (built once, on first use: the reasons it leaves out are
    defined below)."""
    reads = (
        select(AccessLogEntry.id)
        .where(
            AccessLogEntry.authorization_id == bindparam("authorization"),
            AccessLogEntry.at >= bindparam("start", type_=UTCDateTime()),
            AccessLogEntry.enterprise_id == bindparam("enterprise"),
            AccessLogEntry.bank_id == bindparam("bank"),
            AccessLogEntry.outcome == "allowed",
            AccessLogEntry.reason.not_in((IDENTITY, LOAN_SERVICING)),
        )
        .limit(bindparam("cap", type_=Integer()))
        .subquery()
    )
    return select(func.count()).select_from(reads)


def _within_cap(enterprise_id: int, bank_id: int, coverings: list[Covering]) -> list[Covering]:
    """The authorizations whose daily read cap is not yet reached."""
    caps = {c.id: c.reads_per_day for c in coverings if c.reads_per_day is not None}
    done = reads_today(enterprise_id, bank_id, caps)
    return [c for c in coverings if c.reads_per_day is None or done.get(c.id, 0) < c.reads_per_day]


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


def check_bank_access(
    user: User,
    enterprise: Enterprise,
    requested: Iterable[str] = ALL_CATEGORIES,
    *,
    endpoint: str,
    channel: str,
    ip: str | None,
    since: date | None = None,
) -> AccessDecision:
    """Decide which of `requested` this bank user may see now, and log the attempt.

    Allowed when at least one requested category is covered by an in-force query
    authorization of `enterprise` to the user's bank whose terms (`consent.terms`) allow
    the read: under its daily cap and, when the caller asks for data from `since` on, with
    a date range reaching back that far. The decision lists exactly the covered categories
    and, per category, the first day of data that may be shown (`ranges`). A refusal names
    the term that refused it (`terms`). The log row is committed at once so that a denial
    (or an error later in the request) cannot roll it back.
    """
    wanted = frozenset(requested) & frozenset(ALL_CATEGORIES)
    if user.role not in BANK_ROLES or user.bank_id is None:
        decision = AccessDecision(False, reason="not_bank_user")
    else:
        decision = _decide(enterprise.id, user.bank_id, wanted, since)
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
    commit_keeping_objects()
    return replace(decision, log_id=log_id)


def _decide(
    enterprise_id: int, bank_id: int, wanted: frozenset[str], since: date | None
) -> AccessDecision:
    """The guard's decision under the authorizations in force (newest first, each giving
    the wanted categories no newer one gave)."""
    coverings = covering_authorizations(enterprise_id, bank_id, lock=True)
    relevant = [c for c in coverings if wanted & c.categories]
    within = _within_cap(enterprise_id, bank_id, relevant)
    in_range = [c for c in within if since is None or c.data_from is None or c.data_from <= since]
    granted: dict[str, date | None] = {}
    used: Covering | None = None
    for authorization in in_range:
        for category in sorted(wanted & authorization.categories - set(granted)):
            granted[category] = authorization.data_from
            used = used or authorization
    if used is None:
        if len(within) < len(relevant):
            capped = next(c for c in relevant if c not in within)
            return AccessDecision(False, reason=DAILY_CAP, terms=capped.terms)
        if within:
            return AccessDecision(False, reason=DATA_RANGE, terms=within[0].terms)
        return AccessDecision(False, reason="no_authorization")
    return AccessDecision(
        True,
        frozenset(granted),
        used.id,
        used.purpose,
        reason="" if set(granted) == wanted else "partial",
        ranges=granted,
        terms=used.terms,
    )


# --- who applied: the enterprise's identity on the bank's own applications ------------------

# An identity look is logged as a read of the registry category: the name and the code.
IDENTITY_CATEGORIES = frozenset({"enterprises"})
AUTHORIZATION = "authorization"
# 贷后管理: the bank that lent the money keeps knowing its borrower after a revocation (it
# sees the loan it made and the borrower's name and code, nothing the authorization covered).
LOAN_SERVICING = "loan_servicing"
# 信用修复告知: the platform tells a bank that read a record that it was repaired (or that the
# repair was revoked); the notice names the enterprise.
REPAIR_NOTICE = "repair_notice"


@dataclass(frozen=True)
class Identity:
    """Whether a bank user may be shown who applied, on which legal basis, and its log row."""

    shown: bool
    basis: str = ""  # AUTHORIZATION | LOAN_SERVICING | "" (not shown)
    log_id: int | None = None


NOT_SHOWN = Identity(False)


# The access log's `reason` for each basis ("" = not shown); an identity look is not a read
# of the enterprise's data and does not count against an authorization's daily cap.
IDENTITY = "identity"
_LOG_REASON = {AUTHORIZATION: IDENTITY, LOAN_SERVICING: LOAN_SERVICING, "": "no_authorization"}


def _identity_basis(
    application: Application, authorizing: dict[int, Covering]
) -> tuple[str, Covering | None]:
    if application.enterprise_id in authorizing:
        return AUTHORIZATION, authorizing[application.enterprise_id]
    if application.state == "disbursed":
        return LOAN_SERVICING, None
    return "", None


def _authorizing(enterprise_ids: set[int], bank_id: int) -> dict[int, Covering]:
    """Per enterprise, its newest query authorization to `bank_id` in force and covering the
    registry category (the name and code), by the guard's terms: one statement.

    Only an authorization that lets the bank see the registry data lets it know who applied;
    one for tax payments alone does not (the daily cap and the data range concern reads of
    data, not this look, which is logged under `IDENTITY`)."""
    if not enterprise_ids:
        return {}
    now = utcnow()
    rows = db.session.execute(
        select(
            Authorization.enterprise_id,
            Authorization.id,
            Authorization.purpose,
            Authorization.valid_from,
            Authorization.valid_until,
        )
        .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
        .where(
            Authorization.kind == "query",
            Authorization.enterprise_id.in_(enterprise_ids),
            Authorization.grantee_bank_id == bank_id,
            AuthorizationScope.category.in_(IDENTITY_CATEGORIES),
            in_force(now),
        )
        .order_by(Authorization.valid_until.desc(), Authorization.id.desc())
    )
    found: dict[int, Covering] = {}
    for enterprise_id, auth_id, purpose, valid_from, valid_until in rows:
        if valid_until_capped(valid_from, valid_until) > now:
            found.setdefault(enterprise_id, Covering(auth_id, purpose, IDENTITY_CATEGORIES))
    return found


def identify_applicants(
    user: User,
    applications: Sequence[Application],
    *,
    endpoint: str,
    channel: str,
    ip: str | None,
) -> dict[int, Identity]:
    """Which of `applications` may show `user` (a bank user) the enterprise that applied,
    by application id; every look is logged before anything is shown.

    A bank is asked about its own applications only (an open demand it has not taken is
    anonymous to every bank and is no look at anyone). On one of its own it is shown the
    enterprise while a query authorization of that enterprise to the bank is in force
    (双授权), or, without one, when it disbursed the loan (loan servicing, a separate legal
    basis: the borrower's name and code only); otherwise it is not, and the denial is logged.
    One row per enterprise, basis and outcome; committed at once, like `check_bank_access`.
    """
    bank_id = user.bank_id
    result = dict.fromkeys((a.id for a in applications), NOT_SHOWN)
    logged: dict[tuple[int, str], int] = {}
    for application, (basis, covering) in _bases(user, applications):
        key = (application.enterprise_id, basis)
        if key not in logged:
            logged[key] = audit.append(
                user_id=user.id,
                bank_id=bank_id,
                enterprise_id=application.enterprise_id,
                endpoint=endpoint,
                channel=channel,
                outcome="allowed" if basis else "denied",
                requested=IDENTITY_CATEGORIES,
                granted=IDENTITY_CATEGORIES if basis else (),
                authorization_id=covering.id if covering else None,
                purpose=covering.purpose if covering else "",
                ip=ip,
                reason=_LOG_REASON[basis],
            ).id
        result[application.id] = Identity(bool(basis), basis, logged[key])
    if logged:
        commit_keeping_objects()
    return result


def _bases(
    user: User, applications: Sequence[Application]
) -> list[tuple[Application, tuple[str, Covering | None]]]:
    """Each of `applications` a bank user is asked about (its bank's own), with the basis
    on which it may be shown who applied ("" = none) and the authorization giving it."""
    bank_id = user.bank_id
    if user.role not in BANK_ROLES or bank_id is None:
        return []
    own = [a for a in applications if a.bank_id == bank_id]
    authorizing = _authorizing({a.enterprise_id for a in own}, bank_id)
    return [(a, _identity_basis(a, authorizing)) for a in own]


def identifiable(user: User, applications: Sequence[Application]) -> set[int]:
    """The ids of `applications` whose applicant `identify_applicants` would show `user`,
    by its rule, without showing anyone: nothing is logged. For choosing which rows a page
    shows (the inbox's search by name looks only among these); whatever is then shown goes
    through `identify_applicants`, which logs it. So a bank's history of ten thousand
    applications is not ten thousand looks each time it opens one page of twenty."""
    return {a.id for a, (basis, _covering) in _bases(user, applications) if basis}


def identify_applicant(
    user: User, application: Application, *, endpoint: str, channel: str, ip: str | None
) -> Identity:
    """`identify_applicants` for one application."""
    return identify_applicants(user, [application], endpoint=endpoint, channel=channel, ip=ip)[
        application.id
    ]


def disclose_to_bank(
    bank_id: int, enterprise_id: int, *, basis: str, purpose: str, endpoint: str
) -> int:
    """Log a notice that names an enterprise to a bank (no user asked: the platform tells the
    bank, e.g. that a record it read was repaired); returns the log row's id. The caller
    decides the basis; the log shows the enterprise every bank its name was sent to."""
    return audit.append(
        user_id=None,
        bank_id=bank_id,
        enterprise_id=enterprise_id,
        endpoint=endpoint,
        channel="notice",
        outcome="allowed",
        requested=IDENTITY_CATEGORIES,
        granted=IDENTITY_CATEGORIES,
        purpose=purpose,
        reason=basis,
    ).id
