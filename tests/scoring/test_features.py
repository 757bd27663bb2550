"""Feature extraction against hand-made source rows, on SQLite and PostgreSQL.

as_of = 2026-06-15: monthly windows are 2023-06 … 2026-05 (36 complete months), last 12 =
2025-06 … 2026-05, previous 12 = 2024-06 … 2025-05; dated records count when
2023-06-15 < decided_on <= 2026-06-15 (12 months: after 2025-06-15).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.scoring import features as features_module
from app.scoring.features import Features, extract_features, months_between, windows

AS_OF = date(2026, 6, 15)
D = date


def test_windows_are_the_36_complete_months_before_as_of():
    w = windows(AS_OF)
    assert (w.start, w.end, w.last12, w.prev12) == ("2023-06", "2026-05", "2025-06", "2024-06")
    assert (w.since36, w.since12) == (D(2023, 6, 15), D(2025, 6, 15))
    assert windows(D(2024, 3, 31)).since12 == D(2023, 3, 31)
    assert windows(D(2024, 2, 29)).since12 == D(2023, 2, 28)  # clamped to the month's end
    assert months_between("2025-03", "2026-05") == 15


@pytest.fixture
def firm_a(factories, sources):
    """A firm with something in every source, including edge cases on each boundary."""
    a = factories.enterprise(established_on=D(2020, 1, 1), registered_capital=Decimal("300.00"))
    u = a.uscc
    # tax_payments
    sources.tax(u, "2026-05", "1000", D(2026, 6, 15), D(2026, 6, 10))  # on time
    sources.tax(u, "2026-05", "400", D(2026, 6, 20), None, tax_type="企业所得税")  # not yet due
    sources.tax(u, "2026-04", "1000", D(2026, 5, 15), D(2026, 5, 20))  # late
    sources.tax(u, "2026-03", "1000", D(2026, 4, 15), None)  # unpaid, overdue
    sources.tax(u, "2026-02", "1000", D(2026, 3, 15), D(2026, 7, 1))  # paid after as_of
    sources.tax(u, "2025-06", "1000", D(2025, 7, 15), D(2025, 7, 15))  # on the due day
    sources.tax(u, "2025-05", "1500", D(2025, 6, 15), D(2025, 6, 1))
    sources.tax(u, "2025-05", "500", D(2025, 6, 15), D(2025, 6, 1), tax_type="企业所得税")
    sources.tax(u, "2024-06", "1000", D(2024, 7, 15), D(2024, 7, 1))
    sources.tax(u, "2024-05", "5000", None, D(2024, 6, 1))  # no due date: paid = on time
    sources.tax(u, "2023-05", "9999", D(2023, 6, 15), D(2023, 6, 1))  # before the window
    sources.tax(u, "2026-06", "9999", D(2026, 7, 15), D(2026, 6, 1))  # current month
    # utility_bills
    sources.utility(u, "2026-05", "500", "0", D(2026, 6, 20), None)  # not yet due
    sources.utility(u, "2026-04", "500", "500", D(2026, 5, 20), D(2026, 5, 18))  # on time
    sources.utility(u, "2026-04", "80", "80", D(2026, 5, 20), D(2026, 5, 25), "water")  # late
    sources.utility(u, "2026-03", "500", "300", D(2026, 4, 20), D(2026, 4, 10))  # part paid
    sources.utility(u, "2026-02", "200", "0", D(2026, 3, 20), None, "gas")  # unpaid
    sources.utility(u, "2026-01", "60", "60", None, D(2026, 2, 3), "water")  # no due date
    # social_insurance: 2025-03 … 2026-05 = 15 months expected, 2025-05 missing (a gap),
    # 2025-07 underpaid.
    sources.social(u, "2025-03", 8, "8000", "8000", D(2025, 3, 20))
    sources.social(u, "2025-04", 8, "8000", "8000", D(2025, 4, 20))
    sources.social(u, "2025-06", 10, "10000", "10000", D(2025, 6, 20))
    sources.social(u, "2025-07", 12, "12000", "6000", D(2025, 7, 20))
    sources.social(u, "2026-05", 14, "14000", "14000", D(2026, 5, 20))
    # public_credit
    sources.public(u, "penalty", D(2024, 1, 10), amount="5000", severity="minor")
    sources.public(u, "penalty", D(2023, 7, 1))  # severity unknown → minor; no amount
    sources.public(u, "penalty", D(2025, 3, 1), amount="20000", severity="major")
    sources.public(u, "penalty", D(2025, 8, 1), amount="100000", severity="severe")
    sources.public(u, "penalty", D(2023, 6, 15), amount="1", severity="severe")  # 36 months ago
    sources.public(u, "penalty", D(2026, 7, 1), amount="7", severity="minor")  # after as_of
    sources.public(u, "license", D(2020, 1, 1), valid_until=D(2027, 1, 1))
    sources.public(u, "license", D(2020, 1, 1), valid_until=D(2026, 6, 14))  # expired
    sources.public(u, "license", D(2021, 1, 1))  # no end
    sources.public(u, "license", D(2021, 1, 1), valid_until=D(2026, 6, 15))  # last day
    sources.public(u, "black_list", D(2022, 1, 1), valid_until=D(2024, 1, 1))  # lifted
    sources.public(u, "red_list", D(2025, 1, 1))
    # tax_ratings
    sources.rating(u, 2023, "B")
    sources.rating(u, 2024, "A")
    sources.rating(u, 2025, "M")
    sources.rating(u, 2027, "D")  # not yet as of 2026
    return a


def test_extracts_hand_computed_features(firm_a):
    f = extract_features([firm_a.id], AS_OF)[firm_a.id]
    assert f == Features(
        as_of=AS_OF,
        # months 2026-05, 04, 03, 02, 2025-06, 2025-05, 2024-06, 2024-05
        tax_months=8,
        tax_months_paid=6,  # all but 2026-03 (unpaid) and 2026-02 (paid after as_of)
        tax_months_on_time=5,  # and not 2026-04 (late)
        tax_paid_12m=Decimal("3000.00"),  # 2026-05, 2026-04, 2025-06
        tax_trend=1.0,  # 3000 / (2000 + 1000)
        utility_months=4,
        utility_on_time_ratio=0.4,  # 2 of the 5 bills due
        utility_months_in_arrears=2,  # 2026-03, 2026-02
        si_months_expected=15,
        si_months_paid=3 + 1,  # 2025-03, 04, 06 and 2026-05
        si_headcount=12.0,  # (10 + 12 + 14) / 3
        si_headcount_trend=1.5,  # 12 / 8
        penalties_minor=2,
        penalties_major=1,
        penalties_severe=1,
        penalties_severe_12m=1,
        penalty_amount=Decimal("125000.00"),
        black_listed=False,
        red_listed=True,
        licenses_in_force=3,
        tax_grade="M",
        tax_grade_year=2025,
        age_years=6.45,  # 2357 days / 365.25
        registered_capital=Decimal("300.00"),
        coverage={
            "enterprises": 1,
            "public_credit": 11,  # every record decided by as_of
            "social_insurance": 5,
            "tax_payments": 8,
            "tax_ratings": 3,
            "utility_bills": 4,
        },
    )
    assert f.tax_paid_ratio == 0.75
    assert f.tax_on_time_ratio == 0.625
    assert f.si_continuity == round(4 / 15, 4)


def test_an_enterprise_without_records_has_no_data_not_bad_data(factories, sources, firm_a):
    empty = factories.enterprise(established_on=None, registered_capital=None)
    f = extract_features([empty.id], AS_OF)[empty.id]
    assert f.tax_months is None and f.tax_paid_ratio is None and f.tax_trend is None
    assert f.utility_on_time_ratio is None and f.utility_months_in_arrears is None
    assert f.si_continuity is None and f.si_headcount is None
    assert f.tax_grade is None and f.age_years is None and f.registered_capital is None
    # The public register is exhaustive: no record there means no penalty, no listing.
    assert (f.penalties_minor, f.penalties_severe, f.black_listed, f.licenses_in_force) == (
        0,
        0,
        False,
        0,
    )
    assert set(f.coverage.values()) == {0}


def test_records_are_grouped_per_enterprise_and_chunked(factories, sources, firm_a, monkeypatch):
    c = factories.enterprise()
    sources.tax(c.uscc, "2026-01", "800", D(2026, 2, 15), D(2026, 2, 1))
    sources.public(c.uscc, "black_list", D(2025, 1, 1), valid_until=D(2028, 1, 1))
    monkeypatch.setattr(features_module, "CHUNK_SIZE", 1)
    chunked = extract_features([c.id, firm_a.id, c.id, 999_999], AS_OF)
    assert set(chunked) == {c.id, firm_a.id}  # an unknown id is simply absent
    assert chunked[c.id].tax_months == 1 and chunked[c.id].tax_paid_12m == Decimal("800.00")
    assert chunked[c.id].tax_trend is None  # nothing in the previous 12 months
    assert chunked[c.id].black_listed is True
    assert chunked[firm_a.id].black_listed is False
    everyone = extract_features(None, AS_OF)
    assert everyone[c.id] == chunked[c.id] and everyone[firm_a.id] == chunked[firm_a.id]


def test_a_past_as_of_sees_only_what_was_known_then(firm_a):
    f = extract_features([firm_a.id], D(2025, 7, 1))[firm_a.id]
    # Window 2022-07 … 2025-06: 2025-05, 2024-06, 2024-05 and 2023-05; 2025-06 is not yet
    # due on 2025-07-01 (paid later), so it is left out.
    assert (f.tax_months, f.tax_months_paid, f.tax_months_on_time) == (4, 4, 4)
    assert f.tax_paid_12m == Decimal("2000.00")  # 2024-07 … 2025-06: only 2025-05
    # The 2025-08-01 severe penalty is in the future; the 2023-06-15 one is now in the 36
    # months (after 2022-07-01) but not in the last 12.
    assert (f.penalties_severe, f.penalties_severe_12m) == (1, 0)
    assert f.tax_grade == "A" and f.tax_grade_year == 2024
    assert f.coverage["public_credit"] == 10  # the 2025-08-01 and 2026-07-01 penalties not yet


def test_features_serialise_for_json(firm_a):
    data = extract_features([firm_a.id], AS_OF)[firm_a.id].to_dict()
    assert data["penalty_amount"] == "125000.00"
    assert data["as_of"] == "2026-06-15"
    assert data["tax_on_time_ratio"] == 0.625
