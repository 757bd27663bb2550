"""Password reset by e-mail through a real SMTP server on 127.0.0.1 (aiosmtpd): the link in
the received message works once and for 30 minutes; the answer is the same for any address."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import PasswordReset, Role
from app.extensions import db
from app.identity.models import AccountEvent
from tests.conftest import WebClient

NEW = "Reset-pass-2026"


def _link(inbox) -> str:
    body = inbox.messages[-1].get_content()
    url = re.search(r"https://xyd\.example\.cn(/password/reset/\S+)", body).group(1)
    return url


def test_the_link_in_the_mail_works_once(app, smtp, factories, web):
    user = factories.user(Role.BANK_OFFICER, email="officer@reset.test")
    db.session.commit()
    other = WebClient(app.test_client())
    other.login(user)  # a session from before the reset
    answer = web.post("/password/forgot", {"email": "Officer@Reset.test"}, follow_redirects=True)
    assert "如果该邮箱已注册" in answer.get_data(as_text=True)
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "officer@reset.test" and "重置" in mail["Subject"]
    path = _link(smtp)
    # Only the token's hash is stored.
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert token not in stored.token_hash
    assert "officer@reset.test" in web.get(path).get_data(as_text=True)
    done = web.post(path, {"password": NEW, "confirm": NEW})
    assert done.status_code == 303
    assert web.get(path).status_code == 404  # used once
    web._csrf = None  # the reset ended the session that held the form's token
    assert web.post(path, {"password": "Another-pass-2027", "confirm": "Another-pass-2027"}
                    ).status_code == 404  # fmt: skip
    assert other.get("/bank").status_code == 302  # every session ended
    fresh = WebClient(app.test_client())
    assert fresh.post("/login", {"email": user.email, "password": NEW}).status_code == 302
    kinds = db.session.scalars(select(AccountEvent.kind).where(AccountEvent.user_id == user.id))
    assert "password_reset" in list(kinds)


def test_the_same_answer_for_an_unknown_address(app, smtp, factories, web):
    factories.user(Role.ENTERPRISE, email="known@reset.test")
    db.session.commit()
    known = web.post("/password/forgot", {"email": "known@reset.test"})
    unknown = web.post("/password/forgot", {"email": "nobody@reset.test"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(smtp.messages) == 1  # only the known address got a mail
    pages = [
        WebClient(app.test_client())
        .post("/password/forgot", {"email": email}, follow_redirects=True)
        .get_data(as_text=True)
        for email in ("known@reset.test", "nobody@reset.test")
    ]
    flashed = [re.findall(r"如果该邮箱已注册[^<]*", page) for page in pages]
    assert flashed[0] == flashed[1] and len(flashed[0]) == 1


def test_the_link_expires_after_30_minutes(smtp, factories, web, _clock):
    factories.user(Role.ENTERPRISE, email="late@reset.test")
    db.session.commit()
    web.post("/password/forgot", {"email": "late@reset.test"})
    path = _link(smtp)
    _clock.shift(timedelta(minutes=30, seconds=1))
    assert web.get(path).status_code == 404


def test_a_new_link_replaces_the_old_and_weak_passwords_are_refused(smtp, factories, web):
    factories.user(Role.ENTERPRISE, email="twice@reset.test")
    db.session.commit()
    web.post("/password/forgot", {"email": "twice@reset.test"})
    first = _link(smtp)
    web.post("/password/forgot", {"email": "twice@reset.test"})
    second = _link(smtp)
    assert web.get(first).status_code == 404
    weak = web.post(second, {"password": "short1", "confirm": "short1"})
    assert weak.status_code == 422 and "至少需要" in weak.get_data(as_text=True)
    assert web.get(second).status_code == 200  # a refused try does not use the link up
