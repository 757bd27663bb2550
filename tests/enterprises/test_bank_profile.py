"""Every role against the endpoints that expose an enterprise's data; every look logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db
from tests.consent.test_guard import grant_query


@pytest.fixture
def world(factories):
    bank = factories.bank(code="PROFBANK")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    other_officer = factories.user(Role.BANK_OFFICER)
    enterprise = factories.enterprise(name="秦岭画像测试有限公司", industry_code="C", scale="small")
    db.session.commit()
    return bank, officer, other_officer, enterprise


def _log_count(enterprise, outcome=None):
    query = select(func.count()).where(AccessLogEntry.enterprise_id == enterprise.id)
    if outcome:
        query = query.where(AccessLogEntry.outcome == outcome)
    return db.session.scalar(query)


def _path(enterprise):
    return f"/api/v1/enterprises/{enterprise.uscc}/profile"


def test_api_without_authorization_is_403_anonymous_and_logged(api, factories, world):
    _bank, officer, _other, enterprise = world
    token = factories.token(officer)
    response = api.get(_path(enterprise), token=token)
    assert response.status_code == 403
    body = response.get_json()["error"]
    assert body["code"] == "not_authorized"
    assert "秦岭画像测试" not in response.get_data(as_text=True)
    assert enterprise.uscc not in str(body["summary"])
    assert body["summary"]["scale"] == "small"
    assert _log_count(enterprise, "denied") == 1


def test_api_with_authorization_shows_only_covered_sections(api, factories, world):
    bank, officer, _other, enterprise = world
    grant_query(enterprise, bank, ["enterprises", "tax_payments"])
    token = factories.token(officer)
    db.session.commit()
    body = api.get(_path(enterprise), token=token).get_json()
    assert body["uscc"] == enterprise.uscc and body["name"] == "秦岭画像测试有限公司"
    assert body["categories"] == ["enterprises", "tax_payments"]
    assert body["sections"]["enterprises"]["legal_rep"] == "王五"
    assert body["sections"]["utility_bills"] == {"authorized": False}
    assert body["sections"]["social_insurance"] == {"authorized": False}
    assert set(body) >= {"score", "grade", "model_version", "computed_at", "dimensions", "reasons",
                         "coverage", "features"}  # fmt: skip
    entry = db.session.scalar(
        select(AccessLogEntry).where(AccessLogEntry.enterprise_id == enterprise.id)
    )
    assert entry.outcome == "allowed" and entry.channel == "api"
    assert entry.endpoint == _path(enterprise)


def test_registry_hidden_when_not_covered(api, factories, world):
    bank, officer, _other, enterprise = world
    grant_query(enterprise, bank, ["tax_payments"])
    token = factories.token(officer)
    db.session.commit()
    body = api.get(_path(enterprise), token=token).get_json()
    assert body["sections"]["enterprises"] == {"authorized": False}
    assert "王五" not in str(body)


def test_other_bank_is_refused(api, factories, world):
    bank, _officer, other_officer, enterprise = world
    grant_query(enterprise, bank, ["enterprises"])
    token = factories.token(other_officer)
    db.session.commit()
    assert api.get(_path(enterprise), token=token).status_code == 403


def test_expired_and_revoked_are_refused(api, factories, world):
    bank, officer, _other, enterprise = world
    expired = grant_query(enterprise, bank, ["enterprises"])
    expired.valid_until = utcnow() - timedelta(seconds=1)
    revoked = grant_query(enterprise, bank, ["enterprises"])
    revoked.state = "revoked"
    token = factories.token(officer)
    db.session.commit()
    assert api.get(_path(enterprise), token=token).status_code == 403
    assert _log_count(enterprise, "denied") == 1


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.REGULATOR, Role.ADMIN])
def test_non_bank_tokens_cannot_read_profiles(api, factories, world, role):
    _bank, _officer, _other, enterprise = world
    token = factories.token(factories.user(role))
    db.session.commit()
    response = api.get(_path(enterprise), token=token)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "wrong_role"


def test_own_enterprise_token_cannot_use_the_bank_endpoint(api, factories, world):
    _bank, _officer, _other, enterprise = world
    owner = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    token = factories.token(owner)
    db.session.commit()
    assert api.get(_path(enterprise), token=token).status_code == 403


def test_unknown_enterprise_is_404(api, factories, world):
    _bank, officer, _other, _enterprise = world
    token = factories.token(officer)
    db.session.commit()
    assert (
        api.get(f"/api/v1/enterprises/{factories.uscc()}/profile", token=token).status_code == 404
    )


def test_no_token_is_401(api, world):
    assert api.get(_path(world[3])).status_code == 401


def test_web_page_follows_the_same_guard(app, world):
    from tests.conftest import WebClient

    bank, officer, _other_officer, enterprise = world
    client = WebClient(app.test_client())
    client.login(officer)
    denied = client.get(f"/bank/enterprises/{enterprise.uscc}")
    assert denied.status_code == 403
    text = denied.get_data(as_text=True)
    assert "匿名企业概况" in text and "秦岭画像测试" not in text
    grant_query(enterprise, bank, ["enterprises"])
    db.session.commit()
    allowed = client.get(f"/bank/enterprises/{enterprise.uscc}").get_data(as_text=True)
    assert "秦岭画像测试有限公司" in allowed and "未授权" in allowed
    assert _log_count(enterprise) == 2
    assert (
        db.session.scalar(
            select(AccessLogEntry.channel)
            .where(AccessLogEntry.enterprise_id == enterprise.id)
            .limit(1)
        )
        == "web"
    )


def test_lookup_form_validates_the_code(login_as, factories):
    client, _ = login_as(Role.BANK_OFFICER)
    bad = client.get("/bank/enterprises?uscc=91610113ABC")
    assert bad.status_code == 422 and "统一社会信用代码" in bad.get_data(as_text=True)
    code = factories.uscc()
    ok = client.get(f"/bank/enterprises?uscc={code.lower()}")
    assert ok.status_code == 302 and ok.headers["Location"].endswith(code)


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.REGULATOR, Role.ADMIN])
def test_web_profile_is_for_bank_users_only(login_as, world, role):
    client, _ = login_as(role)
    assert client.get(f"/bank/enterprises/{world[3].uscc}").status_code == 403


@pytest.mark.frozen_at("2026-11-18T10:00:00+08:00")  # the records sit in 2026-03 … 05
def test_record_sections_show_monthly_summaries_within_the_authorization(
    api, app, factories, world
):
    from app.consent import services as consent_services
    from app.ingest.services import ingest_records
    from tests.conftest import WebClient

    bank, officer, _other, enterprise = world
    consent_services.record_paper(
        [enterprise.uscc], categories=["tax_payments", "utility_bills"], evidence_ref="T-1"
    )
    ingest_records(
        "tax_payments",
        [
            {"uscc": enterprise.uscc, "period": "2026-03", "tax_type": "增值税", "amount": "1,200.50",
             "due_on": "2026-04-15", "paid_on": "2026-04-10"},
            {"uscc": enterprise.uscc, "period": "2026-03", "tax_type": "个人所得税", "amount": "99.50",
             "due_on": "2026-04-15", "paid_on": "2026-04-20"},
            {"uscc": enterprise.uscc, "period": "2026-04", "tax_type": "增值税", "amount": "800",
             "due_on": "2026-05-15", "paid_on": ""},
        ],
        origin="push",
    )  # fmt: skip
    ingest_records(
        "utility_bills",
        [{"uscc": enterprise.uscc, "utility": "电", "period": "2026-04", "amount_due": "4321",
          "amount_paid": "1234", "due_on": "2026-05-10", "paid_on": "2026-05-09"}],
        origin="push",
    )  # fmt: skip
    from app.ingest.models import UtilityBill

    assert db.session.scalar(
        select(UtilityBill.amount_due).where(UtilityBill.uscc == enterprise.uscc)
    )
    grant_query(enterprise, bank, ["enterprises", "tax_payments"])
    token = factories.token(officer)
    db.session.commit()
    body = api.get(_path(enterprise), token=token).get_json()
    monthly = body["sections"]["tax_payments"]["monthly"]
    assert monthly == [
        {"period": "2026-04", "amount": "800.00", "payments": 1, "late": 1, "unpaid": 1},
        {"period": "2026-03", "amount": "1300.00", "payments": 2, "late": 1, "unpaid": 0},
    ]
    assert body["sections"]["utility_bills"] == {"authorized": False}
    assert body["coverage"] == {"tax_payments": 2}
    client = WebClient(app.test_client())
    client.login(officer)
    page = client.get(f"/bank/enterprises/{enterprise.uscc}").get_data(as_text=True)
    assert "¥1,300.00" in page and "2026-03" in page  # money through the one filter
    assert "4321" not in page and "1,234.00" not in page  # the utility bill stays hidden
