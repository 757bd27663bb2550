"""The statistics dashboard and its exports (thin: parse, call the services, render)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.ingest.forms import SOURCE_LABELS
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
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={_export_name(summary, 'csv')}"},
    )


@bp.route("/export.xlsx")
@role_required(*READERS)
def export_xlsx():
    from openpyxl import Workbook

    summary = dashboard.breakdown(current_user, request.args.to_dict())
    header, rows = services.export_table(summary)
    book = Workbook()
    sheet = book.active
    sheet.title = _("融资统计")[:31]
    sheet.append(header)
    for row in rows:
        sheet.append([_number(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={_export_name(summary, 'xlsx')}"},
    )


def _number(value):
    """Decimal strings become numbers in the sheet (exact: Decimal, not float)."""
    from decimal import Decimal, InvalidOperation

    if isinstance(value, str) and value and value[0].isdigit():
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value
