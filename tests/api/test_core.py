"""The API's authentication, role checks, errors and OpenAPI document."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db


def _error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()["error"]
    assert set(body) >= {"code", "message"} and body["message"]
    if code:
        assert body["code"] == code
    return body


def test_request_without_token_is_401(api):
    _error(api.get("/api/v1/me"), 401, "token_missing")


def test_malformed_and_unknown_tokens_are_401(api, app):
    _error(
        api.client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "token_missing"
    )
    _error(api.get("/api/v1/me", token="xyd_not-a-real-token"), 401, "token_invalid")


def test_token_identifies_its_user(api, factories):
    bank = factories.bank(code="TOKBANK")
    user = factories.user(Role.BANK_ADMIN, bank=bank)
    token = factories.token(user)
    db.session.commit()
    body = api.get("/api/v1/me", token=token).get_json()
    assert body == {
        "id": user.id,
        "email": user.email,
        "role": "bank_admin",
        "bank": "TOKBANK",
        "uscc": None,
        "locale": None,
        "verified": None,
    }


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN])
def test_token_of_the_wrong_role_is_403(api, factories, role):
    token = factories.token(factories.user(role))
    db.session.commit()
    _error(api.get("/api/v1/me/enterprise", token=token), 403, "wrong_role")


def test_enterprise_token_reads_only_its_own_enterprise(api, factories):
    user = factories.user(Role.ENTERPRISE)
    factories.user(Role.ENTERPRISE)  # another enterprise, never returned
    token = factories.token(user)
    db.session.commit()
    body = api.get("/api/v1/me/enterprise", token=token).get_json()
    assert body["uscc"] == user.enterprise.uscc
    assert body["registered_capital"] == "500.00"  # money as a decimal string
    _error(api.get("/api/v1/banks", token=token), 403, "wrong_role")


def test_inactive_user_token_is_refused(api, factories):
    user = factories.user(Role.ADMIN)
    token = factories.token(user)
    user.active = False
    db.session.commit()
    _error(api.get("/api/v1/me", token=token), 401)


def test_unknown_endpoint_and_method_are_json(api, factories):
    _error(api.get("/api/v1/nowhere"), 404)
    token = factories.token(factories.user(Role.ADMIN))
    db.session.commit()
    response = api.post("/api/v1/me", token=token, json={})
    _error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_api_needs_no_csrf_but_rejects_cookies_alone(login_as, api):
    client, _user = login_as(Role.ADMIN)
    # A logged-in browser session is not an API credential.
    _error(client.get("/api/v1/me"), 401)


def test_reference_lists(api, factories):
    token = factories.token(factories.user(Role.ENTERPRISE))
    db.session.commit()
    regions = api.get("/api/v1/regions", token=token).get_json()
    assert {"code": "610100", "name": "西安市", "level": "city", "parent_code": "610000"} in regions
    industries = {i["code"]: i for i in api.get("/api/v1/industries", token=token).get_json()}
    assert industries["C"]["level"] == "section"
    assert industries["13"]["parent_code"] == "C"


def test_openapi_document(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    me = spec["paths"]["/api/v1/me/enterprise"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert me["x-roles"] == ["enterprise"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]


def test_docs_page_lists_endpoints(web):
    page = web.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/me/enterprise" in page and "OpenAPI" in page
