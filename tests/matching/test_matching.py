"""Matching: each criterion failing alone, eligible first, near misses, explained ranking."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.applications.models import Application
from app.clock import local_today, utcnow
from app.extensions import db
from app.facts.services import facts_of
from app.ingest.models import PublicCreditRecord, TaxRating
from app.matching import criteria, services
from app.util import format_yuan
from tests.products.helpers import make_product


@pytest.fixture
def enterprise(factories):
    # Xi'an, Yanta district (610113); manufacturing division 13 (section C); est. 2015
    return factories.enterprise(region_code="610113", industry_code="13",
                                established_on=date(2015, 6, 1))  # fmt: skip


@pytest.fixture
def facts(enterprise):
    return replace(facts_of(enterprise.id), grade="A", score=720, profile_id=1)


def _checks(enterprise, facts, amount="200000", term=12):
    matches = services.match(enterprise, amount, term, facts=facts)
    assert len(matches) == 1
    return matches[0]


FAILING_ALONE = [
    ("amount", {"amount_max": "150000"}, "金额超出上限 ¥150,000.00"),
    ("amount", {"amount_min": "300000"}, "金额低于下限 ¥300,000.00"),
    ("term", {"term_max_months": 6}, "期限超出上限 6 个月"),
    ("term", {"term_min_months": 24}, "期限低于下限 24 个月"),
    ("region", {"regions": ["610200"]}, "所在地区不在服务范围内"),
    ("industry", {"industries": ["F"]}, "所属行业不在支持范围内"),
    ("min_grade", {"min_grade": "AA"}, "信用等级 A 低于要求 AA"),
    ("min_score", {"min_score": 800}, "信用评分 720 低于要求 800"),
    ("min_years", {"min_years": 20}, "不足 20 年"),
    ("min_tax_grade", {"min_tax_grade": "A"}, "纳税信用 B 级低于要求 A 级"),
    ("size", {"sizes": ["medium", "large"]}, "小型企业，本产品仅限中型、大型企业"),
]


@pytest.mark.parametrize(("criterion", "fields", "detail"), FAILING_ALONE)
def test_each_criterion_fails_alone(factories, enterprise, facts, criterion, fields, detail):
    make_product(factories.bank(), **fields)
    m = _checks(enterprise, replace(facts, tax_grade="B"))
    failed = [c for c in m.checks if not c["passed"]]
    assert [c["criterion"] for c in failed] == [criterion]
    assert detail in failed[0]["detail"]
    assert m.eligible is False


def test_black_list_excludes_with_the_reason(factories, enterprise):
    make_product(factories.bank())
    db.session.add(PublicCreditRecord(
        uscc=enterprise.uscc, batch_id=0, category="black_list", ref_no="HM-1",
        authority="市发改委", decided_on=date(2024, 1, 1), valid_until=None,
    ))  # fmt: skip
    db.session.flush()
    facts = facts_of(enterprise.id)
    assert facts.black_listed
    m = _checks(enterprise, facts)
    failed = [c for c in m.checks if not c["passed"]]
    assert [(c["criterion"], c["detail"]) for c in failed] == [("black_list", "黑名单主体不予受理")]


def test_expired_black_list_entry_does_not_count(factories, enterprise):
    db.session.add(PublicCreditRecord(
        uscc=enterprise.uscc, batch_id=0, category="black_list", ref_no="HM-2",
        authority="市发改委", decided_on=date(2020, 1, 1),
        valid_until=local_today() - timedelta(days=1),
    ))  # fmt: skip
    db.session.flush()
    assert facts_of(enterprise.id).black_listed is False


def test_product_that_accepts_black_listed_passes(factories, enterprise, facts):
    make_product(factories.bank(), exclude_black_list=False)
    m = _checks(enterprise, replace(facts, black_listed=True))
    assert m.eligible


def test_latest_tax_rating_is_used(factories, enterprise):
    last_year = local_today().year - 1
    for year, grade in ((last_year - 1, "A"), (last_year, "C")):
        db.session.add(TaxRating(uscc=enterprise.uscc, batch_id=0, year=year, grade=grade))
    db.session.flush()
    assert facts_of(enterprise.id).tax_grade == "C"


def test_missing_profile_fails_grade_and_score_checks(factories, enterprise):
    make_product(factories.bank(), min_grade="BBB", min_score=600)
    facts = replace(facts_of(enterprise.id), grade=None, score=None)
    m = _checks(enterprise, facts)
    details = {c["criterion"]: c["detail"] for c in m.checks if not c["passed"]}
    assert details == {"min_grade": "暂无信用画像", "min_score": "暂无信用画像"}


def test_city_code_covers_its_counties_and_division_is_covered_by_section(
    factories, enterprise, facts
):
    make_product(factories.bank(), regions=["610100"], industries=["C"])
    assert _checks(enterprise, facts).eligible


def test_eligible_first_then_near_misses_by_fewest_failures(factories, enterprise, facts):
    bank = factories.bank()
    two_off = make_product(bank, name="差两项", amount_max="150000", min_years=30)
    one_off = make_product(bank, name="差一项", amount_max="150000")
    fits = make_product(bank, name="符合")
    make_product(bank, name="差四项", amount_max="150000", min_years=30, regions=["610200"],
                 industries=["F"])  # fmt: skip
    make_product(bank, name="草稿", status="draft")
    matches = services.match(enterprise, "200000", 12, facts=facts)
    assert [m.product.id for m in matches] == [fits.id, one_off.id, two_off.id]
    assert [m.rank for m in matches] == [1, 2, 3]
    assert [m.eligible for m in matches] == [True, False, False]
    body = matches[0].to_dict()
    assert set(body) >= {"product_id", "bank", "name", "eligible", "rank", "checks"}
    assert [c["criterion"] for c in body["checks"]] == list(criteria.CODES)


def test_ranking_prefers_lower_rate_and_explains_it(factories, enterprise, facts):
    cheap = make_product(factories.bank(), name="低利率", rate_min="3.2")
    dear = make_product(factories.bank(), name="高利率", rate_min="5.5", rate_max="8")
    matches = services.match(enterprise, "200000", 12, facts=facts)
    assert [m.product.id for m in matches] == [cheap.id, dear.id]
    assert matches[0].rank_reasons[0] == "最低年利率 3.2%"
    assert "该行近 90 天无受理记录" in matches[0].rank_reasons


def test_ranking_uses_the_banks_response_record(factories, enterprise, facts):
    slow_bank, fast_bank = factories.bank(), factories.bank()
    slow = make_product(slow_bank, name="慢")
    fast = make_product(fast_bank, name="快")
    now = utcnow()
    for bank, days in ((slow_bank, 3), (slow_bank, 3), (fast_bank, 0), (fast_bank, 1)):
        db.session.add(Application(
            enterprise_id=enterprise.id, bank_id=bank.id, state="accepted",
            amount=Decimal("1"), term_months=1, accepted_at=now, response_working_days=days,
        ))  # fmt: skip
    db.session.flush()
    matches = services.match(enterprise, "200000", 12, facts=facts)
    assert [m.product.id for m in matches] == [fast.id, slow.id]
    assert "该行近 90 天受理中位数 0.5 个工作日" in matches[0].rank_reasons
    assert "该行近 90 天受理中位数 3 个工作日" in matches[1].rank_reasons


def test_the_response_median_is_the_middle_of_the_last_90_days(factories, enterprise, facts):
    """The median is computed in SQL: the middle day of an odd count, the mean of the middle
    two of an even one, whatever order the days were recorded in; older ones do not count."""
    odd_bank, even_bank = factories.bank(), factories.bank()
    make_product(odd_bank, name="奇数")
    make_product(even_bank, name="偶数")
    now = utcnow()
    recorded = [(odd_bank, 9, now), (odd_bank, 1, now), (odd_bank, 5, now),
                (odd_bank, 0, now - timedelta(days=91)), (even_bank, 100, now),
                (even_bank, 2, now), (even_bank, 7, now), (even_bank, 4, now)]  # fmt: skip
    for bank, days, accepted_at in recorded:
        db.session.add(Application(
            enterprise_id=enterprise.id, bank_id=bank.id, state="accepted",
            amount=Decimal("1"), term_months=1, accepted_at=accepted_at,
            response_working_days=days,
        ))  # fmt: skip
    db.session.flush()
    reasons = {m.product.name: m.rank_reasons[2]
               for m in services.match(enterprise, "200000", 12, facts=facts)}  # fmt: skip
    assert reasons == {"奇数": "该行近 90 天受理中位数 5 个工作日",
                       "偶数": "该行近 90 天受理中位数 5.5 个工作日"}  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "term", "field"),
    [("", 12, "amount"), ("-1", 12, "amount"), ("1000", "x", "term_months")],
)
def test_bad_need_names_the_field(enterprise, amount, term, field):
    from app.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as excinfo:
        services.match(enterprise, amount, term)
    assert excinfo.value.field == field


def test_amounts_read_as_the_money_filter_shows_them():
    assert format_yuan(Decimal("500000")) == "¥500,000.00"  # one way, as the money filter
    assert format_yuan(Decimal("1250000")) == "¥1,250,000.00"
    assert format_yuan(Decimal("8000")) == "¥8,000.00"
    assert format_yuan(Decimal("-22870000")) == "-¥22,870,000.00"  # the sign before the symbol
    assert format_yuan(Decimal("-0.001")) == "-¥0.00"
    assert format_yuan(Decimal("0")) == "¥0.00"


def test_a_banks_open_demands_agree_with_the_sql_criteria(factories):
    """The inbox's batched check (`demands_fitting_bank`: one query for the products, one for
    every enterprise's facts, the explained checks) says what `fitting_bank_ids` says in SQL,
    demand by demand, across regions, industries, amounts, terms, tax grades and black lists."""
    bank = factories.bank()
    make_product(bank, name="西安制造", regions=["610100"], industries=["C"],
                 amount_max="500000", min_tax_grade="B")  # fmt: skip
    make_product(bank, name="宝鸡长期", regions=["610300"], term_min_months=24,
                 exclude_black_list=True)  # fmt: skip
    make_product(factories.bank(), name="他行通用")  # another bank's product fits everyone
    people = [
        factories.enterprise(region_code="610113", industry_code="13"),  # Xi'an, manufacturing
        factories.enterprise(region_code="610113", industry_code="51"),  # Xi'an, wholesale
        factories.enterprise(region_code="610302", industry_code="13"),  # Baoji
        factories.enterprise(region_code="610302", industry_code="13"),  # Baoji, black-listed
    ]
    db.session.add(TaxRating(uscc=people[0].uscc, batch_id=0, year=local_today().year - 1,
                              grade="C"))  # fmt: skip
    db.session.add(PublicCreditRecord(
        uscc=people[3].uscc, batch_id=0, category="black_list", ref_no="B-1", authority="法院",
        decided_on=date(2025, 1, 1), valid_until=None, content="失信被执行人",
    ))  # fmt: skip
    demands = []
    for person in people:
        for amount, term in (("200000", 12), ("900000", 12), ("200000", 36)):
            demand = Application(enterprise_id=person.id, state="submitted",
                                 amount=Decimal(amount), term_months=term)  # fmt: skip
            db.session.add(demand)
            demands.append(demand)
    db.session.flush()
    fitting = services.demands_fitting_bank(bank.id, demands)
    expected = [
        d for d in demands
        if bank.id in services.fitting_bank_ids(d.enterprise, d.amount, d.term_months)
    ]  # fmt: skip
    assert fitting == expected
    assert 0 < len(fitting) < len(demands)  # some fit, some do not


def _activate_four_grades(codes: tuple[str, ...] = ("甲", "乙", "丙", "丁")) -> None:
    """Activate a new version with four grades, `codes` best first."""
    from app.scoring import services as scoring
    from tests.scoring.conftest import V1_FILE

    definition = json.loads(V1_FILE.read_text(encoding="utf-8"))["definition"]
    best, good, fair, poor = codes
    renamed = dict(zip(("AAA", "AA", "A", "BBB", "BB", "B", "C"),
                       (best, best, good, good, fair, fair, poor), strict=True))  # fmt: skip
    definition["grades"] = [
        {"grade": best, "min": 800, "label_zh": "优", "label_en": "Excellent"},
        {"grade": good, "min": 600, "label_zh": "良", "label_en": "Good"},
        {"grade": fair, "min": 400, "label_zh": "中", "label_en": "Fair"},
        {"grade": poor, "min": 0, "label_zh": "差", "label_en": "Poor"},
    ]
    for cap in definition["caps"]:
        cap["max_grade"] = renamed[cap["max_grade"]]
    card = scoring.create_version(definition, user_id=None)
    scoring.activate(card.version, user_id=None)


def test_a_scorecard_with_other_grade_codes_keeps_matching_working(factories, enterprise, facts):
    """Grades are the active scorecard's data: products and matching ask its order."""
    from app.errors import ValidationFailed
    from app.scoring import services as scoring

    old_product = make_product(factories.bank(), name="旧等级", min_grade="AA")
    _activate_four_grades()
    assert scoring.active_grade_order() == ("甲", "乙", "丙", "丁")

    with pytest.raises(ValidationFailed) as refused:
        make_product(factories.bank(), min_grade="AA")
    assert refused.value.field == "min_grade" and "甲/乙/丙/丁" in refused.value.message
    bank = factories.bank()
    fits = make_product(bank, name="乙级可贷", min_grade="乙")
    above = make_product(factories.bank(), name="甲级专享", min_grade="甲")

    verdicts = {
        m.product.id: (m.eligible, [c["detail"] for c in m.checks if c["criterion"] == "min_grade"])
        for m in services.match(enterprise, "200000", 12, facts=replace(facts, grade="乙"))
    }
    assert verdicts == {
        fits.id: (True, ["信用等级 乙 达到要求 乙"]),
        above.id: (False, ["信用等级 乙 低于要求 甲"]),
        old_product.id: (False, ["要求的信用等级 AA 不在现行评分卡中"]),
    }
    # A profile scored by the previous version ("A") ranks nowhere in the new order.
    (stale,) = [m for m in services.match(enterprise, "200000", 12, facts=facts)
                if m.product.id == fits.id]  # fmt: skip
    assert [c["detail"] for c in stale.checks if not c["passed"]] == [
        "信用等级 A 不在现行评分卡中，待重新评分"
    ]
    # The SQL-only readers take the same order (no profile yet: only unlimited products fit).
    assert bank.id not in services.fitting_bank_ids(enterprise, Decimal("200000"), 12)
    demand = Application(enterprise_id=enterprise.id, state="submitted",
                         amount=Decimal("200000"), term_months=12)  # fmt: skip
    db.session.add(demand)
    db.session.flush()
    assert services.demands_fitting_bank(bank.id, [demand]) == []


