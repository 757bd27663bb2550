"""The risk-mitigation fund: banks register loans and file claims; the office decides."""

from __future__ import annotations

from datetime import date, datetime

from flask import jsonify
from pydantic import Field

from app import cases
from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.kept_files import KeptFile, body_and_files, kept_file_json
from app.api.schemas import BINARY, Body, Integer, Money, MoneyText, Shape, choice, parse
from app.api.spec import doc
from app.auth.models import Role, User
from app.evidence import send_kept
from app.funds import models, services
from app.funds.models import OUTCOMES, ClaimStatus


class Fund(Shape):
    code: str
    name: str
    share: MoneyText = Field(description="percent of a loss the fund pays")
    cap_per_loan: MoneyText
    leverage: MoneyText
    capital: MoneyText
    exposure: MoneyText
    capacity: MoneyText
    paid: MoneyText
    recovered: MoneyText
    balance: MoneyText


class FundLoan(Shape):
    id: int
    fund: str
    loan_id: int
    covered: MoneyText
    registered_on: date


class Claim(Shape):
    id: int
    fund: str
    loan_id: int
    bank: str
    loss_amount: MoneyText
    evidence: str | None
    status: choice(ClaimStatus)  # type: ignore[valid-type]
    filed_at: datetime
    deadline: date
    working_days_left: int | None = Field(description="while pending; 0 on the deadline")
    overdue: bool
    paid: MoneyText | None
    recovered: MoneyText
    note: str | None
    files: list[KeptFile] = Field(
        description="evidence files; listed for the claiming bank and the office only"
    )


class ClaimRecovered(Claim):
    to_fund: MoneyText = Field(description="the fund's part of the amount recovered")


class FundLoanRegistration(Body):
    application_id: Integer


class ClaimFiling(Body):
    loan_id: Integer
    loss_amount: Money
    evidence: str


class ClaimDecision(Body):
    outcome: choice(OUTCOMES)  # type: ignore[valid-type]
    note: str | None = None


class ClaimRecovery(Body):
    amount: Money
    recovered_on: date | None = None


def fund_json(fund: models.Fund) -> dict:
    figures = services.figures(fund)
    return {
        "code": fund.code,
        "name": fund.name,
        "share": str(fund.share),
        "cap_per_loan": str(fund.cap_per_loan),
        "leverage": str(fund.leverage),
        **{k: str(figures[k]) for k in ("capital", "exposure", "capacity", "paid", "recovered",
                                         "balance")},
    }  # fmt: skip


def claim_json(claim: models.Claim, user: User) -> dict:
    files = claim.files if services.may_see_claim_files(claim, user) else []
    return {
        "id": claim.id,
        "fund": claim.fund.code,
        "loan_id": claim.loan_id,
        "bank": claim.bank.code,
        "loss_amount": str(claim.loss_amount),
        "evidence": claim.evidence,
        "status": claim.status,
        **cases.timing_json(claim),
        "paid": str(claim.paid) if claim.paid is not None else None,
        "recovered": str(services.recovered_to_fund(claim)),
        "note": claim.note,
        "files": [kept_file_json(f, f"/api/v1/claims/{claim.id}/files/{f.id}") for f in files],
    }  # fmt: skip


@bp.route("/funds/<code>")
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN)
@doc(response=Fund, tag="funds")
def get_fund(code: str):
    """A fund's figures, all derived from its ledger, as decimal strings."""
    return jsonify(fund_json(services.get_fund(code)))


@bp.route("/funds/<code>/loans", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=FundLoanRegistration, response=FundLoan, status=201, tag="funds")
def register_fund_loan(code: str):
    """Register (备案) the loan of one of the bank's disbursed applications (201). 422
    `fund_rule_failed` with `rule` / `rules` naming what does not fit; 409 with rule
    `leverage` when over the fund's capacity, `already_registered`, `not_disbursed`."""
    registration = services.register(
        code, parse(FundLoanRegistration).application_id, current_api_user()
    )
    return jsonify(
        id=registration.id, fund=registration.fund.code, loan_id=registration.loan_id,
        covered=str(registration.covered),
        registered_on=registration.registered_on.isoformat(),
    ), 201  # fmt: skip


@bp.route("/funds/<code>/claims", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=ClaimFiling, response=Claim, status=201, tag="funds")
def file_fund_claim(code: str):
    """File a compensation claim (代偿申请) on a registered loan overdue past the fund's
    threshold (201); 409 `not_claimable` before that, `claim_exists` for a second one.
    The same fields may come as multipart/form-data with evidence files in `files` (PDF,
    JPEG or PNG, checked by content; a refused file keeps nothing, 422 naming `files`);
    they are listed in the answer and fetched at `GET /claims/{id}/files/{file_id}`."""
    body, files = body_and_files(ClaimFiling)
    user = current_api_user()
    claim = services.file_claim(
        code, body.loan_id, user, loss_amount=body.loss_amount, evidence=body.evidence,
        files=files,
    )  # fmt: skip
    return jsonify(claim_json(claim, user)), 201


@bp.route("/claims/<int:claim_id>")
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN)
@doc(response=Claim, tag="funds")
def get_claim(claim_id: int):
    """One claim: the bank's own, or any for the office."""
    user = current_api_user()
    return jsonify(claim_json(services.claim_for(claim_id, user), user))


@bp.route("/claims/<int:claim_id>/files/<int:file_id>")
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR)
@doc(response=BINARY, response_type="application/octet-stream", tag="funds")
def get_claim_file(claim_id: int, file_id: int):
    """One evidence file of a claim, as it was uploaded: the claiming bank and the office
    only (404 `file_not_found` for anyone else)."""
    return send_kept(services.claim_file_for(claim_id, file_id, current_api_user()))


@bp.route("/claims/<int:claim_id>/decide", methods=["POST"])
@api_auth(Role.REGULATOR)
@doc(request=ClaimDecision, response=Claim, tag="funds")
def decide_claim(claim_id: int):
    """The financial office decides a pending claim: approved (the fund pays share × loss,
    capped; 409 `fund_exhausted` when its balance cannot) or rejected (note = reason)."""
    body = parse(ClaimDecision)
    claim = services.decide(claim_id, current_api_user(), outcome=body.outcome, note=body.note)
    return jsonify(claim_json(claim, current_api_user()))


@bp.route("/claims/<int:claim_id>/recoveries", methods=["POST"])
@api_auth(Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(request=ClaimRecovery, response=ClaimRecovered, status=201, tag="funds")
def recover_claim(claim_id: int):
    """The bank recovered money (追偿) on a paid claim's loan: the fund gets its pro rata
    part (paid ÷ loss), never more than it paid (201)."""
    body = parse(ClaimRecovery)
    recovery = services.recover(
        claim_id, current_api_user(), amount=body.amount, recovered_on=body.recovered_on
    )
    claim = services.claim_for(claim_id, current_api_user())
    return jsonify({**claim_json(claim, current_api_user()), "to_fund": str(recovery.to_fund)}), 201
