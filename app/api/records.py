"""The enterprise's own records, with their ids, so that a client can contest or repair them
without reading pages."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.disputes import records as own
from app.disputes.models import SOURCES, STATUSES
from app.errors import ValidationFailed

RECORD_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "description": "the record_id for disputes and repairs"},
        "source": {"type": "string", "enum": list(SOURCES)},
        "values": {"type": "object", "description": "the record's fields (codes, ISO dates)"},
        "shown": {
            "type": "boolean",
            "description": "counts today: banks, the score and matching see it",
        },
        "dispute": {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": list(STATUSES)},
            },
            "description": "the open dispute, or the one that withdrew the record",
        },
        "tier": {
            "type": "string",
            "nullable": True,
            "enum": ["minor", "general", "serious", None],
            "description": "public credit: the publicity tier (null = not graded)",
        },
        "shown_from": {"type": "string", "format": "date", "nullable": True},
        "shown_until": {
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "the last day shown",
        },
        "publicity": {
            "type": "string",
            "nullable": True,
            "enum": ["shown", "pending", "expired", "not_published", "withdrawn", "repaired", None],
            "description": "graded records: shown, or why not (expired = 公示期满)",
        },
        "repaired": {"type": "boolean", "description": "public credit: a repair was approved"},
        "expired": {"type": "boolean", "description": "public credit: its publicity ended"},
    },
}


def record_json(source: str, row: own.RecordRow) -> dict:
    body = {
        "id": row.id,
        "source": source,
        "values": row.values,
        "shown": row.shown,
        "dispute": {"id": row.dispute.id, "status": row.dispute.status} if row.dispute else None,
    }
    if source == "public_credit":
        body.update(
            tier=row.tier,
            shown_from=row.shown_from.isoformat() if row.shown_from else None,
            shown_until=row.shown_until.isoformat() if row.shown_until else None,
            publicity=row.publicity,
            repaired=row.repaired,
            expired=row.publicity == "expired",
        )
    return body


@bp.route("/me/records")
@api_auth(Role.ENTERPRISE)
@doc(
    response={"type": "array", "items": RECORD_SCHEMA},
    params=[{"name": "source", "in": "query", "required": True,
             "schema": {"type": "string", "enum": list(SOURCES)}}],
    tag="disputes",
)  # fmt: skip
def my_records():
    """The caller's own records of one source (latest 36 months), newest first, each with
    its id; public-credit records with their publicity tier and dates, also those no longer
    shown (marked)."""
    source = request.args.get("source") or ""
    if source not in SOURCES:
        raise ValidationFailed("source", _("source 应为以下之一：%(all)s", all=", ".join(SOURCES)))
    rows = own.own_records(current_api_user().enterprise_id, source)
    return jsonify([record_json(source, row) for row in rows])
