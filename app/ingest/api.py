"""Push API for source systems: records or a file for one source, answered with the summary."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import Body, Shape, choice, parse
from app.api.spec import doc
from app.auth.models import Role
from app.errors import NotFound
from app.ingest import jobs
from app.ingest.models import BATCH_STATES
from app.ingest.services import SOURCES, Submitted, get_batch, ingest_records, ingest_upload


class RowRejection(Shape):
    row: int
    column: str | None
    reason: str
    reason_en: str
    code: str


class ImportSummary(Shape):
    source: choice(SOURCES)  # type: ignore[valid-type]
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    skipped_no_consent: int
    batch_id: int
    rejections: list[RowRejection]
    rejections_truncated: bool | None = None


class Batch(Shape):
    batch_id: int
    source: str
    state: choice(BATCH_STATES)  # type: ignore[valid-type]
    state_label: str
    finished: bool
    rows_read: int
    rows_rejected: int
    total_rows: int | None = None
    percent: int | None = None
    elapsed_seconds: int | None = None
    elapsed: str | None = None
    heartbeat_at: str | None = None
    error: str | None = None
    summary: dict | None = None


class Records(Body):
    records: list[Any] = Field(
        description="one object a row: field names or Chinese headers (docs/formats.md)"
    )


@bp.route("/ingest/<source>", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(
    request=Records,
    response=ImportSummary,
    tag="ingest",
    also={202: ("Accepted: a big file, queued as a background import", Batch)},
)
def ingest_push(source: str):
    """Push records (JSON) or a CSV / XLSX file (multipart `file`) for one source.

    The batch is processed like a file import: the answer is the import summary. Rows are
    numbered from 1 for records and as in a spreadsheet (header = 1) for files. 422 when the
    input is unusable as a whole (nothing is written then). A file bigger than the
    background threshold (INGEST_BACKGROUND_MB) is stored and queued instead: 202 with the
    batch's state and a Location to follow (GET /ingest/batches/{batch_id}).
    """
    if source not in SOURCES:
        raise NotFound(_("未知的数据源：%(source)s", source=source), code="unknown_source")
    submitted = push(source, current_api_user().id)
    if submitted.summary is None:
        response = jsonify(jobs.describe(get_batch(submitted.batch_id)))
        response.status_code = 202
        response.headers["Location"] = url_for("api.ingest_batch", batch_id=submitted.batch_id)
        return response
    return jsonify(submitted.summary.to_dict())


def push(source: str, user_id: int, *, background: bool = True) -> Submitted:
    """The request's multipart `file` or JSON `{"records": [...]}` imported for `source`
    (a big file queued unless `background` is False)."""
    upload = request.files.get("file")
    if upload is not None:
        return ingest_upload(
            source,
            upload.stream,
            upload.filename or "",
            user_id=user_id,
            origin="push",
            background=background,
        )
    records = parse(Records).records
    summary = ingest_records(source, records, origin="push", user_id=user_id, label="push")
    return Submitted(batch_id=summary.batch_id, summary=summary)


@bp.route("/ingest/batches/<int:batch_id>", methods=["GET"])
@api_auth(Role.ADMIN)
@doc(response=Batch, tag="ingest")
def ingest_batch(batch_id: int):
    """An import batch's state: queued, running (rows read, rejected, percent, elapsed) or
    ended (the summary's counts, or why it failed)."""
    return jsonify(jobs.describe(get_batch(batch_id)))
