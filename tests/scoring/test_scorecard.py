"""score(): known cases in the expected order, and the properties the method promises.

Properties (Hypothesis, against scorecard version 1 over arbitrary firms):
- more penalties (any severity, plus their fines) never raise the score or improve the grade,
  for firms whose public-credit record is known (the extraction always knows it);
- a higher utility on-time ratio, more tax months paid on time, more social-insurance months
  paid never lower the score;
- black-list membership gives the lowest grade and a score inside its band, whatever else;
- the same features and the same version give the same result (also after a JSON round trip);
- missing data is neither bad nor good: for every source S and firm f, the score with S
  missing lies between the score with S at its worst values and at its best values, and each
  rule of version 1 scores missing data at half its maximum points (so no source can make a
  firm with no data look like the worst or the best payer).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scoring.features import FEATURES, Features
from app.scoring.scorecard import REASONS, compile_definition, score

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FULL_COVERAGE = {
    "enterprises": 1,
    "public_credit": 3,
    "social_insurance": 36,
    "tax_payments": 36,
    "tax_ratings": 3,
    "utility_bills": 36,
}
CLEAN = {
    "penalties_minor": 0,
    "penalties_major": 0,
    "penalties_severe": 0,
    "penalties_severe_12m": 0,
    "penalty_amount": Decimal("0.00"),
    "black_listed": False,
    "red_listed": False,
    "licenses_in_force": 0,
}
PUNCTUAL = Features(
    as_of=date(2026, 6, 15),
    tax_months=36,
    tax_months_paid=36,
    tax_months_on_time=36,
    tax_paid_12m=Decimal("300000.00"),
    tax_trend=1.05,
    utility_months=36,
    utility_on_time_ratio=1.0,
    utility_months_in_arrears=0,
    si_months_expected=36,
    si_months_paid=36,
    si_headcount=20.0,
    si_headcount_trend=1.0,
    **{**CLEAN, "licenses_in_force": 2},
    tax_grade="A",
    tax_grade_year=2025,
    age_years=10.5,
    registered_capital=Decimal("500.00"),
    coverage=FULL_COVERAGE,
)
IN_ARREARS = dataclasses.replace(
    PUNCTUAL, utility_on_time_ratio=0.6, utility_months_in_arrears=5, tax_months_on_time=29
)
PENALISED = dataclasses.replace(
    PUNCTUAL,
    penalties_major=1,
    penalties_severe=1,
    penalties_severe_12m=1,
    penalty_amount=Decimal("200000.00"),
)
BLACK_LISTED = dataclasses.replace(PUNCTUAL, black_listed=True)
NO_DATA = Features(
    as_of=date(2026, 6, 15),
    **CLEAN,
    age_years=5.0,
    registered_capital=Decimal("100.00"),
    coverage={
        "enterprises": 1,
        "public_credit": 0,
        "social_insurance": 0,
        "tax_payments": 0,
        "tax_ratings": 0,
        "utility_bills": 0,
    },
)


@pytest.fixture(scope="module")
def card(v1_definition):
    return compile_definition(v1_definition)


def test_known_firms_come_out_in_the_expected_order(card):
    punctual, arrears, penalised, black = (
        score(f, card) for f in (PUNCTUAL, IN_ARREARS, PENALISED, BLACK_LISTED)
    )
    assert punctual.score > arrears.score > penalised.score > black.score
    assert (punctual.grade, arrears.grade, penalised.grade, black.grade) == ("AAA", "AA", "BB", "C")
    assert punctual.confidence_level == "high"
    # What lowers each score most comes first.
    assert [r.code for r in arrears.reasons[:3]] == ["UTILITY_ARREARS", "UTILITY_LATE", "TAX_LATE"]
    assert penalised.reasons[0].code == "PENALTY_SEVERE_RECENT"
    assert penalised.reasons[0].kind == "cap"
    assert penalised.raw_score > 599 and penalised.score == 599  # the top of BB
    assert black.reasons[0].code == "BLACK_LIST" and black.score <= 399


def test_a_firm_with_no_data_gets_low_confidence_not_a_bad_grade(card):
    result = score(NO_DATA, card)
    assert result.confidence_level == "low" and result.confidence == 0.1
    assert result.grade == "BBB"  # the middle of the scale, as a firm with no data
    assert result.score > score(PENALISED, card).score
    codes = [r.code for r in result.reasons if r.kind == "missing"]
    assert codes == ["NO_TAX_DATA", "NO_SOCIAL_INSURANCE_DATA", "NO_UTILITY_DATA", "NO_TAX_RATING"]
    assert set(result.missing_sources) == {
        "tax_payments",
        "utility_bills",
        "social_insurance",
        "tax_ratings",
    }
    performance = next(d for d in result.dimensions if d.code == "performance")
    assert performance.score == 50.0 and performance.data_share == 0.0


def test_a_short_history_is_not_called_missing(card):
    """7 months of tax records give no yearly trend: the reason says the months are too few,
    never "缺少纳税记录" beside a coverage of 7 months; a source with no records still says so."""
    short = dataclasses.replace(
        PUNCTUAL,
        tax_trend=None,
        si_headcount_trend=None,
        coverage={**FULL_COVERAGE, "tax_payments": 7, "social_insurance": 0},
    )
    codes = [r.code for r in score(short, card).reasons if r.kind == "missing"]
    assert "SHORT_TAX_DATA" in codes and "NO_TAX_DATA" not in codes
    assert "NO_SOCIAL_INSURANCE_DATA" in codes
    zh, en = REASONS["SHORT_TAX_DATA"]
    assert "不足" in zh and "缺少" not in zh and "Too few" in en


def test_result_carries_both_languages_and_the_profile_shape(card):
    result = score(IN_ARREARS, card)
    zh, en = result.to_dict("zh"), result.to_dict("en")
    assert zh["score"] == result.score and zh["grade"] == "AA"
    assert zh["dimensions"][0] == {
        "code": "compliance",
        "name": "遵纪守法",
        "score": 100.0,
        "weight": 0.2,
    }
    assert en["dimensions"][1]["name"] == "Payment and commitments"
    assert zh["reasons"][0] == {"code": "UTILITY_ARREARS", "message": REASONS["UTILITY_ARREARS"][0]}
    assert en["reasons"][0]["message"] == "Months in arrears on utility bills"
    assert sum(d["weight"] for d in zh["dimensions"]) == pytest.approx(1.0)
    assert min(d["score"] for d in zh["dimensions"]) >= 0
    assert max(d["score"] for d in zh["dimensions"]) <= 100


# --- Hypothesis --------------------------------------------------------------------------

ratios = st.floats(min_value=0, max_value=1, allow_nan=False)
money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False)
counts = st.integers(min_value=0, max_value=10)


def maybe(strategy):
    return st.none() | strategy


@st.composite
def firms(draw, *, public_known: bool = False):
    """Any firm the extraction could produce (or a caller could build), consistent counts."""
    tax_months = draw(maybe(st.integers(min_value=1, max_value=36)))
    paid = on_time = None
    if tax_months is not None:
        paid = draw(st.integers(min_value=0, max_value=tax_months))
        on_time = draw(st.integers(min_value=0, max_value=paid))
    si_expected = draw(maybe(st.integers(min_value=1, max_value=36)))
    si_paid = None if si_expected is None else draw(st.integers(0, si_expected))
    severe = draw(counts if public_known else maybe(counts))
    public = {
        "penalties_minor": draw(counts if public_known else maybe(counts)),
        "penalties_major": draw(counts if public_known else maybe(counts)),
        "penalties_severe": severe,
        "penalties_severe_12m": None if severe is None else draw(st.integers(0, severe)),
        "penalty_amount": draw(money if public_known else maybe(money)),
        "black_listed": draw(st.booleans() if public_known else maybe(st.booleans())),
        "red_listed": draw(maybe(st.booleans())),
        "licenses_in_force": draw(maybe(counts)),
    }
    return Features(
        tax_months=tax_months,
        tax_months_paid=paid,
        tax_months_on_time=on_time,
        tax_paid_12m=draw(maybe(money)),
        tax_trend=draw(maybe(st.floats(min_value=0, max_value=5, allow_nan=False))),
        utility_months=draw(maybe(st.integers(1, 36))),
        utility_on_time_ratio=draw(maybe(ratios)),
        utility_months_in_arrears=draw(maybe(st.integers(0, 36))),
        si_months_expected=si_expected,
        si_months_paid=si_paid,
        si_headcount=draw(maybe(st.floats(min_value=0, max_value=500, allow_nan=False))),
        si_headcount_trend=draw(maybe(st.floats(min_value=0, max_value=5, allow_nan=False))),
        **public,
        tax_grade=draw(maybe(st.sampled_from("ABMCD"))),
        age_years=draw(maybe(st.floats(min_value=0, max_value=60, allow_nan=False))),
        registered_capital=draw(maybe(money)),
        coverage={
            "tax_payments": tax_months or 0,
            "utility_bills": draw(st.integers(0, 36)),
            "social_insurance": draw(st.integers(0, 36)),
            "tax_ratings": draw(st.integers(0, 3)),
            "enterprises": draw(st.integers(0, 1)),
        },
    )


def _not_better(card, after, before) -> bool:
    return after.score <= before.score and card.grade_rank(after.grade) >= card.grade_rank(
        before.grade
    )


@SETTINGS
@given(
    f=firms(public_known=True),
    minor=counts,
    major=counts,
    severe=counts,
    recent=st.booleans(),
    fines=money,
)
def test_more_penalties_never_raise_the_score(card, f, minor, major, severe, recent, fines):
    worse = dataclasses.replace(
        f,
        penalties_minor=f.penalties_minor + minor,
        penalties_major=f.penalties_major + major,
        penalties_severe=f.penalties_severe + severe,
        penalties_severe_12m=f.penalties_severe_12m + (severe if recent else 0),
        penalty_amount=f.penalty_amount + fines,
    )
    assert _not_better(card, score(worse, card), score(f, card))


@SETTINGS
@given(f=firms(), a=ratios, b=ratios)
def test_a_higher_utility_on_time_ratio_never_lowers_the_score(card, f, a, b):
    low, high = sorted((a, b))
    lower = score(dataclasses.replace(f, utility_on_time_ratio=low), card)
    higher = score(dataclasses.replace(f, utility_on_time_ratio=high), card)
    assert higher.score >= lower.score


@SETTINGS
@given(f=firms(), data=st.data())
def test_more_months_paid_on_time_never_lower_the_score(card, f, data):
    if f.tax_months is not None:
        extra = data.draw(st.integers(0, f.tax_months_paid - f.tax_months_on_time))
        better = dataclasses.replace(f, tax_months_on_time=f.tax_months_on_time + extra)
        assert score(better, card).score >= score(f, card).score
        extra = data.draw(st.integers(0, f.tax_months - f.tax_months_paid))
        better = dataclasses.replace(f, tax_months_paid=f.tax_months_paid + extra)
        assert score(better, card).score >= score(f, card).score
    if f.si_months_expected is not None:
        extra = data.draw(st.integers(0, f.si_months_expected - f.si_months_paid))
        better = dataclasses.replace(f, si_months_paid=f.si_months_paid + extra)
        assert score(better, card).score >= score(f, card).score


@SETTINGS
@given(f=firms())
def test_black_list_puts_the_grade_at_the_lowest_level(card, f):
    result = score(dataclasses.replace(f, black_listed=True), card)
    assert result.grade == card.grades[-1].grade == "C"
    assert result.score <= card.band_top("C") == 399
    assert result.reasons[0].code == "BLACK_LIST"


@SETTINGS
@given(f=firms())
def test_same_features_and_version_give_the_same_result(v1_definition, card, f):
    first = score(f, card)
    again = score(copy.deepcopy(f), json.loads(json.dumps(v1_definition)))
    assert first == again
    assert first.to_dict("en") == again.to_dict("en")


# Per source: the features it feeds, at their worst and at their best.
SOURCE_EXTREMES = {
    "tax_payments": (
        {"tax_months": 36, "tax_months_paid": 0, "tax_months_on_time": 0,
         "tax_paid_12m": Decimal("0.00"), "tax_trend": 0.0},
        {"tax_months": 36, "tax_months_paid": 36, "tax_months_on_time": 36,
         "tax_paid_12m": Decimal("9000000.00"), "tax_trend": 3.0},
    ),
    "utility_bills": (
        {"utility_months": 36, "utility_on_time_ratio": 0.0, "utility_months_in_arrears": 36},
        {"utility_months": 36, "utility_on_time_ratio": 1.0, "utility_months_in_arrears": 0},
    ),
    "social_insurance": (
        {"si_months_expected": 36, "si_months_paid": 0, "si_headcount": 1.0, "si_headcount_trend": 0.1},
        {"si_months_expected": 36, "si_months_paid": 36, "si_headcount": 50.0, "si_headcount_trend": 2.0},
    ),
    "tax_ratings": ({"tax_grade": "D"}, {"tax_grade": "A"}),
    "enterprises": (
        {"age_years": 0.1, "registered_capital": Decimal("1.00")},
        {"age_years": 30.0, "registered_capital": Decimal("5000.00")},
    ),
}  # fmt: skip


@SETTINGS
@given(f=firms(), source=st.sampled_from(sorted(SOURCE_EXTREMES)))
def test_missing_data_scores_between_the_worst_and_the_best(card, f, source):
    worst, best = SOURCE_EXTREMES[source]
    missing = score(dataclasses.replace(f, **dict.fromkeys(worst)), card)
    assert score(dataclasses.replace(f, **worst), card).score <= missing.score
    assert missing.score <= score(dataclasses.replace(f, **best), card).score
    assert source in missing.missing_sources


def test_every_rule_scores_missing_data_at_half_its_maximum(v1_definition):
    """Version 1's rule: missing = half the rule's maximum points (never below its minimum)."""
    for dim in v1_definition["dimensions"]:
        for rule in dim["rules"]:
            if "map" in rule:
                values = list(rule["map"].values())
            elif "if_true" in rule:
                values = [rule["if_true"], rule["if_false"]]
            else:
                values = rule["points"]
            assert rule["missing"] == max(max(values) / 2, min(values)), rule["feature"]
            assert min(values) <= rule["missing"] < max(values)
            assert rule["feature"] in FEATURES
