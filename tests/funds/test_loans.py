"""A disbursed application becomes a loan; the bank reports its status monthly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.clock import local_today
from app.errors import Conflict, FieldErrors, NotFound
from app.extensions import db
from app.loans import services
from app.loans.models import LoanReport
from app.loans.queries import loan_for


def test_disbursement_opens_a_loan_with_its_schedule(loans):
    loan = loans.disbursed(amount="240000", term=24)
    assert loan.principal == Decimal("240000.00") and loan.outstanding == loan.principal
    assert loan.status == "normal" and loan.product_type == "credit"
    assert loan.repayment == "instalments"
    rows = services.schedule(loan)
    assert len(rows) == 24 and rows[0].principal == Decimal("10000.00")
    assert rows[-1].due_on == loan.maturity_on and rows[-1].remaining == 0
    assert sum(r.principal for r in rows) == loan.principal


def test_a_short_loan_is_repaid_at_maturity_and_odd_cents_fall_in_the_last_instalment(loans):
    short = loans.disbursed(amount="100000", term=6)
    assert [(r.principal, r.remaining) for r in services.schedule(short)] == [
        (Decimal("100000.00"), Decimal("0.00"))
    ]
    odd = loans.disbursed(amount="100000.01", term=13)
    rows = services.schedule(odd)
    assert rows[0].principal == Decimal("7692.30") and rows[-1].principal == Decimal("7692.41")
    assert sum(r.principal for r in rows) == Decimal("100000.01")


def test_the_bank_reports_status_and_the_newest_day_counts(loans):
    loan = loans.disbursed()
    today = local_today()
    services.report_status(loan.id, loans.officer, as_of=today, status="overdue",
                           days_past_due=15, outstanding="180000")  # fmt: skip
    assert (loan.status, loan.days_past_due, loan.outstanding) == (
        "overdue", 15, Decimal("180000.00"))  # fmt: skip
    # an earlier day is kept in the history without changing the loan
    services.report_status(loan.id, loans.officer, as_of=today - timedelta(days=0),
                           status="special_mention", outstanding="180000")  # fmt: skip
    assert loan.status == "special_mention"  # same day, later report: the correction wins
    assert db.session.query(LoanReport).filter_by(loan_id=loan.id).count() == 2


def test_a_report_names_every_wrong_field(loans):
    loan = loans.disbursed()
    with pytest.raises(FieldErrors) as exc:
        services.report_status(loan.id, loans.officer, as_of="2020-01-01", status="late",
                               days_past_due="-3", outstanding="9999999")  # fmt: skip
    assert set(exc.value.errors) == {"as_of", "status", "days_past_due", "outstanding"}
    with pytest.raises(FieldErrors) as exc:
        services.report_status(loan.id, loans.officer, as_of=local_today(), status="overdue",
                               days_past_due=0, outstanding="1")  # fmt: skip
    assert set(exc.value.errors) == {"days_past_due"}
    with pytest.raises(FieldErrors) as exc:
        services.report_status(loan.id, loans.officer, as_of=local_today(), status="settled",
                               outstanding="5")  # fmt: skip
    assert set(exc.value.errors) == {"outstanding"}
    tomorrow = local_today() + timedelta(days=1)
    with pytest.raises(FieldErrors):
        services.report_status(loan.id, loans.officer, as_of=tomorrow, status="normal",
                               outstanding="1")  # fmt: skip


def test_a_settled_loan_takes_no_later_report(loans, factories):
    loan = loans.disbursed(on=local_today() - timedelta(days=40))
    services.report_status(loan.id, loans.officer, as_of=local_today() - timedelta(days=1),
                           status="settled", outstanding="0")  # fmt: skip
    with pytest.raises(Conflict) as exc:
        services.report_status(loan.id, loans.officer, as_of=local_today(), status="normal",
                               outstanding="1")  # fmt: skip
    assert exc.value.code == "loan_closed"


def test_only_the_lending_bank_reports_and_each_side_sees_its_own(loans, factories):
    loan = loans.disbursed()
    other = factories.user("bank_officer")
    with pytest.raises(NotFound):
        services.report_status(loan.id, other, as_of=local_today(), status="normal",
                               outstanding="1")  # fmt: skip
    with pytest.raises(NotFound):
        loan_for(loan.id, other)
    stranger = factories.user("enterprise")
    with pytest.raises(NotFound):
        loan_for(loan.id, stranger)
    assert loan_for(loan.id, loans.officer) is loan


def test_status_api(loans, api, factories):
    loan = loans.disbursed()
    token = factories.token(loans.officer)
    db.session.commit()
    body = {"as_of": local_today().isoformat(), "status": "overdue", "days_past_due": 31,
            "outstanding": "150000.50"}  # fmt: skip
    r = api.post(f"/api/v1/loans/{loan.id}/status", json=body, token=token)
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["status"] == "overdue" and got["outstanding"] == "150000.50"
    assert got["days_past_due"] == 31
    r = api.post(f"/api/v1/loans/{loan.id}/status", json={**body, "status": "x"}, token=token)
    assert r.status_code == 422 and r.get_json()["error"]["fields"]["status"]
    enterprise = factories.token(
        db.session.get(type(loan.enterprise), loan.enterprise_id)
        and factories.user("enterprise", enterprise=loan.enterprise)
    )
    db.session.commit()
    mine = api.get("/api/v1/loans", token=enterprise).get_json()
    assert [m["id"] for m in mine] == [loan.id]
    assert api.post(f"/api/v1/loans/{loan.id}/status", json=body,
                    token=enterprise).status_code == 403  # fmt: skip
    one = api.get(f"/api/v1/loans/{loan.id}", token=enterprise).get_json()
    assert one["schedule"][0]["principal"] == "200000.00"


def test_the_demo_history_written_in_bulk_gets_its_loans(app, factories):
    from sqlalchemy import func, select

    from app.applications.models import Application
    from app.demo.loans import load_demo_loans
    from app.loans.models import Loan

    for code in ("CABANK", "XABANK"):
        factories.bank(code=code)
    for _ in range(5):
        factories.enterprise()
    assert load_demo_loans(count=60) == 60
    disbursed = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.state == "disbursed")
    )
    assert disbursed and db.session.scalar(select(func.count()).select_from(Loan)) == disbursed
    assert services.open_missing_loans() == 0
