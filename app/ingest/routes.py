"""Operator pages: upload a source file, the batch history, a batch's rejections, the
corrections history. Admin only."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.errors import ServiceError
from app.forms import attach_error
from app.ingest import jobs, services
from app.ingest.forms import SOURCE_LABELS, UploadForm
from app.paging import read_page
from app.spreadsheets import csv_response
from app.unit_of_work import discard

bp = Blueprint("ingest", __name__, url_prefix="/admin/ingest")

REJECTIONS_SHOWN = 500


@bp.route("/upload", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        stored = form.file.data
        try:
            submitted = services.ingest_upload(
                form.source.data,
                stored.stream,
                stored.filename or "",
                user_id=current_user.id,
                origin="file",
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            summary = submitted.summary
            if summary is None:
                flash(_("文件较大，已转入后台导入：本页显示进度，完成后显示结果。"), "info")
            else:
                flash(
                    _(
                        "已导入 %(rows)s 行：新增 %(inserted)s，更新 %(updated)s，"
                        "未变 %(unchanged)s，拒收 %(rejected)s，未授权跳过 %(skipped)s",
                        rows=summary.rows,
                        inserted=summary.inserted,
                        updated=summary.updated,
                        unchanged=summary.unchanged,
                        rejected=summary.rejected,
                        skipped=summary.skipped_no_consent,
                    ),
                    "success",
                )
            return redirect(url_for("ingest.batch", batch_id=submitted.batch_id))
    status = 422 if request.method == "POST" else 200
    return render_template("ingest/upload.html", form=form), status


@bp.route("/batches")
@role_required(Role.ADMIN)
def batches():
    source = request.args.get("source") or None
    listed = read_page(services.batches(source=source))
    return render_template(
        "ingest/batches.html",
        batches=listed.rows,
        listed=listed,
        source=source,
        labels=SOURCE_LABELS,
    )


@bp.route("/batches/<int:batch_id>")
@role_required(Role.ADMIN)
def batch(batch_id: int):
    found = services.get_batch(batch_id)
    return render_template(
        "ingest/batch.html",
        batch=found,
        state=jobs.describe(found),
        rejections=services.batch_rejections(batch_id, limit=REJECTIONS_SHOWN),
        shown=REJECTIONS_SHOWN,
        labels=SOURCE_LABELS,
    )


@bp.route("/batches/<int:batch_id>/progress.json")
@role_required(Role.ADMIN)
def batch_progress(batch_id: int):
    """What the batch page's script polls while a background import is queued or running."""
    return jsonify(jobs.describe(services.get_batch(batch_id)))


@bp.route("/batches/<int:batch_id>/rejections.csv")
@role_required(Role.ADMIN)
def rejections_csv(batch_id: int):
    """The rejections as CSV, UTF-8 with a BOM so that Excel shows the Chinese."""
    found = services.get_batch(batch_id)
    return csv_response(
        f"batch-{found.id}-{found.source}-rejections.csv",
        ["row", "column", "code", "value", "reason_zh", "reason_en"],
        (
            [r.row, r.column, r.code, r.value, r.reason_zh, r.reason_en]
            for r in services.batch_rejections(found.id)
        ),
    )


@bp.route("/history")
@role_required(Role.ADMIN)
def history():
    uscc = (request.args.get("uscc") or "").strip() or None
    english = str(get_locale() or "zh") == "en"
    listed = read_page(services.record_history(uscc=uscc))
    return render_template(
        "ingest/history.html",
        entries=listed.rows,
        listed=listed,
        uscc=uscc or "",
        describe=lambda source, text: services.describe_values(source, text, english=english),
    )
