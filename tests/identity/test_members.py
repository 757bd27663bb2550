"""One enterprise, several people: the administrator, invitations, staff, removal, and the
operator's transfer of the administration with the previous grants listed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consent import services as consent
from app.consent.models import Purpose
from app.extensions import db
from app.identity import members, services
from app.identity.models import AccountEvent, AdminTransfer
from app.notifications.senders import Channel, development_outbox
from tests.conftest import WebClient

PASSWORD = "Hezuo-Huoban-2026"


@pytest.fixture
def admin(app, factories):
    """The enterprise's administrator, logged in on the web."""
    user = factories.user(enterprise=factories.enterprise(contact_phone="13912345678"))
    user.enterprise_role = "admin"
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    return client, user


def _events(user) -> list[str]:
    return list(
        db.session.scalars(
            select(AccountEvent.kind)
            .where(AccountEvent.user_id == user.id)
            .order_by(AccountEvent.id)
        )
    )


def _link(to: str) -> str:
    mail = next(
        o.message
        for o in development_outbox()
        if o.message.to == to and o.message.channel == Channel.EMAIL
    )
    return "/" + re.search(r"https?://[^/\s]+/(invitations/\S+)", mail.body).group(1)


def _invite(client, email: str) -> str:
    answer = client.post("/account/people", {"email": email})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return _link(email)


def _grant_collection(user):
    text = consent.current_text("collection", "zh")
    return consent.grant_collection(
        user.enterprise_id, ["tax_payments"], user_id=user.id, ip=None, text_id=text.id
    )


def test_the_first_verified_account_is_the_administrator(factories):
    enterprise = factories.enterprise()
    first = factories.user(enterprise=enterprise, verified=False)
    services.verify_by_operator(first, "现场核验 2026-001")
    assert first.enterprise_role == "admin"
    assert services.admin_of(enterprise.id).id == first.id


def test_an_invited_colleague_registers_and_joins_as_staff(app, admin):
    client, user = admin
    link = _invite(client, "colleague@example.test")
    assert _events(user)[-1] == "invited"
    # The link opens without logging in; what is typed wrong is marked, nothing is lost.
    visitor = WebClient(app.test_client())
    page = visitor.get(link).get_data(as_text=True)
    assert user.enterprise.name in page and "colleague@example.test" in page
    bad = visitor.post(link, {"display_name": "李四", "password": PASSWORD, "confirm": "x"})
    assert bad.status_code == 422 and 'value="李四"' in bad.get_data(as_text=True)
    joined = visitor.post(link, {"display_name": "李四", "password": PASSWORD, "confirm": PASSWORD})
    assert joined.status_code == 303
    staff = members.people(user.enterprise_id)[-1]
    assert (staff.email, staff.enterprise_role, staff.verification_method) == (
        "colleague@example.test", "staff", "invited",
    )  # fmt: skip
    assert services.is_verified(staff)
    assert _events(staff) == ["registered", "joined", "verified"]
    # Single-use: the link does nothing a second time.
    again = WebClient(app.test_client()).get(link)
    assert again.status_code == 409 and "已使用" in again.get_data(as_text=True)
    # Staff see the enterprise's pages...
    colleague = WebClient(app.test_client())
    colleague.login(staff, PASSWORD)
    assert colleague.get("/consent/collection").status_code == 200
    people = colleague.get("/account/people").get_data(as_text=True)
    assert user.email in people and "发送邀请" not in people
    # ...but cannot manage people.
    refused = colleague.post("/account/people", {"email": "third@example.test"})
    assert refused.status_code == 403 and "只有企业管理员" in refused.get_data(as_text=True)


def test_an_invitation_expires(app, admin, _clock):
    client, _user = admin
    link = _invite(client, "late@example.test")
    _clock.shift(timedelta(days=7, seconds=1))
    answer = WebClient(app.test_client()).get(link)
    assert answer.status_code == 409 and "已过期" in answer.get_data(as_text=True)
    assert WebClient(app.test_client()).get("/invitations/not-a-token").status_code == 404


def test_an_unverified_claimant_logs_in_and_joins(app, admin, factories):
    client, user = admin
    claimant = factories.user(
        enterprise=user.enterprise, verified=False, email="claim@example.test"
    )
    other = factories.user(verified=False, email="other@example.test")  # another enterprise's
    db.session.commit()
    link = _invite(client, "claim@example.test")
    wrong = WebClient(app.test_client())
    wrong.login(other)
    assert wrong.post(link).status_code == 422  # the invitation is someone else's
    browser = WebClient(app.test_client())
    browser.login(claimant)
    assert browser.post(link).status_code == 303
    db.session.refresh(claimant)
    assert claimant.enterprise_role == "staff" and services.is_verified(claimant)


