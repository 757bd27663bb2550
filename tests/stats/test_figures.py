"""Every figure against values worked out by hand from the fixture (tests/stats/conftest.py)."""

from __future__ import annotations

import pytest

from app.stats import services, suppression
from tests.stats.conftest import NOW


def _summary(group_by="month", **args):
    query = services.parse_query({"group_by": group_by, "from": "2025-01", "to": "2025-03",
                                  **args}, NOW)  # fmt: skip
    return services.summarize(query, now=NOW)


def _rows(summary):
    return {row["key"]: row for row in summary.rows}


@pytest.fixture(autouse=True)
def _setup(lending, one_enterprise_enough):
    return lending


def test_totals_of_the_quarter():
    t = _summary().totals
    assert t == {
        "suppressed": False, "suppressed_families": [],
        # apps 1-8 and 10 were submitted (9 is a draft): 100+200+300+50+80+150+60+90+70 thousand
        "demand_count": 9, "demand_amount": "1100000.00", "open_demands": 3,
        # open demands: 4 and 7 picked up, 5 expired unpicked → 2 / 3
        "picked_up": 2, "lapsed": 1, "pickup_rate": "0.6667",
        "accepted": 6,
        # decided: 1, 2, 4, 6 approved; 3 rejected (10 was withdrawn: not a decision)
        "approved": 4, "rejected": 1, "approval_rate": "0.8000",
        # disbursed: 1 (100k), 2 (200k), 4 (50k), 6 (120k)
        "disbursed_count": 4, "disbursed_amount": "470000.00",
        "first_loans": 2, "first_loan_amount": "300000.00",
        # credit (PA1): 1 and 2 = 300k; of known type: + 6 (guarantee) = 420k; 4 is an open
        # demand (type unknown) and stays out of the share
        "credit_amount": "300000.00", "credit_share": "0.7143",
        # (4.00 + 5.00 + 6.00 + 4.50) / 4 = 4.875 → 4.88; (12 + 24 + 6 + 12) / 4 = 13.5
        "avg_rate": "4.88", "avg_term_months": "13.5",
        # to acceptance: 2, 1, 1, 1, 2, 1 → 1; to disbursement: 7, 15, 17, 15 → 15
        "median_days_to_accept": 1.0, "median_days_to_disburse": 15.0,
    }  # fmt: skip


def test_by_month_each_figure_in_its_event_month():
    rows = _rows(_summary())
    jan, feb, mar = rows["2025-01"], rows["2025-02"], rows["2025-03"]
    assert [jan["label"], feb["label"], mar["label"]] == ["2025-01", "2025-02", "2025-03"]
    # January: submitted 1, 2, 3, 4; accepted 1, 2, 3, 4 (4 an open demand); decided 1, 2, 4
    # approved and 3 rejected; disbursed 1
    assert (jan["demand_count"], jan["demand_amount"], jan["open_demands"]) == (4, "650000.00", 1)
    assert (jan["accepted"], jan["picked_up"], jan["lapsed"], jan["pickup_rate"]) == (
        4,
        1,
        0,
        "1.0000",
    )
    assert (jan["approved"], jan["rejected"], jan["approval_rate"]) == (3, 1, "0.7500")
    assert (jan["disbursed_count"], jan["disbursed_amount"], jan["first_loans"]) == (
        1,
        "100000.00",
        1,
    )
    assert (jan["credit_share"], jan["avg_rate"], jan["avg_term_months"]) == (
        "1.0000",
        "4.00",
        "12.0",
    )
    assert (jan["median_days_to_accept"], jan["median_days_to_disburse"]) == (1.0, 7.0)
    # February: submitted 5, 6, 10; accepted 6; 5 lapsed; 6 approved; disbursed 2 and 4
    assert (feb["demand_count"], feb["demand_amount"], feb["open_demands"]) == (3, "300000.00", 1)
    assert (feb["accepted"], feb["picked_up"], feb["lapsed"], feb["pickup_rate"]) == (
        1,
        0,
        1,
        "0.0000",
    )
    assert (feb["approved"], feb["rejected"], feb["approval_rate"]) == (1, 0, "1.0000")
    assert (feb["disbursed_count"], feb["disbursed_amount"]) == (2, "250000.00")
    assert (feb["first_loans"], feb["first_loan_amount"]) == (1, "200000.00")
    # credit share: 200k credit (app 2) of 200k typed (app 4 is an open demand)
    assert (feb["credit_share"], feb["avg_rate"], feb["avg_term_months"]) == (
        "1.0000",
        "5.50",
        "15.0",
    )
    assert (feb["median_days_to_accept"], feb["median_days_to_disburse"]) == (2.0, 16.0)
    # March (live): submitted 7, 8; 7 picked up; 6 disbursed 120k (guarantee)
    assert (mar["demand_count"], mar["demand_amount"], mar["picked_up"]) == (2, "150000.00", 1)
    assert (mar["disbursed_count"], mar["disbursed_amount"], mar["credit_share"]) == (
        1,
        "120000.00",
        "0.0000",
    )
    assert (mar["approval_rate"], mar["median_days_to_disburse"]) == (None, 15.0)


