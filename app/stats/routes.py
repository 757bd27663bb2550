"""The statistics dashboard and its exports (thin: parse, call the services, render)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.ingest.forms import SOURCE_LABELS
from app.replicas import reads_replica
from app.spreadsheets import csv_response, xlsx_response
from app.stats import dashboard, first_loans, loan_quality, services

bp = Blueprint("stats", __name__, url_prefix="/stats")
READERS = (Role.REGULATOR, Role.ADMIN, Role.BANK_OFFICER, Role.BANK_ADMIN)


@bp.route("")
@role_required(*READERS)
@reads_replica
def index():
    view, errors = dashboard.build_or_explain(current_user, request.args.to_dict())
    return render_template(
        "stats/dashboard.html",
        view=view,
        errors=errors,
        source_labels=SOURCE_LABELS,
        first_loan_disagreements=first_loans.count(first_loans.bank_scope(current_user)),
    ), (422 if errors else 200)


@bp.route("/first-loans")
@role_required(*READERS)
@reads_replica
def first_loan_check():
    bank_id = first_loans.bank_scope(current_user)
    return render_template(
        "stats/first_loans.html",
        rows=first_loans.disagreements(bank_id),
        total=first_loans.count(bank_id),
        limit=first_loans.LIMIT,
    )


def _export_name(summary: services.Summary, ext: str) -> str:
    q = summary.query
    return (
        f"stats_{q.group_by}_{services.month_label(q.first)}_{services.month_label(q.last)}.{ext}"
    )


@bp.route("/export.csv")
@role_required(*READERS)
@reads_replica
def export_csv():
    summary = dashboard.breakdown(current_user, request.args.to_dict())
    header, rows = services.export_table(summary)
    preamble = services.export_filters(summary)
    return csv_response(_export_name(summary, "csv"), header, rows, preamble=preamble)


@bp.route("/export.xlsx")
@role_required(*READERS)
@reads_replica
def export_xlsx():
    summary = dashboard.breakdown(current_user, request.args.to_dict())
    header, rows = services.export_table(summary)
    return xlsx_response(
        _export_name(summary, "xlsx"),
        _("融资统计"),
        header,
        ([_number(v) for v in row] for row in rows),
        preamble=[(_("融资统计"),), *services.export_filters(summary)],
        formats=services.export_formats(),
    )


@bp.route("/loans")
@role_required(*READERS)
@reads_replica
def loans():
    view, errors = dashboard.loan_view_or_explain(current_user, request.args.to_dict())
    return render_template("stats/loans.html", view=view, errors=errors), (422 if errors else 200)


def _loan_export_name(summary: loan_quality.LoanSummary, ext: str) -> str:
    q = summary.query
    return f"loans_{q.group_by}_{services.month_label(q.month)}.{ext}"


def _loan_summary() -> loan_quality.LoanSummary:
    return loan_quality.summary_for(current_user, dashboard.loan_args(request.args.to_dict()))


@bp.route("/loans/export.csv")
@role_required(*READERS)
@reads_replica
def loans_export_csv():
    summary = _loan_summary()
    header, rows = loan_quality.export_table(summary)
    preamble = loan_quality.export_filters(summary)
    return csv_response(_loan_export_name(summary, "csv"), header, rows, preamble=preamble)


@bp.route("/loans/export.xlsx")
@role_required(*READERS)
@reads_replica
def loans_export_xlsx():
    summary = _loan_summary()
    header, rows = loan_quality.export_table(summary)
    return xlsx_response(
        _loan_export_name(summary, "xlsx"),
        _("贷款质量"),
        header,
        ([_number(v) for v in row] for row in rows),
        preamble=[(_("贷款质量"),), *loan_quality.export_filters(summary)],
        formats=loan_quality.export_formats(),
    )


def _number(value):
    """Decimal strings become numbers in the sheet (exact: Decimal, not float)."""
    if isinstance(value, str) and value and value[0].isdigit():
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value
