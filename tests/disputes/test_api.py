"""The disputes API: the enterprise's /me/disputes, the operator's /disputes; every role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.disputes.models import Dispute
from app.extensions import db
from app.ingest.models import TaxPayment

MINE = "/api/v1/me/disputes"
ALL = "/api/v1/disputes"


@pytest.fixture
def tokens(world, factories):
    made = {
        "owner": factories.token(world.owner),
        "other": factories.token(world.other_owner),
        "admin": factories.token(world.admin),
    }
    db.session.commit()
    return made


def _file(api, world, tokens, record=None, **body):
    record = record if record is not None else world.unpaid_tax
    payload = {"source": "tax_payments", "record_id": record.id, "reason": "已缴清", **body}
    return api.post(MINE, json=payload, token=tokens["owner"])


def test_filing_answers_201_with_the_dispute(api, world, tokens):
    response = _file(api, world, tokens, field="paid_on")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open" and body["source"] == "tax_payments"
    assert body["record"]["key"]["period"] == "2026-04"
    assert body["record"]["values"]["amount"] == "800.00"
    assert body["field"] == "paid_on" and body["reason"] == "已缴清"
    assert body["working_days_left"] == 1 and body["overdue"] is False
    assert [e["to"] for e in body["events"]] == ["open"]
    listed = api.get(MINE, token=tokens["owner"]).get_json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert api.get(MINE, token=tokens["other"]).get_json() == []


def test_another_enterprises_record_is_404(api, world, tokens):
    theirs = world.record(TaxPayment, world.other, period="2026-04")
    response = _file(api, world, tokens, theirs)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "record_not_found"
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_a_second_open_dispute_is_409(api, world, tokens):
    assert _file(api, world, tokens).status_code == 201
    second = _file(api, world, tokens, reason="再提一次")
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "dispute_open"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"reason": ""}, "reason"), ({"reason": None}, "reason"), ({"reason": 5}, "reason"),
     ({"source": "enterprises"}, "source"), ({"record_id": "7"}, "record_id"),
     ({"field": "colour"}, "field")],
)  # fmt: skip
def test_bad_bodies_are_422_naming_the_field(api, world, tokens, body, field):
    response = _file(api, world, tokens, **body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_a_body_that_is_not_an_object_is_422(api, tokens):
    response = api.post(MINE, json=[1, 2], token=tokens["owner"])
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_json"


def test_the_operator_lists_open_ones_and_resolves(api, world, tokens):
    dispute_id = _file(api, world, tokens).get_json()["id"]
    queue = api.get(f"{ALL}?status=open", token=tokens["admin"]).get_json()
    assert [d["id"] for d in queue] == [dispute_id]
    assert api.get(f"{ALL}?status=upheld", token=tokens["admin"]).get_json() == []
    bad = api.get(f"{ALL}?status=closed", token=tokens["admin"])
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "status"
    response = api.post(
        f"{ALL}/{dispute_id}/resolve",
        json={"outcome": "corrected", "note": "凭完税证明更正",
              "corrected_values": {"paid_on": "2026-05-12"}},
        token=tokens["admin"],
    )  # fmt: skip
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "corrected" and body["resolution_note"] == "凭完税证明更正"
    assert body["corrected_values"] == {"paid_on": "2026-05-12"}
    assert body["resolved_by"] and body["resolved_at"] and body["working_days_left"] is None
    assert [(e["from"], e["to"]) for e in body["events"]] == [(None, "open"), ("open", "corrected")]
    assert world.unpaid_tax.paid_on.isoformat() == "2026-05-12"
    again = api.post(f"{ALL}/{dispute_id}/resolve", json={"outcome": "upheld", "note": "x"},
                     token=tokens["admin"])  # fmt: skip
    assert again.status_code == 409
    assert api.get(f"{ALL}/{dispute_id}", token=tokens["admin"]).get_json()["status"] == "corrected"
    mine = api.get(MINE, token=tokens["owner"]).get_json()[0]
    assert mine["status"] == "corrected" and mine["resolution_note"] == "凭完税证明更正"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [({"outcome": "upheld"}, 422, "note"), ({"outcome": "nope", "note": "x"}, 422, "outcome"),
     ({"outcome": "corrected", "note": "x", "corrected_values": {"amount": "abc"}}, 422, "amount"),
     ({"outcome": "corrected", "note": "x", "corrected_values": "amount=1"}, 422,
      "corrected_values")],
)  # fmt: skip
def test_bad_resolutions_are_refused_and_change_nothing(api, world, tokens, body, status, field):
    dispute_id = _file(api, world, tokens).get_json()["id"]
    response = api.post(f"{ALL}/{dispute_id}/resolve", json=body, token=tokens["admin"])
    assert response.status_code == status
    assert response.get_json()["error"]["field"] == field
    assert db.session.get(Dispute, dispute_id).status == "open"
    assert world.unpaid_tax.amount == Decimal("800.00")


def test_unknown_dispute_is_404(api, tokens):
    assert api.get(f"{ALL}/999999", token=tokens["admin"]).status_code == 404
    response = api.post(f"{ALL}/999999/resolve", json={"outcome": "upheld", "note": "x"},
                        token=tokens["admin"])  # fmt: skip
    assert response.status_code == 404


# --- every role on every endpoint ----------------------------------------------------------

ENDPOINTS = [
    ("get", MINE, None, {Role.ENTERPRISE}),
    ("post", MINE, {"source": "tax_payments", "record_id": 1, "reason": "x"}, {Role.ENTERPRISE}),
    ("get", f"{ALL}?status=open", None, {Role.ADMIN}),
    ("get", f"{ALL}/{{id}}", None, {Role.ADMIN}),
    ("post", f"{ALL}/{{id}}/resolve", {"outcome": "upheld", "note": "x"}, {Role.ADMIN}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
@pytest.mark.parametrize("role", list(Role))
def test_other_roles_get_403(api, world, tokens, factories, method, path, body, allowed, role):
    dispute_id = _file(api, world, tokens).get_json()["id"]
    path = path.format(id=dispute_id)
    if role == Role.ENTERPRISE:
        token = tokens["other"]
    elif role == Role.ADMIN:
        token = tokens["admin"]
    else:
        token = factories.token(factories.user(role))
        db.session.commit()
    call = getattr(api, method)
    response = call(path, json=body, token=token) if body else call(path, token=token)
    if role in allowed:
        assert response.status_code in (200, 201, 404), response.get_json()
    else:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "wrong_role"
    assert db.session.get(Dispute, dispute_id).status in ("open", "upheld")
    no_token = call(path, json=body) if body else call(path)
    assert no_token.status_code == 401


def test_the_openapi_document_lists_the_endpoints(api):
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/me/disputes"])
    assert paths["/api/v1/disputes/{dispute_id}/resolve"]["post"]["x-roles"] == ["admin"]
