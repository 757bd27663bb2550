"""Loans after disbursement: the bank reports status; everyone sees the loans they may."""

from __future__ import annotations

from datetime import date

from flask import jsonify, request
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import (
    Body,
    Money,
    MoneyText,
    Paged,
    PercentText,
    Shape,
    Whole,
    choice,
    parse,
    read_query,
)
from app.api.spec import doc
from app.auth.models import Role
from app.ingest.api import ImportSummary, Records, push
from app.loans import models, queries, services
from app.loans.models import LoanStatus, Repayment, ReportOrigin


class Instalment(Shape):
    number: int
    due_on: date
    principal: MoneyText
    remaining: MoneyText


class Loan(Shape):
    id: int
    application_id: int
    bank: str
    uscc: str | None = Field(
        description="the borrower; a bank is shown it through the guard, which logs it"
    )
    principal: MoneyText
    rate: PercentText | None
    term_months: int
    disbursed_on: date
    maturity_on: date
    repayment: choice(Repayment)  # type: ignore[valid-type]
    status: choice(LoanStatus)  # type: ignore[valid-type]
    days_past_due: int
    outstanding: MoneyText
    as_of: date | None
    schedule: list[Instalment] | None = Field(None, description="one loan: its schedule")


class LoanReport(Shape):
    id: int
    loan_id: int
    as_of: date
    status: choice(LoanStatus)  # type: ignore[valid-type]
    days_past_due: int
    outstanding: MoneyText
    origin: choice(ReportOrigin)  # type: ignore[valid-type]


class LoanReported(Loan):
    report: LoanReport


class LoanStatusReport(Body):
    as_of: date
    status: choice(LoanStatus)  # type: ignore[valid-type]
    days_past_due: Whole | None = Field(None, description="0 unless overdue")
    outstanding: Money = Field(description="贷款余额, yuan")


def _shown(loans: list[models.Loan]) -> set[int]:
    return queries.borrowers_shown(
        current_api_user(), loans, endpoint=request.endpoint or "", channel="api"
    )


def loan_json(loan: models.Loan, *, shown: set[int], with_schedule: bool = False) -> dict:
    body = {
        "id": loan.id,
        "application_id": loan.application_id,
        "bank": loan.bank.code,
        "uscc": loan.enterprise.uscc if loan.id in shown else None,
        "principal": str(loan.principal),
        "rate": str(loan.rate) if loan.rate is not None else None,
        "term_months": loan.term_months,
        "disbursed_on": loan.disbursed_on.isoformat(),
        "maturity_on": loan.maturity_on.isoformat(),
        "repayment": loan.repayment,
        "status": loan.status,
        "days_past_due": loan.days_past_due,
        "outstanding": str(loan.outstanding),
        "as_of": loan.as_of.isoformat() if loan.as_of else None,
    }
    if with_schedule:
        body["schedule"] = [
            {"number": i.number, "due_on": i.due_on.isoformat(), "principal": str(i.principal),
             "remaining": str(i.remaining)}
            for i in services.schedule(loan)
        ]  # fmt: skip
    return body


def report_json(report: models.LoanReport) -> dict:
    return {
        "id": report.id,
        "loan_id": report.loan_id,
        "as_of": report.as_of.isoformat(),
        "status": report.status,
        "days_past_due": report.days_past_due,
        "outstanding": str(report.outstanding),
        "origin": report.origin,
    }


@bp.route("/loans")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN)
@doc(response=list[Loan], query=Paged, tag="loans")
def list_loans():
    """The loans the caller may see, newest disbursement first: the enterprise its own, a
    bank the loans it made. `limit` from `offset` (100 by default; `Link` names the next)."""
    visible = queries.visible_to(current_api_user())
    loans, links = read_query(Paged).read_rows(visible)
    shown = _shown(loans)
    return jsonify([loan_json(loan, shown=shown) for loan in loans]), 200, links


@bp.route("/loans/<int:loan_id>")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN)
@doc(response=Loan, tag="loans")
def get_loan(loan_id: int):
    """One loan with its repayment schedule (404 when it is not the caller's)."""
    loan = queries.loan_for(loan_id, current_api_user())
    return jsonify(loan_json(loan, shown=_shown([loan]), with_schedule=True))


@bp.route("/loans/<int:loan_id>/status", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=LoanStatusReport, response=LoanReported, status=201, tag="loans")
def report_loan_status(loan_id: int):
    """The bank reports a loan's status for a day (monthly): 201 with the loan as it now
    stands; 422 naming every wrong field; 409 once the loan is settled or written off."""
    body = parse(LoanStatusReport)
    report = services.report_status(
        loan_id, current_api_user(), as_of=body.as_of, status=body.status,
        days_past_due=body.days_past_due, outstanding=body.outstanding, origin=ReportOrigin.API,
    )  # fmt: skip
    loan = report.loan
    return jsonify({**loan_json(loan, shown=_shown([loan])), "report": report_json(report)}), 201


@bp.route("/loans/status", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=Records, response=ImportSummary, tag="loans")
def push_loan_status():
    """The bank's monthly status of many loans at once, as the `loan_status` source: a CSV /
    XLSX file (multipart `file`) or `{"records": [...]}` with its fields (docs/formats.md).

    Answered with the import summary; each row is judged as a single report would be, and
    only the bank's own loans are taken (`loan_not_found` otherwise, for another bank's loan
    as for none). 422 when the input is unusable as a whole (nothing is written then)."""
    # A bank's own report: imported at once whatever its size (the batch pages are the
    # operator's).
    summary = push("loan_status", current_api_user().id, background=False).summary
    assert summary is not None
    return jsonify(summary.to_dict())
