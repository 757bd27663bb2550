"""Two claims racing for the last of the fund: exactly one is paid (PostgreSQL row locks)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.auth.models import Role, User
from app.clock import local_today
from app.errors import Conflict
from app.extensions import db
from app.funds import services
from app.funds.models import Fund
from app.loans import services as loans_services
from tests.factories import Factories
from tests.funds.conftest import Loans

pytestmark = pytest.mark.committing
ROUNDS = 3


@pytest.fixture
def contest(app):
    with app.app_context():
        if db.engine.url.get_backend_name() != "postgresql":
            pytest.skip("the race needs PostgreSQL's row locks (set TEST_DATABASE_URL)")
        loans = Loans(Factories())
        offices = [loans.office, Factories().user(Role.REGULATOR)]
        office_ids = [u.id for u in offices]
        rounds = []
        for n in range(ROUNDS):
            # 100,000 in the fund; two claims of 80,000 each (100 % share)
            fund = loans.fund(f"RACE{n}", capital="100000", share="100", cap_per_loan="80000",
                              leverage="5")  # fmt: skip
            claims = []
            for _ in range(2):
                loan = loans.disbursed(amount="100000")
                services.register(fund.code, loan.application_id, loans.officer)
                loans_services.report_status(
                    loan.id, loans.officer, as_of=local_today(), status="non_performing",
                    days_past_due=120, outstanding="100000",
                )  # fmt: skip
                claims.append(services.file_claim(fund.code, loan.id, loans.officer,
                                                  loss_amount="80000", evidence="x").id)  # fmt: skip
            rounds.append((fund.id, claims))
        db.session.commit()
        bank_id = loans.bank.id
        yield rounds, office_ids
    with app.app_context():  # leave nothing behind in the session's schema
        fund_ids = [fund_id for fund_id, _claims in rounds]
        by_bank = {"bank": bank_id}
        enterprises = "SELECT enterprise_id FROM applications WHERE bank_id = :bank"
        statements = [
            ("DELETE FROM fund_lines WHERE fund_id = ANY(:funds)", {"funds": fund_ids}),
            ("DELETE FROM fund_entries WHERE fund_id = ANY(:funds)", {"funds": fund_ids}),
            ("DELETE FROM fund_claims WHERE fund_id = ANY(:funds)", {"funds": fund_ids}),
            ("DELETE FROM fund_loans WHERE fund_id = ANY(:funds)", {"funds": fund_ids}),
            ("DELETE FROM funds WHERE id = ANY(:funds)", {"funds": fund_ids}),
            (
                "DELETE FROM loan_reports WHERE loan_id IN "
                "(SELECT id FROM loans WHERE bank_id = :bank)",
                by_bank,
            ),
            ("DELETE FROM loans WHERE bank_id = :bank", by_bank),
            (
                "DELETE FROM email_outbox WHERE notification_id IN (SELECT id FROM notifications "
                f"WHERE bank_id = :bank OR enterprise_id IN ({enterprises}))",
                by_bank,
            ),
            (
                "DELETE FROM notifications WHERE bank_id = :bank "
                f"OR enterprise_id IN ({enterprises})",
                by_bank,
            ),
            (
                "DELETE FROM application_events WHERE application_id IN "
                "(SELECT id FROM applications WHERE bank_id = :bank)",
                by_bank,
            ),
            ("CREATE TEMP TABLE race_enterprises AS " + enterprises, by_bank),
            ("DELETE FROM applications WHERE bank_id = :bank", by_bank),
            ("DELETE FROM products WHERE bank_id = :bank", by_bank),
            (
                "DELETE FROM users WHERE bank_id = :bank OR id = ANY(:offices) OR enterprise_id IN "
                "(SELECT enterprise_id FROM race_enterprises)",
                {**by_bank, "offices": office_ids},
            ),
            (
                "DELETE FROM enterprises WHERE id IN (SELECT enterprise_id FROM race_enterprises)",
                {},
            ),
            ("DROP TABLE race_enterprises", {}),
            ("DELETE FROM banks WHERE id = :bank", by_bank),
        ]
        for statement, params in statements:
            db.session.execute(text(statement), params)
        db.session.commit()


def _race(app, claim_ids: list[int], office_ids: list[int]) -> list[str]:
    """Two officers of the office approve the two claims at the same instant."""
    barrier = threading.Barrier(len(claim_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(claim_id: int, office_id: int) -> None:
        with app.app_context():
            office = db.session.get(User, office_id)
            barrier.wait(timeout=10)
            try:
                services.decide(claim_id, office, outcome="approved", note="")
                db.session.commit()
                result = "paid"
            except Conflict as exc:
                db.session.rollback()
                result = exc.code
            with lock:
                outcomes.append(result)

    threads = [
        threading.Thread(target=decide, args=(c, o))
        for c, o in zip(claim_ids, office_ids, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_two_claims_for_the_last_of_the_fund_cannot_both_be_paid(app, contest):
    rounds, office_ids = contest
    for fund_id, claim_ids in rounds:
        assert sorted(_race(app, claim_ids, office_ids)) == ["fund_exhausted", "paid"]
        with app.app_context():
            figures = services.figures(db.session.get(Fund, fund_id))
            assert figures["paid"] == Decimal("80000.00")
            assert figures["balance"] == Decimal("20000.00")
