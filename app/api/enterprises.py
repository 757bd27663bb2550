"""Bank-facing enterprise data, always through the consent guard."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.errors import error_response
from app.api.spec import doc
from app.auth.models import BANK_ROLES
from app.bankview.profile import bank_profile, since_arg
from app.consent.guard import DAILY_CAP, DATA_RANGE
from app.consent.terms import denial_message

PROFILE_SCHEMA = {
    "type": "object",
    "properties": {
        "uscc": {"type": "string"},
        "name": {"type": "string"},
        "score": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 1000},
        "grade": {"type": "string", "nullable": True},
        "model_version": {"type": "integer", "nullable": True},
        "computed_at": {"type": "string", "nullable": True},
        "dimensions": {"type": "array", "items": {"type": "object"}},
        "reasons": {"type": "array", "items": {"type": "object"}},
        "coverage": {"type": "object"},
        "features": {"type": "object"},
        "snapshot_id": {"type": "integer", "nullable": True},
        "score_authorized": {"type": "boolean"},
        "score_requires": {"type": "array", "items": {"type": "string"}},
        "categories": {"type": "array", "items": {"type": "string"}},
        "facts": {"type": "object", "description": "key facts of the authorized categories"},
        "sections": {"type": "object"},
    },
}


def profile_fields(scoring: dict) -> dict:
    """The profile keys of the API from a scoring view (None / empty when withheld or absent)."""
    return {
        "score": scoring.get("score"),
        "grade": scoring.get("grade"),
        "model_version": scoring.get("model_version"),
        "computed_at": scoring.get("computed_at"),
        "dimensions": [
            {k: d[k] for k in ("code", "name", "score", "weight")}
            for d in scoring.get("dimensions") or []
        ],
        "reasons": [
            {"code": r["code"], "message": r["message"]} for r in scoring.get("reasons") or []
        ],
        "features": scoring.get("features") or {},
        "snapshot_id": scoring.get("snapshot_id"),
    }


@bp.route("/enterprises/<uscc>/profile")
@api_auth(*BANK_ROLES)
@doc(
    response=PROFILE_SCHEMA,
    tag="enterprises",
    params=[{"name": "from", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date"},
             "description": "the data from this day on (refused before the authorized range)"}],
)  # fmt: skip
def enterprise_profile(uscc: str):
    """An enterprise's profile as the caller's bank is authorized to see it.

    403 without an in-force query authorization of this enterprise to the caller's bank;
    sections the authorization does not cover come back as {"authorized": false}. The score,
    grade, dimensions, reasons and features are given only when the authorization covers
    every non-public category that fed the score (else null, with `score_requires` naming
    what is missing, or cut short by the authorization's date range); `snapshot_id` names
    the profile snapshot shown. `?from=YYYY-MM-DD` asks for the data from that day on: 403
    `data_range` when the authorization's range starts later (without it, the records shown
    start where the range does: `authorization.data_from`); 403 `daily_cap` past the day's
    reads. Every call, allowed or denied, is written to the enterprise's access log.
    """
    profile = bank_profile(
        current_api_user(), uscc, endpoint=request.path, channel="api", ip=request.remote_addr,
        since=since_arg(request.args.get("from")),
    )  # fmt: skip
    decision = profile.decision
    if not decision.allowed:
        code = decision.reason if decision.reason in (DAILY_CAP, DATA_RANGE) else "not_authorized"
        message = denial_message(decision.reason, decision.terms)
        return error_response(403, code, message, summary=profile.data["summary"])
    data = profile.data
    scoring = data["scoring"]
    body = {
        "uscc": data["uscc"],
        "name": data["name"],
        **profile_fields(scoring),
        "coverage": data.get("coverage", {}),
        "score_authorized": scoring["authorized"],
        "score_requires": scoring["requires"],
        "categories": data["categories"],
        "authorization": data["authorization"],
        "facts": data["facts"],
        "sections": data["sections"],
    }
    return jsonify(body)
