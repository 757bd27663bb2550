"""Enterprises are told, once, of an authorization about to expire: a bank's query access
and the platform's collection, in the reader's language; nothing for those far from expiry,
revoked or already lapsed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.clock import utcnow
from app.consent.models import Authorization, AuthorizationScope, Purpose
from app.extensions import db
from app.identity.models import VerificationState
from app.notifications import tasks
from app.notifications.models import AuthorizationReminder, Notification
from app.notifications.services import remind_expiring
from app.scheduler.tasks import JobSkipped


def _authorization(enterprise, *, kind="query", bank=None, days=3, state="active"):
    now = utcnow()
    auth = Authorization(
        kind=kind, enterprise_id=enterprise.id, grantee_bank_id=bank.id if bank else None,
        purpose=Purpose.PRE_LOAN if kind == "query" else "", valid_from=now - timedelta(days=20),
        valid_until=now + timedelta(days=days), state=state,
        scopes=[AuthorizationScope(category="tax_payments")],
    )  # fmt: skip
    db.session.add(auth)
    db.session.flush()
    return auth


@pytest.fixture
def owner(factories):
    enterprise = factories.enterprise(name="秦岭提醒测试有限公司")
    user = factories.user(Role.ENTERPRISE, enterprise=enterprise, email="owner@remind.test")
    user.verification_state = VerificationState.VERIFIED
    db.session.flush()
    return user


def test_each_expiring_authorization_is_told_once(app, factories, owner):
    bank = factories.bank(name="长安提醒银行")
    enterprise = owner.enterprise
    query = _authorization(enterprise, bank=bank, days=3)
    collection = _authorization(enterprise, kind="collection", days=6)
    _authorization(enterprise, bank=bank, days=30)  # far from expiry
    _authorization(enterprise, bank=bank, days=2, state="revoked")
    _authorization(enterprise, bank=bank, days=-1)  # already lapsed
    assert remind_expiring() == 2
    told = {r.authorization_id for r in db.session.scalars(select(AuthorizationReminder))}
    assert told == {query.id, collection.id}
    notes = list(db.session.scalars(select(Notification).order_by(Notification.id)))
    assert [n.kind for n in notes] == ["authorization_expiring"] * 2
    day = (utcnow() + timedelta(hours=8, days=3)).date().isoformat()
    assert notes[0].text.startswith(f"您授权 长安提醒银行 查询企业数据的授权将于 {day} 到期")
    assert notes[0].link == "/consent/banks" and notes[1].link == "/consent"
    assert notes[1].render("en").startswith("Your authorization for the platform to collect")
    assert remind_expiring() == 0  # once
    with pytest.raises(JobSkipped):
        tasks.remind_expiring_authorizations()


def test_a_renewal_is_a_new_authorization_and_is_told_of_again(app, factories, owner, _clock):
    bank = factories.bank()
    _authorization(owner.enterprise, bank=bank, days=2)
    assert remind_expiring() == 1
    _clock.shift(timedelta(days=10))  # it lapsed; the enterprise granted again
    _authorization(owner.enterprise, bank=bank, days=5)
    assert tasks.remind_expiring_authorizations() == {"reminded": 1}


def test_the_enterprise_sees_it_in_english_on_the_site(app, owner, factories):
    from tests.conftest import WebClient

    _authorization(owner.enterprise, bank=factories.bank(name="长安提醒银行"), days=1)
    remind_expiring()
    owner.locale = "en"
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(owner)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Your authorization for 长安提醒银行 to query your data expires on" in page
