"""The applications API: create, list, read, decide; object-level access for every role."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.clock import local_today
from app.consent.models import Authorization
from app.extensions import db
from app.matching.criteria import CRITERIA
from app.notifications.models import Notification
from tests.products.helpers import make_product


@pytest.fixture
def world(factories):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    owner = factories.user(Role.ENTERPRISE)
    product = make_product(bank)
    return {
        "bank": bank,
        "product": product,
        "owner": owner,
        "officer": officer,
        "owner_token": factories.token(owner),
        "officer_token": factories.token(officer),
    }


def _create(api, world, **body):
    payload = {"product_id": world["product"].id, "amount": "200000", "term_months": 12,
               "purpose": "采购原材料"} | body  # fmt: skip
    return api.post("/api/v1/applications", payload, token=world["owner_token"])


def test_full_journey_over_the_api(api, world):
    created = _create(api, world, consent={"categories": ["enterprises", "tax_ratings"]})
    assert created.status_code == 201, created.json
    app_id = created.json["id"]
    assert created.json["state"] == "submitted"
    auth = db.session.query(Authorization).filter_by(application_id=app_id).one()
    assert auth.grantee_bank_id == world["bank"].id
    assert sorted(auth.categories) == ["enterprises", "tax_ratings"]

    officer = world["officer_token"]
    seen = api.get(f"/api/v1/applications/{app_id}", token=officer).json
    assert seen["enterprise"]["name"]  # authorized: identified
    assert api.post(f"/api/v1/applications/{app_id}/approve", {"amount": "1", "rate": "4",
                    "term_months": 12}, token=officer).status_code == 409  # fmt: skip
    assert api.post(f"/api/v1/applications/{app_id}/accept", token=officer).status_code == 200
    bad = api.post(f"/api/v1/applications/{app_id}/approve",
                   {"amount": "abc", "rate": "4", "term_months": 12}, token=officer)  # fmt: skip
    assert bad.status_code == 422 and bad.json["error"]["field"] == "amount"
    too_many = api.get("/api/v1/me/matches?amount=1&term_months=1&limit=500",
                       token=world["owner_token"])  # fmt: skip
    assert too_many.status_code == 422 and too_many.json["error"]["field"] == "limit"
    approved = api.post(f"/api/v1/applications/{app_id}/approve",
                        {"amount": "180000", "rate": "4.35", "term_months": 12}, token=officer)  # fmt: skip
    assert approved.json["state"] == "approved" and approved.json["approved_rate"] == "4.3500"
    disbursed = api.post(f"/api/v1/applications/{app_id}/disburse", {"amount": "180000",
                         "disbursed_on": local_today().isoformat(), "first_loan": True},
                         token=officer)  # fmt: skip
    assert disbursed.status_code == 200, disbursed.json
    assert disbursed.json["first_loan"] is True
    timeline = api.get(f"/api/v1/applications/{app_id}", token=world["owner_token"]).json
    assert [e["to"] for e in timeline["events"]] == [
        "submitted",
        "accepted",
        "approved",
        "disbursed",
    ]
    kinds = {n.kind for n in db.session.query(Notification).filter_by(
        enterprise_id=world["owner"].enterprise_id)}  # fmt: skip
    assert {"application_accepted", "application_approved", "application_disbursed"} <= kinds


def test_withdraw_and_refused_withdraw(api, world):
    app_id = _create(api, world).json["id"]
    response = api.post(f"/api/v1/applications/{app_id}/withdraw", token=world["owner_token"])
    assert response.status_code == 200 and response.json["state"] == "withdrawn"
    again = api.post(f"/api/v1/applications/{app_id}/withdraw", token=world["owner_token"])
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"amount": "0"}, "amount"), ({"term_months": "x"}, "term_months"),
     ({"amount": "9000000"}, "amount"), ({"product_id": "abc"}, "product_id"),
     ({"consent": {"consent_text_version": "v1"}}, "consent.consent_text_version"),
     ({"consent": {"categories": ["secrets"]}}, "categories")],
)  # fmt: skip
def test_bad_create_is_422_naming_the_field(api, world, body, field):
    response = _create(api, world, **body)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field


def test_object_level_access(api, world, factories):
    app_id = _create(api, world).json["id"]
    other_owner = factories.token(factories.user(Role.ENTERPRISE))
    other_officer = factories.token(factories.user(Role.BANK_OFFICER))
    for token in (other_owner, other_officer):
        assert api.get(f"/api/v1/applications/{app_id}", token=token).status_code == 404
        assert api.get("/api/v1/applications", token=token).json == []
    assert api.post(f"/api/v1/applications/{app_id}/accept", token=other_officer).status_code == 404
    assert api.post(f"/api/v1/applications/{app_id}/withdraw", token=other_owner).status_code == 404


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
def test_other_roles_have_no_application_api(api, world, factories, role):
    token = factories.token(factories.user(role))
    app_id = _create(api, world).json["id"]
    assert api.get("/api/v1/applications", token=token).status_code == 403
    assert api.get(f"/api/v1/applications/{app_id}", token=token).status_code == 403
    assert api.post("/api/v1/applications", {}, token=token).status_code == 403
    assert api.post(f"/api/v1/applications/{app_id}/accept", token=token).status_code == 403
    assert api.get("/api/v1/me/matches?amount=1&term_months=1", token=token).status_code == 403


def test_bank_cannot_withdraw_enterprise_cannot_accept(api, world):
    app_id = _create(api, world).json["id"]
    assert api.post(f"/api/v1/applications/{app_id}/withdraw",
                    token=world["officer_token"]).status_code == 403  # fmt: skip
    assert api.post(f"/api/v1/applications/{app_id}/accept",
                    token=world["owner_token"]).status_code == 403  # fmt: skip
    assert api.post(f"/api/v1/applications/{app_id}/accept").status_code == 401


def test_open_demand_is_anonymous_to_fitting_banks_only(api, world, factories):
    created = _create(api, world, product_id=None)
    assert created.status_code == 201 and created.json["bank"] is None
    app_id = created.json["id"]
    fitting = api.get("/api/v1/applications", token=world["officer_token"]).json
    assert [a["id"] for a in fitting] == [app_id]
    assert fitting[0]["enterprise"] is None and fitting[0]["purpose"] is None
    assert set(fitting[0]["summary"]) == {"industry", "region", "scale"}
    # A bank without a fitting product neither lists nor sees it.
    unfit_bank = factories.bank()
    make_product(unfit_bank, amount_max="150000")
    unfit = factories.token(factories.user(Role.BANK_OFFICER, bank=unfit_bank))
    assert api.get("/api/v1/applications", token=unfit).json == []
    assert api.get(f"/api/v1/applications/{app_id}", token=unfit).status_code == 404
    notified = db.session.query(Notification).filter_by(bank_id=world["bank"].id,
                                                        kind="demand_new").count()  # fmt: skip
    assert notified == 1


def test_open_demand_first_bank_wins_then_enterprise_authorizes(api, world, factories):
    rival_bank = factories.bank()
    make_product(rival_bank)
    rival = factories.token(factories.user(Role.BANK_OFFICER, bank=rival_bank))
    app_id = _create(api, world, product_id=None).json["id"]
    won = api.post(f"/api/v1/applications/{app_id}/accept", token=world["officer_token"])
    assert won.status_code == 200 and won.json["bank"] == world["bank"].code
    assert won.json["enterprise"] is None  # not authorized yet
    lost = api.post(f"/api/v1/applications/{app_id}/accept", token=rival)
    assert lost.status_code == 404  # no longer open; not the rival's
    note = db.session.query(Notification).filter_by(kind="demand_accepted").one()
    assert note.enterprise_id == world["owner"].enterprise_id
    assert note.link.endswith(f"/applications/{app_id}/authorize")
    grant = api.post("/api/v1/authorizations", {"grantee": world["bank"].code,
                     "categories": ["enterprises"], "purpose": "pre_loan",
                     "application_id": app_id}, token=world["owner_token"])  # fmt: skip
    assert grant.status_code == 201, grant.json
    seen = api.get(f"/api/v1/applications/{app_id}", token=world["officer_token"]).json
    assert seen["enterprise"]["uscc"]


def test_matches_endpoint(api, world):
    response = api.get("/api/v1/me/matches?amount=200000&term_months=12",
                       token=world["owner_token"])  # fmt: skip
    assert response.status_code == 200
    [match] = response.json
    assert match["product_id"] == world["product"].id and match["rank"] == 1
    assert match["eligible"] is True  # no minimum grade: a missing profile does not matter
    assert len(match["checks"]) == len(CRITERIA) and all(c["passed"] for c in match["checks"])
    bad = api.get("/api/v1/me/matches?amount=&term_months=12", token=world["owner_token"])
    assert bad.status_code == 422 and bad.json["error"]["field"] == "amount"
    too_many = api.get("/api/v1/me/matches?amount=1&term_months=1&limit=500",
                       token=world["owner_token"])  # fmt: skip
    assert too_many.status_code == 422 and too_many.json["error"]["field"] == "limit"
