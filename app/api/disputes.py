"""Disputes (异议): the enterprise files and follows its own; the operator lists and resolves."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.kept_files import body_and_files, kept_file_json, kept_files_schema
from app.api.spec import doc
from app.auth.models import Role, User
from app.disputes import services
from app.disputes.models import OUTCOMES, SOURCES, STATUSES, Dispute
from app.errors import ValidationFailed
from app.extensions import db

EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "by": {"type": "string", "nullable": True},
        "from": {"type": "string", "nullable": True},
        "to": {"type": "string"},
        "note": {"type": "string", "nullable": True},
    },
}
DISPUTE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "uscc": {"type": "string"},
        "source": {"type": "string", "enum": list(SOURCES)},
        "record_id": {"type": "integer"},
        "record": {
            "type": "object",
            "description": "the record as it stood when the dispute was filed",
            "properties": {"key": {"type": "object"}, "values": {"type": "object"}},
        },
        "field": {"type": "string", "nullable": True},
        "reason": {"type": "string"},
        "evidence": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": list(STATUSES)},
        "filed_by": {"type": "string"},
        "filed_at": {"type": "string", "format": "date-time"},
        "deadline": {"type": "string", "format": "date"},
        "working_days_left": {
            "type": "integer",
            "nullable": True,
            "description": "open disputes: working days to the deadline (negative = overdue)",
        },
        "overdue": {"type": "boolean"},
        "resolved_by": {"type": "string", "nullable": True},
        "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
        "resolution_note": {"type": "string", "nullable": True},
        "corrected_values": {"type": "object", "nullable": True},
        "forwarded_to": {
            "type": "string",
            "nullable": True,
            "description": "the authority that holds the record, once forwarded to it",
        },
        "forwarded_at": {"type": "string", "format": "date-time", "nullable": True},
        "files": kept_files_schema(),
        "events": {"type": "array", "items": EVENT_SCHEMA},
    },
}
FORWARD_SCHEMA = {
    "type": "object",
    "properties": {
        "authority": {
            "type": "string",
            "maxLength": 200,
            "nullable": True,
            "description": "default: the authority named on the record",
        },
        "note": {"type": "string", "maxLength": services.NOTE_MAX, "nullable": True},
    },
}
FILE_SCHEMA = {
    "type": "object",
    "required": ["source", "record_id", "reason"],
    "properties": {
        "source": {"type": "string", "enum": list(SOURCES)},
        "record_id": {"type": "integer"},
        "reason": {"type": "string", "maxLength": services.REASON_MAX},
        "field": {"type": "string", "nullable": True, "description": "the field contested"},
        "evidence": {"type": "string", "nullable": True},
    },
}
RESOLVE_SCHEMA = {
    "type": "object",
    "required": ["outcome", "note"],
    "properties": {
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
        "note": {"type": "string", "maxLength": services.NOTE_MAX},
        "corrected_values": {
            "type": "object",
            "nullable": True,
            "description": "outcome corrected only: {field: new value}, value fields only",
        },
    },
}


def _who(user: User | None) -> str | None:
    return None if user is None else (user.display_name or user.email)


def dispute_json(dispute: Dispute) -> dict:
    is_open = dispute.status == "open"
    return {
        "id": dispute.id,
        "uscc": dispute.uscc,
        "source": dispute.source,
        "record_id": dispute.record_id,
        "record": {"key": dispute.record_key, "values": dispute.record_values},
        "field": dispute.field,
        "reason": dispute.reason,
        "evidence": dispute.evidence,
        "status": dispute.status,
        "filed_by": _who(dispute.filed_by),
        "filed_at": dispute.filed_at.isoformat(),
        "deadline": dispute.deadline.isoformat(),
        "working_days_left": services.working_days_left(dispute) if is_open else None,
        "overdue": services.is_overdue(dispute),
        "resolved_by": _who(dispute.resolved_by),
        "resolved_at": dispute.resolved_at.isoformat() if dispute.resolved_at else None,
        "resolution_note": dispute.resolution_note,
        "corrected_values": dispute.corrected_values,
        "forwarded_to": dispute.forwarded_to,
        "forwarded_at": dispute.forwarded_at.isoformat() if dispute.forwarded_at else None,
        "files": [kept_file_json(f) for f in dispute.files],
        "events": [
            {
                "at": e.at.isoformat(),
                "by": _who(e.user),
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
            }
            for e in dispute.events
        ],
    }


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    return body


def _optional_text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(name, _("%(name)s 应为字符串", name=name))
    return value


@bp.route("/me/disputes")
@api_auth(Role.ENTERPRISE)
@doc(response={"type": "array", "items": DISPUTE_SCHEMA}, tag="disputes")
def my_disputes():
    """The caller's own disputes, newest first."""
    items = services.list_for_enterprise(current_api_user().enterprise_id)
    return jsonify([dispute_json(d) for d in items])


