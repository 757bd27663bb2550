"""The demo data holds a fund with registered loans, a paid claim and a pending one, and the
demo loans have month-end status reports: the fund's dashboard and the loan-quality page
show something."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.auth.services import get_user_by_email
from app.demo import services
from app.demo.fund import DEMO_FUND, load_demo_fund
from app.extensions import db
from app.funds import ledger
from app.funds import services as funds
from app.loans.models import LoanReport
from app.stats import loan_quality
from tests.conftest import WebClient


def test_demo_fund_and_loan_reports(app):
    loaded = services.load_demo_data(enterprises=40, months=6)
    assert loaded.fund.startswith(f"demo fund {DEMO_FUND}")
    fund = funds.get_fund(DEMO_FUND)
    figures = funds.figures(fund)
    counts = funds.claim_counts(fund)
    assert figures["capital"] == Decimal("20000000.00")
    assert figures["exposure"] > 0 and figures["paid"] > 0
    assert counts["approved"] == 1 and counts["pending"] == 1
    assert figures["balance"] == figures["capital"] - figures["paid"]
    assert ledger.unbalanced_entries(fund.id) == []
    assert db.session.scalar(select(func.count()).select_from(LoanReport)) > 10
    assert load_demo_fund().registered == 0  # idempotent

    office = get_user_by_email("office@demo.xyd")
    book = loan_quality.summary_for(office, {"group_by": "bank"}).to_dict()
    assert book["totals"]["loans"] > 0
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(office, "Demo2026xyd")
    page = client.get(f"/office/funds/{DEMO_FUND}").get_data(as_text=True)
    assert "陕西省信易贷风险缓释基金" in page and "已代偿" in page
    assert client.get("/stats/loans").status_code == 200
