"""What banks see of disputes: `disputed` on record rows within the authorization only, and
nothing of a withdrawn record."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.disputes import services
from app.extensions import db
from tests.consent.test_guard import grant_query
from tests.disputes.test_pages import _client


@pytest.fixture
def bank(world, factories):
    bank = factories.bank(code="YIYIBANK")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    token = factories.token(officer)
    db.session.commit()
    return bank, officer, token


def _profile(api, world, token, who=None):
    return api.get(f"/api/v1/enterprises/{(who or world.enterprise).uscc}/profile", token=token)


def _file(world, record, source):
    dispute = services.file_dispute(world.enterprise.id, source, record.id, reason="有误",
                                    user_id=world.owner.id)  # fmt: skip
    db.session.commit()
    return dispute


def test_disputed_rows_are_marked_in_every_covered_section(api, world, bank):
    the_bank, _officer, token = bank
    for record, source in [(world.unpaid_tax, "tax_payments"), (world.penalty, "public_credit"),
                           (world.bill, "utility_bills"), (world.insurance, "social_insurance"),
                           (world.rating, "tax_ratings")]:  # fmt: skip
        _file(world, record, source)
    grant_query(world.enterprise, the_bank, ["public_credit", "tax_ratings", "tax_payments",
                                             "utility_bills", "social_insurance"])  # fmt: skip
    db.session.commit()
    sections = _profile(api, world, token).get_json()["sections"]
    tax = {m["period"]: m for m in sections["tax_payments"]["monthly"]}
    assert tax["2026-04"]["disputed"] is True and "disputed" not in tax["2026-03"]
    credit = {r["category"]: r for r in sections["public_credit"]["records"]}
    assert credit["penalty"]["disputed"] is True and "disputed" not in credit["license"]
    assert sections["utility_bills"]["monthly"][0]["disputed"] is True
    assert sections["social_insurance"]["monthly"][0]["disputed"] is True
    assert sections["tax_ratings"]["records"][0]["disputed"] is True


def test_the_marker_stays_within_the_authorization(api, world, bank, factories):
    the_bank, _officer, token = bank
    _file(world, world.unpaid_tax, "tax_payments")
    _file(world, world.penalty, "public_credit")
    grant_query(world.enterprise, the_bank, ["public_credit"])
    db.session.commit()
    body = _profile(api, world, token).get_json()
    assert body["sections"]["tax_payments"] == {"authorized": False}
    assert body["sections"]["public_credit"]["records"][0]["disputed"] is True
    other_bank_token = factories.token(factories.user(Role.BANK_OFFICER))
    db.session.commit()
    denied = _profile(api, world, other_bank_token)
    assert denied.status_code == 403 and "disputed" not in denied.get_data(as_text=True)


def test_another_enterprises_records_are_not_marked(api, world, bank):
    the_bank, _officer, token = bank
    _file(world, world.unpaid_tax, "tax_payments")
    grant_query(world.other, the_bank, ["tax_payments"])
    db.session.commit()
    body = _profile(api, world, token, world.other).get_json()
    assert all("disputed" not in m for m in body["sections"]["tax_payments"]["monthly"])


def test_a_resolved_dispute_is_no_longer_marked_and_a_withdrawn_record_is_gone(api, world, bank):
    the_bank, _officer, token = bank
    upheld = _file(world, world.penalty, "public_credit")
    withdrawn = _file(world, world.unpaid_tax, "tax_payments")
    grant_query(world.enterprise, the_bank, ["public_credit", "tax_payments"])
    services.resolve(upheld.id, "upheld", user_id=world.admin.id, note="记录无误")
    services.resolve(withdrawn.id, "withdrawn", user_id=world.admin.id, note="重复记录")
    db.session.commit()
    body = _profile(api, world, token).get_json()
    assert all("disputed" not in r for r in body["sections"]["public_credit"]["records"])
    assert [m["period"] for m in body["sections"]["tax_payments"]["monthly"]] == ["2026-03"]
    assert body["coverage"]["tax_payments"] == 1
    assert "800.00" not in str(body["sections"]["tax_payments"])


def test_the_bank_page_shows_the_badge(app, world, bank):
    the_bank, officer, _token = bank
    _file(world, world.unpaid_tax, "tax_payments")
    grant_query(world.enterprise, the_bank, ["tax_payments"])
    db.session.commit()
    page = _client(app, officer).get(f"/bank/enterprises/{world.enterprise.uscc}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count("有异议") == 1
