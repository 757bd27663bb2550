"""The profile cache (`profiles.cache`): every change the profile shows reaches the next read,
and what each bank sees of the one kept copy is what its own authorization allows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.consent import services as consent_services
from app.consent.guard import ALL_CATEGORIES
from app.disputes import services as disputes
from app.extensions import db
from app.ingest.models import TaxPayment, TaxRating
from app.ingest.services import ingest_records
from app.profiles import services as profiles
from app.profiles.models import ProfileCacheEntry, ProfileDataVersion
from tests.conftest import WebClient
from tests.consent.test_guard import grant_query
from tests.disputes.conftest import NON_PUBLIC, RECORDS_SEEN_AT, load_records

pytestmark = pytest.mark.frozen_at(RECORDS_SEEN_AT)  # the records sit in 2019 … 2026-05


@pytest.fixture
def world(factories):
    bank = factories.bank(code="CACHEBANK")
    enterprise = factories.enterprise(name="秦岭缓存测试有限公司")
    consent_services.record_paper([enterprise.uscc], categories=NON_PUBLIC, evidence_ref="T-C")
    load_records(enterprise.uscc)
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    db.session.commit()
    return bank, officer, enterprise


def _read(api, factories, officer, enterprise) -> dict:
    response = api.get(
        f"/api/v1/enterprises/{enterprise.uscc}/profile", token=factories.token(officer)
    )
    assert response.status_code == 200
    return response.get_json()


def _periods(body: dict, category: str = "tax_payments") -> list[str]:
    return [m["period"] for m in body["sections"][category]["monthly"]]


def _entry(enterprise) -> ProfileCacheEntry:
    db.session.expire_all()
    return db.session.get(ProfileCacheEntry, enterprise.id)


def test_a_second_read_comes_from_the_cache_and_an_import_batch_reaches_the_next(
    api, factories, world
):
    bank, officer, enterprise = world
    grant_query(enterprise, bank, list(ALL_CATEGORIES))
    db.session.commit()
    assert _periods(_read(api, factories, officer, enterprise)) == ["2026-04", "2026-03"]
    kept = _entry(enterprise)
    assert kept is not None and kept.context.startswith("2026-11-18|")
    stored_at, version = kept.stored_at, kept.version
    assert _periods(_read(api, factories, officer, enterprise)) == ["2026-04", "2026-03"]
    assert _entry(enterprise).stored_at == stored_at  # kept, not assembled again

    ingest_records(
        "tax_payments",
        [{"uscc": enterprise.uscc, "period": "2026-05", "tax_type": "增值税", "amount": "10",
          "due_on": "2026-06-15", "paid_on": "2026-06-01"}],
        origin="push",
    )  # fmt: skip
    db.session.commit()
    body = _read(api, factories, officer, enterprise)
    assert _periods(body) == ["2026-05", "2026-04", "2026-03"]
    assert body["coverage"]["tax_payments"] == 3  # the rebuilt profile, not the kept one
    assert _entry(enterprise).version > version


def test_a_dispute_filed_then_upheld_as_withdrawn_reaches_the_next_read(api, factories, world):
    bank, officer, enterprise = world
    owner = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    admin = factories.user(Role.ADMIN)
    grant_query(enterprise, bank, list(ALL_CATEGORIES))
    db.session.commit()
    assert (
        "disputed"
        not in _read(api, factories, officer, enterprise)["sections"]["tax_payments"]["monthly"][0]
    )
    unpaid = db.session.scalars(
        select(TaxPayment).where(TaxPayment.uscc == enterprise.uscc, TaxPayment.period == "2026-04")
    ).one()
    dispute = disputes.file_dispute(
        enterprise.id, "tax_payments", unpaid.id, reason="已缴清", user_id=owner.id
    )
    db.session.commit()
    april = _read(api, factories, officer, enterprise)["sections"]["tax_payments"]["monthly"][0]
    assert april["period"] == "2026-04" and april["disputed"] is True

    disputes.resolve(dispute.id, "withdrawn", user_id=admin.id, note="经核实")
    db.session.commit()
    assert _periods(_read(api, factories, officer, enterprise)) == ["2026-03"]


def test_a_rebuild_reaches_the_next_read(api, factories, world):
    bank, officer, enterprise = world
    grant_query(enterprise, bank, list(ALL_CATEGORIES))
    db.session.commit()
    before = _read(api, factories, officer, enterprise)
    # A record written behind the import path's back: only the rebuild tells the cache.
    db.session.add(TaxRating(uscc=enterprise.uscc, batch_id=0, year=2024, grade="A"))
    db.session.commit()
    kept = _read(api, factories, officer, enterprise)
    assert kept["sections"]["tax_ratings"] == before["sections"]["tax_ratings"]

    profiles.rebuild([enterprise.id], trigger="manual")
    db.session.commit()
    after = _read(api, factories, officer, enterprise)
    years = [r["year"] for r in after["sections"]["tax_ratings"]["records"]]
    assert years == [2025, 2024]
    assert after["snapshot_id"] is not None


def test_two_banks_see_their_own_categories_and_date_ranges_from_one_kept_copy(
    api, factories, world
):
    bank, officer, enterprise = world
    other_bank = factories.bank(code="CACHEBANK2")
    other_officer = factories.user(Role.BANK_OFFICER, bank=other_bank)
    narrow = grant_query(enterprise, bank, ["enterprises", "tax_payments", "tax_ratings"])
    narrow.data_from = date(2026, 4, 1)
    grant_query(enterprise, other_bank, ["enterprises", "tax_payments", "public_credit"])
    db.session.commit()

    first = _read(api, factories, officer, enterprise)
    second = _read(api, factories, other_officer, enterprise)
    assert db.session.scalars(select(ProfileCacheEntry)).all() == [_entry(enterprise)]

    assert _periods(first) == ["2026-04"] and _periods(second) == ["2026-04", "2026-03"]
    assert first["sections"]["tax_payments"]["months"] == 1
    assert first["sections"]["public_credit"] == {"authorized": False}
    assert second["sections"]["public_credit"]["count"] == 2
    assert first["sections"]["tax_ratings"] == {"authorized": True, "count": 0, "records": []}
    assert second["sections"]["tax_ratings"] == {"authorized": False}
    assert first["authorization"]["data_from"]["tax_payments"] == "2026-04-01"


def test_the_key_facts_obey_the_date_range_on_the_api_and_the_page(app, api, factories, world):
    bank, officer, enterprise = world
    ingest_records(
        "public_credit",
        [{"uscc": enterprise.uscc, "category": "黑名单", "ref_no": "黑-CACHE", "content": "失信",
          "authority": "西安市中级人民法院", "decided_on": "2026-02-10", "valid_until": ""}],
        origin="push",
    )  # fmt: skip
    other_bank = factories.bank(code="CACHEBANK3")
    other_officer = factories.user(Role.BANK_OFFICER, bank=other_bank)
    categories = ["enterprises", "public_credit", "tax_ratings"]
    ranged = grant_query(enterprise, bank, categories)
    ranged.data_from = date(2026, 3, 1)  # after the listing (2026-02-10) and the 2025 rating
    grant_query(enterprise, other_bank, categories)
    db.session.commit()

    whole = _read(api, factories, other_officer, enterprise)["facts"]
    assert whole["black_listed"] is True and whole["tax_grade"] == "B"
    assert whole["tax_grade_year"] == 2025
    cut = _read(api, factories, officer, enterprise)["facts"]
    assert cut["black_listed"] is False  # as if no entry were on record: nothing told
    assert cut["tax_grade"] is None and cut["tax_grade_year"] is None
    assert cut["registered_capital"] == whole["registered_capital"]  # registry: no date

    cut_page, whole_page = (
        _facts_on_page(app, officer, enterprise),
        _facts_on_page(app, other_officer, enterprise),
    )
    assert "列入严重失信主体名单</dt>\n    <dd>否" in cut_page
    assert "纳税信用级别</dt>\n    <dd>—" in cut_page
    assert "列入严重失信主体名单</dt>\n    <dd>是" in whole_page
    assert "纳税信用级别</dt>\n    <dd>B" in whole_page


def _facts_on_page(app, officer, enterprise) -> str:
    client = WebClient(app.test_client())
    client.login(officer)
    page = client.get(f"/bank/enterprises/{enterprise.uscc}").get_data(as_text=True)
    start = page.index("关键事实")
    return page[start : page.index("</section>", start)]


def test_a_version_bump_of_every_enterprise_reaches_those_never_bumped(factories):
    first, second = factories.enterprise(), factories.enterprise()
    from app.profiles import cache

    cache.data_changed([first.id])
    cache.data_changed(None)
    versions = dict(db.session.execute(select(ProfileDataVersion.enterprise_id,
                                              ProfileDataVersion.version)).all())  # fmt: skip
    assert versions[first.id] == 2 and versions[second.id] == 1


def test_a_bump_of_more_enterprises_than_a_statement_takes_reaches_every_one(
    factories, monkeypatch
):
    """A registry batch may touch more enterprises than one statement has parameters for
    (65,535 on PostgreSQL): the bump goes in chunks, and every chunk counts."""
    from app.profiles import cache

    monkeypatch.setattr(cache, "CHUNK", 2)
    enterprises = [factories.enterprise() for _ in range(5)]
    cache.data_changed([e.id for e in enterprises] * 2)  # repeats bump once
    versions = dict(db.session.execute(select(ProfileDataVersion.enterprise_id,
                                              ProfileDataVersion.version)).all())  # fmt: skip
    assert [versions.get(e.id) for e in enterprises] == [1] * 5
