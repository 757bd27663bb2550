"""An enterprise authorizes a named bank (web and API), sees what it will see, revokes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.clock import utcnow
from app.consent import services
from app.consent.guard import check_bank_access
from app.consent.models import Authorization
from app.extensions import db


@pytest.fixture
def bank(factories):
    return factories.bank(code="QBANK", name="秦银行")


def _decision(officer, enterprise, categories=("tax_payments",)):
    return check_bank_access(officer, enterprise, categories, endpoint="/t", channel="api", ip=None)


def test_web_grant_shows_preview_then_confirms(login_as, bank, factories):
    client, owner = login_as(Role.ENTERPRISE)
    form = {"bank_id": bank.id, "categories": ["enterprises", "tax_payments"],
            "purpose": "renewal", "days": 45}  # fmt: skip
    preview = client.post("/consent/banks", form)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "确认授权 秦银行 查看以下内容" in page
    assert owner.enterprise.name in page  # the registry section, as the bank will see it
    assert "未授权" in page  # utility bills etc. are not ticked
    assert "企业信用信息查询授权书" in page
    assert db.session.scalar(select(Authorization).where(Authorization.kind == "query")) is None
    text = services.current_text("query")
    confirm = client.post(
        "/consent/banks",
        {**form, "confirm": "1", "text_id": text.id, "text_sha256": text.sha256},
    )
    assert confirm.status_code == 302
    auth = db.session.scalar(select(Authorization).where(Authorization.kind == "query"))
    assert auth.grantee_bank_id == bank.id and auth.categories == ["enterprises", "tax_payments"]
    assert auth.purpose == "renewal"
    assert auth.consent_text_sha256 == text.sha256 and auth.granted_by_user_id == owner.id
    assert abs((auth.valid_until - auth.valid_from) - timedelta(days=45)) < timedelta(seconds=1)
    listing = client.get("/consent/banks").get_data(as_text=True)
    assert "秦银行" in listing and "用途：授信续期" in listing


def test_web_grant_refuses_more_than_90_days_and_keeps_input(login_as, bank):
    client, _owner = login_as(Role.ENTERPRISE)
    response = client.post(
        "/consent/banks",
        {"bank_id": bank.id, "categories": ["tax_payments"], "purpose": "pre_loan", "days": 120},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "有效期应为 1 至 90 天" in page and 'value="120"' in page


def test_web_stale_text_is_refused(login_as, bank):
    client, _owner = login_as(Role.ENTERPRISE)
    text = services.current_text("query")
    response = client.post(
        "/consent/banks",
        {"bank_id": bank.id, "categories": ["tax_payments"], "purpose": "pre_loan", "days": 30,
         "confirm": "1", "text_id": text.id, "text_sha256": "0" * 64},
    )  # fmt: skip
    assert response.status_code == 409
    assert db.session.scalar(select(Authorization).where(Authorization.kind == "query")) is None


def test_web_revoke_is_immediate(login_as, bank, factories):
    client, owner = login_as(Role.ENTERPRISE)
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    text = services.current_text("query")
    auth = services.grant_query(owner.enterprise_id, bank.id, ["tax_payments"], purpose="pre_loan",
                                user_id=owner.id, ip=None, text_id=text.id)  # fmt: skip
    db.session.commit()
    assert _decision(officer, owner.enterprise).allowed
    assert "确认撤销授权" in client.get(f"/consent/authorizations/{auth.id}/revoke").get_data(
        as_text=True
    )
    response = client.post(f"/consent/authorizations/{auth.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/banks")
    assert not _decision(officer, owner.enterprise).allowed


def test_other_enterprise_cannot_see_or_revoke(login_as, bank, factories):
    owner = factories.user(Role.ENTERPRISE)
    text = services.current_text("query")
    auth = services.grant_query(owner.enterprise_id, bank.id, ["tax_payments"], purpose="pre_loan",
                                user_id=owner.id, ip=None, text_id=text.id)  # fmt: skip
    db.session.commit()
    intruder, _ = login_as(Role.ENTERPRISE)
    assert intruder.get(f"/consent/authorizations/{auth.id}/revoke").status_code == 404
    assert intruder.post(f"/consent/authorizations/{auth.id}/revoke").status_code == 404
    assert (
        "秦银行"
        not in intruder.get("/consent/banks").get_data(as_text=True).split("我的银行查询授权")[1]
    )
    db.session.refresh(auth)
    assert auth.state == "active"


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN])
def test_bank_authorization_pages_are_for_enterprises(login_as, role):
    client, _ = login_as(role)
    assert client.get("/consent/banks").status_code == 403


# --- API --------------------------------------------------------------------------------


def test_api_grant_list_and_revoke(api, factories, bank):
    owner = factories.user(Role.ENTERPRISE)
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    token = factories.token(owner)
    db.session.commit()
    created = api.post(
        "/api/v1/authorizations",
        json={"grantee": "QBANK", "categories": ["tax_payments", "enterprises"],
              "purpose": "pre_loan", "application_id": None},
        token=token,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["grantee"] == "QBANK" and body["state"] == "active"
    assert body["categories"] == ["enterprises", "tax_payments"]
    assert body["consent_text_version"] == 1
    listed = api.get("/api/v1/authorizations", token=token).get_json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert _decision(officer, owner.enterprise).allowed
    revoked = api.delete(f"/api/v1/authorizations/{body['id']}", token=token)
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert not _decision(officer, owner.enterprise).allowed
    again = api.delete(f"/api/v1/authorizations/{body['id']}", token=token)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (
            {"grantee": "QBANK", "categories": ["tax_payments"], "purpose": "pre_loan", "days": 91},
            422,
            "days",
        ),
        (
            {
                "grantee": "QBANK",
                "categories": ["tax_payments"],
                "purpose": "pre_loan",
                "days": "x",
            },
            422,
            "days",
        ),
        ({"grantee": "QBANK", "categories": [], "purpose": "pre_loan"}, 422, "categories"),
        ({"grantee": "QBANK", "categories": ["secrets"], "purpose": "pre_loan"}, 422, "categories"),
        ({"grantee": "QBANK", "categories": ["tax_payments"], "purpose": ""}, 422, "purpose"),
        ({"grantee": "NOBANK", "categories": ["tax_payments"], "purpose": "pre_loan"}, 404, None),
        (
            {"grantee": "QBANK", "categories": "tax_payments", "purpose": "pre_loan"},
            422,
            "categories",
        ),
    ],
)
def test_api_bad_grants_are_refused(api, factories, bank, payload, status, field):
    token = factories.token(factories.user(Role.ENTERPRISE))
    db.session.commit()
    response = api.post("/api/v1/authorizations", json=payload, token=token)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    if field:
        assert error["field"] == field
    assert db.session.scalar(select(Authorization).where(Authorization.kind == "query")) is None


def test_api_cannot_touch_another_enterprises_authorization(api, factories, bank):
    owner, intruder = factories.user(Role.ENTERPRISE), factories.user(Role.ENTERPRISE)
    text = services.current_text("query")
    auth = services.grant_query(owner.enterprise_id, bank.id, ["tax_payments"], purpose="pre_loan",
                                user_id=owner.id, ip=None, text_id=text.id)  # fmt: skip
    token = factories.token(intruder)
    db.session.commit()
    assert api.get("/api/v1/authorizations", token=token).get_json() == []
    assert api.delete(f"/api/v1/authorizations/{auth.id}", token=token).status_code == 404


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN])
def test_api_authorizations_are_for_enterprises_only(api, factories, role):
    token = factories.token(factories.user(role))
    db.session.commit()
    assert api.get("/api/v1/authorizations", token=token).status_code == 403
    assert api.post("/api/v1/authorizations", json={}, token=token).status_code == 403
    assert api.delete("/api/v1/authorizations/1", token=token).status_code == 403


def test_expired_query_authorization_lists_as_expired(api, factories, bank):
    owner = factories.user(Role.ENTERPRISE)
    text = services.current_text("query")
    services.grant_query(owner.enterprise_id, bank.id, ["tax_payments"], purpose="pre_loan", days=1,
                         user_id=owner.id, ip=None, text_id=text.id,
                         now=utcnow() - timedelta(days=2))  # fmt: skip
    token = factories.token(owner)
    db.session.commit()
    assert api.get("/api/v1/authorizations", token=token).get_json()[0]["state"] == "expired"
