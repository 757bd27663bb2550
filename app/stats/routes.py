"""The statistics dashboard and its exports (thin: parse, call the services, render)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.ingest.forms import SOURCE_LABELS
from app.spreadsheets import csv_response, xlsx_response
from app.stats import dashboard, services

bp = Blueprint("stats", __name__, url_prefix="/stats")
READERS = (Role.REGULATOR, Role.ADMIN, Role.BANK_OFFICER, Role.BANK_ADMIN)


@bp.route("")
@role_required(*READERS)
def index():
    view = dashboard.build(current_user, request.args.to_dict())
    return render_template("stats/dashboard.html", view=view, source_labels=SOURCE_LABELS)


def _export_name(summary: services.Summary, ext: str) -> str:
    q = summary.query
    return (
        f"stats_{q.group_by}_{services.month_label(q.first)}_{services.month_label(q.last)}.{ext}"
    )


@bp.route("/export.csv")
@role_required(*READERS)
def export_csv():
    summary = dashboard.breakdown(current_user, request.args.to_dict())
    header, rows = services.export_table(summary)
    return csv_response(_export_name(summary, "csv"), header, rows)


@bp.route("/export.xlsx")
@role_required(*READERS)
def export_xlsx():
    summary = dashboard.breakdown(current_user, request.args.to_dict())
    header, rows = services.export_table(summary)
    return xlsx_response(
        _export_name(summary, "xlsx"),
        _("融资统计"),
        header,
        ([_number(v) for v in row] for row in rows),
    )


def _number(value):
    """Decimal strings become numbers in the sheet (exact: Decimal, not float)."""
    if isinstance(value, str) and value and value[0].isdigit():
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value
