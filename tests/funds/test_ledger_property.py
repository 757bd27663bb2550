"""Any sequence of fund operations (capital top-ups among them) keeps the ledger's promises
(Hypothesis):
balance = capital − paid + recovered; exposure ≤ leverage × capital; no payment above the
cap per loan; every entry balanced; nothing negative."""

from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.clock import local_today
from app.errors import ServiceError
from app.extensions import db
from app.funds import ledger, services
from app.funds.models import Claim, ClaimStatus
from app.loans import services as loans_services
from tests.factories import Factories
from tests.funds.conftest import Loans

amounts = st.integers(min_value=10, max_value=50)  # the product lends 100,000–500,000
amounts = amounts.map(lambda n: f"{n * 10000}")
register = st.tuples(st.just("register"), amounts)
claim = st.tuples(
    st.just("claim"), st.integers(0, 20), st.integers(1, 100),
    st.sampled_from([None, True, True, False]),
)  # fmt: skip
# Every sequence opens with a registration and a claim on it (so that payments and
# recoveries are common), then anything.
operations = st.tuples(
    register,
    register,
    claim,
    st.lists(
        st.one_of(
            register,
            st.tuples(st.just("settle"), st.integers(0, 20)),
            claim,  # decided at once (True / False) or left for a later "decide"
            st.tuples(st.just("decide"), st.integers(0, 20), st.booleans()),
            st.tuples(st.just("recover"), st.integers(0, 20), amounts),
            st.tuples(st.just("top_up"), amounts),
        ),
        max_size=14,
    ),
).map(lambda t: [t[0], t[1], t[2], *t[3]])
fund_rules = st.fixed_dictionaries({
    "capital": st.sampled_from(["150000", "500000", "2000000"]),
    "share": st.sampled_from(["30", "50", "80", "100"]),
    "cap_per_loan": st.sampled_from(["50000", "150000", "600000"]),
    "leverage": st.sampled_from(["1", "2.5", "5"]),
})  # fmt: skip


def _check(fund) -> None:
    f = services.figures(fund)
    assert f["balance"] == f["capital"] - f["paid"] + f["recovered"]
    assert f["exposure"] <= fund.leverage * f["capital"]
    assert f["exposure"] >= 0 and f["balance"] >= 0 and f["recovered"] <= f["paid"]
    assert ledger.unbalanced_entries(fund.id) == []
    for claim in db.session.query(Claim).filter_by(fund_id=fund.id):
        if claim.paid is not None:
            assert claim.paid <= fund.cap_per_loan
            assert claim.paid <= claim.loss_amount * fund.share / 100
            assert services.recovered_to_fund(claim) <= claim.paid


# each example builds its loans through disbursement; XYD_PROPERTY_EXAMPLES for more
@settings(max_examples=int(os.environ.get("XYD_PROPERTY_EXAMPLES", 25)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])  # fmt: skip
@given(rules=fund_rules, ops=operations)
def test_any_sequence_keeps_the_ledger_invariants(app, rules, ops):
    savepoint = db.session.begin_nested()
    try:
        loans = Loans(Factories())
        fund = loans.fund("PROP", **rules)
        registered, claims = [], []
        for op in ops:
            # the disbursement is outside the operation's savepoint: a refused registration
            # leaves the loan standing, as it would
            loan = loans.disbursed(amount=op[1], term=12) if op[0] == "register" else None
            try:
                with db.session.begin_nested():
                    if op[0] == "register":
                        assert loan is not None
                        services.register(fund.code, loan.application_id, loans.officer)
                        registered.append(loan)
                    elif op[0] == "settle" and registered:
                        loan = registered[op[1] % len(registered)]
                        loans_services.report_status(loan.id, loans.officer,
                                                     as_of=local_today(), status="settled",
                                                     outstanding="0")  # fmt: skip
                    elif op[0] == "claim" and registered:
                        loan = registered[op[1] % len(registered)]
                        if loan.status != "non_performing":
                            loans_services.report_status(
                                loan.id, loans.officer, as_of=local_today(),
                                status="non_performing", days_past_due=100,
                                outstanding=str(loan.outstanding),
                            )  # fmt: skip
                        loss = (loan.outstanding * op[2] / 100).quantize(Decimal("0.01"))
                        claim = services.file_claim(
                            fund.code, loan.id, loans.officer, loss_amount=str(loss),
                            evidence="x",
                        )  # fmt: skip
                        claims.append(claim)
                        if op[3] is not None:  # decided at once
                            outcome = ClaimStatus.APPROVED if op[3] else ClaimStatus.REJECTED
                            services.decide(claim.id, loans.office, outcome=outcome, note="理由")
                    elif op[0] == "decide" and claims:
                        claim = claims[op[1] % len(claims)]
                        outcome = ClaimStatus.APPROVED if op[2] else ClaimStatus.REJECTED
                        services.decide(claim.id, loans.office, outcome=outcome, note="理由")
                    elif op[0] == "recover" and claims:
                        claim = claims[op[1] % len(claims)]
                        services.recover(claim.id, loans.officer, amount=op[2])
                    elif op[0] == "top_up":
                        before = services.figures(fund)
                        services.top_up(fund.code, op[1], user_id=loans.office.id)
                        after = services.figures(fund)
                        added = Decimal(op[1])
                        assert after["capital"] == before["capital"] + added
                        assert after["balance"] == before["balance"] + added
                        assert after["exposure"] == before["exposure"]
            except ServiceError as exc:
                # a refusal changes nothing; the invariants must hold either way
                event(f"refused: {exc.code}")
            _check(fund)
        figures = services.figures(fund)
        event("paid" if figures["paid"] else "nothing paid")
        event("recovered" if figures["recovered"] else "nothing recovered")
    finally:
        savepoint.rollback()
        db.session.expunge_all()  # SQLite hands the rolled-back ids out again
