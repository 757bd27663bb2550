"""Enterprise facts: one module that scoring, matching, the bank's inbox and the bank's view
read, so that a withdrawn or corrected record changes all of them at once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.applications import queries
from app.applications import services as applications
from app.applications.models import Application
from app.auth.models import Role
from app.clock import local_today
from app.consent import services as consent
from app.disputes import services as disputes
from app.extensions import db
from app.facts import services as facts
from app.facts.records import TAX_RATING_VALID_YEARS, counts
from app.facts.registry import age_in_years, dimensions_query, years_in_business
from app.ingest.models import PublicCreditRecord, TaxRating
from app.ingest.services import ingest_records
from app.matching import services as matching
from app.notifications.models import Notification
from app.profiles import services as profiles
from tests.consent.test_guard import grant_query
from tests.products.helpers import make_product


def _iso(day: date) -> str:
    return day.isoformat()


def _black_list(uscc: str, decided_on: date, valid_until: date | None = None, ref="黑-001"):
    ingest_records(
        "public_credit",
        [{"uscc": uscc, "category": "黑名单", "ref_no": ref, "authority": "西安市中级人民法院",
          "decided_on": _iso(decided_on), "valid_until": _iso(valid_until) if valid_until else "",
          "content": "失信被执行人"}],
        origin="push",
    )  # fmt: skip
    return db.session.scalars(
        select(PublicCreditRecord).where(
            PublicCreditRecord.uscc == uscc, PublicCreditRecord.ref_no == ref
        )
    ).one()


@pytest.fixture
def world(factories):
    """A black-listed enterprise with an open demand; a bank whose only product excludes
    black-listed firms, authorized by the enterprise to see its public records."""
    today = local_today()
    enterprise = factories.enterprise(region_code="610113", industry_code="13",
                                      established_on=today - timedelta(days=8 * 366))  # fmt: skip
    owner = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    admin = factories.user(Role.ADMIN)
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    product = make_product(bank, exclude_black_list=True)
    record = _black_list(enterprise.uscc, today - timedelta(days=400))
    consent.record_paper([enterprise.uscc], categories=["tax_ratings"], evidence_ref="T-FACTS")
    profiles.rebuild([enterprise.id], trigger="manual")
    demand = applications.create_application(
        enterprise.id, product_id=None, amount="200000", term_months=12, purpose="采购原材料",
        user_id=owner.id,
    )  # fmt: skip
    grant_query(enterprise, bank, ["enterprises", "public_credit", "tax_ratings"])
    db.session.commit()
    return {
        "enterprise": enterprise, "owner": owner, "admin": admin, "bank": bank,
        "officer": officer, "officer_token": factories.token(officer), "product": product,
        "record": record, "demand": demand,
    }  # fmt: skip


def _told_of_a_new_demand(world) -> bool:
    """Whether the bank is notified of a new open demand of the enterprise (rolled back)."""
    savepoint = db.session.begin_nested()
    demand = applications.create_application(
        world["enterprise"].id, product_id=None, amount="210000", term_months=12,
        purpose="补充流动资金", user_id=world["owner"].id,
    )  # fmt: skip
    told = db.session.scalar(
        select(Notification.id).where(
            Notification.bank_id == world["bank"].id, Notification.kind == "demand_new",
            Notification.link.like(f"%/{demand.id}"),
        )
    )  # fmt: skip
    savepoint.rollback()
    return told is not None


def _everywhere(api, world) -> dict:
    """What each reader says of the enterprise now."""
    enterprise, bank = world["enterprise"], world["bank"]
    (match,) = matching.match(enterprise, "200000", 12)
    bench = queries.workbench(world["officer"], tab="new", endpoint="/bank/inbox", channel="web",
                              ip=None)  # fmt: skip
    inbox = [row.application.id for row in bench.rows]
    seen = api.get(f"/api/v1/applications/{world['demand'].id}", token=world["officer_token"])
    view = api.get(f"/api/v1/enterprises/{enterprise.uscc}/profile", token=world["officer_token"])
    assert view.status_code == 200, view.json
    return {
        "matching": match.eligible,
        "fitting_banks": bank.id in matching.fitting_bank_ids(enterprise, Decimal(200000), 12),
        "inbox": world["demand"].id in inbox,
        "bank_may_open_demand": seen.status_code == 200,
        "view_black_listed": view.json["facts"]["black_listed"],
        "view_records": [r["category"] for r in view.json["sections"]["public_credit"]["records"]],
        "profile_black_listed": view.json["features"]["black_listed"],
        "notified": _told_of_a_new_demand(world),
    }


def test_a_withdrawn_black_list_record_makes_the_enterprise_eligible_everywhere_at_once(api, world):
    before = _everywhere(api, world)
    assert before == {
        "matching": False, "fitting_banks": False, "inbox": False,
        "bank_may_open_demand": False, "view_black_listed": True,
        "view_records": ["black_list"], "profile_black_listed": True, "notified": False,
    }  # fmt: skip

    dispute = disputes.file_dispute(world["enterprise"].id, "public_credit", world["record"].id,
                                    reason="已履行完毕，法院已屏蔽", user_id=world["owner"].id)  # fmt: skip
    db.session.commit()
    assert _everywhere(api, world) == before  # an open dispute changes nothing yet
    disputes.resolve(dispute.id, "withdrawn", user_id=world["admin"].id, note="法院确认已移出")
    db.session.commit()

    assert _everywhere(api, world) == {
        "matching": True, "fitting_banks": True, "inbox": True,
        "bank_may_open_demand": True, "view_black_listed": False,
        "view_records": [], "profile_black_listed": False, "notified": True,
    }  # fmt: skip


def test_a_corrected_tax_rating_changes_matching_and_the_banks_view(api, world, factories):
    enterprise = world["enterprise"]
    last_year = local_today().year - 1
    ingest_records("tax_ratings", [{"uscc": enterprise.uscc, "year": str(last_year), "grade": "C"}],
                   origin="push")  # fmt: skip
    make_product(world["bank"], name="纳税B级以上", exclude_black_list=False, min_tax_grade="B")
    db.session.commit()
    rating = db.session.scalars(select(TaxRating).where(TaxRating.uscc == enterprise.uscc)).one()

    def tax_grade_everywhere():
        matches = {m.product.name: m for m in matching.match(enterprise, "200000", 12)}
        view = api.get(f"/api/v1/enterprises/{enterprise.uscc}/profile",
                       token=world["officer_token"])  # fmt: skip
        return (facts.facts_of(enterprise.id).tax_grade, matches["纳税B级以上"].eligible,
                view.json["facts"]["tax_grade"])  # fmt: skip

    assert tax_grade_everywhere() == ("C", False, "C")
    dispute = disputes.file_dispute(enterprise.id, "tax_ratings", rating.id, reason="复评为A级",
                                    user_id=world["owner"].id)  # fmt: skip
    disputes.resolve(dispute.id, "corrected", user_id=world["admin"].id, note="税务机关复评",
                     corrected_values={"grade": "A"})  # fmt: skip
    db.session.commit()
    assert tax_grade_everywhere() == ("A", True, "A")


# --- the rules, one by one --------------------------------------------------------------


def test_a_list_entry_counts_from_its_decision_to_its_end(factories):
    today = local_today()
    expired = factories.enterprise()
    _black_list(expired.uscc, today - timedelta(days=800), valid_until=today - timedelta(days=1))
    ends_today = factories.enterprise()
    _black_list(ends_today.uscc, today - timedelta(days=800), valid_until=today)
    found = facts.facts_for([expired.id, ends_today.id])
    assert found[expired.id].black_listed is False
    assert found[ends_today.id].black_listed is True
    # Looking back to before the entry was decided, it is not there yet.
    before = facts.facts_of(ends_today.id, as_of=today - timedelta(days=801))
    assert before.black_listed is False


def test_a_tax_rating_is_current_for_two_years_then_stale(factories):
    enterprise = factories.enterprise()
    year = local_today().year
    for y, grade in ((year - 3, "A"), (year - 2, "B"), (year, "D")):  # year: not published yet
        db.session.add(TaxRating(uscc=enterprise.uscc, batch_id=0, year=y, grade=grade))
    db.session.flush()
    now = facts.facts_of(enterprise.id)
    assert (now.tax_grade, now.tax_grade_year) == ("B", year - 2)
    next_year = facts.facts_of(enterprise.id, as_of=date(year + 1, 6, 1))
    assert (next_year.tax_grade, next_year.tax_grade_year) == ("D", year)  # published by then
    later = facts.facts_of(enterprise.id, as_of=date(year + 1 + TAX_RATING_VALID_YEARS, 1, 1))
    assert later.tax_grade is None  # every rating on record is stale


def test_scoring_reads_the_same_tax_rating_rules(factories):
    from app.scoring.features import extract_features

    enterprise = factories.enterprise()
    year = local_today().year
    db.session.add(TaxRating(uscc=enterprise.uscc, batch_id=0, year=year - 3, grade="A"))
    db.session.flush()
    assert facts.facts_of(enterprise.id).tax_grade is None
    assert extract_features([enterprise.id], local_today())[enterprise.id].tax_grade is None


def test_counts_is_one_condition_for_every_record_source():
    for source in ("public_credit", "tax_ratings", "tax_payments", "utility_bills",
                   "social_insurance"):  # fmt: skip
        assert str(counts(source, TaxRating if source == "tax_ratings" else PublicCreditRecord
                          if source == "public_credit" else _monthly(source), local_today()))  # fmt: skip
    with pytest.raises(ValueError, match="unknown record source"):
        counts("enterprises", PublicCreditRecord, local_today())


def _monthly(source):
    from app.ingest.models import SocialInsuranceRecord, TaxPayment, UtilityBill

    return {"tax_payments": TaxPayment, "utility_bills": UtilityBill,
            "social_insurance": SocialInsuranceRecord}[source]  # fmt: skip


def test_years_in_business_count_anniversaries_and_age_counts_days():
    assert years_in_business(date(2020, 2, 29), date(2024, 2, 28)) == 3
    assert years_in_business(date(2020, 2, 29), date(2024, 2, 29)) == 4
    assert years_in_business(None, date(2024, 1, 1)) is None
    assert years_in_business(date(2025, 1, 2), date(2025, 1, 1)) == 0
    assert age_in_years(date(2020, 1, 1), date(2021, 1, 1)) == 1.0
    assert age_in_years(None, date(2021, 1, 1)) is None


def test_industry_levels_of_a_division_and_of_a_section_only_code(factories):
    division = factories.enterprise(industry_code="1310", region_code="610113")
    section = factories.enterprise(industry_code="F", region_code="610302")
    rows = {r[0]: r[1:] for r in db.session.execute(dimensions_query([division.id, section.id]))}
    assert rows == {division.id: ("610113", "C", "13"), section.id: ("610302", "F", "F")}
    found = facts.facts_for([division.id, section.id])
    assert (found[division.id].industry_section, found[division.id].industry_division) == (
        "C",
        "13",
    )
    assert (found[section.id].industry_section, found[section.id].industry_division) == ("F", "F")


def test_first_loan_status(factories):
    enterprise = factories.enterprise()
    assert facts.is_first_loan(enterprise.id) is True
    loan = Application(enterprise_id=enterprise.id, state="disbursed", amount=Decimal(1000),
                       term_months=12)  # fmt: skip
    db.session.add(loan)
    db.session.flush()
    assert facts.is_first_loan(enterprise.id) is False
    assert facts.is_first_loan(enterprise.id, excluding=loan.id) is True
    assert facts.facts_of(enterprise.id).borrowed_before is True
    assert facts.enterprises_that_borrowed([enterprise.id, 999_999]) == {enterprise.id}


def test_a_bank_sees_only_the_facts_of_the_categories_it_is_authorized_for(factories):
    enterprise = factories.enterprise()
    db.session.add(TaxRating(uscc=enterprise.uscc, batch_id=0, year=local_today().year - 1,
                             grade="A"))  # fmt: skip
    db.session.flush()
    known = facts.facts_of(enterprise.id)
    assert set(facts.shown_to_bank(facts.for_banks(known), ["public_credit"])) == {
        "black_listed",
        "red_listed",
    }
    assert "tax_grade" not in facts.shown_to_bank(
        facts.for_banks(known), ["enterprises", "public_credit"]
    )
    everything = facts.shown_to_bank(
        facts.for_banks(known), ["enterprises", "public_credit", "tax_ratings"]
    )
    assert everything["tax_grade"] == "A" and everything["registered_capital"] == "500.00"
    assert everything["scale"] == "small" and everything["years_in_business"] >= 0


def test_the_banks_page_shows_the_facts_in_words(app, world):
    from tests.conftest import WebClient

    web = WebClient(app.test_client())
    web.login(world["officer"])
    page = web.get(f"/bank/enterprises/{world['enterprise'].uscc}").get_data(as_text=True)
    facts_card = page[page.index("关键事实") : page.index("</section>", page.index("关键事实"))]
    assert "列入严重失信主体名单</dt>" in facts_card
    assert "<dd>是</dd>" in facts_card and "<dd>小型</dd>" in facts_card
    assert "True" not in facts_card and "small" not in facts_card
