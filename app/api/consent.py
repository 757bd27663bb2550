"""The enterprise's collection authorizations (the bank query ones come with the next issue)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.clock import utcnow
from app.consent import services
from app.consent.models import Authorization
from app.errors import Conflict, ValidationFailed
from app.extensions import db

AUTHORIZATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["collection", "query"]},
        "grantee": {"type": "string"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "state": {"type": "string", "enum": ["active", "revoked", "expired"]},
        "method": {"type": "string", "enum": ["online", "paper"]},
        "valid_from": {"type": "string", "format": "date-time"},
        "valid_until": {"type": "string", "format": "date-time", "nullable": True},
        "consent_text_version": {"type": "integer", "nullable": True},
        "consent_text_sha256": {"type": "string", "nullable": True},
        "revoked_at": {"type": "string", "format": "date-time", "nullable": True},
    },
}
GRANT_SCHEMA = {
    "type": "object",
    "required": ["categories", "consent_text_version"],
    "properties": {
        "categories": {"type": "array", "items": {"type": "string"}},
        "consent_text_version": {"type": "integer"},
        "locale": {"type": "string", "default": "zh"},
        "days": {"type": "integer", "nullable": True},
    },
}


def authorization_json(auth: Authorization) -> dict:
    now = utcnow()
    return {
        "id": auth.id,
        "kind": auth.kind,
        "grantee": auth.grantee_bank.code if auth.grantee_bank else "platform",
        "categories": auth.categories,
        "state": auth.effective_state(now),
        "method": auth.method,
        "valid_from": auth.valid_from.isoformat(),
        "valid_until": auth.valid_until.isoformat() if auth.valid_until else None,
        "consent_text_version": auth.consent_text.version if auth.consent_text else None,
        "consent_text_sha256": auth.consent_text_sha256,
        "revoked_at": auth.revoked_at.isoformat() if auth.revoked_at else None,
    }


@bp.route("/me/collection-authorizations")
@api_auth(Role.ENTERPRISE)
@doc(response={"type": "array", "items": AUTHORIZATION_SCHEMA}, tag="consent")
def list_collection_authorizations():
    """The caller's collection authorizations, newest first."""
    items = services.list_authorizations(current_api_user().enterprise_id, "collection")
    return jsonify([authorization_json(a) for a in items])


@bp.route("/me/collection-authorizations", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=GRANT_SCHEMA, response=AUTHORIZATION_SCHEMA, tag="consent")
def grant_collection_authorization():
    """Authorize the platform to collect categories, under the current consent text version.

    A version that is no longer current is refused with 409 `stale_consent_text`.
    """
    body = request.get_json(silent=True) or {}
    categories = body.get("categories")
    version = body.get("consent_text_version")
    days = body.get("days")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValidationFailed("categories", _("categories 应为数据类别名称的列表"))
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationFailed("consent_text_version", _("consent_text_version 应为整数"))
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)):
        raise ValidationFailed("days", _("days 应为整数"))
    text = services.get_text_version("collection", version, str(body.get("locale") or "zh"))
    if text is None:
        raise Conflict(
            _("授权书版本 %(v)s 不存在", v=version), code="stale_consent_text",
            field="consent_text_version",
        )  # fmt: skip
    user = current_api_user()
    auth = services.grant_collection(
        user.enterprise_id,
        categories,
        user_id=user.id,
        ip=request.remote_addr,
        text_id=text.id,
        days=days,
    )
    db.session.commit()
    return jsonify(authorization_json(auth)), 201


@bp.route("/me/collection-authorizations/<int:authorization_id>", methods=["DELETE"])
@api_auth(Role.ENTERPRISE)
@doc(response=AUTHORIZATION_SCHEMA, tag="consent")
def revoke_collection_authorization(authorization_id: int):
    """Revoke one of the caller's authorizations, effective at once."""
    user = current_api_user()
    auth = services.get_own_authorization(authorization_id, user.enterprise_id)
    if auth.kind != "collection":
        raise ValidationFailed("id", _("这不是采集授权"))
    services.revoke(authorization_id, user_id=user.id, enterprise_id=user.enterprise_id)
    db.session.commit()
    return jsonify(authorization_json(auth))
