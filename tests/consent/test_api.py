"""/api/v1/me/collection-authorizations."""

from __future__ import annotations

from app.consent import services

URL = "/api/v1/me/collection-authorizations"


def test_grant_list_and_revoke(api, factories, collection_text):
    user = factories.user("enterprise")
    token = factories.token(user)
    created = api.post(
        URL, json={"categories": ["tax_payments"], "consent_text_version": 1}, token=token
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "active" and body["grantee"] == "platform"
    assert body["consent_text_sha256"] == collection_text.sha256
    listed = api.get(URL, token=token).get_json()
    assert [a["id"] for a in listed] == [body["id"]]
    revoked = api.delete(f"{URL}/{body['id']}", token=token)
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert not services.has_collection_consent(user.enterprise_id, "tax_payments")


def test_stale_version_is_409(api, factories, collection_text):
    token = factories.token(factories.user("enterprise"))
    services.publish_text("collection", "新版", title="v2")
    response = api.post(URL, json={"categories": ["tax_payments"], "consent_text_version": 1},
                        token=token)  # fmt: skip
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "stale_consent_text"


def test_bad_body_and_category_are_422(api, factories, collection_text):
    token = factories.token(factories.user("enterprise"))
    assert api.post(URL, json={"categories": "tax_payments"}, token=token).status_code == 422
    response = api.post(URL, json={"categories": ["enterprises"], "consent_text_version": 1},
                        token=token)  # fmt: skip
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
