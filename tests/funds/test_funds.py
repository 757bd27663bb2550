"""The fund: eligibility and capacity refusals naming their rules, claims, payments capped,
recoveries pro rata, decisions within working days; the API and the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from app.clock import local_today
from app.errors import Conflict, FieldErrors, Forbidden, ValidationFailed
from app.extensions import db
from app.funds import ledger, services
from app.funds.rules import RuleFailed
from app.loans import services as loans_services
from app.workcalendar.services import add_working_days


def overdue(loans, loan, days: int = 95, outstanding: str | None = None):
    loans_services.report_status(
        loan.id, loans.officer, as_of=local_today(), status="non_performing",
        days_past_due=days, outstanding=outstanding or str(loan.principal),
    )  # fmt: skip


def refused_rules(fund, loan, officer) -> list[str]:
    with pytest.raises(RuleFailed) as exc:
        services.register(fund.code, loan.application_id, officer)
    return exc.value.rules


@pytest.mark.parametrize(
    ("rules", "loan_args", "rule"),
    [
        ({"credit_only": True}, {"type_": "guarantee"}, "credit_only"),
        ({"product_types": "collateral"}, {"type_": "credit"}, "product_type"),
        ({"sizes": "small,micro"}, {"scale": "medium"}, "size"),
        ({"max_amount": "150000"}, {"amount": "200000"}, "max_amount"),
        ({"max_term_months": "12"}, {"term": 24}, "max_term"),
        ({"disbursed_from": "2020-01-01", "disbursed_to": "2020-12-31"}, {}, "disbursement_period"),
        ({"register_within_days": "10"}, {"days_ago": 11}, "registration_window"),
    ],
)
def test_each_eligibility_rule_refuses_by_name(loans, rules, loan_args, rule):
    fund = loans.fund(**rules)
    days_ago = loan_args.pop("days_ago", 0)
    loan = loans.disbursed(**loan_args, on=local_today() - timedelta(days=days_ago))
    assert refused_rules(fund, loan, loans.officer) == [rule]
    assert ledger.balances(fund.id).exposure == 0


def test_several_failing_rules_are_all_named_and_a_fitting_loan_registers(loans):
    fund = loans.fund(credit_only=True, sizes="micro", max_amount="100000")
    loan = loans.disbursed(type_="guarantee", scale="small", amount="200000")
    assert refused_rules(fund, loan, loans.officer) == ["credit_only", "size", "max_amount"]
    fine = loans.disbursed(amount="100000", scale="micro")
    registration = services.register(fund.code, fine.application_id, loans.officer)
    assert registration.covered == Decimal("100000.00")
    assert services.figures(fund)["exposure"] == Decimal("100000.00")
    with pytest.raises(Conflict) as exc:
        services.register(fund.code, fine.application_id, loans.officer)
    assert exc.value.code == "already_registered"


def test_a_loan_already_in_trouble_is_not_registered(loans):
    fund = loans.fund()
    loan = loans.disbursed()
    loans_services.report_status(loan.id, loans.officer, as_of=local_today(), status="overdue",
                                 days_past_due=3, outstanding="200000")  # fmt: skip
    assert refused_rules(fund, loan, loans.officer) == ["good_standing"]


def test_the_leverage_cap_refuses_with_409_and_settlement_frees_capacity(loans):
    fund = loans.fund(capital="100000", leverage="3")  # 300,000 of covered principal
    first = loans.disbursed(amount="200000", on=local_today() - timedelta(days=5))
    second = loans.disbursed(amount="150000")
    services.register(fund.code, first.application_id, loans.officer)
    with pytest.raises(RuleFailed) as exc:
        services.register(fund.code, second.application_id, loans.officer)
    assert exc.value.status == 409 and exc.value.rules == ["leverage"]
    loans_services.report_status(first.id, loans.officer, as_of=local_today(), status="settled",
                                 outstanding="0")  # fmt: skip
    assert services.figures(fund)["exposure"] == 0
    services.register(fund.code, second.application_id, loans.officer)
    assert services.figures(fund)["capacity"] == Decimal("150000.00")


def test_only_the_lending_bank_registers_and_only_disbursed_loans(loans, factories):
    fund = loans.fund()
    loan = loans.disbursed()
    other = factories.user("bank_officer")
    with pytest.raises(Exception) as exc:
        services.register(fund.code, loan.application_id, other)
    assert getattr(exc.value, "status", None) == 404
    with pytest.raises(Forbidden):
        services.register(fund.code, loan.application_id, loans.office)


def test_claim_paid_is_share_of_loss_capped_and_recoveries_flow_back_pro_rata(loans):
    fund = loans.fund(share="60", cap_per_loan="100000")
    small = loans.disbursed(amount="100000")
    large = loans.disbursed(amount="400000")
    for loan in (small, large):
        services.register(fund.code, loan.application_id, loans.officer)
        overdue(loans, loan)
    c1 = services.file_claim(fund.code, small.id, loans.officer, loss_amount="80000",
                             evidence="催收记录及起诉书")  # fmt: skip
    c2 = services.file_claim(fund.code, large.id, loans.officer, loss_amount="400000",
                             evidence="法院终本裁定")  # fmt: skip
    assert c1.deadline == add_working_days(local_today(), fund.decide_working_days)
    services.decide(c1.id, loans.office, outcome="approved", note="材料齐全")
    services.decide(c2.id, loans.office, outcome="approved", note="")
    assert c1.paid == Decimal("48000.00")  # 60 % of 80,000
    assert c2.paid == Decimal("100000.00")  # 60 % of 400,000 = 240,000, capped
    f = services.figures(fund)
    assert f["paid"] == Decimal("148000.00") and f["exposure"] == 0
    assert f["balance"] == Decimal("852000.00")
    r = services.recover(c1.id, loans.officer, amount="20000")
    assert r.to_fund == Decimal("12000.00")  # 48,000 / 80,000 of 20,000
    services.recover(c1.id, loans.officer, amount="80000")  # more than the loss: capped at paid
    assert services.recovered_to_fund(c1) == Decimal("48000.00")
    with pytest.raises(Conflict):
        services.recover(c1.id, loans.officer, amount="1")
    f = services.figures(fund)
    assert f["balance"] == f["capital"] - f["paid"] + f["recovered"]
    assert ledger.unbalanced_entries(fund.id) == []


def test_claims_wait_for_the_threshold_and_one_stands_per_loan(loans):
    fund = loans.fund(claim_after_days="90")
    loan = loans.disbursed()
    services.register(fund.code, loan.application_id, loans.officer)
    overdue(loans, loan, days=60)
    with pytest.raises(Conflict) as exc:
        services.file_claim(fund.code, loan.id, loans.officer, loss_amount="1", evidence="x")
    assert exc.value.code == "not_claimable"
    overdue(loans, loan, days=91, outstanding="150000")
    with pytest.raises(FieldErrors) as fields:
        services.file_claim(fund.code, loan.id, loans.officer, loss_amount="150000.01",
                            evidence="")  # fmt: skip
    assert set(fields.value.errors) == {"loss_amount", "evidence"}
    claim = services.file_claim(fund.code, loan.id, loans.officer, loss_amount="150000",
                                evidence="催收记录")  # fmt: skip
    with pytest.raises(Conflict) as exc:
        services.file_claim(fund.code, loan.id, loans.officer, loss_amount="1", evidence="x")
    assert exc.value.code == "claim_exists"
    with pytest.raises(ValidationFailed):
        services.decide(claim.id, loans.office, outcome="rejected", note="")
    with pytest.raises(Forbidden):
        services.decide(claim.id, loans.officer, outcome="approved", note="")
    services.decide(claim.id, loans.office, outcome="rejected", note="证据不足")
    assert services.figures(fund)["paid"] == 0
    assert services.figures(fund)["exposure"] == Decimal("200000.00")  # still covered
    with pytest.raises(Conflict):
        services.decide(claim.id, loans.office, outcome="approved", note="")
    again = services.file_claim(fund.code, loan.id, loans.officer, loss_amount="150000",
                                evidence="补充：判决书")  # fmt: skip
    assert again.status == "pending"


def test_the_fund_never_pays_more_than_it_holds(loans):
    fund = loans.fund(capital="100000", share="100", cap_per_loan="80000", leverage="5")
    a, b = loans.disbursed(amount="100000"), loans.disbursed(amount="100000")
    claims = []
    for loan in (a, b):
        services.register(fund.code, loan.application_id, loans.officer)
        overdue(loans, loan)
        claims.append(services.file_claim(fund.code, loan.id, loans.officer,
                                          loss_amount="80000", evidence="x"))  # fmt: skip
    services.decide(claims[0].id, loans.office, outcome="approved", note="")
    with pytest.raises(Conflict) as exc:
        services.decide(claims[1].id, loans.office, outcome="approved", note="")
    assert exc.value.code == "fund_exhausted"
    assert services.figures(fund)["balance"] == Decimal("20000.00")


def test_create_names_every_wrong_option(loans):
    with pytest.raises(FieldErrors) as exc:
        services.create_fund("x", name="", capital="-1", share="120", cap_per_loan="0",
                             leverage="abc", sizes="tiny", product_types="loan")  # fmt: skip
    assert set(exc.value.errors) == {"code", "name", "capital", "share", "cap_per_loan",
                                     "leverage", "sizes", "product_types"}  # fmt: skip
    loans.fund("DUP")
    with pytest.raises(Conflict):
        loans.fund("DUP")


def test_api_register_claim_decide_and_figures(loans, api, factories):
    fund = loans.fund()
    loan = loans.disbursed()
    bank = factories.token(loans.officer)
    office = factories.token(loans.office)
    db.session.commit()
    r = api.post(f"/api/v1/funds/{fund.code}/loans", json={"application_id": loan.application_id},
                 token=bank)  # fmt: skip
    assert r.status_code == 201, r.get_json()
    r = api.post(f"/api/v1/funds/{fund.code}/loans", json={"application_id": loan.application_id},
                 token=bank)  # fmt: skip
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_registered"
    api.post(f"/api/v1/loans/{loan.id}/status", token=bank, json={
        "as_of": local_today().isoformat(), "status": "overdue", "days_past_due": 120,
        "outstanding": "200000"})  # fmt: skip
    r = api.post(
        f"/api/v1/funds/{fund.code}/claims",
        token=bank,
        json={"loan_id": loan.id, "loss_amount": "200000", "evidence": "起诉书"},
    )
    assert r.status_code == 201, r.get_json()
    claim = r.get_json()
    assert claim["status"] == "pending" and claim["working_days_left"] == 10
    assert api.post(f"/api/v1/claims/{claim['id']}/decide", token=bank,
                    json={"outcome": "approved"}).status_code == 403  # fmt: skip
    r = api.post(
        f"/api/v1/claims/{claim['id']}/decide",
        token=office,
        json={"outcome": "approved", "note": "同意"},
    )
    assert r.status_code == 200 and r.get_json()["paid"] == "100000.00"
    got = api.get(f"/api/v1/funds/{fund.code}", token=office).get_json()
    assert {k: got[k] for k in ("capital", "exposure", "capacity", "paid", "recovered",
                                "balance")} == {
        "capital": "1000000.00", "exposure": "0.00", "capacity": "10000000.00",
        "paid": "100000.00", "recovered": "0.00", "balance": "900000.00",
    }  # fmt: skip


def test_api_refusal_names_the_rule(loans, api, factories):
    fund = loans.fund(sizes="micro")
    loan = loans.disbursed(scale="small")
    token = factories.token(loans.officer)
    db.session.commit()
    r = api.post(f"/api/v1/funds/{fund.code}/loans", json={"application_id": loan.application_id},
                 token=token)  # fmt: skip
    error = r.get_json()["error"]
    assert r.status_code == 422 and error["rule"] == "size" and "企业规模" in error["message"]


def test_cli_create_and_show(app, loans):
    runner = app.test_cli_runner()
    result = runner.invoke(args=[
        "funds", "create", "SX01", "--name", "陕西信易贷风险缓释基金", "--capital", "50000000",
        "--share", "50", "--cap-per-loan", "2000000", "--leverage", "10", "--credit-only",
        "--sizes", "small,micro"])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["funds", "show", "SX01", "--json"])
    data = json.loads(result.output)
    assert data["capital"] == "50000000.00" and data["capacity"] == "500000000.00"
    assert data["credit_only"] is True and data["sizes"] == ["small", "micro"]
    result = runner.invoke(
        args=[
            "funds",
            "create",
            "SX02",
            "--name",
            "x",
            "--capital",
            "0",
            "--share",
            "50",
            "--cap-per-loan",
            "1",
            "--leverage",
            "2",
        ]
    )
    assert result.exit_code == 1 and "capital" in result.output
