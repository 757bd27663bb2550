"""The SMS gateway sender against a real HTTP server on 127.0.0.1: the token, the payload,
a 5xx retried, a 4xx not, an unreachable gateway; and a failed send in the account history."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.errors import ServiceError
from app.extensions import db
from app.identity import phone
from app.identity.models import AccountEvent, PhoneCode
from app.notifications.senders import Channel, HttpSmsSender, Message, SendFailed, sender_for

TOKEN = "sms-token-5d1f0c9e2b"


class Gateway:
    """Answers each POST with the next status of `statuses` (the last one repeats)."""

    def __init__(self, statuses: list[int]):
        self.statuses = statuses
        self.seen: list[tuple[str | None, str | None, dict]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.seen.append(
                    (self.headers.get("Authorization"), self.headers.get("Idempotency-Key"), body)
                )
                status = gateway.statuses[min(len(gateway.seen), len(gateway.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sms"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()  # fmt: skip

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gateway(app, monkeypatch):
    created: list[Gateway] = []

    def make(*statuses: int) -> Gateway:
        gw = Gateway(list(statuses))
        created.append(gw)
        for key, value in {"SMS_SENDER": "http", "SMS_GATEWAY_URL": gw.url,
                           "SMS_GATEWAY_TOKEN": TOKEN, "SMS_RETRIES": 2,
                           "SMS_BACKOFF_FACTOR": 0.01, "SMS_TIMEOUT": 2}.items():  # fmt: skip
            monkeypatch.setitem(app.config, key, value)
        return gw

    yield make
    for gw in created:
        gw.close()


def _message() -> Message:
    return Message(Channel.SMS, "13912345678", "验证码 123456", kind="phone_code")


def test_the_gateway_gets_the_token_and_the_message(gateway):
    gw = gateway(200)
    sender = sender_for(Channel.SMS)
    assert isinstance(sender, HttpSmsSender)
    message = _message()
    sender.send(message)
    assert gw.seen == [
        (f"Bearer {TOKEN}", message.id,
         {"id": message.id, "to": "13912345678", "text": "验证码 123456"})
    ]  # fmt: skip


def test_a_5xx_is_retried_with_the_same_message_id(gateway):
    gw = gateway(503, 502, 200)
    message = _message()
    sender_for(Channel.SMS).send(message)
    assert len(gw.seen) == 3
    assert {key for _auth, key, _body in gw.seen} == {message.id}


def test_a_gateway_that_keeps_failing_or_refuses_raises(gateway):
    gw = gateway(500)
    with pytest.raises(SendFailed, match="500"):
        sender_for(Channel.SMS).send(_message())
    assert len(gw.seen) == 3  # the first attempt and two retries
    refused = gateway(401)
    with pytest.raises(SendFailed, match="401"):
        sender_for(Channel.SMS).send(_message())
    assert len(refused.seen) == 1  # a 4xx is not retried


def test_an_unreachable_gateway_raises(gateway, app, monkeypatch):
    gw = gateway(200)
    gw.close()
    with pytest.raises(SendFailed, match="无法连接短信网关"):
        sender_for(Channel.SMS).send(_message())


def test_a_failed_send_is_in_the_history_and_does_not_use_up_the_limits(gateway, factories):
    gw = gateway(500)
    user = factories.user(enterprise=factories.enterprise(contact_phone="13912345678"),
                          verified=False)  # fmt: skip
    with pytest.raises(ServiceError):
        phone.send_code(user)
    record = db.session.scalar(select(PhoneCode).where(PhoneCode.user_id == user.id))
    assert record.state == "failed" and record.sender == "http"
    kinds = db.session.scalars(select(AccountEvent.kind).where(AccountEvent.user_id == user.id))
    assert "code_send_failed" in list(kinds)
    gw.statuses = [200]
    phone.send_code(user)  # at once: the failed send did not count against the resend limit
    assert gw.seen[-1][2]["to"] == "13912345678"
