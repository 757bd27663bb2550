"""Loans after disbursement: the bank reports status; everyone sees the loans they may."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.ingest import RECORDS_SCHEMA, SUMMARY_SCHEMA, push
from app.api.spec import doc
from app.auth.models import Role
from app.errors import ValidationFailed
from app.extensions import db
from app.loans import queries, services
from app.loans.models import Loan, LoanReport, LoanStatus, ReportOrigin

LOAN_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "application_id": {"type": "integer"},
        "bank": {"type": "string"},
        "uscc": {
            "type": "string",
            "nullable": True,
            "description": "the borrower; a bank is shown it through the guard, which logs it",
        },
        "principal": {"type": "string", "description": "yuan, decimal string"},
        "rate": {"type": "string", "nullable": True, "description": "annual percent"},
        "term_months": {"type": "integer"},
        "disbursed_on": {"type": "string", "format": "date"},
        "maturity_on": {"type": "string", "format": "date"},
        "repayment": {"type": "string", "enum": ["bullet", "instalments"]},
        "status": {"type": "string", "enum": [s.value for s in LoanStatus]},
        "days_past_due": {"type": "integer"},
        "outstanding": {"type": "string"},
        "as_of": {"type": "string", "format": "date", "nullable": True},
        "schedule": {"type": "array", "items": {"type": "object"}},
    },
}
STATUS_SCHEMA = {
    "type": "object",
    "required": ["as_of", "status", "outstanding"],
    "properties": {
        "as_of": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": [s.value for s in LoanStatus]},
        "days_past_due": {"type": "integer", "description": "0 unless overdue"},
        "outstanding": {"type": "string", "description": "贷款余额, yuan"},
    },
}


def _shown(loans: list[Loan]) -> set[int]:
    return queries.borrowers_shown(
        current_api_user(), loans, endpoint=request.endpoint or "", channel="api"
    )


def loan_json(loan: Loan, *, shown: set[int], with_schedule: bool = False) -> dict:
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


def report_json(report: LoanReport) -> dict:
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
@doc(response={"type": "array", "items": LOAN_SCHEMA}, tag="loans")
def list_loans():
    """The loans the caller may see: the enterprise its own, a bank the loans it made."""
    loans = list(db.session.scalars(queries.visible_to(current_api_user()).limit(1000)))
    shown = _shown(loans)
    return jsonify([loan_json(loan, shown=shown) for loan in loans])


@bp.route("/loans/<int:loan_id>")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN)
@doc(response=LOAN_SCHEMA, tag="loans")
def get_loan(loan_id: int):
    """One loan with its repayment schedule (404 when it is not the caller's)."""
    loan = queries.loan_for(loan_id, current_api_user())
    return jsonify(loan_json(loan, shown=_shown([loan]), with_schedule=True))


@bp.route("/loans/<int:loan_id>/status", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=STATUS_SCHEMA, response=LOAN_SCHEMA, tag="loans")
def report_loan_status(loan_id: int):
    """The bank reports a loan's status for a day (monthly): 201 with the loan as it now
    stands; 422 naming every wrong field; 409 once the loan is settled or written off."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    report = services.report_status(
        loan_id, current_api_user(), as_of=body.get("as_of"), status=body.get("status"),
        days_past_due=body.get("days_past_due"), outstanding=body.get("outstanding"),
        origin=ReportOrigin.API,
    )  # fmt: skip
    db.session.commit()
    loan = report.loan
    return jsonify({**loan_json(loan, shown=_shown([loan])), "report": report_json(report)}), 201


@bp.route("/loans/status", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=RECORDS_SCHEMA, response=SUMMARY_SCHEMA, tag="loans")
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
    db.session.commit()
    return jsonify(summary.to_dict())
