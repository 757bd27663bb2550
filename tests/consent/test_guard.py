"""The guard: a bank sees only what an in-force query authorization to it covers; all logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.clock import utcnow
from app.consent.guard import check_bank_access
from app.consent.models import Authorization, AuthorizationScope
from app.extensions import db


def grant_query(enterprise, bank, categories, *, days=30, state="active", valid_from=None):
    now = utcnow()
    authorization = Authorization(
        kind="query",
        enterprise_id=enterprise.id,
        grantee_bank_id=bank.id,
        purpose="pre_loan",
        valid_from=valid_from or now - timedelta(minutes=1),
        valid_until=now + timedelta(days=days),
        state=state,
        scopes=[AuthorizationScope(category=c) for c in categories],
    )
    db.session.add(authorization)
    db.session.flush()
    return authorization


@pytest.fixture
def setup(factories):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    enterprise = factories.enterprise()
    return bank, officer, enterprise


def _check(officer, enterprise, requested=("enterprises", "tax_payments", "utility_bills")):
    return check_bank_access(
        officer, enterprise, requested, endpoint="/test", channel="api", ip="192.0.2.7"
    )


def _log(decision):
    return db.session.get(AccessLogEntry, decision.log_id)


def test_without_authorization_nothing_and_denial_logged(setup):
    _bank, officer, enterprise = setup
    decision = _check(officer, enterprise)
    assert not decision.allowed and decision.categories == frozenset()
    entry = _log(decision)
    assert (entry.outcome, entry.reason, entry.granted) == ("denied", "no_authorization", "")
    assert (entry.user_id, entry.bank_id, entry.enterprise_id) == (
        officer.id, officer.bank_id, enterprise.id,
    )  # fmt: skip
    assert entry.ip == "192.0.2.7" and entry.endpoint == "/test"


def test_only_the_covered_categories_are_given(setup):
    bank, officer, enterprise = setup
    authorization = grant_query(enterprise, bank, ["enterprises", "tax_payments"])
    decision = _check(officer, enterprise)
    assert decision.allowed and decision.categories == {"enterprises", "tax_payments"}
    assert not decision.covers("utility_bills")
    entry = _log(decision)
    assert entry.outcome == "allowed" and entry.reason == "partial"
    assert entry.authorization_id == authorization.id
    assert entry.granted == "enterprises,tax_payments"
    assert entry.requested == "enterprises,tax_payments,utility_bills"
    assert entry.purpose == "pre_loan"


def test_wrong_category_is_denied(setup):
    bank, officer, enterprise = setup
    grant_query(enterprise, bank, ["social_insurance"])
    decision = _check(officer, enterprise, ["tax_payments"])
    assert not decision.allowed


def test_expired_by_the_clock_is_denied_before_any_job_runs(setup):
    bank, officer, enterprise = setup
    grant_query(
        enterprise, bank, ["tax_payments"], valid_from=utcnow() - timedelta(days=31), days=-1
    )
    decision = _check(officer, enterprise, ["tax_payments"])
    assert not decision.allowed and decision.reason == "no_authorization"


def test_not_yet_valid_is_denied(setup):
    bank, officer, enterprise = setup
    grant_query(enterprise, bank, ["tax_payments"], valid_from=utcnow() + timedelta(hours=1))
    assert not _check(officer, enterprise, ["tax_payments"]).allowed


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_revoked_or_expired_state_is_denied(setup, state):
    bank, officer, enterprise = setup
    grant_query(enterprise, bank, ["tax_payments"], state=state)
    assert not _check(officer, enterprise, ["tax_payments"]).allowed


def test_another_banks_authorization_does_not_count(setup, factories):
    _bank, officer, enterprise = setup
    grant_query(enterprise, factories.bank(), ["tax_payments", "enterprises"])
    assert not _check(officer, enterprise).allowed


def test_another_enterprises_authorization_does_not_count(setup, factories):
    bank, officer, enterprise = setup
    grant_query(factories.enterprise(), bank, ["tax_payments"])
    assert not _check(officer, enterprise, ["tax_payments"]).allowed


def test_any_officer_of_the_named_bank_is_covered(setup, factories):
    bank, _officer, enterprise = setup
    grant_query(enterprise, bank, ["tax_payments"])
    admin = factories.user(Role.BANK_ADMIN, bank=bank)
    assert _check(admin, enterprise, ["tax_payments"]).allowed


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.REGULATOR, Role.ADMIN])
def test_non_bank_users_are_denied_and_logged(setup, factories, role):
    bank, _officer, enterprise = setup
    grant_query(enterprise, bank, ["tax_payments"])
    decision = _check(factories.user(role), enterprise, ["tax_payments"])
    assert not decision.allowed and _log(decision).reason == "not_bank_user"


def test_several_authorizations_combine(setup):
    bank, officer, enterprise = setup
    grant_query(enterprise, bank, ["tax_payments"])
    grant_query(enterprise, bank, ["utility_bills"], days=10)
    decision = _check(officer, enterprise, ["tax_payments", "utility_bills"])
    assert decision.categories == {"tax_payments", "utility_bills"} and decision.reason == ""


def test_the_log_row_survives_a_rollback_of_the_request(setup):
    _bank, officer, enterprise = setup
    decision = _check(officer, enterprise)
    db.session.rollback()  # what the error handler does after a denial
    assert db.session.scalar(select(AccessLogEntry).where(AccessLogEntry.id == decision.log_id))
