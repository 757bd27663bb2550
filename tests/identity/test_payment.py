"""Verification by a small payment to the corporate account: success and every failure."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.extensions import db
from app.identity import payment
from app.identity.models import AccountEvent, EventKind, PaymentVerification
from tests.conftest import WebClient

ACCOUNT = {"bank_name": "中国建设银行西安高新支行", "account_number": "6105 0187 0000 1234 567"}


@pytest.fixture
def claimant(app, factories):
    """An unverified enterprise account logged in on the web, and the operator."""
    user = factories.user(enterprise=factories.enterprise(), verified=False)
    operator = factories.user("admin")
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    return client, user, operator


def _events(user) -> list[str]:
    """The account's events but its sign-ins (the test client's login is one)."""
    return list(
        db.session.scalars(
            select(AccountEvent.kind)
            .where(AccountEvent.user_id == user.id, AccountEvent.kind != EventKind.LOGIN)
            .order_by(AccountEvent.id)
        )
    )


def _request(client, user, **fields) -> object:
    return client.post(
        "/account/verification/payment",
        {**ACCOUNT, "account_name": user.enterprise.name, **fields},
    )


def _paid(app, operator) -> PaymentVerification:
    """The operator's page shows the payment to make; the operator marks it paid."""
    desk = WebClient(app.test_client())
    desk.login(operator)
    pending = payment.waiting()[-1]
    page = desk.get("/admin/payments").get_data(as_text=True)
    assert pending.account_number in page and f"{pending.amount}" in page
    assert desk.post(f"/admin/payments/{pending.id}/paid").status_code == 303
    db.session.refresh(pending)
    return pending


def _wrong(amount: Decimal) -> str:
    return str(amount + Decimal("0.01") if amount < Decimal("0.99") else Decimal("0.01"))


def test_the_amount_is_drawn_between_one_and_ninety_nine_fen(monkeypatch):
    for drawn, amount in ((0, "0.01"), (98, "0.99")):
        monkeypatch.setattr(payment.secrets, "randbelow", lambda n, d=drawn: d)
        assert payment.draw_amount() == Decimal(amount)


def test_the_amount_received_verifies_the_account(app, claimant, monkeypatch):
    # The draw pinned: the page's own explanation says "0.01 至 0.99 元", so a drawn 0.01
    # or 0.99 would be found on the page without being revealed.
    monkeypatch.setattr(payment.secrets, "randbelow", lambda n: 36)
    client, user, operator = claimant
    assert _request(client, user).status_code == 303
    record = payment.open_payment(user)
    assert record.state == "requested" and record.account_number == "6105018700001234567"
    assert record.amount == Decimal("0.37")
    # Before the operator pays, typing the amount is refused and not counted.
    early = client.post("/account/verification/payment/amount", {"amount": str(record.amount)})
    assert early.status_code == 422 and "尚未打款" in early.get_data(as_text=True)
    page = client.get("/account/verification").get_data(as_text=True)
    assert "6105 **** 4567" in page and str(record.amount) not in page

    record = _paid(app, operator)
    assert record.state == "sent" and record.sent_by_id == operator.id
    assert record.expires_at == record.sent_at + timedelta(hours=48)
    done = client.post("/account/verification/payment/amount", {"amount": f"{record.amount}元"})
    assert done.status_code == 303
    db.session.refresh(user)
    assert (user.verification_state, user.verification_method) == ("verified", "payment")
    assert client.get("/consent/collection").status_code == 200
    assert _events(user) == ["payment_requested", "payment_sent", "verified"]
    history = client.get("/account/history").get_data(as_text=True)
    assert "平台已向对公账户打款" in history and "账户核验通过" in history


def test_three_wrong_amounts_end_the_payment(app, claimant):
    client, user, operator = claimant
    _request(client, user)
    record = _paid(app, operator)
    for left in (2, 1):
        answer = client.post(
            "/account/verification/payment/amount", {"amount": _wrong(record.amount)}
        )
        assert answer.status_code == 422
        assert f"还可以再试 {left} 次" in answer.get_data(as_text=True)
    third = client.post("/account/verification/payment/amount", {"amount": _wrong(record.amount)})
    assert "错误次数过多" in third.get_data(as_text=True)
    # Even the right amount no longer works.
    late = client.post("/account/verification/payment/amount", {"amount": str(record.amount)})
    assert late.status_code == 422 and "没有待确认的打款" in late.get_data(as_text=True)
    db.session.refresh(user)
    db.session.refresh(record)
    assert user.verification_state == "unverified" and record.state == "locked"
    assert _events(user)[2:] == ["payment_failed", "payment_failed", "payment_locked"]


