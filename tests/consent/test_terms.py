"""A query authorization's terms — purpose from a fixed list, validity (at most 90 days),
the date range of the data, the cap on reads a day and the copy-keeping term — are shown
before the enterprise confirms in the words the guard enforces, and each is enforced: a
read outside them is refused and logged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.applications import services as applications
from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.clock import utcnow
from app.consent import services
from app.consent.guard import DATA_RANGE, check_bank_access, identify_applicant
from app.consent.models import Authorization, AuthorizationScope, Purpose
from app.consent.terms import (
    Terms,
    copy_text,
    data_from,
    range_text,
    reads_per_day_text,
    sentences,
)
from app.extensions import db
from app.profiles import services as profiles
from tests.conftest import WebClient
from tests.products.helpers import make_product


def _grant(enterprise_id, bank, categories=("enterprises", "tax_payments"), **kw):
    kw.setdefault("purpose", "pre_loan")
    return services.grant_query(
        enterprise_id, bank.id, list(categories), user_id=None, ip=None,
        text_id=services.current_text("query").id, **kw,
    )  # fmt: skip


def _last_log(enterprise_id) -> AccessLogEntry:
    return db.session.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.enterprise_id == enterprise_id)
        .order_by(AccessLogEntry.id.desc())
        .limit(1)
    ).one()


@pytest.fixture
def world(factories):
    bank = factories.bank(code="TBANK", name="条款银行")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    owner = factories.user(Role.ENTERPRISE)
    return bank, officer, owner


# --- purpose -------------------------------------------------------------------------------


def test_the_purpose_is_one_of_the_fixed_list_everywhere(world, api, factories):
    bank, _officer, owner = world
    for purpose in Purpose:
        assert _grant(owner.enterprise_id, bank, purpose=purpose.value).purpose == purpose
    for bad in ("", "随便看看", "PRE_LOAN"):
        with pytest.raises(services.ValidationFailed) as refused:
            _grant(owner.enterprise_id, bank, purpose=bad)
        assert refused.value.field == "purpose" and refused.value.code == "invalid_purpose"
    token = factories.token(owner)
    body = {"grantee": bank.code, "categories": ["tax_payments"], "purpose": "看看"}
    response = api.post("/api/v1/authorizations", json=body, token=token)
    assert response.status_code == 422 and response.json["error"]["field"] == "purpose"
    assert "贷前审查" in response.json["error"]["message"]  # names the list in words
    created = api.post("/api/v1/authorizations", json=body | {"purpose": "post_loan"}, token=token)
    assert created.status_code == 201
    assert created.json["terms"]["purpose"] == "用途：贷后管理"


# --- the date range of the data ---------------------------------------------------------------


def test_the_bank_sees_only_the_range_and_a_read_before_it_is_refused_and_logged(
    world, api, factories, punctual
):
    bank, officer, _owner = world
    enterprise = punctual()  # 24 complete months of tax payments
    profiles.rebuild([enterprise.id], trigger="manual")
    auth = _grant(enterprise.id, bank, data_months=12)
    start = data_from(utcnow(), 12)
    assert auth.data_from == start and start.day == 1
    token = factories.token(officer)
    url = f"/api/v1/enterprises/{enterprise.uscc}/profile"

    body = api.get(url, token=token).json
    periods = [m["period"] for m in body["sections"]["tax_payments"]["monthly"]]
    assert periods and min(periods) >= start.strftime("%Y-%m") and len(periods) <= 12
    assert body["authorization"]["data_from"]["tax_payments"] == start.isoformat()
    # the score rests on 36 months: shown on 12 it would tell of older data
    assert body["score"] is None and "tax_payments" in body["score_requires"]
    allowed = _last_log(enterprise.id)
    assert allowed.outcome == "allowed" and allowed.authorization_id == auth.id

    before = api.get(f"{url}?from={(start - timedelta(days=1)).isoformat()}", token=token)
    assert before.status_code == 403 and before.json["error"]["code"] == DATA_RANGE
    assert range_text(start) in before.json["error"]["message"]  # the preview's words
    assert enterprise.name not in before.get_data(as_text=True)
    denied = _last_log(enterprise.id)
    assert (denied.outcome, denied.reason, denied.granted) == ("denied", DATA_RANGE, "")

    assert api.get(f"{url}?from={start.isoformat()}", token=token).status_code == 200
    bad = api.get(f"{url}?from=2026-13-01", token=token)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "from"


def test_a_36_month_range_shows_the_score_and_all_24_months(world, factories, punctual, api):
    bank, officer, _owner = world
    enterprise = punctual()
    profiles.rebuild([enterprise.id], trigger="manual")
    _grant(enterprise.id, bank, categories=services.ALL_CATEGORIES, data_months=36)
    body = api.get(
        f"/api/v1/enterprises/{enterprise.uscc}/profile", token=factories.token(officer)
    ).json
    assert body["score"] is not None and body["score_requires"] == []
    assert len(body["sections"]["tax_payments"]["monthly"]) == 24


def test_a_range_other_than_12_24_or_36_months_is_refused(world):
    bank, _officer, owner = world
    for bad in (0, 6, 48, True):
        with pytest.raises(services.ValidationFailed) as refused:
            _grant(owner.enterprise_id, bank, data_months=bad)
        assert refused.value.field == "data_months"


# --- validity --------------------------------------------------------------------------------


def test_no_authorization_counts_past_90_days_whatever_its_row_says(world, _clock):
    bank, officer, owner = world
    now = utcnow()
    row = Authorization(
        kind="query", enterprise_id=owner.enterprise_id, grantee_bank_id=bank.id,
        purpose="pre_loan", valid_from=now, valid_until=now + timedelta(days=400),
        state="active", scopes=[AuthorizationScope(category="enterprises")],
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()

    def read():
        return check_bank_access(
            officer, owner.enterprise, ["enterprises"], endpoint="/t", channel="api", ip=None
        )

    assert read().allowed
    _clock.shift(timedelta(days=90, seconds=1))
    late = read()
    assert not late.allowed and late.reason == "no_authorization"


def test_the_application_confirm_page_refuses_more_than_90_days(login_as, factories):
    client, _owner = login_as(Role.ENTERPRISE)
    product = make_product(factories.bank())
    form = {"product_id": product.id, "amount": "200000", "term_months": "12",
            "purpose": "备货", "categories": ["enterprises"], "days": "120"}  # fmt: skip
    response = client.post("/applications/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "有效期应为 1 至 90 天" in page
    assert "我已阅读并同意授权书" not in page  # never the confirmation of a term refused
    shown = client.post("/applications/new", form | {"days": "90"}).get_data(as_text=True)
    assert "有效期 90 天" in shown and reads_per_day_text(20) in shown


# --- one description: the preview, the list and the guard's refusals ---------------------------


def test_the_preview_shows_each_term_in_the_words_the_guard_enforces(app, login_as, world):
    bank, officer, _owner = world
    client, owner = login_as(Role.ENTERPRISE)
    form = {"bank_id": bank.id, "categories": ["enterprises", "tax_payments"],
            "purpose": "renewal", "data_months": "24", "days": "60", "reads_per_day": "1",
            "keep_copy_days": "30"}  # fmt: skip
    preview = client.post("/consent/banks", form).get_data(as_text=True)
    expected = sentences(
        Terms.proposed(purpose="renewal", categories=form["categories"], days=60,
                       data_months=24, reads_per_day=1, keep_copy_days=30, now=utcnow())
    )  # fmt: skip
    for sentence in expected.values():
        assert sentence in preview, sentence
    text = services.current_text("query")
    done = client.post("/consent/banks", form | {"confirm": "1", "text_id": text.id,
                                                 "text_sha256": text.sha256})  # fmt: skip
    assert done.status_code == 302
    auth = db.session.scalars(
        select(Authorization).where(Authorization.enterprise_id == owner.enterprise_id)
    ).one()
    assert (auth.purpose, auth.reads_per_day, auth.keep_copy_days) == ("renewal", 1, 30)
    assert auth.data_from == data_from(utcnow(), 24)
    listing = client.get("/consent/banks").get_data(as_text=True)
    for sentence in sentences(Terms.of(auth)).values():
        assert sentence in listing, sentence
    # the bank's page names the same terms; its refusal quotes the one it ran into
    bank_web = WebClient(app.test_client())
    bank_web.login(officer)
    url = f"/bank/enterprises/{owner.enterprise.uscc}"
    page = bank_web.get(url).get_data(as_text=True)
    assert expected["range"] in page and expected["copy"] in page
    refused = bank_web.get(url)
    assert refused.status_code == 403
    assert expected["cap"] in refused.get_data(as_text=True)
    early = bank_web.get(f"{url}?from=2000-01-01")
    assert early.status_code == 403 and expected["cap"] in early.get_data(as_text=True)


def test_a_changed_term_on_the_confirm_step_is_checked_again(login_as, world):
    bank, _officer, _owner = world
    client, owner = login_as(Role.ENTERPRISE)
    text = services.current_text("query")
    form = {"bank_id": bank.id, "categories": ["enterprises"], "purpose": "pre_loan",
            "data_months": "24", "days": "91", "keep_copy_days": "0", "confirm": "1",
            "text_id": text.id, "text_sha256": text.sha256}  # fmt: skip
    assert client.post("/consent/banks", form).status_code == 422
    for field, bad in (("data_months", "7"), ("keep_copy_days", "9999"), ("purpose", "x")):
        response = client.post("/consent/banks", form | {"days": "30", field: bad})
        assert response.status_code == 422, field
    assert not db.session.scalars(
        select(Authorization).where(Authorization.enterprise_id == owner.enterprise_id)
    ).all()


# --- copy keeping ----------------------------------------------------------------------------


def test_copy_terms_on_the_banks_download_and_in_the_access_log(app, world, factories, punctual):
    from tests.reports.test_reports import _text

    bank, officer, _owner = world
    enterprise = punctual()
    owner = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    _grant(enterprise.id, bank, keep_copy_days=30)
    db.session.commit()
    bank_web = WebClient(app.test_client())
    bank_web.login(officer)
    response = bank_web.post(f"/bank/enterprises/{enterprise.uscc}/report")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    read_at = _last_log(enterprise.id).at
    words = copy_text(30, read_at)
    assert "须于" in words
    assert re.sub(r"\s+", "", words) in re.sub(r"\s+", "", _text(response.data))
    own = WebClient(app.test_client())
    own.login(owner)
    log_page = own.get("/enterprise/access-log").get_data(as_text=True)
    assert words in log_page
    api_rows = own.get("/api/v1/me/access-log")  # session login is not an API token
    assert api_rows.status_code in (401, 403)
    rows = (
        app.test_client()
        .get("/api/v1/me/access-log", headers={"Authorization": f"Bearer {factories.token(owner)}"})
        .json
    )
    assert rows[0]["keep_copy_days"] == 30


def test_no_copy_unless_granted(world):
    bank, _officer, owner = world
    auth = _grant(owner.enterprise_id, bank)
    assert auth.keep_copy_days == 0
    assert sentences(Terms.of(auth))["copy"] == copy_text(0) == "不得保留下载的副本，用毕即删"
    with pytest.raises(services.ValidationFailed) as refused:
        _grant(owner.enterprise_id, bank, keep_copy_days=366)
    assert refused.value.field == "keep_copy_days"


# --- identity only under an authorization covering it --------------------------------------


def test_who_applied_is_shown_only_when_the_registry_category_is_authorized(world, factories):
    bank, officer, owner = world
    product = make_product(bank)
    text_id = services.current_text("query").id
    app_ = applications.apply_with_consent(
        owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
        purpose="备货", categories=["tax_payments"], user_id=owner.id, ip=None, text_id=text_id,
    )  # fmt: skip
    identity = identify_applicant(officer, app_, endpoint="/t", channel="web", ip=None)
    assert not identity.shown
    entry = db.session.get(AccessLogEntry, identity.log_id)
    assert (entry.outcome, entry.reason) == ("denied", "no_authorization")
    _grant(owner.enterprise_id, bank, categories=["enterprises"])
    assert identify_applicant(officer, app_, endpoint="/t", channel="web", ip=None).shown