@bp.route("/me/disputes", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=FILE_SCHEMA, response=DISPUTE_SCHEMA, status=201, tag="disputes")
def file_dispute():
    """Contest one of the caller's records (201).

    404 when the record is not the caller's (or does not exist); 409 when the record already
    has an open dispute or was withdrawn; 422 naming the field for a missing reason or a bad
    source / field. The deadline is the configured number of Chinese working days ahead.
    The same fields may come as multipart/form-data with evidence files in `files` (PDF,
    JPEG or PNG, checked by content; a refused file keeps nothing, 422 naming `files`).
    """
    body, files = body_and_files(_body, "record_id")
    source = body.get("source")
    if source not in SOURCES:
        raise ValidationFailed("source", _("source 应为以下之一：%(all)s", all=", ".join(SOURCES)))
    record_id = body.get("record_id")
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        raise ValidationFailed("record_id", _("record_id 应为整数"))
    user = current_api_user()
    dispute = services.file_dispute(
        user.enterprise_id,
        source,
        record_id,
        reason=_optional_text(body, "reason"),
        field=_optional_text(body, "field"),
        evidence=_optional_text(body, "evidence"),
        files=files,
        user_id=user.id,
    )
    db.session.commit()
    return jsonify(dispute_json(dispute)), 201


@bp.route("/disputes")
@api_auth(Role.ADMIN)
@doc(
    response={"type": "array", "items": DISPUTE_SCHEMA},
    params=[{"name": "status", "in": "query", "schema": {"type": "string",
             "enum": list(STATUSES)}, "description": "open: by deadline, overdue first"}],
    tag="disputes",
)  # fmt: skip
def list_disputes():
    """Disputes for the operator; `?status=open` gives the queue, overdue first."""
    status = request.args.get("status") or None
    return jsonify([dispute_json(d) for d in services.list_disputes(status)])


@bp.route("/disputes/<int:dispute_id>")
@api_auth(Role.ADMIN)
@doc(response=DISPUTE_SCHEMA, tag="disputes")
def get_dispute(dispute_id: int):
    """One dispute with its events."""
    return jsonify(dispute_json(services.get_dispute(dispute_id)))


@bp.route("/disputes/<int:dispute_id>/resolve", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(request=RESOLVE_SCHEMA, response=DISPUTE_SCHEMA, tag="disputes")
def resolve_dispute(dispute_id: int):
    """Resolve an open dispute: corrected, withdrawn or upheld, always with a note.

    `corrected` writes `corrected_values` to the record like an import correction (validated
    the same way; the old values stay in record history); `withdrawn` stops the record being
    used; then the enterprise's profile is rebuilt. 409 if the dispute is no longer open.
    """
    body = _body()
    corrected = body.get("corrected_values")
    if corrected is not None and not isinstance(corrected, dict):
        raise ValidationFailed("corrected_values", _("corrected_values 应为对象"))
    dispute = services.resolve(
        dispute_id,
        str(body.get("outcome") or ""),
        user_id=current_api_user().id,
        note=_optional_text(body, "note"),
        corrected_values=corrected,
    )
    db.session.commit()
    return jsonify(dispute_json(dispute))


@bp.route("/disputes/<int:dispute_id>/forward", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(request=FORWARD_SCHEMA, response=DISPUTE_SCHEMA, tag="disputes")
def forward_dispute(dispute_id: int):
    """转交来源机关: send an open dispute to the authority that holds the record; its answer
    is due within the configured working days (the new deadline). 409 when the dispute is
    no longer open or was already forwarded."""
    body = _body()
    dispute = services.forward(
        dispute_id,
        user_id=current_api_user().id,
        authority=_optional_text(body, "authority"),
        note=_optional_text(body, "note"),
    )
    db.session.commit()
    return jsonify(dispute_json(dispute))
