"""Notifications by e-mail through a real SMTP server on 127.0.0.1 (aiosmtpd): who gets a
mail, the preference, the outbox sent by the job, and retries when the server is away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db
from app.i18n import later
from app.identity.models import VerificationState
from app.notifications import mail
from app.notifications.models import EmailOutbox
from app.notifications.services import notify
from tests.smtp import free_port


@pytest.fixture
def enterprise_users(factories):
    enterprise = factories.enterprise(name="秦岭邮件测试有限公司")
    owner = factories.user(Role.ENTERPRISE, enterprise=enterprise, email="owner@mail.test")
    colleague = factories.user(Role.ENTERPRISE, enterprise=enterprise, email="staff@mail.test")
    claimant = factories.user(Role.ENTERPRISE, enterprise=enterprise, email="claim@mail.test")
    for user in (owner, colleague):
        user.verification_state = VerificationState.VERIFIED
    claimant.verification_state = VerificationState.UNVERIFIED
    db.session.flush()
    return enterprise, owner, colleague, claimant


def test_the_enterprise_accounts_that_want_mail_get_it_once(smtp, enterprise_users):
    enterprise, owner, colleague, _claimant = enterprise_users
    mail.set_email(colleague, False)
    notify("dispute_update", later("您的异议 #7 已转交 西安市税务局 核查"), link="/enterprise/disputes/7",
           enterprise_id=enterprise.id)  # fmt: skip
    assert smtp.messages == []  # nothing leaves inside the request
    result = mail.deliver_pending()
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    [(to, message)] = zip(smtp.recipients, smtp.messages, strict=True)
    assert to == [owner.email]  # not the colleague (off) nor the unverified claimant
    assert message["Subject"].startswith("信易贷通知：您的异议 #7")
    body = message.get_content()
    assert "已转交 西安市税务局 核查" in body
    assert "https://xyd.example.cn/enterprise/disputes/7" in body
    assert mail.deliver_pending().sent == 0  # sent once


def test_bank_staff_and_a_single_user(smtp, factories):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank, email="officer@bank.test")
    admin = factories.user(Role.BANK_ADMIN, bank=bank, email="admin@bank.test")
    factories.user(Role.BANK_OFFICER, email="other@bank.test")  # another bank
    notify("open_demand", later("有新的开放需求"), bank_id=bank.id)
    notify("welcome", later("欢迎"), user_id=officer.id)
    mail.deliver_pending()
    sent = sorted(to[0] for to in smtp.recipients)
    assert sent == sorted([officer.email, admin.email, officer.email])


def test_a_server_that_is_away_is_retried_then_given_up(app, factories, monkeypatch):
    for key, value in {"MAIL_SENDER": "smtp", "SMTP_HOST": "127.0.0.1",
                       "SMTP_PORT": free_port(), "SMTP_SECURITY": "none",
                       "MAIL_MAX_ATTEMPTS": 3}.items():  # fmt: skip
        monkeypatch.setitem(app.config, key, value)
    user = factories.user(Role.REGULATOR, email="office@mail.test")
    notify("report", later("月度报告已生成"), user_id=user.id)
    now = utcnow()
    first = mail.deliver_pending(now=now)
    row = db.session.scalars(select(EmailOutbox)).one()
    assert (first.retried, row.attempts, row.sent_at) == (1, 1, None)
    assert row.next_try_at == now + timedelta(minutes=1) and "ConnectionRefusedError" in (
        row.last_error or ""
    )
    assert mail.deliver_pending(now=now).retried == 0  # not due yet
    mail.deliver_pending(now=now + timedelta(minutes=1))  # second try, then 2 minutes
    last = mail.deliver_pending(now=now + timedelta(minutes=3))
    db.session.refresh(row)
    assert last.failed == 1 and row.failed_at is not None and row.attempts == 3


def test_the_preference_page(app, factories, smtp):
    from tests.disputes.test_pages import _client, _open

    user = factories.user(Role.REGULATOR, email="pref@mail.test")
    db.session.commit()
    web = _client(app, user)
    page = _open(web, "/notifications").get_data(as_text=True)
    assert "同时通过邮件接收通知（发送至 pref@mail.test）" in page and "checked" in page
    assert web.post("/notifications/preferences", {}).status_code == 302  # unticked: off
    assert mail.email_on(user) is False
    notify("report", later("不会发邮件"), user_id=user.id)
    assert mail.deliver_pending().sent == 0
    web.post("/notifications/preferences", {"email": "y"})
    assert mail.email_on(user) is True


def test_each_reader_gets_the_notification_in_their_own_language(smtp, app, factories):
    """One notification, stored once, reads in Chinese to one officer and in English to
    another, on the site and by e-mail; the Chinese rendering is kept beside it."""
    bank = factories.bank()
    chinese = factories.user(Role.BANK_OFFICER, bank=bank, email="zh@bank.test")
    english = factories.user(Role.BANK_OFFICER, bank=bank, email="en@bank.test")
    english.locale = "en"
    db.session.flush()
    note = notify("application_withdrawn", later("申请 #%(id)d 已被企业撤回", id=42),
                  bank_id=bank.id)  # fmt: skip
    assert note.text == "申请 #42 已被企业撤回"
    assert note.render("en") == "Application #42 was withdrawn by the enterprise"
    mail.deliver_pending()
    subjects = {to[0]: m["Subject"] for to, m in zip(smtp.recipients, smtp.messages, strict=True)}
    assert subjects[chinese.email] == "信易贷通知：申请 #42 已被企业撤回"
    assert subjects[english.email].endswith("Application #42 was withdrawn by the enterprise")
    assert "automatic" in next(
        m.get_content() for to, m in zip(smtp.recipients, smtp.messages, strict=True)
        if to == [english.email]
    )  # fmt: skip
