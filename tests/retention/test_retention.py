"""Retention: the access log is kept (at least 5 years) and only reported once past it; an
authorization that ended before the cutoff goes only when nothing cites it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import services as audit
from app.audit.models import AccessLogEntry
from app.clock import utcnow
from app.consent.models import Authorization, AuthorizationScope, PullRequest, Purpose
from app.extensions import db
from app.notifications.models import AuthorizationReminder
from app.retention import services as retention
from app.retention.tasks import apply_retention
from app.scheduler.jobs import registered_jobs

YEAR = timedelta(days=366)


def _authorization(enterprise, bank, *, ended: datetime, state: str = "expired") -> Authorization:
    auth = Authorization(
        kind="query", enterprise_id=enterprise.id, grantee_bank_id=bank.id,
        purpose=Purpose.PRE_LOAN, valid_from=ended - timedelta(days=30), valid_until=ended,
        state=state, scopes=[AuthorizationScope(category="tax_payments")],
    )  # fmt: skip
    db.session.add(auth)
    db.session.flush()
    return auth


def _ids() -> set[int]:
    return set(db.session.scalars(select(Authorization.id)))


def test_only_uncited_authorizations_past_retention_go(factories):
    enterprise, bank = factories.enterprise(), factories.bank()
    now = utcnow()
    old = now - 6 * YEAR
    gone = _authorization(enterprise, bank, ended=old)
    db.session.add(AuthorizationReminder(authorization_id=gone.id, sent_at=old))
    logged = _authorization(enterprise, bank, ended=old)
    audit.append(user_id=None, bank_id=bank.id, enterprise_id=enterprise.id, endpoint="/t",
                 channel="web", outcome="allowed", authorization_id=logged.id)  # fmt: skip
    pulled = _authorization(enterprise, bank, ended=old)
    db.session.add(PullRequest(enterprise_id=enterprise.id, authorization_id=pulled.id,
                               categories=["tax_payments"], requested_at=old))  # fmt: skip
    replaced = _authorization(enterprise, bank, ended=old, state="revoked")
    replaced.revoked_at = old
    successor = _authorization(enterprise, bank, ended=old)
    replaced.replaced_by_id = successor.id  # the successor is cited by the one it replaced
    recent = _authorization(enterprise, bank, ended=now - timedelta(days=30))
    active = _authorization(enterprise, bank, ended=now + timedelta(days=30), state="active")
    revoked_lately = _authorization(enterprise, bank, ended=now + timedelta(days=30),
                                    state="revoked")  # fmt: skip
    revoked_lately.revoked_at = now - timedelta(days=3)
    db.session.flush()

    dry = retention.run(remove=False)
    assert dry.authorizations_past == 5 and dry.authorizations_cited == 3
    assert dry.authorizations_removed == 0 and gone.id in _ids()

    report = retention.run(remove=True)
    assert report.authorizations_removed == 2  # `gone`, and `replaced` (nothing cites it)
    assert _ids() >= {logged.id, pulled.id, successor.id, recent.id, active.id,
                      revoked_lately.id}  # fmt: skip
    assert not _ids() & {gone.id, replaced.id}
    assert not db.session.scalar(
        select(func.count()).select_from(AuthorizationScope)
        .where(AuthorizationScope.authorization_id.in_([gone.id, replaced.id]))
    )  # fmt: skip
    assert db.session.get(AuthorizationReminder, gone.id) is None


def test_the_log_is_reported_never_removed(factories):
    enterprise, bank = factories.enterprise(), factories.bank()
    for _ in range(3):
        audit.append(user_id=None, bank_id=bank.id, enterprise_id=enterprise.id, endpoint="/t",
                     channel="web", outcome="allowed")  # fmt: skip
    db.session.flush()
    rows = db.session.scalar(select(func.count()).select_from(AccessLogEntry))
    assert retention.run(remove=True).log_rows_past == 0  # written today: years to go
    later = retention.run(remove=True, now=utcnow() + 6 * YEAR)
    assert later.log_rows_past == rows >= 3 and later.oldest_log_row is not None
    assert db.session.scalar(select(func.count()).select_from(AccessLogEntry)) == rows


def test_the_cutoff_is_the_configured_years_and_never_under_five(app, monkeypatch):
    now = datetime(2028, 2, 29, 4, 0)
    assert retention.cutoff(now) == datetime(2023, 2, 28, 4, 0)  # no 29 February in 2023
    monkeypatch.setitem(app.config, "ACCESS_LOG_RETENTION_YEARS", 7)
    assert retention.cutoff(now) == datetime(2021, 2, 28, 4, 0)
    monkeypatch.setitem(app.config, "ACCESS_LOG_RETENTION_YEARS", 3)
    with pytest.raises(ValueError, match="at least 5 years"):
        retention.run(remove=True)


def test_the_daily_job_reports_what_passed_and_what_went(app, factories):
    assert "apply_retention" in {job.name for job in registered_jobs(app)}
    enterprise, bank = factories.enterprise(), factories.bank()
    _authorization(enterprise, bank, ended=utcnow() - 6 * YEAR)
    details = apply_retention()
    assert details["authorizations_removed"] == 1 and details["years"] == 5
    assert set(details) >= {"cutoff", "access_log_rows_past_retention"}
