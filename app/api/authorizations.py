"""The enterprise's authorizations, both kinds in one API: GET / POST /api/v1/authorizations,
DELETE …/{id}. `grantee: "platform"` is the collection authorization (the platform may
collect the non-public categories), a bank code a query authorization (that bank may view
them, for a purpose).

A consent text version that does not exist is bad input (422 naming
`consent_text_version`); one that exists but is no longer current is refused by the service
with 409 `stale_consent_text`, whatever the kind.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.banks.services import get_bank_by_code
from app.consent import services
from app.consent.models import DATA_MONTHS, KINDS, PURPOSES, Authorization
from app.consent.terms import Terms, sentences
from app.errors import NotFound, ValidationFailed
from app.extensions import db

AUTHORIZATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["collection", "query"]},
        "grantee": {"type": "string", "description": "platform, or the bank code"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "purpose": {"type": "string", "description": "query: one of " + ", ".join(PURPOSES)},
        "purpose_note": {"type": "string"},
        "application_id": {"type": "integer", "nullable": True},
        "reads_per_day": {
            "type": "integer",
            "nullable": True,
            "description": "query: the bank's reads a day (Shanghai) after which it is refused",
        },
        "data_from": {
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "query: the bank sees records from this day on (null: all on record)",
        },
        "keep_copy_days": {
            "type": "integer",
            "description": "query: days the bank may keep a downloaded copy (0: none)",
        },
        "terms": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "query: each term in the words shown and enforced",
        },
        "state": {"type": "string", "enum": ["active", "revoked", "expired"]},
        "valid_from": {"type": "string", "format": "date-time"},
        "valid_until": {"type": "string", "format": "date-time", "nullable": True},
        "method": {"type": "string", "enum": ["online", "paper"]},
        "consent_text_version": {"type": "integer", "nullable": True},
        "consent_text_sha256": {"type": "string", "nullable": True},
    },
}
GRANT_SCHEMA = {
    "type": "object",
    "required": ["grantee", "categories"],
    "properties": {
        "grantee": {"type": "string", "description": "a bank code, or platform"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "purpose": {"type": "string", "enum": list(PURPOSES), "description": "query: required"},
        "application_id": {"type": "integer", "nullable": True},
        "data_months": {
            "type": "integer",
            "enum": list(DATA_MONTHS),
            "description": "query: the data of the last N months (36 unless given)",
        },
        "keep_copy_days": {
            "type": "integer",
            "minimum": 0,
            "maximum": 365,
            "description": "query: days the bank may keep a downloaded copy (0, the default: none)",
        },
        "days": {
            "type": "integer",
            "minimum": 1,
            "description": "query: 30 unless given, at most 90; collection: until revoked",
        },
        "reads_per_day": {
            "type": "integer",
            "minimum": 1,
            "maximum": 200,
            "description": "query: the bank's reads a day before it is refused (20 unless given)",
        },
        "consent_text_version": {
            "type": "integer",
            "description": "the version shown to the user; the current one when omitted",
        },
        "locale": {"type": "string", "default": "zh", "description": "of the text shown"},
    },
}


def authorization_json(auth: Authorization) -> dict:
    return {
        "id": auth.id,
        "kind": auth.kind,
        "grantee": auth.grantee_bank.code if auth.grantee_bank else "platform",
        "categories": auth.categories,
        "purpose": auth.purpose,
        "purpose_note": auth.purpose_note,
        "application_id": auth.application_id,
        "reads_per_day": auth.reads_per_day,
        "data_from": auth.data_from.isoformat() if auth.data_from else None,
        "keep_copy_days": auth.keep_copy_days,
        "terms": sentences(Terms.of(auth)) if auth.kind == "query" else {},
        "state": auth.effective_state(),
        "valid_from": auth.valid_from.isoformat(),
        "valid_until": auth.valid_until.isoformat() if auth.valid_until else None,
        "method": auth.method,
        "consent_text_version": auth.consent_text.version if auth.consent_text else None,
        "consent_text_sha256": auth.consent_text_sha256,
    }


@bp.route("/authorizations")
@api_auth(Role.ENTERPRISE)
@doc(response={"type": "array", "items": AUTHORIZATION_SCHEMA}, tag="authorizations")
def list_authorizations():
    """The caller's own authorizations (collection and bank query), newest first;
    `?kind=collection` or `?kind=query` for one kind."""
    kind = request.args.get("kind")
    if kind not in (None, "", *KINDS):
        raise ValidationFailed("kind", _("kind 应为 collection 或 query"))
    items = services.list_authorizations(current_api_user().enterprise_id, kind or None)
    return jsonify([authorization_json(a) for a in items])


def _int(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(name, _("%(name)s 应为整数", name=name))
    return value


@bp.route("/authorizations", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=GRANT_SCHEMA, response=AUTHORIZATION_SCHEMA, status=201, tag="authorizations")
def create_authorization():
    """Authorize a named bank to view categories for a purpose (30 days unless `days`, ≤ 90).

    `grantee: "platform"` grants the collection authorization instead. Answers 201.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    categories = body.get("categories")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValidationFailed("categories", _("categories 应为数据类别名称的列表"))
    grantee = str(body.get("grantee") or "").strip()
    user = current_api_user()
    kind = "collection" if grantee.lower() == "platform" else "query"
    version = _int(body, "consent_text_version")
    locale = str(body.get("locale") or "zh")
    text = (
        services.get_text_version(kind, version, locale)
        if version is not None
        else services.current_text(kind, locale)
    )
    if text is None:
        raise ValidationFailed("consent_text_version", _("授权书版本不存在"))
    common = {
        "user_id": user.id,
        "ip": request.remote_addr,
        "text_id": text.id,
        "days": _int(body, "days"),
    }
    if kind == "collection":
        auth = services.grant_collection(user.enterprise_id, categories, **common)
    else:
        bank = get_bank_by_code(grantee) if grantee else None
        if bank is None:
            raise NotFound(_("被授权银行不存在或已停用"), code="bank_not_found")
        auth = services.grant_query(
            user.enterprise_id,
            bank.id,
            categories,
            purpose=str(body.get("purpose") or ""),
            application_id=_int(body, "application_id"),
            reads_per_day=_int(body, "reads_per_day"),
            data_months=_int(body, "data_months"),
            keep_copy_days=_int(body, "keep_copy_days"),
            **common,
        )
    db.session.commit()
    return jsonify(authorization_json(auth)), 201


@bp.route("/authorizations/<int:authorization_id>", methods=["DELETE"])
@api_auth(Role.ENTERPRISE)
@doc(response=AUTHORIZATION_SCHEMA, tag="authorizations")
def revoke_authorization(authorization_id: int):
    """Revoke one of the caller's authorizations, effective immediately (409 if not active)."""
    user = current_api_user()
    auth = services.revoke(authorization_id, user_id=user.id, enterprise_id=user.enterprise_id)
    db.session.commit()
    return jsonify(authorization_json(auth))
