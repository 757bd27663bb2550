"""The statistics dashboard and its exports (thin: parse, call the services, render)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, render_template, request
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
    listed = first_loans.disagreements(first_loans.bank_scope(current_user))
    return render_template("stats/first_loans.html", rows=listed.rows, listed=listed)


def _export_name(summary: services.Summary, ext: str) -> str:
    q = summary.query
    return (
        f"stats_{q.group_by}_{services.month_label(q.first)}_{services.month_label(q.last)}.{ext}"
    )


@bp.route("/export.csv", endpoint="export_csv", defaults={"ext": "csv"})
@bp.route("/export.xlsx", endpoint="export_xlsx", defaults={"ext": "xlsx"})
@role_required(*READERS)
@reads_replica
def export(ext: str) -> Response:
    summary = dashboard.breakdown(current_user, request.args.to_dict())
    header, rows = services.export_table(summary)
    return _export(ext, _export_name(summary, ext), _("融资统计"), header, rows,
                   services.export_filters(summary), services.export_formats)  # fmt: skip


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


@bp.route("/loans/export.csv", endpoint="loans_export_csv", defaults={"ext": "csv"})
@bp.route("/loans/export.xlsx", endpoint="loans_export_xlsx", defaults={"ext": "xlsx"})
@role_required(*READERS)
@reads_replica
def loans_export(ext: str) -> Response:
    summary = _loan_summary()
    header, rows = loan_quality.export_table(summary)
    return _export(ext, _loan_export_name(summary, ext), _("贷款质量"), header, rows,
                   loan_quality.export_filters(summary), loan_quality.export_formats)  # fmt: skip


def _export(ext, name, title, header, rows, filters, formats) -> Response:
    """The table as CSV, or as an Excel sheet headed by `title` and the filters, its numbers
    as numbers in the `formats()` of their columns."""
    if ext == "csv":
        return csv_response(name, header, rows, preamble=filters)
    numbers = ([_number(v) for v in row] for row in rows)
    return xlsx_response(name, title, header, numbers, preamble=[(title,), *filters],
                         formats=formats())  # fmt: skip


def _number(value):
    """Decimal strings become numbers in the sheet (exact: Decimal, not float)."""
    if isinstance(value, str) and value and value[0].isdigit():
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value
