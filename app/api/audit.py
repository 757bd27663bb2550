"""The enterprise's own access log."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.audit import services
from app.audit.routes import log_filter_from_args
from app.auth.models import Role

ENTRY_SCHEMA = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "bank": {"type": "string"},
        "user": {"type": "string"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "requested": {"type": "array", "items": {"type": "string"}},
        "purpose": {"type": "string"},
        "keep_copy_days": {
            "type": "integer",
            "nullable": True,
            "description": "days the bank may keep a copy of what an allowed read gave it "
            "(0: none; null: no authorization cited)",
        },
        "endpoint": {"type": "string"},
        "channel": {"type": "string", "enum": ["web", "api", "export"]},
        "outcome": {"type": "string", "enum": ["allowed", "denied"]},
    },
}
FILTERS = [
    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
    for n, d in [
        ("bank", "bank code"),
        ("outcome", "allowed | denied"),
        ("from", "YYYY-MM-DD (Asia/Shanghai), inclusive"),
        ("to", "YYYY-MM-DD (Asia/Shanghai), inclusive"),
        ("limit", "at most 500, default 100"),
        ("offset", "default 0"),
    ]
]


@bp.route("/me/access-log")
@api_auth(Role.ENTERPRISE)
@doc(response={"type": "array", "items": ENTRY_SCHEMA}, params=FILTERS, tag="authorizations")
def my_access_log():
    """Who looked at my data: every bank read attempt, allowed or denied, newest first."""
    limit = min(max(request.args.get("limit", 100, type=int), 1), 500)
    offset = max(request.args.get("offset", 0, type=int), 0)
    entries = services.entries_for_enterprise(
        current_api_user().enterprise_id,
        log_filter_from_args(request.args),
        limit=limit,
        offset=offset,
    )
    return jsonify(
        [
            {
                "at": e["at"].isoformat(),
                "bank": e["bank_code"],
                "bank_name": e["bank"],
                "user": e["user"],
                "categories": e["categories"] if e["outcome"] == "allowed" else [],
                "requested": e["requested"],
                "purpose": e["purpose"],
                "keep_copy_days": e["keep_copy_days"] if e["outcome"] == "allowed" else None,
                "endpoint": e["endpoint"],
                "channel": e["channel"],
                "outcome": e["outcome"],
            }
            for e in entries
        ]
    )