def test_a_payment_expires_48_hours_after_it_was_made(app, claimant, _clock):
    client, user, operator = claimant
    _request(client, user)
    record = _paid(app, operator)
    _clock.shift(timedelta(hours=48, seconds=1))
    client = WebClient(app.test_client())  # a new day's session
    client.login(user)
    answer = client.post("/account/verification/payment/amount", {"amount": str(record.amount)})
    assert answer.status_code == 422 and "已失效" in answer.get_data(as_text=True)
    db.session.refresh(user)
    db.session.refresh(record)
    assert user.verification_state == "unverified" and record.state == "expired"
    assert _events(user)[-1] == "payment_failed"


def test_an_account_name_other_than_the_registered_name_is_refused(claimant):
    client, user, _operator = claimant
    answer = _request(client, user, account_name="王五")  # the legal representative's own
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "须与企业登记名称" in text and user.enterprise.name in text
    assert 'value="6105 0187 0000 1234 567"' in text  # what was typed is kept
    assert payment.latest_for(user) is None  # nothing to pay
    assert _events(user) == ["payment_refused"]


def test_malformed_fields_are_all_named_and_nothing_is_recorded(claimant):
    client, user, _operator = claimant
    answer = client.post(
        "/account/verification/payment",
        {"bank_name": "", "account_number": "12ab", "account_name": user.enterprise.name},
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "请填写开户银行" in text and "8 到 32 位数字" in text
    assert payment.latest_for(user) is None and _events(user) == []


def test_a_new_request_replaces_the_open_one_and_requests_are_limited(app, claimant):
    client, user, operator = claimant
    _request(client, user)
    first = _paid(app, operator)
    _request(client, user)
    db.session.refresh(first)
    assert first.state == "replaced"
    _request(client, user)
    fourth = _request(client, user)
    assert fourth.status_code == 422 and "30 天内最多申请 3 次" in fourth.get_data(as_text=True)
    count = db.session.scalar(select(db.func.count()).where(PaymentVerification.user_id == user.id))
    assert count == 3


def test_only_the_operator_marks_payments_paid(app, claimant):
    client, user, _operator = claimant
    _request(client, user)
    pending = payment.open_payment(user)
    assert client.get("/admin/payments").status_code == 403
    assert client.post(f"/admin/payments/{pending.id}/paid").status_code == 403
    db.session.refresh(pending)
    assert pending.state == "requested"


def test_a_bad_amount_format_is_not_counted(app, claimant):
    client, user, operator = claimant
    _request(client, user)
    record = _paid(app, operator)
    for typed in ("abc", "1.50", "0.001", "0", "NaN"):
        answer = client.post("/account/verification/payment/amount", {"amount": typed})
        assert "0.01 到 0.99 元" in answer.get_data(as_text=True), typed
    db.session.refresh(record)
    assert record.tries == 0


class _Gateway(BaseHTTPRequestHandler):
    """A bank's payment interface on 127.0.0.1: the first call fails (503), then pays."""

    received: list[dict] = []
    statuses: list[int] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.statuses.pop(0) if self.statuses else 200
        self.received.append({**body, "auth": self.headers["Authorization"],
                              "key": self.headers["Idempotency-Key"], "status": status})  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(app, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received, _Gateway.statuses = [], []
    monkeypatch.setitem(app.config, "PAYMENT_CHANNEL", "http")
    monkeypatch.setitem(
        app.config, "PAYMENT_GATEWAY_URL", f"http://127.0.0.1:{server.server_port}/pay"
    )
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_TOKEN", "pay-token")
    yield _Gateway
    server.shutdown()
    server.server_close()


def test_the_http_channel_pays_at_once_and_retries_a_5xx(claimant, gateway):
    client, user, _operator = claimant
    gateway.statuses = [503]
    assert _request(client, user).status_code == 303
    record = payment.latest_for(user)
    assert record.state == "sent" and record.channel == "http"
    assert [r["status"] for r in gateway.received] == [503, 200]
    sent = gateway.received[-1]
    assert sent["amount"] == str(record.amount) and sent["auth"] == "Bearer pay-token"
    assert sent["account_name"] == user.enterprise.name and sent["key"] == record.reference
    assert gateway.received[0]["key"] == sent["key"]  # the retry is the same payment


def test_a_refused_payment_is_recorded_and_not_counted(claimant, gateway):
    client, user, _operator = claimant
    gateway.statuses = [400]
    answer = _request(client, user)
    assert answer.status_code == 422 and "打款失败" in answer.get_data(as_text=True)
    assert payment.latest_for(user).state == "failed"
    assert _events(user) == ["payment_requested", "payment_failed"]
