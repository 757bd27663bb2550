"""Loan quality (贷款余额, 逾期率, 不良率) on the lending fixture, every figure worked out by
hand; who may read it; the page, the exports and the API.

The loans of the fixture's four disbursements (tests/stats/conftest.py) and their reports:

| loan | app | enterprise (county, division, size) | bank · product | principal | disbursed | reports (day status dpd outstanding) |
| --- | --- | --- | --- | --- | --- | --- |
| L1 | 1 | E1 (610113, 13, small) | BA · PA1 | 100,000 | 01-15 | 02-28 overdue 20 90,000; 03-10 non-performing 40 90,000 |
| L2 | 2 | E2 (610113, 34, micro) | BA · PA1 | 200,000 | 02-03 | 02-28 special mention 5 200,000; 03-12 normal 0 180,000; 03-12 (entered earlier) overdue 3 190,000 |
| L4 | 4 | E4 (610302, 01, medium) | BB · open demand | 50,000 | 02-10 | 02-28 normal 0 50,000; 03-01 settled 0 0 |
| L6 | 6 | E1 | BB · PB1 | 120,000 | 03-05 | none (normal, the whole principal) |

As of 2025-01-31: L1 alone, no report yet: 1 loan, 100,000, nothing overdue.
As of 2025-02-28: L1 (overdue 90,000), L2 (special mention 5 days late: overdue, 200,000),
L4 (50,000): 340,000, overdue 290,000 (85.29 %), non-performing 0.
As of 2025-03-31: L1 (non-performing and overdue, 90,000), L2 (the later entry of 03-12:
normal, 180,000), L6 (120,000); L4 settled, out of the book: 390,000, overdue 90,000
(23.08 %), non-performing 90,000 (23.08 %).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.auth.models import Role
from app.errors import ValidationFailed
from app.extensions import db
from app.facts.services import facts_of
from app.loans.models import Loan, LoanReport
from app.stats import loan_quality
from app.stats.api import LoanQualitySummary
from app.util import SHANGHAI
from tests.api.documented import documented

NOW = datetime(2025, 4, 15, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def book(lending):
    sizes = {"E1": "small", "E2": "micro", "E3": "small", "E4": "medium", "E5": "micro"}
    for name, size in sizes.items():
        lending.enterprises[name].size = size
    loans = {}
    for n, app in lending.apps.items():
        if app.state != "disbursed":
            continue
        loans[n] = Loan(
            application_id=app.id, enterprise_id=app.enterprise_id, bank_id=app.bank_id,
            product_type=None, principal=app.disbursed_amount, rate=app.approved_rate,
            term_months=app.approved_term_months, disbursed_on=app.disbursed_on,
            maturity_on=date(2026, 12, 31), repayment="bullet", first_loan=app.first_loan,
            status="normal", days_past_due=0, outstanding=app.disbursed_amount,
        )  # fmt: skip
        db.session.add(loans[n])
    db.session.flush()

    def report(n, day, status, dpd, outstanding):
        db.session.add(LoanReport(
            loan_id=loans[n].id, as_of=date(2025, *day), status=status, days_past_due=dpd,
            outstanding=Decimal(outstanding), origin="web",
        ))  # fmt: skip
        db.session.flush()

    report(1, (2, 28), "overdue", 20, 90000)
    report(1, (3, 10), "non_performing", 40, 90000)
    report(2, (2, 28), "special_mention", 5, 200000)
    report(2, (3, 12), "overdue", 3, 190000)  # corrected the same day by the next entry
    report(2, (3, 12), "normal", 0, 180000)
    report(4, (2, 28), "normal", 0, 50000)
    report(4, (3, 1), "settled", 0, 0)
    return lending


def _summary(month, group_by="bank", **filters):
    args = {"group_by": group_by, "month": month, **filters}
    return loan_quality.summarize(loan_quality.parse_query(args, NOW)).to_dict()


def _figures(row):
    return (row["loans"], row["outstanding"], row["overdue_loans"], row["overdue_amount"],
            row["overdue_ratio"], row["npl_loans"], row["npl_amount"], row["npl_ratio"])  # fmt: skip


def test_the_book_month_by_month(book, one_enterprise_enough):
    assert _figures(_summary("2025-01")["totals"]) == (
        1, "100000.00", 0, "0.00", "0.0000", 0, "0.00", "0.0000")  # fmt: skip
    assert _figures(_summary("2025-02")["totals"]) == (
        3, "340000.00", 2, "290000.00", "0.8529", 0, "0.00", "0.0000")  # fmt: skip
    march = _summary("2025-03")
    assert march["as_of"] == "2025-03-31"
    assert _figures(march["totals"]) == (
        3, "390000.00", 1, "90000.00", "0.2308", 1, "90000.00", "0.2308")  # fmt: skip
    assert _summary("2024-12")["totals"]["loans"] == 0  # before the first disbursement


def test_by_bank_product_place_industry_and_size(book, one_enterprise_enough):
    rows = {r["key"]: _figures(r) for r in _summary("2025-03", "bank")["rows"]}
    assert rows == {
        "STBA": (2, "270000.00", 1, "90000.00", "0.3333", 1, "90000.00", "0.3333"),
        "STBB": (1, "120000.00", 0, "0.00", "0.0000", 0, "0.00", "0.0000"),
    }
    products = {(r["bank"], r["label"]): r["loans"] for r in _summary("2025-02", "product")["rows"]}
    assert products == {("STBA", "统计甲银行 · 甲信用贷"): 2, ("STBB", "统计乙银行 · 开放需求"): 1}
    counties = {r["key"]: _figures(r) for r in _summary("2025-02", "county")["rows"]}
    assert counties == {
        "610113": (2, "290000.00", 2, "290000.00", "1.0000", 0, "0.00", "0.0000"),
        "610302": (1, "50000.00", 0, "0.00", "0.0000", 0, "0.00", "0.0000"),
    }
    cities = {r["key"]: r["outstanding"] for r in _summary("2025-02", "city")["rows"]}
    assert cities == {"610100": "290000.00", "610300": "50000.00"}
    sections = {r["key"]: r["outstanding"] for r in _summary("2025-03", "section")["rows"]}
    assert sections == {"C": "390000.00"}  # E1 (13) and E2 (34) are manufacturing
    sizes = {r["key"]: (r["label"], *_figures(r)) for r in _summary("2025-03", "size")["rows"]}
    assert sizes == {
        "small": ("小型", 2, "210000.00", 1, "90000.00", "0.4286", 1, "90000.00", "0.4286"),
        "micro": ("微型", 1, "180000.00", 0, "0.00", "0.0000", 0, "0.00", "0.0000"),
    }
    filtered = _summary("2025-03", "bank", size="small", place="610113")
    assert {r["key"]: r["outstanding"] for r in filtered["rows"]} == {
        "STBA": "90000.00", "STBB": "120000.00"}  # fmt: skip


def test_size_is_the_one_matching_and_the_fund_go_by(book, one_enterprise_enough):
    """Where the figures decide nothing, the declared size stands in, as in matching and the
    fund (`facts.registry.size_in_use`): one rule for all three."""
    e2 = book.enterprises["E2"]  # micro by its figures until now
    e2.size, e2.scale = None, "medium"
    db.session.flush()
    assert facts_of(e2.id).size == "medium"
    sizes = {r["key"]: r["loans"] for r in _summary("2025-03", "size")["rows"]}
    assert sizes == {"small": 2, "medium": 1}


def test_small_groups_are_withheld(book):
    """N = 3: March rests on E1 and E2 only: every family withheld, rows and totals; in
    February the book rests on E1, E2, E4 (shown) while its overdue loans rest on two."""
    march = _summary("2025-03")
    assert march["totals"]["suppressed_families"] == ["book", "overdue", "non_performing"]
    assert all(r["outstanding"] is None and r["npl_ratio"] is None for r in march["rows"])
    feb = _summary("2025-02")["totals"]
    assert feb["outstanding"] == "340000.00" and feb["loans"] == 3
    assert feb["suppressed_families"] == ["overdue"]
    assert feb["overdue_amount"] is None and feb["overdue_ratio"] is None
    assert feb["npl_ratio"] == "0.0000"  # rests on no enterprise
    # by bank: BA (E1, E2) is too small, so BB (E4) is withheld with it
    assert all(r["outstanding"] is None for r in _summary("2025-02", "bank")["rows"])


def test_bad_questions_name_their_field(book):
    with pytest.raises(ValidationFailed) as bad:
        loan_quality.parse_query({"size": "tiny"}, NOW)
    assert bad.value.field == "size"
    with pytest.raises(ValidationFailed) as late:
        loan_quality.parse_query({"month": "2025-05"}, NOW)
    assert late.value.field == "month"
    with pytest.raises(ValidationFailed) as group:
        loan_quality.parse_query({"group_by": "month"}, NOW)
    assert group.value.field == "group_by"


def test_api_for_the_office_and_a_bank(book, one_enterprise_enough, api, factories):
    office = factories.token(factories.user(Role.REGULATOR))
    bank = factories.token(factories.user(Role.BANK_OFFICER, bank=book.banks["BB"]))
    company = factories.token(factories.user(Role.ENTERPRISE))
    db.session.commit()
    body = api.get("/api/v1/stats/loans?month=2025-03&group_by=size", token=office).get_json()
    assert body["totals"]["npl_ratio"] == "0.2308" and body["as_of"] == "2025-03-31"
    documented(api, "/api/v1/stats/loans", LoanQualitySummary, body)
    by_product = api.get("/api/v1/stats/loans?month=2025-03&group_by=product", token=office)
    documented(api, "/api/v1/stats/loans", LoanQualitySummary, by_product.get_json())
    own = api.get("/api/v1/stats/loans?month=2025-03", token=bank).get_json()
    assert own["filters"]["bank"] == "STBB" and own["totals"]["outstanding"] == "120000.00"
    documented(api, "/api/v1/stats/loans", LoanQualitySummary, own)
    other = api.get("/api/v1/stats/loans?month=2025-03&bank=STBA", token=bank)
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "other_bank"
    refused = api.get("/api/v1/stats/loans", token=company)
    assert refused.status_code == 403
    wrong = api.get("/api/v1/stats/loans?month=2025-13", token=office)
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "month"


def test_page_in_words_and_exports(book, one_enterprise_enough, login_as):
    book.banks["BA"].name = '=HYPERLINK("http://evil.example/","甲")'
    client, _user = login_as(Role.REGULATOR)
    page = client.get("/stats/loans?month=2025-03&group_by=size")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "小型" in html and "微型" in html and ">small<" not in html
    assert "¥390,000.00" in html and "23.1%" in html  # money by the filter, ratios in %
    wrong = client.get("/stats/loans?month=2030-01&size=tiny")
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "月份不能晚于本月" in text and "企业规模应为" in text
    assert 'value="2030-01"' in text  # what was typed is kept
    exported = client.get("/stats/loans/export.csv?month=2025-03&group_by=bank")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["截至", "2025-03-31"] in rows
    labels = [row[0] for row in rows if row]
    assert '\'=HYPERLINK("http://evil.example/","甲")' in labels  # neutralised
    sheet = client.get("/stats/loans/export.xlsx?month=2025-03&group_by=bank")
    ws = load_workbook(io.BytesIO(sheet.data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(row for row in values if row[0] == "合计")
    assert total[2] == 390000 and total[5] == pytest.approx(0.2308)


def test_a_bank_page_shows_its_own(book, one_enterprise_enough, login_as):
    client, _user = login_as(Role.BANK_OFFICER, bank=book.banks["BB"])
    html = client.get("/stats/loans?month=2025-03").get_data(as_text=True)
    assert "¥120,000.00" in html and "¥390,000.00" not in html
    client, _user = login_as(Role.ENTERPRISE)
    assert client.get("/stats/loans").status_code in (302, 403)
