"""Reading applications: lists, the bank's inbox, labels, and the API's shape.

Which applications a user may see is decided in `services` (`get_for_*`); whether a bank is
shown who applied is decided, and logged, by `consent.guard.identify_applicants` only: every
function here that shows a bank an application takes its `Identity` from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from app.applications.models import Application, ApplicationEvent
from app.applications.states import State
from app.auth.models import BANK_ROLES, User
from app.clock import utcnow
from app.consent.guard import NOT_SHOWN, Identity, identifiable, identify_applicants
from app.enterprises.models import Enterprise
from app.extensions import db
from app.paging import PER_PAGE, page_of, read_page
from app.products.models import Product
from app.workcalendar import services as workdays


def events(application_id: int) -> list[ApplicationEvent]:
    return list(
        db.session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.id)
        )
    )


def list_for_enterprise(
    enterprise_id: int, *, limit: int | None = None, offset: int = 0
) -> list[Application]:
    """The enterprise's applications, newest first (`limit` from `offset`: the API's window)."""
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.enterprise_id == enterprise_id)
            .order_by(Application.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def open_demands_for_bank(bank_id: int) -> list[Application]:
    """The open demands waiting for a bank that this bank's products fit, newest first.

    Every waiting one is judged (a statement per `INBOX_CHUNK`): they are few, since a demand
    no bank accepts expires after its working days to respond. Only the newest 200 used to
    be judged, and a demand past them was shown to no bank at all."""
    from app.matching.services import demands_fitting_bank

    waiting = db.session.scalars(
        select(Application)
        .where(
            Application.state == "submitted",
            Application.product_id.is_(None),
            Application.bank_id.is_(None),
        )
        .order_by(Application.id.desc())
    )
    return demands_fitting_bank(bank_id, list(waiting))


def list_for_bank(bank_id: int, *, limit: int | None = None, offset: int = 0) -> list[Application]:
    """The open demands that fit the bank, then its own applications, each newest first;
    `limit` from `offset` of that list (the API's window), its own read only as far as the
    window reaches."""
    demands = open_demands_for_bank(bank_id)
    fitting = demands[offset:] if limit is None else demands[offset : offset + limit]
    own_limit = None if limit is None else limit - len(fitting)
    own_offset = max(0, offset - len(demands))
    own = list(
        db.session.scalars(
            select(Application)
            .where(Application.bank_id == bank_id)
            .order_by(Application.id.desc())
            .limit(own_limit)
            .offset(own_offset)
        )
    )
    return fitting + own


@dataclass
class InboxRow:
    application: Application
    identity: Identity
    days_left: int | None

    @property
    def identified(self) -> bool:
        return self.identity.shown


def tab_of(app: Application) -> str:
    """The inbox tab an application stands in (`_tab` of its state)."""
    return _tab(app.state)


def _tab(state: str) -> str:
    """新 (to accept), 审查中 (accepted or approved), 已决 (everything after)."""
    if state == "submitted":
        return "new"
    return "review" if state in ("accepted", "approved") else "decided"


# The states of each inbox tab, from `_tab` (the one rule).
TAB_STATES = {
    tab: tuple(state.value for state in State if _tab(state.value) == tab)
    for tab in ("new", "review", "decided")
}


def days_to_accept(app: Application, now: datetime) -> int | None:
    """Working days left for the bank to accept a submitted application (negative: late)."""
    if app.state == "submitted" and app.respond_by:
        return workdays.working_days_left(app.respond_by, now)
    return None


def summary(app: Application) -> dict[str, Any]:
    """What a bank sees before it is authorized: no name, no code."""
    from app.enterprises.services import industry_names, region_names

    e = app.enterprise
    return {
        "industry": industry_names().get(e.industry_code or "", e.industry_code),
        "region": region_names().get(e.region_code or "", e.region_code),
        "scale": e.scale,
    }


def events_shown(app: Application, viewer: User, identity: Identity = NOT_SHOWN) -> list[dict]:
    """The timeline as `viewer` may see it. A bank never gets user ids (a user's id on a
    named application would link the same user's later anonymous demands), only who acted
    (enterprise, bank or platform); while the applicant is anonymous to it, the notes the
    enterprise typed are withheld like the purpose."""
    is_bank = viewer.role in BANK_ROLES
    shown = []
    for ev in events(app.id):
        by = "bank" if ev.bank_id else "enterprise" if ev.user_id else "system"
        item: dict[str, Any] = {
            "action": ev.action,
            "from": ev.from_state,
            "to": ev.to_state,
            "note": ev.note_shown,
            "at": ev.at,
            "by": by,
        }
        if not is_bank:
            item["user_id"] = ev.user_id
        elif by == "enterprise" and not identity.shown:
            item["note"] = ""
        shown.append(item)
    return shown


def to_dict(app: Application, viewer: User, identity: Identity = NOT_SHOWN) -> dict[str, Any]:
    """The application contract; a bank sees the enterprise only when `identity` (from the
    guard, logged) says so, and then only its name and code."""
    body: dict[str, Any] = {
        "id": app.id,
        "product_id": app.product_id,
        "product": app.product.name if app.product else None,
        "bank": app.bank.code if app.bank else None,
        "state": app.state,
        "amount": str(app.amount),
        "term_months": app.term_months,
        "purpose": app.purpose,
        "submitted_at": app.submitted_at.isoformat() if app.submitted_at else None,
        "respond_by": app.respond_by.isoformat() if app.respond_by else None,
        "approved_amount": None if app.approved_amount is None else str(app.approved_amount),
        "approved_rate": None if app.approved_rate is None else str(app.approved_rate),
        "approved_term_months": app.approved_term_months,
        "reject_reason": app.reject_reason,
        "disbursed_amount": None if app.disbursed_amount is None else str(app.disbursed_amount),
        "disbursed_on": app.disbursed_on.isoformat() if app.disbursed_on else None,
        "first_loan": app.first_loan,
        "first_loan_declared": app.first_loan_declared,
        "first_loan_platform": app.first_loan_platform,
        "version": app.version,
        "events": [
            {**ev, "at": ev["at"].isoformat()} for ev in events_shown(app, viewer, identity)
        ],
    }
    if viewer.role in BANK_ROLES:
        if identity.shown:
            body["enterprise"] = {"uscc": app.enterprise.uscc, "name": app.enterprise.name}
            body["identity_basis"] = identity.basis
        else:
            body["enterprise"] = None
            body["summary"] = summary(app)
            body["purpose"] = None
    else:
        body["enterprise"] = {"uscc": app.enterprise.uscc, "name": app.enterprise.name}
    return body


def for_viewer(
    apps: list[Application], viewer: User, *, endpoint: str, channel: str, ip: str | None
) -> list[dict[str, Any]]:
    """`to_dict` of each application, a bank's identities decided (and logged) at once."""
    identities = (
        identify_applicants(viewer, apps, endpoint=endpoint, channel=channel, ip=ip)
        if viewer.role in BANK_ROLES
        else {}
    )
    return [to_dict(a, viewer, identities.get(a.id, NOT_SHOWN)) for a in apps]


# --- the officer's workbench ---------------------------------------------------------------

INBOX_TABS = ("all", "new", "review", "decided")
DUE_FILTERS = ("today", "overdue")
PAGE_SIZE = PER_PAGE


@dataclass
class Workbench:
    """One page of one tab of the inbox, with the counts an officer starts the day with."""

    tab: str
    rows: list[InboxRow]
    counts: dict[str, int]  # all, new, due_today, overdue, review, decided
    total: int  # rows of the tab after the search and filter
    page: int
    pages: int
    q: str
    due: str


def due_state(row: InboxRow) -> str | None:
    """ "today" on the last working day to accept, "overdue" past it (Chinese working days)."""
    return _due(row.days_left)


def _due(days_left: int | None) -> str | None:
    if days_left is None:
        return None
    if days_left < 0:
        return "overdue"
    return "today" if days_left == 0 else None


def _counts(rows: Iterable[tuple[str, str | None, int]]) -> dict[str, int]:
    """The workbench's counts from (tab, due state, how many applications)."""
    counts = dict.fromkeys(("new", "due_today", "overdue", "review", "decided"), 0)
    for tab, due, n in rows:
        counts[tab] += n
        if due:
            counts["due_today" if due == "today" else "overdue"] += n
    counts["all"] = counts["new"] + counts["review"] + counts["decided"]
    return counts


def inbox_counts(
    bank_id: int, now: datetime | None = None, *, demands: list[Application] | None = None
) -> dict[str, int]:
    """The workbench's counts for a bank's home page, by the inbox's own rules, without
    showing (so without looking up) who applied. Only the applications waiting to be
    accepted are read (their deadlines count in working days); the others are counted by
    state in the database, not loaded: a bank's history grows without end. `demands`: the
    open demands that fit the bank, when the caller has judged them already."""
    now = now or utcnow()
    by_state = db.session.execute(
        select(Application.state, func.count())
        .where(Application.bank_id == bank_id, Application.state != "submitted")
        .group_by(Application.state)
    )
    demands = open_demands_for_bank(bank_id) if demands is None else demands
    waiting = demands + list(
        db.session.scalars(
            select(Application).where(
                Application.bank_id == bank_id, Application.state == "submitted"
            )
        )
    )
    return _counts(
        [
            *((_tab(state), None, n) for state, n in by_state),
            *((tab_of(a), _due(days_to_accept(a, now)), 1) for a in waiting),
        ]
    )


def _may_match(q: str):
    """The rows `matches` may keep, in SQL: every row it keeps and more (a name or code
    matches here whether or not the bank may know it; `matches` then decides)."""
    needle = q.lower()

    def contains(column):
        return func.lower(column).contains(needle, autoescape=True)

    fields = (
        Application.product.has(contains(Product.name)),
        Application.enterprise.has(or_(contains(Enterprise.name), contains(Enterprise.uscc))),
    )
    if q.isdigit() and int(q) < 2**31:  # an application number (a longer one is a code)
        return or_(Application.id == int(q), *fields)
    return or_(*fields)


def matches(app: Application, identifiable: bool, q: str) -> bool:
    """Search by application number, product, or — only where the guard would show who
    applied (`identifiable`) — the enterprise's name or code (an anonymous row never matches
    a name: the search must not tell a bank who is behind it)."""
    needle = q.strip().lower()
    if not needle:
        return True
    if needle == str(app.id):  # an application number matches exactly
        return True
    fields = [app.product.name if app.product else ""]
    if identifiable:
        fields += [app.enterprise.name, app.enterprise.uscc]
    return any(needle in f.lower() for f in fields)


def workbench(
    user: User,
    *,
    tab: str = "all",
    q: str = "",
    due: str = "",
    page: int = 1,
    endpoint: str,
    channel: str,
    ip: str | None,
    now: datetime | None = None,
) -> Workbench:
    """The inbox as a workbench: counts of new, due today and overdue (working days), one tab
    ("all" by default) newest first, searched, filtered by due state and paged (`PAGE_SIZE`).
    The bank's own applications and the open demands that fit it (新 to accept, 审查中
    accepted, 已决 decided); who applied is looked up through the guard, and logged, for the
    rows of the page only.

    A bank's history grows without end, so it is not loaded: the counts are
    `inbox_counts`'s, and a plain tab reads its page in SQL. A due filter reads the
    applications waiting to be accepted (their deadlines are in working days), a search the
    rows whose number, product, name or code contains the words; both are then decided
    row by row (`matches`, `_due`), a name only where the guard would show it."""
    tab = tab if tab in INBOX_TABS else "all"
    due = due if due in DUE_FILTERS else ""
    q = q.strip()
    now = now or utcnow()
    assert user.bank_id is not None
    demands = open_demands_for_bank(user.bank_id)
    query = select(Application).where(
        or_(Application.bank_id == user.bank_id, Application.id.in_([d.id for d in demands]))
    )
    if tab != "all":
        query = query.where(Application.state.in_(TAB_STATES[tab]))
    if due:
        query = query.where(Application.state == State.SUBMITTED)
    if q:
        query = query.where(_may_match(q))
    query = query.order_by(Application.id.desc())
    if q or due:
        rows = []
        candidates = list(db.session.scalars(query))
        known = identifiable(user, candidates) if q else set()
        for app in candidates:
            days = days_to_accept(app, now)
            if matches(app, app.id in known, q) and (not due or _due(days) == due):
                rows.append((app, days))
        total = len(rows)
        page, pages = page_of(total, page, PAGE_SIZE)
        page_rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    else:
        listed = read_page(query, page, PAGE_SIZE)
        total, page, pages = listed.total, listed.page, listed.pages
        page_rows = [(app, days_to_accept(app, now)) for app in listed.rows]
    identities = identify_applicants(
        user, [app for app, _days in page_rows], endpoint=endpoint, channel=channel, ip=ip
    )
    shown = [InboxRow(app, identities[app.id], days) for app, days in page_rows]
    counts = inbox_counts(user.bank_id, now, demands=demands)
    return Workbench(tab, shown, counts, total, page, pages, q, due)
