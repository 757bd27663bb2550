"""Scheduler jobs: remind the bank with one working day left, then expire."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.applications import queries, services, tasks
from app.auth.models import Role
from app.extensions import db
from app.notifications.models import Notification
from app.scheduler.jobs import registered_jobs
from tests.products.helpers import make_product


def _submitted(factories, at: datetime):
    bank = factories.bank()
    product = make_product(bank)
    owner = factories.user(Role.ENTERPRISE)
    app = services.create_application(
        owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
        purpose="备货", user_id=owner.id, now=at,
    )  # fmt: skip
    return app


def _kinds(**where) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).filter_by(**where)))


def test_remind_once_with_one_working_day_left_then_expire(factories):
    # Submitted Tue 30 Sep 2025 (Shanghai); deadline end of Sat 11 Oct (worked day).
    app = _submitted(factories, datetime(2025, 9, 30, 2, 0, tzinfo=UTC))
    assert services.remind_due(datetime(2025, 10, 3, 2, 0, tzinfo=UTC)) == 0  # 3 days left
    assert services.remind_due(datetime(2025, 10, 10, 2, 0, tzinfo=UTC)) == 1  # 1 left
    assert services.remind_due(datetime(2025, 10, 10, 3, 0, tzinfo=UTC)) == 0  # once only
    assert _kinds(bank_id=app.bank_id).count("application_reminder") == 1
    assert services.expire_overdue(datetime(2025, 10, 11, 10, 0, tzinfo=UTC)) == 0
    assert services.expire_overdue(datetime(2025, 10, 11, 16, 0, tzinfo=UTC)) == 1
    assert app.state == "expired"
    assert "application_expired" in _kinds(enterprise_id=app.enterprise_id)
    assert [e.to_state for e in queries.events(app.id)][-1] == "expired"


def test_accepted_applications_do_not_expire(factories):
    app = _submitted(factories, datetime(2025, 9, 30, 2, 0, tzinfo=UTC))
    officer = factories.user(Role.BANK_OFFICER, bank=app.bank)
    services.accept(app.id, officer)
    assert services.expire_overdue(datetime(2025, 12, 1, tzinfo=UTC)) == 0
    assert app.state == "accepted"


def test_jobs_are_registered(app):
    names = {job.name: job.func for job in registered_jobs(app)}
    assert names["remind_applications"] is tasks.remind_applications
    assert names["expire_applications"] is tasks.expire_applications
    assert tasks.expire_applications() == {"expired": 0}
