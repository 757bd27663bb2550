"""Verification by a code sent to the registry's contact phone: success and every failure."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.identity import phone
from app.identity.models import AccountEvent, EventKind, PhoneCode
from app.notifications.senders import development_outbox
from tests.conftest import WebClient

PHONE = "13912345678"


@pytest.fixture
def claimant(app, factories):
    """An unverified account of an enterprise whose registry record has a contact phone,
    logged in on the web."""
    enterprise = factories.enterprise(contact_phone=PHONE)
    user = factories.user(enterprise=enterprise, verified=False)
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    return client, user


def _last_code(to: str = PHONE) -> str:
    """The code the development sender 'sent' (what the operator's outbox shows)."""
    out = next(o for o in development_outbox() if o.message.to == to)
    return re.search(r"\b(\d{6})\b", out.message.body).group(1)


def _events(user) -> list[str]:
    """The account's events but its sign-ins (the test client's login is one)."""
    return list(
        db.session.scalars(
            select(AccountEvent.kind)
            .where(AccountEvent.user_id == user.id, AccountEvent.kind != EventKind.LOGIN)
            .order_by(AccountEvent.id)
        )
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_code_goes_to_the_phone_on_file_and_verifies_the_account(claimant):
    client, user = claimant
    page = client.get("/account/verification").get_data(as_text=True)
    assert "139****5678" in page and PHONE not in page
    # A number posted with the form is ignored: the code goes to the registry's phone only.
    sent = client.post("/account/verification/phone/send", {"phone": "13800000000"})
    assert sent.status_code == 303
    assert development_outbox()[0].message.to == PHONE
    code = _last_code()
    # The SMS log keeps an HMAC of the code, never the code itself.
    record = db.session.scalar(select(PhoneCode).where(PhoneCode.user_id == user.id))
    stored = [str(getattr(record, c.key)) for c in PhoneCode.__table__.columns]
    assert all(code not in value for value in stored)
    assert record.phone_masked == "139****5678" and record.sender == "log"

    done = client.post("/account/verification/phone", {"code": code})
    assert done.status_code == 303
    db.session.refresh(user)
    assert (user.verification_state, user.verification_method) == ("verified", "phone")
    assert client.get("/consent/collection").status_code == 200  # the gate is open now
    assert _events(user)[-2:] == ["code_sent", "verified"]
    history = client.get("/account/history").get_data(as_text=True)
    assert "发送短信验证码" in history and "账户核验通过" in history


def test_five_wrong_tries_lock_the_code(claimant):
    client, user = claimant
    client.post("/account/verification/phone/send")
    code = _last_code()
    for left in (4, 3, 2, 1):
        answer = client.post("/account/verification/phone", {"code": _wrong(code)})
        assert answer.status_code == 422
        assert f"还可以再试 {left} 次" in answer.get_data(as_text=True)
    locked = client.post("/account/verification/phone", {"code": _wrong(code)})
    assert "错误次数过多" in locked.get_data(as_text=True)
    # Even the right code no longer works.
    late = client.post("/account/verification/phone", {"code": code})
    assert late.status_code == 422 and "已失效" in late.get_data(as_text=True)
    db.session.refresh(user)
    assert user.verification_state == "unverified"
    assert _events(user) == ["code_sent"] + ["code_failed"] * 4 + ["code_locked", "code_failed"]


def test_a_code_expires_after_ten_minutes(claimant, _clock):
    client, user = claimant
    client.post("/account/verification/phone/send")
    code = _last_code()
    _clock.shift(timedelta(minutes=10, seconds=1))
    answer = client.post("/account/verification/phone", {"code": code})
    assert answer.status_code == 422 and "已过期" in answer.get_data(as_text=True)
    db.session.refresh(user)
    assert user.verification_state == "unverified"


def test_resend_limits_and_a_new_code_replaces_the_old(claimant, _clock, app):
    client, user = claimant
    client.post("/account/verification/phone/send")
    first = _last_code()
    again = client.post("/account/verification/phone/send", follow_redirects=True)
    assert "发送过于频繁" in again.get_data(as_text=True)
    _clock.shift(timedelta(seconds=61))
    client.post("/account/verification/phone/send")
    second = _last_code()
    if first != second:
        assert client.post("/account/verification/phone", {"code": first}).status_code == 422
    for _n in range(3):  # five in all
        _clock.shift(timedelta(seconds=61))
        client.post("/account/verification/phone/send")
    _clock.shift(timedelta(seconds=61))
    sixth = client.post("/account/verification/phone/send", follow_redirects=True)
    assert "24 小时内最多发送 5 次" in sixth.get_data(as_text=True)
    assert _events(user).count("code_sent") == 5
    _clock.shift(timedelta(days=1))
    client = WebClient(app.test_client())  # yesterday's session has ended
    client.login(user)
    client.post("/account/verification/phone/send")
    assert client.post("/account/verification/phone", {"code": _last_code()}).status_code == 303


def test_no_phone_on_file_no_code(app, factories):
    user = factories.user(enterprise=factories.enterprise(contact_phone=None), verified=False)
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    page = client.get("/account/verification").get_data(as_text=True)
    assert "没有联系电话" in page
    answer = client.post("/account/verification/phone/send", follow_redirects=True)
    assert "没有联系电话" in answer.get_data(as_text=True)
    assert db.session.scalar(select(PhoneCode).where(PhoneCode.user_id == user.id)) is None


def test_a_second_claimant_proves_a_stronger_claim_but_is_not_verified(
    claimant, factories, login_as
):
    client, user = claimant
    client.post("/account/verification/phone/send")
    code = _last_code()
    first = factories.user(enterprise=user.enterprise)  # someone else proved it first
    first.enterprise_role = "admin"
    db.session.commit()
    answer = client.post("/account/verification/phone", {"code": code}, follow_redirects=True)
    assert "该企业已有管理员" in answer.get_data(as_text=True)
    db.session.refresh(user)
    assert user.verification_state == "unverified"  # no access by it
    assert _events(user)[-1] == "claim_proven"
    assert client.get("/consent/collection").status_code == 303  # to the verification page
    # The operator sees the claim on the transfer page and may act on it.
    operator, _admin = login_as("admin")
    page = operator.get("/admin/transfers").get_data(as_text=True)
    assert user.email in page and "139****5678" in page
    done = operator.post(
        "/admin/transfers", {"email": user.email, "reason": "法定代表人已验证登记电话"}
    )
    assert done.status_code == 303
    db.session.refresh(user)
    assert user.enterprise_role == "admin" and user.verification_state == "verified"
    assert (
        user.email
        not in operator.get("/admin/transfers").get_data(as_text=True).split('id="transfers"')[0]
    )


def test_the_operator_sees_the_development_outbox(login_as, claimant):
    client, _user = claimant
    client.post("/account/verification/phone/send")
    code = _last_code()
    operator, _admin = login_as("admin")
    page = operator.get("/admin/sms-outbox").get_data(as_text=True)
    assert code in page and PHONE in page
    assert client.get("/admin/sms-outbox").status_code == 403


def test_bad_format_is_refused_without_counting(claimant):
    client, user = claimant
    client.post("/account/verification/phone/send")
    answer = client.post("/account/verification/phone", {"code": "12a"})
    assert "6 位数字" in answer.get_data(as_text=True)
    assert phone.open_code(user).tries == 0
