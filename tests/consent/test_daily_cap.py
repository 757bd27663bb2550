"""A query authorization caps the bank's reads per day: the read past the cap is refused and
logged, the next day it reads again; the enterprise sets the cap and sees it in the same
words before it confirms, and the bank is told in words why it was refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.consent import services
from app.consent.guard import DAILY_CAP, check_bank_access
from app.extensions import db


@pytest.fixture
def world(factories):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    owner = factories.user(Role.ENTERPRISE)
    return bank, officer, owner


def _grant(owner, bank, **kw):
    text = services.current_text("query")
    return services.grant_query(
        owner.enterprise_id, bank.id, ["enterprises", "tax_payments"], purpose="pre_loan",
        user_id=owner.id, ip=None, text_id=text.id, **kw,
    )  # fmt: skip


def _read(officer, enterprise):
    return check_bank_access(
        officer, enterprise, ["enterprises"], endpoint="/t", channel="api", ip=None
    )


def test_the_read_past_the_cap_is_refused_and_logged_and_the_next_day_allowed(world, _clock):
    bank, officer, owner = world
    auth = _grant(owner, bank, reads_per_day=2)
    assert auth.reads_per_day == 2
    first, second, third = (_read(officer, owner.enterprise) for _ in range(3))
    assert first.allowed and second.allowed
    assert not third.allowed and third.reason == DAILY_CAP and not third.categories
    entry = db.session.get(AccessLogEntry, third.log_id)
    assert (entry.outcome, entry.reason, entry.granted) == ("denied", DAILY_CAP, "")
    _clock.shift(timedelta(days=1))
    assert _read(officer, owner.enterprise).allowed


def test_a_grant_without_a_cap_gets_twenty_and_a_cap_out_of_range_is_refused(world):
    bank, _officer, owner = world
    assert _grant(owner, bank).reads_per_day == services.QUERY_DEFAULT_READS_PER_DAY == 20
    for bad in (0, 201):
        with pytest.raises(services.ValidationFailed) as refused:
            _grant(owner, bank, reads_per_day=bad)
        assert refused.value.code == "invalid_reads_per_day"


def test_an_uncapped_older_grant_is_not_capped(world):
    bank, officer, owner = world
    auth = _grant(owner, bank)
    auth.reads_per_day = None  # as migration 0027_audit leaves the grants made before it
    db.session.flush()
    assert all(_read(officer, owner.enterprise).allowed for _ in range(25))


def test_api_grant_and_the_banks_refusal_in_words(api, world, factories):
    bank, officer, owner = world
    token = factories.token(owner)
    db.session.commit()
    text = services.current_text("query")
    body = {"grantee": bank.code, "categories": ["enterprises"], "purpose": "pre_loan",
            "consent_text_version": text.version}  # fmt: skip
    refused = api.post("/api/v1/authorizations", {**body, "reads_per_day": 0}, token=token)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid_reads_per_day"
    made = api.post("/api/v1/authorizations", {**body, "reads_per_day": 1}, token=token)
    assert made.status_code == 201 and made.json["reads_per_day"] == 1
    bank_token = factories.token(officer)
    db.session.commit()
    path = f"/api/v1/enterprises/{owner.enterprise.uscc}/profile"
    assert api.get(path, token=bank_token).status_code == 200
    again = api.get(path, token=bank_token)
    assert again.status_code == 403 and again.json["error"]["code"] == DAILY_CAP
    assert owner.enterprise.name not in again.get_data(as_text=True)


def test_the_enterprise_sets_the_cap_sees_it_before_confirming_and_in_its_log(app, login_as, world):
    bank, officer, _owner = world
    client, owner = login_as(Role.ENTERPRISE)
    form = {"bank_id": bank.id, "categories": ["enterprises"], "purpose": "pre_loan",
            "days": 30, "reads_per_day": 1}  # fmt: skip
    preview = client.post("/consent/banks", form).get_data(as_text=True)
    assert "每日最多查询 1 次，超过的查询被拒绝并记录" in preview
    text = services.current_text("query")
    done = client.post("/consent/banks", {**form, "confirm": "1", "text_id": text.id,
                                          "text_sha256": text.sha256})  # fmt: skip
    assert done.status_code == 302
    listing = client.get("/consent/banks").get_data(as_text=True)
    assert "每日最多查询 1 次" in listing
    auth = db.session.scalar(
        select(services.Authorization).where(
            services.Authorization.enterprise_id == owner.enterprise_id
        )
    )
    assert auth.reads_per_day == 1
    from tests.conftest import WebClient

    bank_web = WebClient(app.test_client())
    bank_web.login(officer)
    assert 'data-reason="daily_cap"' not in bank_web.get(
        f"/bank/enterprises/{owner.enterprise.uscc}"
    ).get_data(as_text=True)
    page = bank_web.get(f"/bank/enterprises/{owner.enterprise.uscc}").get_data(as_text=True)
    assert 'data-reason="daily_cap"' in page and owner.enterprise.name not in page
    # the refusal quotes the term in the words the enterprise confirmed
    assert "每日最多查询 1 次，超过的查询被拒绝并记录" in page
    log = client.get("/enterprise/access-log").get_data(as_text=True)
    assert "超过授权的每日查询次数上限" in log
