"""Reading applications: lists, the bank's inbox, labels, and the API's shape.

Access is decided in `services` (`identified_for_bank`, `get_for_*`); what is read here for a
bank shows the enterprise only once it has authorized that bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.applications.models import Application, ApplicationEvent
from app.applications.services import identified_for_bank
from app.auth.models import BANK_ROLES, User
from app.clock import utcnow
from app.consent.guard import enterprises_authorizing
from app.extensions import db
from app.workcalendar import services as workdays


def events(application_id: int) -> list[ApplicationEvent]:
    return list(
        db.session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.id)
        )
    )


def list_for_enterprise(enterprise_id: int) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.enterprise_id == enterprise_id)
            .order_by(Application.id.desc())
        )
    )


def open_demands_for_bank(bank_id: int, limit: int = 200) -> list[Application]:
    from app.matching.services import demands_fitting_bank

    waiting = db.session.scalars(
        select(Application)
        .where(
            Application.state == "submitted",
            Application.product_id.is_(None),
            Application.bank_id.is_(None),
        )
        .order_by(Application.id.desc())
        .limit(limit)
    )
    return demands_fitting_bank(bank_id, list(waiting))


def list_for_bank(bank_id: int) -> list[Application]:
    own = list(
        db.session.scalars(
            select(Application)
            .where(Application.bank_id == bank_id)
            .order_by(Application.id.desc())
        )
    )
    return open_demands_for_bank(bank_id) + own


@dataclass
class InboxRow:
    application: Application
    identified: bool
    days_left: int | None


def inbox(bank_id: int, now: datetime | None = None) -> dict[str, list[InboxRow]]:
    """新 (to accept), 审查中 (accepted), 已决 (decided) for one bank."""
    now = now or utcnow()
    tabs: dict[str, list[InboxRow]] = {"new": [], "review": [], "decided": []}
    apps = list_for_bank(bank_id)
    authorizing = enterprises_authorizing({a.enterprise_id for a in apps}, bank_id)
    for app in apps:
        left = (
            workdays.working_days_left(app.respond_by, now)
            if app.state == "submitted" and app.respond_by
            else None
        )
        row = InboxRow(app, app.bank_id == bank_id and app.enterprise_id in authorizing, left)
        if app.state == "submitted":
            tabs["new"].append(row)
        elif app.state in ("accepted", "approved"):
            tabs["review"].append(row)
        else:
            tabs["decided"].append(row)
    return tabs


def summary(app: Application) -> dict[str, Any]:
    """What a bank sees before it is authorized: no name, no code."""
    from app.enterprises.services import industry_names, region_names

    e = app.enterprise
    return {
        "industry": industry_names().get(e.industry_code or "", e.industry_code),
        "region": region_names().get(e.region_code or "", e.region_code),
        "scale": e.scale,
    }


def to_dict(app: Application, viewer: User) -> dict[str, Any]:
    """The application contract; a bank sees the enterprise only once authorized."""
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
        "version": app.version,
        "events": [
            {
                "action": ev.action,
                "from": ev.from_state,
                "to": ev.to_state,
                "note": ev.note,
                "at": ev.at.isoformat(),
                "user_id": ev.user_id,
            }
            for ev in events(app.id)
        ],
    }
    if viewer.role in BANK_ROLES:
        assert viewer.bank_id is not None
        if identified_for_bank(app, viewer.bank_id):
            body["enterprise"] = {"uscc": app.enterprise.uscc, "name": app.enterprise.name}
        else:
            body["enterprise"] = None
            body["summary"] = summary(app)
            body["purpose"] = None
    else:
        body["enterprise"] = {"uscc": app.enterprise.uscc, "name": app.enterprise.name}
    return body
