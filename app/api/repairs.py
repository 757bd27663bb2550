"""Credit repair (信用修复): the enterprise applies and follows; the operator decides."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.kept_files import kept_file_json, kept_files_schema
from app.api.spec import doc
from app.auth.models import Role, User
from app.errors import ValidationFailed
from app.extensions import db
from app.repairs import services
from app.repairs.models import OUTCOMES, STATUSES, Repair

REPAIR_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "record_id": {"type": "integer"},
        "uscc": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "statement": {"type": "string"},
        "commitment_version": {"type": "integer"},
        "commitment_sha256": {"type": "string"},
        "filed_at": {"type": "string", "format": "date-time"},
        "deadline": {"type": "string", "format": "date"},
        "working_days_left": {
            "type": "integer",
            "nullable": True,
            "description": "open ones: working days to the deadline (negative = overdue)",
        },
        "overdue": {"type": "boolean"},
        "extension_note": {"type": "string", "nullable": True},
        "decided_at": {"type": "string", "format": "date-time", "nullable": True},
        "decision_note": {"type": "string", "nullable": True},
        "repaired_on": {"type": "string", "format": "date", "nullable": True},
        "files": kept_files_schema(),
    },
}
APPLY_SCHEMA = {
    "type": "object",
    "required": ["record_id", "statement", "commitment_version", "evidence"],
    "properties": {
        "record_id": {"type": "integer", "description": "a public-credit record (GET /me/records)"},
        "statement": {"type": "string", "maxLength": services.STATEMENT_MAX},
        "commitment_version": {"type": "integer", "description": "the version signed"},
        "evidence": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "PDF, JPEG or PNG files (checked by content, size-limited)",
        },
    },
}
DECIDE_SCHEMA = {
    "type": "object",
    "required": ["outcome", "note"],
    "properties": {
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
        "note": {"type": "string", "maxLength": services.NOTE_MAX},
    },
}


def _who(user: User | None) -> str | None:
    return None if user is None else (user.display_name or user.email)


def repair_json(repair: Repair) -> dict:
    return {
        "id": repair.id,
        "record_id": repair.record_id,
        "uscc": repair.enterprise.uscc,
        "status": repair.status,
        "statement": repair.statement,
        "commitment_version": repair.commitment_version,
        "commitment_sha256": repair.commitment_sha256,
        "filed_at": repair.filed_at.isoformat(),
        "deadline": repair.deadline.isoformat(),
        "working_days_left": services.working_days_left(repair) if repair.is_open else None,
        "overdue": services.is_overdue(repair),
        "extension_note": repair.extension_note,
        "decided_at": repair.decided_at.isoformat() if repair.decided_at else None,
        "decision_note": repair.decision_note,
        "repaired_on": repair.repaired_on.isoformat() if repair.repaired_on else None,
        "files": [kept_file_json(f) for f in repair.files],
    }


@bp.route("/me/repairs")
@api_auth(Role.ENTERPRISE)
@doc(response={"type": "array", "items": REPAIR_SCHEMA}, tag="repairs")
def my_repairs():
    """The caller's own repair applications, newest first."""
    items = services.list_for_enterprise(current_api_user().enterprise_id)
    return jsonify([repair_json(r) for r in items])


@bp.route("/me/repairs", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(
    request=APPLY_SCHEMA,
    response=REPAIR_SCHEMA,
    status=201,
    tag="repairs",
    request_type="multipart/form-data",
)
def apply_repair():
    """Apply to repair one of the caller's public-credit records (201; free of charge).

    multipart/form-data: `record_id`, `statement`, `commitment_version` (the current 信用承诺书
    the caller signs) and one or more `evidence` files. 404 when the record is not the
    caller's; 409 when it cannot be repaired now (minimum period not passed, no longer shown,
    an application standing) or the commitment version is not the current one; 422 naming
    the field (or the file) otherwise. Nothing is kept from a refused application.
    """
    raw_id = request.form.get("record_id", "")
    try:
        record_id = int(raw_id)
    except ValueError:
        raise ValidationFailed("record_id", _("record_id 应为整数")) from None
    user = current_api_user()
    repair = services.apply(
        user.enterprise_id,
        record_id,
        statement=request.form.get("statement"),
        commitment_version=request.form.get("commitment_version"),
        files=request.files.getlist("evidence"),
        user_id=user.id,
        locale=str(get_locale() or "zh"),
    )
    db.session.commit()
    return jsonify(repair_json(repair)), 201


@bp.route("/repairs")
@api_auth(Role.ADMIN)
@doc(
    response={"type": "array", "items": REPAIR_SCHEMA},
    params=[{"name": "pending", "in": "query", "schema": {"type": "boolean"},
             "description": "only the open ones, by deadline (overdue first)"}],
    tag="repairs",
)  # fmt: skip
def list_repairs():
    """Repair applications for the operator; `?pending=1` gives the queue."""
    pending = request.args.get("pending", "").lower() in {"1", "true", "yes"}
    return jsonify([repair_json(r) for r in services.list_repairs(pending=pending)])


@bp.route("/repairs/<int:repair_id>/decide", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(request=DECIDE_SCHEMA, response=REPAIR_SCHEMA, tag="repairs")
def decide_repair(repair_id: int):
    """Decide an open application: approved (the record no longer counts from today; the
    profile is rebuilt), rejected (the note is the reason) or extended (once), with a note.
    409 if it is no longer open or already extended."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise ValidationFailed("note", _("%(name)s 应为字符串", name="note"))
    repair = services.decide(
        repair_id, str(body.get("outcome") or ""), user_id=current_api_user().id, note=note
    )
    db.session.commit()
    return jsonify(repair_json(repair))
