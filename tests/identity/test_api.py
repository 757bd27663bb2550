"""The verification API: each provider started and completed, errors with codes, records kept."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import select

from app.extensions import db
from app.identity import payment
from app.identity.models import AccountEvent
from app.notifications.senders import development_outbox

PHONE = "13912345678"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def caller(factories):
    """An unverified enterprise account with a contact phone on file, and its token."""
    user = factories.user(enterprise=factories.enterprise(contact_phone=PHONE), verified=False)
    token = factories.token(user)
    db.session.commit()
    return user, token


def _events(user) -> list[str]:
    return list(
        db.session.scalars(
            select(AccountEvent.kind)
            .where(AccountEvent.user_id == user.id)
            .order_by(AccountEvent.id)
        )
    )


def test_the_state_and_the_ways_offered(api, caller):
    _user, token = caller
    answer = api.get("/api/v1/me/verification", token=token)
    assert answer.status_code == 200
    body = answer.json
    assert body["state"] == "unverified" and body["verified"] is False
    assert body["providers"] == ["phone", "payment", "review"]
    assert body["phone_on_file"] == "139****5678"
    assert body["phone"] is None and body["payment"] is None and body["review"] is None
    assert api.get("/api/v1/me", token=token).json["verified"] is False


def test_phone_code_by_api(api, caller):
    user, token = caller
    sent = api.post("/api/v1/me/verification/phone/send", token=token)
    assert sent.status_code == 201 and sent.json["phone_masked"] == "139****5678"
    code = re.search(r"\b(\d{6})\b", development_outbox()[0].message.body).group(1)
    again = api.post("/api/v1/me/verification/phone/send", token=token)
    assert again.status_code == 429 and again.json["error"]["code"] == "too_many_codes"
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = api.post("/api/v1/me/verification/phone", {"code": wrong}, token=token)
    assert refused.status_code == 422
    assert refused.json["error"] == {
        "code": "wrong_code",
        "message": "验证码不正确，还可以再试 4 次",
        "field": "code",
    }
    done = api.post("/api/v1/me/verification/phone", {"code": code}, token=token)
    assert done.status_code == 200 and done.json["verified"] is True
    assert done.json["method"] == "phone"
    assert _events(user) == ["code_sent", "code_failed", "verified"]  # the wrong try was kept
    assert api.get("/api/v1/me", token=token).json["verified"] is True


def test_payment_by_api(api, caller, factories):
    user, token = caller
    mismatch = api.post(
        "/api/v1/me/verification/payment",
        {"bank_name": "招商银行西安分行", "account_number": "129912345678", "account_name": "别人"},
        token=token,
    )
    assert mismatch.status_code == 422
    assert mismatch.json["error"]["code"] == "account_name_mismatch"
    assert mismatch.json["error"]["field"] == "account_name"
    fields = api.post("/api/v1/me/verification/payment", {"account_number": "x"}, token=token)
    assert fields.status_code == 422
    assert set(fields.json["error"]["fields"]) == {"bank_name", "account_number", "account_name"}

    made = api.post(
        "/api/v1/me/verification/payment",
        {
            "bank_name": "招商银行西安分行",
            "account_number": "129912345678",
            "account_name": user.enterprise.name,
        },
        token=token,
    )
    assert made.status_code == 201
    assert made.json["state"] == "requested" and made.json["account_masked"] == "1299 **** 5678"
    assert "amount" not in made.json
    early = api.post("/api/v1/me/verification/payment/amount", {"amount": "0.50"}, token=token)
    assert early.status_code == 409 and early.json["error"]["code"] == "payment_not_sent"

    record = payment.mark_paid(made.json["id"], actor=factories.user("admin"))
    db.session.commit()
    state = api.get("/api/v1/me/verification", token=token).json["payment"]
    assert state["state"] == "sent" and state["tries_left"] == 3
    wrong = str(record.amount + Decimal("0.01") if record.amount < Decimal("0.99") else "0.01")
    refused = api.post("/api/v1/me/verification/payment/amount", {"amount": wrong}, token=token)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "wrong_amount"
    bad = api.post("/api/v1/me/verification/payment/amount", {"amount": "1e999999"}, token=token)
    assert bad.status_code == 422 and bad.json["error"]["code"] == "bad_amount_format"
    done = api.post(
        "/api/v1/me/verification/payment/amount", {"amount": str(record.amount)}, token=token
    )
    assert done.status_code == 200 and done.json["method"] == "payment"
    assert _events(user) == [
        "payment_refused",
        "payment_requested",
        "payment_sent",
        "payment_failed",
        "verified",
    ]


def test_review_by_api(api, caller):
    _user, token = caller
    fake = api.client.post(
        "/api/v1/me/verification/review",
        data={"licence": (BytesIO(b"not a pdf"), "licence.pdf"), "legal_rep": "true"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert fake.status_code == 422 and fake.json["error"]["field"] == "licence"
    handed = api.client.post(
        "/api/v1/me/verification/review",
        data={"licence": (BytesIO(PDF), "licence.pdf"), "legal_rep": "true"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert handed.status_code == 201 and handed.json["state"] == "pending"
    assert handed.json["files"] == 1
    state = api.get("/api/v1/me/verification", token=token).json
    assert state["state"] == "pending" and state["verified"] is False


def test_a_provider_left_out_of_the_configuration_is_refused(api, caller, app, monkeypatch):
    _user, token = caller
    monkeypatch.setitem(app.config, "VERIFICATION_PROVIDERS", "review")
    answer = api.post("/api/v1/me/verification/phone/send", token=token)
    assert answer.status_code == 404 and answer.json["error"]["code"] == "provider_not_enabled"
    assert api.get("/api/v1/me/verification", token=token).json["providers"] == ["review"]


@pytest.mark.parametrize("role", ["bank_officer", "admin", "regulator"])
def test_only_enterprise_accounts_verify(api, factories, role):
    kwargs = {"bank": factories.bank()} if role == "bank_officer" else {}
    token = factories.token(factories.user(role, **kwargs))
    db.session.commit()
    assert api.get("/api/v1/me/verification", token=token).status_code == 403
    answer = api.post("/api/v1/me/verification/payment", {}, token=token)
    assert answer.status_code == 403


def test_a_verified_account_has_nothing_to_start(api, factories):
    token = factories.token(factories.user())
    db.session.commit()
    answer = api.post(
        "/api/v1/me/verification/payment",
        {"bank_name": "x银行", "account_number": "12345678", "account_name": "y"},
        token=token,
    )
    assert answer.status_code == 409 and answer.json["error"]["code"] == "already_verified"
    assert api.get("/api/v1/me/verification", token=token).json["verified"] is True
