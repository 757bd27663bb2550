"""Bad input answered at the edge with 400/404/422 JSON, never a 500 (app/edge.py)."""

from __future__ import annotations

import json

import pytest

from app.auth.models import Role
from app.edge import MAX_ID, MAX_JSON_DEPTH
from tests.products.helpers import DEFAULTS


@pytest.fixture
def owner_token(factories):
    return factories.token(factories.user(Role.ENTERPRISE))


@pytest.fixture
def bank_admin_token(factories):
    return factories.token(factories.user(Role.BANK_ADMIN, bank=factories.bank()))


@pytest.mark.parametrize("value", [MAX_ID + 1, 2**63, 10**30])
def test_an_id_beyond_the_column_in_a_path_is_404(api, owner_token, value):
    response = api.get(f"/api/v1/applications/{value}", token=owner_token)
    assert response.status_code == 404 and response.json["error"]


def test_an_id_beyond_the_column_in_a_body_is_422_naming_it(api, owner_token):
    body = {"product_id": MAX_ID + 1, "amount": "1000", "term_months": 12, "purpose": "x"}
    response = api.post("/api/v1/applications", body, token=owner_token)
    assert response.status_code == 422 and response.json["error"]["field"] == "product_id"
    nested = {"grantee": "platform", "categories": ["tax_payments"],
              "extra": {"application_id": "99999999999"}}  # fmt: skip
    response = api.post("/api/v1/authorizations", nested, token=owner_token)
    assert response.status_code == 422
    assert response.json["error"]["field"] == "extra.application_id"


def test_a_nul_byte_anywhere_is_400(api, owner_token):
    assert api.get("/api/v1/me/matches?amount=1%00&term_months=12",
                   token=owner_token).status_code == 400  # fmt: skip
    body = {"product_id": None, "amount": "1000", "term_months": 12, "purpose": "备\x00货"}
    response = api.post("/api/v1/applications", body, token=owner_token)
    assert response.status_code == 400 and response.json["error"]["field"] == "purpose"


@pytest.mark.parametrize("body", [[], [1, 2], "text", 42, None])
def test_a_body_that_is_not_an_object_is_422(api, owner_token, body):
    response = api.client.post(
        "/api/v1/applications", data=json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {owner_token}"},
    )  # fmt: skip
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_json"


def test_json_nested_thousands_deep_is_400(api, owner_token):
    deep = "[" * 5000 + "]" * 5000
    response = api.client.post(
        "/api/v1/applications", data=deep, content_type="application/json",
        headers={"Authorization": f"Bearer {owner_token}"},
    )  # fmt: skip
    assert response.status_code == 400 and response.json["error"]["code"] == "too_deep"
    ok = {"purpose": "x", "a": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1))}
    assert api.post("/api/v1/applications", ok, token=owner_token).status_code == 422
    # Brackets inside strings do not count.
    text = {"product_id": None, "amount": "1000", "term_months": 12, "purpose": "[" * 100}
    assert api.post("/api/v1/applications", text, token=owner_token).status_code != 400


def test_broken_json_is_400(api, owner_token):
    response = api.client.post(
        "/api/v1/applications", data='{"amount": ', content_type="application/json",
        headers={"Authorization": f"Bearer {owner_token}"},
    )  # fmt: skip
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("field", ["amount_max", "amount_min", "rate_max"])
def test_a_huge_decimal_is_422_naming_the_field(api, bank_admin_token, field):
    body = {**DEFAULTS, field: "1e27"}
    response = api.post("/api/v1/products", body, token=bank_admin_token)
    assert response.status_code == 422 and response.json["error"]["field"] == field


def test_a_web_page_with_a_huge_id_is_404_not_500(login_as):
    client, _user = login_as(Role.ENTERPRISE)
    assert client.get(f"/applications/{10**20}").status_code == 404


def _multipart(api, path, token, parts: list[tuple[str, str]]):
    """A multipart body written by hand (the test client cannot send a nameless part)."""
    boundary = "xyd-edge"
    body = (
        "".join(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n"
            for disposition, value in parts
        )
        + f"--{boundary}--\r\n"
    )
    return api.client.post(
        path, data=body.encode(), content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


@pytest.mark.parametrize("value", [MAX_ID + 1, -(10**27), "12x"])
def test_an_id_beyond_the_column_in_an_upload_is_422_naming_it(api, owner_token, value):
    parts = [('form-data; name="record_id"', str(value)), ('form-data; name="statement"', "x")]
    response = _multipart(api, "/api/v1/me/repairs", owner_token, parts)
    assert response.status_code == 422 and response.json["error"]["field"] == "record_id"


def test_a_nameless_part_in_an_upload_is_not_a_500(api, owner_token):
    parts = [("form-data", "-9213"), ('form-data; name="a\rb"', "{}"),
             ('form-data; name="record_id"', "1")]  # fmt: skip
    response = _multipart(api, "/api/v1/me/repairs", owner_token, parts)
    # The form is read as its model: the first field it lacks is named.
    assert response.status_code == 422 and response.json["error"]["field"] == "statement"
