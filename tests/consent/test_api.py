"""/api/v1/authorizations: one API for both kinds, the same validation for each."""

from __future__ import annotations

import pytest

from app.applications import services as applications
from app.auth.models import Role
from app.consent import services
from tests.products.helpers import make_product

URL = "/api/v1/authorizations"
PLATFORM = {"grantee": "platform", "categories": ["tax_payments"]}


def test_grant_list_and_revoke(api, factories, collection_text):
    user = factories.user("enterprise")
    token = factories.token(user)
    created = api.post(URL, json=PLATFORM | {"consent_text_version": 1}, token=token)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "active" and body["grantee"] == "platform"
    assert body["kind"] == "collection"
    assert body["consent_text_sha256"] == collection_text.sha256
    listed = api.get(f"{URL}?kind=collection", token=token).get_json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert api.get(f"{URL}?kind=query", token=token).get_json() == []
    assert api.get(f"{URL}?kind=other", token=token).status_code == 422
    revoked = api.delete(f"{URL}/{body['id']}", token=token)
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert not services.has_collection_consent(user.enterprise_id, "tax_payments")


@pytest.fixture
def grantees(factories):
    bank = factories.bank()
    return {"platform": PLATFORM, "bank": {"grantee": bank.code, "categories": ["tax_payments"],
                                           "purpose": "pre_loan"}}  # fmt: skip


@pytest.mark.parametrize("grantee", ["platform", "bank"])
def test_a_stale_version_is_409_for_either_kind(api, factories, grantees, grantee):
    token = factories.token(factories.user("enterprise"))
    kind = "collection" if grantee == "platform" else "query"
    services.publish_text(kind, "新版", title="v2")
    response = api.post(URL, json=grantees[grantee] | {"consent_text_version": 1}, token=token)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "stale_consent_text"


@pytest.mark.parametrize("grantee", ["platform", "bank"])
def test_an_unknown_version_is_422_naming_it_for_either_kind(api, factories, grantees, grantee):
    token = factories.token(factories.user("enterprise"))
    response = api.post(URL, json=grantees[grantee] | {"consent_text_version": 99}, token=token)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "consent_text_version"


def test_bad_body_and_category_are_422(api, factories, collection_text):
    token = factories.token(factories.user("enterprise"))
    bad = api.post(URL, json={"grantee": "platform", "categories": "tax_payments"}, token=token)
    assert bad.status_code == 422
    response = api.post(URL, json={"grantee": "platform", "categories": ["enterprises"],
                                   "consent_text_version": 1}, token=token)  # fmt: skip
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "categories"


def test_other_enterprise_gets_404_and_banks_403(api, factories, collection_text):
    owner = factories.enterprise()
    auth = services.grant_collection(
        owner.id, ["tax_payments"], user_id=None, ip=None, text_id=collection_text.id
    )
    other = factories.token(factories.user("enterprise"))
    assert api.delete(f"{URL}/{auth.id}", token=other).status_code == 404
    bank_token = factories.token(factories.user("bank_officer"))
    assert api.get(URL, token=bank_token).status_code == 403
    assert api.get(URL).status_code == 401
    assert services.has_collection_consent(owner.id, "tax_payments")


def test_the_application_must_be_the_enterprises_own_and_to_that_bank(api, factories):
    bank, elsewhere = factories.bank(), factories.bank()
    product = make_product(bank)
    owner, stranger = factories.user(Role.ENTERPRISE), factories.user(Role.ENTERPRISE)
    app = applications.create_application(
        owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
        purpose="备货", user_id=owner.id,
    )  # fmt: skip
    body = {"grantee": bank.code, "categories": ["tax_payments"], "purpose": "pre_loan",
            "application_id": app.id}  # fmt: skip
    theirs = api.post(URL, json=body, token=factories.token(stranger))
    assert theirs.status_code == 422 and theirs.get_json()["error"]["field"] == "application_id"
    wrong_bank = api.post(URL, json=body | {"grantee": elsewhere.code},
                          token=factories.token(owner))  # fmt: skip
    assert wrong_bank.status_code == 422
    assert wrong_bank.get_json()["error"]["field"] == "application_id"
    own = api.post(URL, json=body, token=factories.token(owner))
    assert own.status_code == 201 and own.get_json()["application_id"] == app.id