def test_another_accounts_address_cannot_be_invited(admin, factories):
    client, _user = admin
    factories.user("admin", email="operator@example.test")
    db.session.commit()
    answer = client.post("/account/people", {"email": "operator@example.test"})
    assert answer.status_code == 422 and "已用于其他账户" in answer.get_data(as_text=True)


def test_staff_may_not_grant_or_revoke_authorizations(api, admin, factories):
    _client, user = admin
    grant = _grant_collection(user)
    staff = factories.user(enterprise=user.enterprise)
    staff.enterprise_role = "staff"
    token = factories.token(staff)
    db.session.commit()
    answer = api.post(
        "/api/v1/authorizations",
        {"grantee": "platform", "categories": ["tax_payments"]},
        token=token,
    )
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "enterprise_admin_only"
    revoke = api.delete(f"/api/v1/authorizations/{grant.id}", token=token)
    assert revoke.status_code == 403
    db.session.refresh(grant)
    assert grant.state == "active"
    # Reading stays open to staff.
    assert api.get("/api/v1/authorizations", token=token).status_code == 200


def test_the_administrator_removes_a_colleague(app, admin, factories, api):
    client, user = admin
    staff = factories.user(enterprise=user.enterprise)
    staff.enterprise_role = "staff"
    token = factories.token(staff)
    db.session.commit()
    colleague = WebClient(app.test_client())
    colleague.login(staff)
    assert client.post(f"/account/people/{staff.id}/remove").status_code == 303
    db.session.refresh(staff)
    assert not services.is_verified(staff) and staff.enterprise_role is None
    assert _events(staff)[-1] == "removed"
    # Its session and its API tokens end.
    assert colleague.get("/consent/collection").status_code == 302
    assert api.get("/api/v1/me", token=token).status_code == 401
    # The administrator cannot remove itself.
    client.post(f"/account/people/{user.id}/remove")
    db.session.refresh(user)
    assert services.is_verified(user)


def test_transfer_lists_the_previous_grants_to_keep_or_revoke(app, admin, factories):
    _client, old = admin
    kept = _grant_collection(old)
    bank = factories.bank()
    text = consent.current_text("query", "zh")
    dropped = consent.grant_query(
        old.enterprise_id, bank.id, ["tax_payments"], purpose=Purpose.PRE_LOAN, user_id=old.id,
        ip=None, text_id=text.id,
    )  # fmt: skip
    legal_rep = factories.user(enterprise=old.enterprise, verified=False, email="rep@example.test")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["verifications", "transfer", "rep@example.test", "--reason", "法定代表人 现场核验"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (legal_rep.enterprise_role, old.enterprise_role) == ("admin", "staff")
    assert services.is_verified(legal_rep) and legal_rep.verification_method == "transfer"
    assert _events(old)[-1] == "transferred" and _events(legal_rep)[-1] == "transferred"

    browser = WebClient(app.test_client())
    browser.login(legal_rep)
    home = browser.get("/account/people").get_data(as_text=True)
    transfer = db.session.scalar(select(AdminTransfer))
    assert f"/account/handover/{transfer.id}" in home
    page = browser.get(f"/account/handover/{transfer.id}").get_data(as_text=True)
    for grant in (kept, dropped):  # each with its revoke link
        assert f"/consent/authorizations/{grant.id}/revoke" in page
    assert bank.name in page
    # Revoking one goes through the authorization's own page; the rest are kept.
    assert browser.post(f"/consent/authorizations/{dropped.id}/revoke").status_code in (302, 303)
    assert browser.post(f"/account/handover/{transfer.id}").status_code == 303
    db.session.expire_all()
    assert (kept.state, dropped.state) == ("active", "revoked")
    assert transfer.reviewed_at is not None
    # The previous administrator, now staff, cannot see the handover.
    former = WebClient(app.test_client())
    former.login(old)
    assert former.get(f"/account/handover/{transfer.id}").status_code == 403


def test_the_operator_transfers_on_its_page_with_a_reason(login_as, factories):
    enterprise = factories.enterprise()
    first = factories.user(enterprise=enterprise)
    first.enterprise_role = "admin"
    second = factories.user(enterprise=enterprise, verified=False, email="rep2@example.test")
    db.session.commit()
    operator, _admin = login_as("admin")
    missing = operator.post("/admin/transfers", {"email": "rep2@example.test", "reason": ""})
    assert missing.status_code == 422
    done = operator.post("/admin/transfers", {"email": "rep2@example.test", "reason": "现场核验"})
    assert done.status_code == 303
    db.session.expire_all()
    assert second.enterprise_role == "admin" and first.enterprise_role == "staff"
    page = operator.get("/admin/transfers").get_data(as_text=True)
    assert enterprise.name in page and "现场核验" in page
