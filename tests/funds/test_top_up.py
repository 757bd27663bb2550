"""Capital top-up (增资): a new capital entry in the ledger, never an edit; by the office on
the web and by the operator's command; capacity grows with it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import ServiceError, ValidationFailed
from app.extensions import db
from app.funds import ledger, services
from app.funds.models import LedgerEntry
from tests.conftest import WebClient


def _capital_entries(fund) -> list[tuple[str, Decimal]]:
    rows = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount)
        .where(LedgerEntry.fund_id == fund.id)
        .order_by(LedgerEntry.id)
    )
    return [(kind, amount) for kind, amount in rows]


def test_a_top_up_is_a_new_entry_and_frees_capacity(loans):
    fund = loans.fund(capital="100000", leverage="2")
    loan = loans.disbursed(amount="150000")
    services.register(fund.code, loan.application_id, loans.officer)
    other = loans.disbursed(amount="100000")
    # 150,000 + 100,000 > 2 × 100,000
    with pytest.raises(ServiceError) as full, db.session.begin_nested():
        services.register(fund.code, other.application_id, loans.officer)
    assert full.value.status == 409
    services.top_up(fund.code, "50000.50", user_id=loans.office.id)
    assert _capital_entries(fund) == [
        ("capital", Decimal("100000.00")), ("reserve", Decimal("150000.00")),
        ("capital", Decimal("50000.50")),
    ]  # fmt: skip
    figures = services.figures(fund)
    assert figures["capital"] == Decimal("150000.50")
    assert figures["balance"] == Decimal("150000.50")
    assert figures["capacity"] == Decimal("150001.00")  # 2 × 150,000.50 − 150,000
    assert ledger.unbalanced_entries(fund.id) == []
    services.register(fund.code, other.application_id, loans.officer)  # fits now


@pytest.mark.parametrize("amount", ["0", "-100", "abc", "1.005", "", None, "1e13"])
def test_a_wrong_amount_is_refused_naming_the_field(loans, amount):
    fund = loans.fund()
    with pytest.raises(ValidationFailed) as bad:
        services.top_up(fund.code, amount)
    assert bad.value.field == "amount"
    assert services.figures(fund)["capital"] == Decimal("1000000.00")


def test_cli_top_up(app, loans):
    fund = loans.fund("CLI1")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["funds", "top-up", "CLI1", "--amount", "250000"])
    assert result.exit_code == 0, result.output
    data = json.loads(runner.invoke(args=["funds", "show", "CLI1", "--json"]).output)
    assert data["capital"] == "1250000.00" and data["balance"] == "1250000.00"
    result = runner.invoke(args=["funds", "top-up", "CLI1", "--amount", "-1"])
    assert result.exit_code != 0 and "追加金额" in result.output
    result = runner.invoke(args=["funds", "top-up", "NOPE", "--amount", "1"])
    assert result.exit_code != 0 and "基金不存在" in result.output
    assert len(services.capital_entries(fund)) == 2


def test_the_office_tops_up_on_the_web_and_nobody_else(app, loans):
    fund = loans.fund("WEBTOP")
    db.session.commit()
    office = WebClient(app.test_client())
    office.login(loans.office)
    wrong = office.post("/office/funds/WEBTOP/capital", {"amount": "12x"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "追加金额应为大于 0 的金额" in text
    assert 'value="12x"' in text and 'aria-invalid="true"' in text
    done = office.post("/office/funds/WEBTOP/capital", {"amount": "300000"})
    assert done.status_code == 303
    page = office.get("/office/funds/WEBTOP").get_data(as_text=True)
    assert "¥1,300,000.00" in page and "¥300,000.00" in page
    bank = WebClient(app.test_client())
    bank.login(loans.officer)
    assert bank.post("/office/funds/WEBTOP/capital", {"amount": "1"}).status_code == 403
    assert services.figures(fund)["capital"] == Decimal("1300000.00")
    assert office.post("/office/funds/NONE/capital", {"amount": "1"}).status_code == 404
