"""Notifications: recipients, unread count in the header, mark read, the pluggable sender."""

from __future__ import annotations

import logging

import pytest

from app.auth.models import Role
from app.errors import NotFound
from app.extensions import db
from app.i18n import later
from app.notifications import services
from app.notifications.senders import LoggingSender, configured_sender


def test_recipients_see_only_their_own(factories):
    officer = factories.user(Role.BANK_OFFICER)
    other_officer = factories.user(Role.BANK_OFFICER)
    owner = factories.user(Role.ENTERPRISE)
    services.notify("x", later("给银行"), bank_id=officer.bank_id)
    services.notify("x", later("给企业"), enterprise_id=owner.enterprise_id)
    mine = services.notify("x", later("给个人"), user_id=officer.id)
    assert [n.text for n in services.list_for(officer)] == ["给个人", "给银行"]
    assert [n.text for n in services.list_for(owner)] == ["给企业"]
    assert services.list_for(other_officer) == []
    assert services.unread_count(officer) == 2
    assert services.mark_read(officer, mine.id) == 1
    assert services.unread_count(officer) == 1
    with pytest.raises(NotFound):
        services.mark_read(other_officer, mine.id)
    services.mark_read(officer)
    assert services.unread_count(officer) == 0


def test_logging_sender_is_the_default(app, factories, caplog):
    assert isinstance(configured_sender(), LoggingSender)
    owner = factories.user(Role.ENTERPRISE)
    with caplog.at_level(logging.INFO, logger="xinyidai.notifications"):
        services.notify("hello", later("您好"), enterprise_id=owner.enterprise_id)
    assert "您好" in caplog.text


class Collecting:
    sent: list = []

    def send(self, message) -> None:
        Collecting.sent.append(message.body)


def test_sender_is_pluggable(app, factories, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_SENDER", f"{__name__}:Collecting")
    owner = factories.user(Role.ENTERPRISE)
    services.notify("hello", later("插件发送"), enterprise_id=owner.enterprise_id)
    assert Collecting.sent == ["插件发送"]


def test_header_shows_unread_count_and_page_marks_read(login_as):
    client, owner = login_as(Role.ENTERPRISE)
    services.notify(
        "x", later("申请已受理"), enterprise_id=owner.enterprise_id, link="/applications"
    )
    db.session.commit()
    home = client.get("/enterprise").get_data(as_text=True)
    assert 'id="unread-count">1<' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "申请已受理" in page
    assert client.post("/notifications/read").status_code == 302
    assert 'id="unread-count"' not in client.get("/enterprise").get_data(as_text=True)
