"""Push API for source systems: records or a file for one source, answered with the summary."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.ingest.services import SOURCES, BatchSummary, ingest_records, ingest_upload

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
@doc(request=RECORDS_SCHEMA, response=SUMMARY_SCHEMA, tag="ingest")
def ingest_push(source: str):
    """Push records (JSON) or a CSV / XLSX file (multipart `file`) for one source.

    The batch is processed like a file import: the answer is the import summary. Rows are
    numbered from 1 for records and as in a spreadsheet (header = 1) for files. 422 when the
    input is unusable as a whole (nothing is written then).
    """
    if source not in SOURCES:
        raise NotFound(_("未知的数据源：%(source)s", source=source), code="unknown_source")
    summary = push(source, current_api_user().id)
    db.session.commit()
    return jsonify(summary.to_dict())


def push(source: str, user_id: int) -> BatchSummary:
    """The request's multipart `file` or JSON `{"records": [...]}` imported for `source`."""
    upload = request.files.get("file")
    if upload is not None:
        return ingest_upload(
            source, upload.stream, upload.filename or "", user_id=user_id, origin="push"
        )
    body = request.get_json(silent=True)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise ValidationFailed(
            "records", _('请求体应为 {"records": [...]} 或上传文件 file'), code="bad_request"
        )
    return ingest_records(source, records, origin="push", user_id=user_id, label="push")
