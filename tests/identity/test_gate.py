"""The one gate: an unverified enterprise account gets only public facts, on every route.

The routes are enumerated from `app.url_map`, so a new route that an enterprise can reach
and that is neither gated nor listed in `PUBLIC` fails here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.applications import services as applications
from app.applications.models import ApplicationDraft
from app.auth.models import Role
from app.consent import services as consent
from app.extensions import db, limiter
from app.i18n import later
from app.notifications.services import notify
from tests.conftest import WebClient
from tests.products.helpers import make_product

# Endpoints an unverified enterprise account may open besides the pages open to anyone: its
# own account and the enterprise's public registry facts. Everything else must refuse it,
# and nothing it opens may show the enterprise's non-public data.
PUBLIC = {
    "static", "main.index", "main.healthz", "main.readyz", "main.home", "main.enterprise_home",
    "auth.login", "auth.register", "auth.logout", "auth.change_password", "auth.settings",
    "auth.revoke_token", "auth.set_language", "identity.verify", "identity.history",
    "auth.second_factor", "auth.enrol_at_login", "auth.two_factor", "auth.enrol",
    "auth.regenerate_recovery_codes", "auth.disable_two_factor",
    "identity.send_phone_code", "identity.check_phone_code", "auth.sign_out_everywhere",
    "identity.submit_review", "identity.review_file",
    "identity.request_payment", "identity.check_payment_amount",
    "api.my_verification", "api.send_phone_code", "api.check_phone_code",
    "api.request_payment", "api.check_payment_amount", "api.submit_review",
    "scoring.index", "scoring.version",
    "api.me", "api.my_enterprise", "api.regions", "api.industries", "api.docs", "api.openapi",
    "api.list_products", "api.get_product",
}  # fmt: skip
# A form page that shows nothing of the enterprise (GET only; its POST is kept as a draft).
FORM_ONLY = {"applications.new"}
SECRETS = ("机密用途-7431", "机密通知-7431")


@pytest.fixture
def unverified(factories):
    """An unverified account of an enterprise that has non-public data (marked SECRETS)."""
    enterprise = factories.enterprise(contact_phone="13912345678")
    owner = factories.user(enterprise=enterprise)  # the verified account of the enterprise
    claimant = factories.user(enterprise=enterprise, verified=False)
    bank = factories.bank()
    product = make_product(bank)
    app = applications.create_application(
        enterprise.id, product_id=product.id, amount="200000", term_months=12,
        purpose=SECRETS[0], user_id=owner.id,
    )  # fmt: skip
    text = consent.current_text("collection", "zh")
    authorization = consent.grant_collection(
        enterprise.id, ["tax_payments"], user_id=owner.id, ip=None, text_id=text.id
    )
    notify("test", later(SECRETS[1]), enterprise_id=enterprise.id)
    token = factories.token(claimant)
    db.session.commit()
    ids = {
        "application_id": app.id, "authorization_id": authorization.id, "product_id": product.id,
        "notification_id": 1, "dispute_id": 1, "record_id": 1, "token_id": 999999, "batch_id": 1,
        "user_id": claimant.id, "version": 1, "source": "tax_payments", "uscc": enterprise.uscc,
        "action": "withdraw", "filename": "app.css",
    }  # fmt: skip
    return claimant, token, ids


def _path(rule, ids) -> str:
    return re.sub(r"<(?:[a-z]+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _open_to_anyone(app, path: str, method: str) -> bool:
    """A page for visitors who are not logged in (the product market, public figures…)."""
    anonymous = WebClient(app.test_client())
    response = anonymous.client.open(
        path, method=method, data={"csrf_token": anonymous.csrf_token()}
    )
    login_page = "/login" in response.headers.get("Location", "")
    return response.status_code not in (401, 403) and not login_page


def test_every_route_gives_an_unverified_account_only_public_facts(app, unverified, api):
    claimant, token, ids = unverified
    opened, refused = set(), set()
    for rule, method in _routes(app):
        path = _path(rule, ids)
        if rule.endpoint.startswith("api."):
            response = api.client.open(
                path, method=method, json={}, headers={"Authorization": f"Bearer {token}"}
            )
            body = response.get_data(as_text=True)
            if response.status_code == 403:
                code = response.get_json()["error"]["code"]
                assert code in ("enterprise_not_verified", "wrong_role"), (path, body)
                refused.add(rule.endpoint)
                continue
        else:
            limiter.reset()  # a login per route, beyond the per-address login limit
            client = WebClient(app.test_client())
            client.login(claimant)
            response = client.client.open(
                path, method=method, data={"csrf_token": client.csrf_token()}
            )
            body = response.get_data(as_text=True)
            location = response.headers.get("Location", "")
            if response.status_code == 303 and location.endswith("/account/verification"):
                refused.add(rule.endpoint)
                continue
            if response.status_code == 403:  # a page for other roles
                continue
        allowed = (
            rule.endpoint in PUBLIC
            or (rule.endpoint in FORM_ONLY and method == "GET")
            or _open_to_anyone(app, path, method)
        )
        assert allowed, f"{method} {path} answered {response.status_code} to an unverified account"
        for secret in SECRETS:
            assert secret not in body, f"{method} {path} shows non-public data"
        opened.add(rule.endpoint)
    # The gate is really in the way of the enterprise's own pages and API.
    assert {"profiles.enterprise_profile", "consent.collection", "consent.banks",
            "applications.index", "disputes.records", "audit.access_log", "matching.index",
            "notifications.index", "auth.create_token", "api.my_profile",
            "api.create_authorization", "api.create_application",
            "api.file_dispute", "api.list_authorizations"} <= refused  # fmt: skip
    assert {"main.enterprise_home", "api.me", "identity.verify"} <= opened


def test_api_refusal_is_json_403_enterprise_not_verified(unverified, api):
    _claimant, token, _ids = unverified
    response = api.get("/api/v1/me/profile", token=token)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "enterprise_not_verified"
    assert api.get("/api/v1/me", token=token).get_json()["verified"] is False


def test_web_refusal_points_to_verification(app, unverified):
    claimant, _token, _ids = unverified
    client = WebClient(app.test_client())
    client.login(claimant)
    response = client.get("/enterprise/profile", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "账户核验" in page
    assert "贵企业账户尚未核验" in page


def test_home_shows_public_facts_and_the_masked_phone(app, unverified):
    claimant, _token, _ids = unverified
    client = WebClient(app.test_client())
    client.login(claimant)
    page = client.get("/enterprise").get_data(as_text=True)
    assert claimant.enterprise.name in page and "待核验" in page
    assert "139****5678" in page and "13912345678" not in page
    assert "查看我的信用画像" not in page


def test_a_refused_application_is_kept_as_a_draft_and_offered_after_verification(app, unverified):
    from app.identity import services as identity
    from app.identity.models import VerificationMethod

    claimant, _token, ids = unverified
    client = WebClient(app.test_client())
    client.login(claimant)
    form = {"product_id": ids["product_id"], "amount": "300000", "term_months": "24",
            "purpose": "采购原材料"}  # fmt: skip
    assert client.get(f"/applications/new?product_id={ids['product_id']}").status_code == 200
    response = client.post("/applications/new", form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/verification")
    draft = db.session.scalar(
        select(ApplicationDraft).where(ApplicationDraft.user_id == claimant.id)
    )
    assert (draft.amount, draft.term_months, draft.purpose) == ("300000", "24", "采购原材料")
    assert "已保存为草稿" in client.get("/account/verification").get_data(as_text=True)

    identity.mark_verified(claimant, VerificationMethod.OPERATOR, detail="test")
    db.session.commit()
    home = client.get("/enterprise").get_data(as_text=True)
    assert "继续填写申请" in home and "amount=300000" in home


def test_verified_accounts_pass_the_gate(login_as):
    client, _user = login_as(Role.ENTERPRISE)
    assert client.get("/enterprise/profile").status_code == 200
