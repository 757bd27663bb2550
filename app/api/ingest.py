"""Push API for source systems: records or a file for one source, answered with the summary."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.ingest import jobs
from app.ingest.services import SOURCES, Submitted, get_batch, ingest_records, ingest_upload

SUMMARY_SCHEMA = {
    "type": "object",
    "required": [
        "source", "rows", "inserted", "updated", "unchanged", "rejected",
        "skipped_no_consent", "batch_id", "rejections",
    ],
    "properties": {
        "source": {"type": "string", "enum": list(SOURCES)},
        "rows": {"type": "integer"},
        "inserted": {"type": "integer"},
        "updated": {"type": "integer"},
        "unchanged": {"type": "integer"},
        "rejected": {"type": "integer"},
        "skipped_no_consent": {"type": "integer"},
        "batch_id": {"type": "integer"},
        "rejections": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "row": {"type": "integer"},
                    "column": {"type": "string", "nullable": True},
                    "reason": {"type": "string"},
                    "reason_en": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}  # fmt: skip
BATCH_SCHEMA = {
    "type": "object",
    "required": ["batch_id", "source", "state", "state_label", "finished", "rows_read",
                 "rows_rejected"],
    "properties": {
        "batch_id": {"type": "integer"},
        "source": {"type": "string"},
        "state": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
        "state_label": {"type": "string"},
        "finished": {"type": "boolean"},
        "rows_read": {"type": "integer"},
        "rows_rejected": {"type": "integer"},
        "total_rows": {"type": "integer", "nullable": True},
        "percent": {"type": "integer", "nullable": True},
        "elapsed_seconds": {"type": "integer", "nullable": True},
        "elapsed": {"type": "string", "nullable": True},
        "heartbeat_at": {"type": "string", "nullable": True},
        "error": {"type": "string", "nullable": True},
        "summary": {"type": "object"},
    },
}  # fmt: skip
RECORDS_SCHEMA = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "records": {
            "type": "array",
            "items": {"type": "object", "description": "field names or Chinese headers"},
        }
    },
}


@bp.route("/ingest/<source>", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(
    request=RECORDS_SCHEMA,
    response=SUMMARY_SCHEMA,
    tag="ingest",
    also={202: ("Accepted: a big file, queued as a background import", BATCH_SCHEMA)},
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
    db.session.commit()
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
    body = request.get_json(silent=True)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise ValidationFailed(
            "records", _('请求体应为 {"records": [...]} 或上传文件 file'), code="bad_request"
        )
    summary = ingest_records(source, records, origin="push", user_id=user_id, label="push")
    return Submitted(batch_id=summary.batch_id, summary=summary)


@bp.route("/ingest/batches/<int:batch_id>", methods=["GET"])
@api_auth(Role.ADMIN)
@doc(response=BATCH_SCHEMA, tag="ingest")
def ingest_batch(batch_id: int):
    """An import batch's state: queued, running (rows read, rejected, percent, elapsed) or
    ended (the summary's counts, or why it failed)."""
    return jsonify(jobs.describe(get_batch(batch_id)))