def test_matching_takes_a_newly_activated_order_it_had_not_read(factories, enterprise, facts):
    """Matching keeps the grade order it last read and its statement checks that the version
    is still active: an activation elsewhere (here, after a match) still takes effect."""
    product = make_product(factories.bank(), name="乙级可贷", min_grade="AA")
    graded = replace(facts, grade="AA")
    assert [m.eligible for m in services.match(enterprise, "200000", 12, facts=graded)] == [True]

    _activate_four_grades()
    product.min_grade = "乙"
    db.session.flush()
    (result,) = services.match(enterprise, "200000", 12, facts=replace(facts, grade="乙"))
    assert result.eligible
    (result,) = services.match(enterprise, "200000", 12, facts=graded)
    assert [c["detail"] for c in result.checks if not c["passed"]] == [
        "信用等级 AA 不在现行评分卡中，待重新评分"
    ]


def test_matching_is_not_misled_by_a_version_number_given_again(factories, enterprise, facts):
    """A version read in a transaction that was rolled back leaves its number free for another
    definition: the kept order must be told apart from the new one all the same."""
    product, graded = make_product(factories.bank()), replace(facts, grade="甲")
    savepoint = db.session.begin_nested()
    _activate_four_grades(("甲", "乙", "丙", "丁"))
    product.min_grade = "乙"
    db.session.flush()
    assert [m.eligible for m in services.match(enterprise, "200000", 12, facts=graded)] == [True]
    savepoint.rollback()

    _activate_four_grades(("乙", "甲", "丙", "丁"))  # the same version number, 甲 now below 乙
    product.min_grade = "乙"
    db.session.flush()
    assert [m.eligible for m in services.match(enterprise, "200000", 12, facts=graded)] == [False]
