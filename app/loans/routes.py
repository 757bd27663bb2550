"""Loans on the web: the enterprise's /loans, the bank's /bank/loans with the monthly status
report, registration with a fund, claims and recoveries (the fund's rules are in
`app/funds/services.py`; these views parse, call and render)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import BANK_ROLES, Role
from app.clock import local_today
from app.errors import FieldErrors, ServiceError
from app.extensions import db
from app.forms import attach_error
from app.funds import services as funds
from app.funds.rules import RuleFailed
from app.ingest import services as ingest
from app.loans import imports, queries, services
from app.loans.forms import StatusFileForm
from app.loans.models import LoanStatus, ReportOrigin
from app.paging import read_page
from app.unit_of_work import discard

bp = Blueprint("loans", __name__)


@bp.route("/loans")
@role_required(Role.ENTERPRISE)
def mine():
    loans = db.session.scalars(queries.visible_to(current_user)).all()
    return render_template("loans/mine.html", loans=loans)


@bp.route("/loans/<int:loan_id>")
@role_required(Role.ENTERPRISE)
def detail(loan_id: int):
    loan = queries.loan_for(loan_id, current_user)
    return render_template(
        "loans/detail.html", loan=loan, schedule=services.schedule(loan),
        reports=services.reports_of(loan), borrower_shown=True,
    )  # fmt: skip


@bp.route("/bank/loans")
@role_required(*BANK_ROLES)
def bank_list():
    """The bank's loans, newest disbursement first, a page at a time: a bank's book grows
    without end, and each borrower shown is a look the guard logs (the page's only)."""
    listed = read_page(queries.visible_to(current_user))
    loans = listed.rows
    registered = {
        r.loan_id: r
        for r in funds.registrations(bank_id=current_user.bank_id, loan_ids=[x.id for x in loans])
    }
    shown = queries.borrowers_shown(current_user, loans, endpoint="loans.bank_list", channel="web")
    return render_template(
        "loans/bank_list.html",
        loans=loans,
        page=listed.page,
        pages=listed.pages,
        registrations=registered,
        shown=shown,
    )


REJECTIONS_SHOWN = 500


@bp.route("/bank/loans/import", methods=["GET", "POST"])
@role_required(*BANK_ROLES)
def bank_import():
    """The monthly loan-status file (source `loan_status`): the bank's own loans only."""
    form = StatusFileForm()
    if form.validate_on_submit():
        stored = form.file.data
        try:
            # A bank's own monthly file: imported at once whatever its size.
            summary = ingest.ingest_upload(
                "loan_status", stored.stream, stored.filename or "",
                user_id=current_user.id, origin="file", background=False,
            ).summary  # fmt: skip
            assert summary is not None
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            flash(
                _("已导入 %(rows)s 行：新增 %(inserted)s，更正 %(updated)s，未变 %(unchanged)s，"
                  "拒收 %(rejected)s", rows=summary.rows, inserted=summary.inserted,
                  updated=summary.updated, unchanged=summary.unchanged,
                  rejected=summary.rejected),
                "success",
            )  # fmt: skip
            return redirect(url_for("loans.bank_batch", batch_id=summary.batch_id), code=303)
    status = 422 if request.method == "POST" else 200
    listed = read_page(imports.bank_batches(current_user.bank_id))
    return render_template(
        "loans/bank_import.html", form=form, batches=listed.rows, listed=listed
    ), status


@bp.route("/bank/loans/import/<int:batch_id>")
@role_required(*BANK_ROLES)
def bank_batch(batch_id: int):
    batch = imports.bank_batch(batch_id, current_user.bank_id)
    return render_template(
        "loans/bank_batch.html", batch=batch, shown=REJECTIONS_SHOWN,
        rejections=ingest.batch_rejections(batch.id, limit=REJECTIONS_SHOWN),
    )  # fmt: skip


def _bank_page(loan_id: int, *, errors: dict | None = None, values: dict | None = None,
               form: str = "", status: int = 200):  # fmt: skip
    loan = queries.loan_of_bank(loan_id, current_user.bank_id)
    registration = funds.registration_of(loan.id)
    fund_checks = []
    if registration is None:
        fund_checks = [(fund, funds.eligibility(fund, loan)) for fund in funds.list_funds()]
    claims = funds.claims(bank_id=loan.bank_id)
    claims = [c for c in claims if c.loan_id == loan.id]
    return render_template(
        "loans/bank_detail.html", loan=loan, schedule=services.schedule(loan),
        reports=services.reports_of(loan), registration=registration, fund_checks=fund_checks,
        claims=claims, recovered={c.id: funds.recovered_to_fund(c) for c in claims},
        statuses=[(s.value, s.label) for s in LoanStatus], errors=errors or {},
        values=values or {}, form=form, today=local_today().isoformat(),
        borrower_shown=loan.id in queries.borrowers_shown(
            current_user, [loan], endpoint="loans.bank_detail", channel="web"),
    ), status  # fmt: skip


@bp.route("/bank/loans/<int:loan_id>")
@role_required(*BANK_ROLES)
def bank_detail(loan_id: int):
    return _bank_page(loan_id)


def _act(loan_id: int, form: str, action, success: str):
    """Run `action`; commit and go back to the loan with `success`, or show the page again
    with what was typed and every error."""
    values: dict[str, Any] = request.form.to_dict()
    try:
        action(values)
    except FieldErrors as exc:
        discard()
        return _bank_page(loan_id, errors=exc.errors, values=values, form=form, status=422)
    except RuleFailed as exc:
        discard()
        return _bank_page(loan_id, errors={"_": exc.message}, values=values, form=form,
                          status=exc.status)  # fmt: skip
    except ServiceError as exc:
        discard()
        key = exc.field or "_"
        return _bank_page(loan_id, errors={key: exc.message}, values=values, form=form,
                          status=exc.status)  # fmt: skip
    flash(success, "success")
    return redirect(url_for("loans.bank_detail", loan_id=loan_id), code=303)


@bp.route("/bank/loans/<int:loan_id>/status", methods=["POST"])
@role_required(*BANK_ROLES)
def report(loan_id: int):
    def action(v):
        services.report_status(
            loan_id, current_user, as_of=v.get("as_of"), status=v.get("status"),
            days_past_due=v.get("days_past_due"), outstanding=v.get("outstanding"),
            origin=ReportOrigin.WEB,
        )  # fmt: skip

    return _act(loan_id, "status", action, _("贷款状态已报送"))


@bp.route("/bank/loans/<int:loan_id>/register", methods=["POST"])
@role_required(*BANK_ROLES)
def register(loan_id: int):
    loan = queries.loan_of_bank(loan_id, current_user.bank_id)

    def action(v):
        funds.register(v.get("fund"), loan.application_id, current_user)

    return _act(loan_id, "register", action, _("已在风险缓释基金备案"))


@bp.route("/bank/loans/<int:loan_id>/claim", methods=["POST"])
@role_required(*BANK_ROLES)
def claim(loan_id: int):
    registration = funds.registration_of(queries.loan_of_bank(loan_id, current_user.bank_id).id)

    def action(v):
        if registration is None:
            raise ServiceError(_("该贷款未在本基金备案"))
        funds.file_claim(registration.fund.code, loan_id, current_user,
                         loss_amount=v.get("loss_amount"), evidence=v.get("evidence"),
                         files=request.files.getlist("files"))  # fmt: skip

    return _act(loan_id, "claim", action, _("代偿申请已提交"))


@bp.route("/bank/claims/<int:claim_id>/recover", methods=["POST"])
@role_required(*BANK_ROLES)
def recover(claim_id: int):
    claim = funds.claim_for(claim_id, current_user)

    def action(v):
        funds.recover(claim_id, current_user, amount=v.get("amount"),
                      recovered_on=v.get("recovered_on"))  # fmt: skip

    return _act(claim.loan_id, "recover", action, _("追偿回款已登记"))
