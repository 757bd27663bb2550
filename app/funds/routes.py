"""The financial office's pages: funds (create, dashboard) and the claims queue with its
working-day deadlines (the rules are `app/funds/services.py`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.enterprises.models import SCALES
from app.errors import FieldErrors, ServiceError
from app.evidence import send_kept
from app.funds import services
from app.funds.rules import SIZE_LABELS
from app.products.models import TYPE_LABELS, ProductType
from app.spreadsheets import csv_response, xlsx_response
from app.unit_of_work import discard
from app.util import format_yuan

bp = Blueprint("funds", __name__)

CREATE_FIELDS = ("code", "name", "capital", "share", "cap_per_loan", "leverage", "max_amount",
                 "max_term_months", "disbursed_from", "disbursed_to", "register_within_days",
                 "claim_after_days", "decide_working_days")  # fmt: skip


def _index_page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    funds = services.list_funds()
    return render_template(
        "funds/index.html", funds=[(f, services.figures(f)) for f in funds],
        queue=services.claims(pending=True), left=services.working_days_left,
        overdue=services.is_overdue, errors=errors or {},
        values=values or {"register_within_days": 30, "claim_after_days": 90,
                          "decide_working_days": 10},
        sizes=[(s, SIZE_LABELS[s]) for s in SCALES],
        types=[(t.value, TYPE_LABELS[t]) for t in ProductType],
    ), status  # fmt: skip


@bp.route("/office/funds")
@role_required(Role.REGULATOR)
def index():
    return _index_page()


@bp.route("/office/funds", methods=["POST"])
@role_required(Role.REGULATOR)
def create():
    values = {name: request.form.get(name, "") for name in CREATE_FIELDS}
    values["credit_only"] = bool(request.form.get("credit_only"))
    values["sizes"] = request.form.getlist("sizes")
    values["product_types"] = request.form.getlist("product_types")
    try:
        fund = services.create_fund(
            values["code"], **{k: v for k, v in values.items() if k != "code"},
            user_id=current_user.id,
        )  # fmt: skip
    except FieldErrors as exc:
        discard()
        return _index_page(exc.errors, values, 422)
    except ServiceError as exc:
        discard()
        return _index_page({exc.field or "code": exc.message}, values, exc.status)
    flash(_("基金 %(c)s 已设立", c=fund.code), "success")
    return redirect(url_for("funds.dashboard", code=fund.code), code=303)


def _dashboard_page(code: str, errors: dict | None = None, values: dict | None = None,
                    status: int = 200):  # fmt: skip
    fund = services.get_fund(code)
    return render_template(
        "funds/dashboard.html", fund=fund, data=services.dashboard(fund),
        queue=services.claims(fund=fund, pending=True), left=services.working_days_left,
        overdue=services.is_overdue, capital=services.capital_entries(fund),
        errors=errors or {}, values=values or {},
    ), status  # fmt: skip


@bp.route("/office/funds/<code>")
@role_required(Role.REGULATOR)
def dashboard(code: str):
    return _dashboard_page(code)


@bp.route("/office/funds/<code>/capital", methods=["POST"])
@role_required(Role.REGULATOR)
def top_up(code: str):
    values = {"amount": request.form.get("amount", "")}
    try:
        entry = services.top_up(code, values["amount"], user_id=current_user.id)
    except ServiceError as exc:
        discard()
        return _dashboard_page(code, {exc.field or "amount": exc.message}, values, exc.status)
    flash(_("已追加资金 %(a)s", a=format_yuan(entry.amount)), "success")
    return redirect(url_for("funds.dashboard", code=code), code=303)


def _claim_page(claim_id: int, errors: dict | None = None, values: dict | None = None,
                status: int = 200):  # fmt: skip
    claim = services.claim_for(claim_id, current_user)
    return render_template(
        "funds/claim.html", claim=claim, payable=services.payable(claim.fund, claim.loss_amount),
        balance=services.figures(claim.fund)["balance"], left=services.working_days_left,
        overdue=services.is_overdue, errors=errors or {}, values=values or {},
    ), status  # fmt: skip


@bp.route("/office/claims/<int:claim_id>")
@role_required(Role.REGULATOR)
def claim(claim_id: int):
    return _claim_page(claim_id)


@bp.route("/office/claims/<int:claim_id>", methods=["POST"])
@role_required(Role.REGULATOR)
def decide(claim_id: int):
    values = {"outcome": request.form.get("outcome", ""), "note": request.form.get("note", "")}
    try:
        decided = services.decide(claim_id, current_user, **values)
    except ServiceError as exc:
        discard()
        return _claim_page(claim_id, {exc.field or "_": exc.message}, values, exc.status)
    flash(_("代偿申请 #%(id)d：%(s)s", id=decided.id, s=decided.status_label), "success")
    return redirect(url_for("funds.dashboard", code=decided.fund.code), code=303)


@bp.route("/claims/<int:claim_id>/files/<int:file_id>")
@role_required(Role.REGULATOR, Role.BANK_OFFICER, Role.BANK_ADMIN)
def claim_file(claim_id: int, file_id: int):
    """An evidence file of a claim: the claiming bank and the office only (404 otherwise)."""
    return send_kept(services.claim_file_for(claim_id, file_id, current_user))


@bp.route("/office/funds/<code>/export.<any(csv, xlsx):fmt>")
@role_required(Role.REGULATOR)
def export(code: str, fmt: str):
    """The dashboard's tables (by bank, then by month) as CSV or XLSX, with the fund's
    figures above them; written through app.spreadsheets like every other export."""
    fund = services.get_fund(code)
    data = services.dashboard(fund)
    n = data["figures"]
    preamble = [
        [_("基金"), f"{fund.name} ({fund.code})"],
        *([label, n[key]] for label, key in (
            (_("资金规模"), "capital"), (_("在保本金"), "exposure"), (_("可用额度"), "capacity"),
            (_("已代偿"), "paid"), (_("追偿回款"), "recovered"), (_("基金余额"), "balance"),
        )),
    ]  # fmt: skip
    header = [_("分组"), _("银行") + " / " + _("月份"), _("备案笔数"), _("备案本金"),
              _("代偿申请"), _("已代偿"), _("已驳回"), _("代偿金额"), _("追偿回款"),
              _("净损失率")]  # fmt: skip
    rows = [
        [group, key, r["registered"], r["covered"], r["filed"], r["paid_count"], r["rejected"],
         r["paid"], r["recovered"], r["loss_rate"]]
        for group, table in ((_("按银行"), data["by_bank"]), (_("按月份"), data["by_month"]))
        for key, r in table
    ]  # fmt: skip
    name = f"fund-{fund.code}.{fmt}"
    if fmt == "csv":
        return csv_response(name, header, rows, preamble=preamble)
    formats = [None, None, "#,##0", "#,##0.00", "#,##0", "#,##0", "#,##0", "#,##0.00",
               "#,##0.00", "0.0%"]  # fmt: skip
    return xlsx_response(name, fund.code, header, rows, preamble=preamble, formats=formats)