def test_by_place():
    cities = _rows(_summary("city"))
    assert set(cities) == {"610100", "610300"}
    # 西安 (E1, E2, E3): apps 1, 2, 3, 6, 7, 8 → 100+200+300+150+60+90 = 900k; disbursed 1, 2, 6
    assert cities["610100"]["label"] == "西安市"
    assert (cities["610100"]["demand_count"], cities["610100"]["demand_amount"]) == (6, "900000.00")
    assert cities["610100"]["disbursed_amount"] == "420000.00"
    # 宝鸡 (E4, E5): apps 4, 5, 10 → 200k; disbursed 4
    assert (cities["610300"]["demand_count"], cities["610300"]["disbursed_amount"]) == (
        3,
        "50000.00",
    )
    assert cities["610300"]["pickup_rate"] == "0.5000"  # 4 picked up, 5 lapsed
    counties = _rows(_summary("county", place="610100"))
    assert set(counties) == {"610113", "610104"}  # the drill-down into 西安 only
    assert counties["610104"]["demand_amount"] == "390000.00"  # E3: apps 3 and 8
    assert counties["610104"]["approval_rate"] == "0.0000"


def test_by_industry():
    sections = _rows(_summary("section"))
    assert sections["A"]["demand_amount"] == "50000.00" and sections["C"]["demand_count"] == 8
    divisions = _rows(_summary("division", industry="C"))
    # E1 and E5 in 13, E2 in 34, E3 registered with the section letter only
    assert set(divisions) == {"13", "34", "C"}
    assert divisions["13"]["demand_amount"] == "400000.00"  # apps 1, 6, 5, 10
    assert divisions["34"]["demand_amount"] == "260000.00"  # apps 2, 7
    assert divisions["C"]["label"] == "制造业"


def test_by_bank_and_product(lending):
    banks = _rows(_summary("bank"))
    assert set(banks) == {"STBA", "STBB", None}
    # BA: 1, 2, 3, 7 (picked), 8, 10; BB: 4 (picked), 6; nobody: 5
    assert banks["STBA"]["demand_amount"] == "820000.00"
    assert banks["STBB"]["disbursed_amount"] == "170000.00"
    assert banks[None]["demand_count"] == 1 and banks[None]["label"] == "未受理的开放需求"
    products = _rows(_summary("product", bank="STBA"))
    pa1, pa2 = str(lending.products["PA1"].id), str(lending.products["PA2"].id)
    assert set(products) == {pa1, pa2, None}  # None: the open demand BA picked up (7)
    assert products[pa1]["label"] == "统计甲银行 · 甲信用贷" and products[pa1]["bank"] == "STBA"
    assert products[pa1]["demand_count"] == 4 and products[pa1]["credit_share"] == "1.0000"


def test_filters_combine():
    s = _summary("month", place="610100", product_type="credit")
    # credit applications of 西安 enterprises: 1, 2, 8
    assert s.totals["demand_count"] == 3 and s.totals["demand_amount"] == "390000.00"
    assert s.totals["disbursed_amount"] == "300000.00" and s.totals["credit_share"] == "1.0000"


def test_median_of_a_histogram():
    from collections import Counter

    assert suppression.median(Counter()) is None
    assert suppression.median(Counter({3: 1})) == 3
    assert suppression.median(Counter({1: 2, 5: 2})) == 3.0
    assert suppression.median(Counter({1: 1, 2: 1, 9: 1})) == 2


def test_histograms_joined_over_months_add_up():
    """The rollup joins each month's "days:count" histogram with commas (a month with none
    adds an empty piece); reading them adds the counts of equal days."""
    from collections import Counter

    from app.stats.queries import parse_histogram

    assert parse_histogram("3:2,4:1,,3:5") == Counter({3: 7, 4: 1})
    assert parse_histogram("") == Counter() and parse_histogram(None) == Counter()


def test_merging_cells_adds_every_figure():
    from collections import Counter
    from decimal import Decimal

    from app.stats.queries import SKETCH_K, Cell

    a = Cell(demand_count=2, demand_amount=Decimal("1.50"), accept_days=Counter({1: 1}),
             applicants=[1, 2])  # fmt: skip
    b = Cell(demand_count=1, rate_sum=Decimal("0.05"), accept_days=Counter({1: 2, 4: 1}),
             disburse_days=Counter({9: 1}), applicants=[2, 3], borrowers=[7])  # fmt: skip
    merged = Cell().merge(a).merge(b)
    assert (merged.demand_count, merged.demand_amount, merged.rate_sum) == (
        3, Decimal("1.50"), Decimal("0.05"),
    )  # fmt: skip
    assert merged.accept_days == Counter({1: 3, 4: 1}) and merged.disburse_days == Counter({9: 1})
    assert merged.applicants == [1, 2, 3] and merged.borrowers == [7]
    assert a.applicants == [1, 2] and b.borrowers == [7]  # the parts are left as they were
    many = Cell(applicants=list(range(SKETCH_K)))
    assert Cell(applicants=[-1]).merge(many).applicants == [-1, *range(SKETCH_K - 1)]
