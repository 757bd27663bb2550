"""Account and reference endpoints."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.banks.services import list_banks
from app.enterprises.models import Industry, Region
from app.extensions import db
from app.identity.services import is_verified

USER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "role": {"type": "string"},
        "bank": {"type": "string", "nullable": True},
        "uscc": {"type": "string", "nullable": True},
        "locale": {"type": "string", "nullable": True},
        "verified": {
            "type": "boolean",
            "nullable": True,
            "description": "Enterprise accounts: verified (核验) or not; null for other roles.",
        },
    },
}

# A region or an industry: the same shape in both reference lists.
CODE_LIST_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "name", "level", "parent_code"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "level": {"type": "string"},
            "parent_code": {"type": "string", "nullable": True},
        },
    },
}
BANKS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "name", "active"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "active": {"type": "boolean"},
        },
    },
}


@bp.route("/me")
@api_auth(unverified_ok=True)
@doc(response=USER_SCHEMA, tag="me")
def me():
    """The account that owns the token."""
    user = current_api_user()
    return jsonify(
        id=user.id,
        email=user.email,
        role=user.role,
        bank=user.bank.code if user.bank else None,
        uscc=user.enterprise.uscc if user.enterprise else None,
        locale=user.locale,
        verified=is_verified(user) if user.role == Role.ENTERPRISE else None,
    )


@bp.route("/me/enterprise")
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(tag="me")
def my_enterprise():
    """The registry record of the caller's own enterprise (public facts).

    `verified` says whether the registry knows the enterprise, not whether this account is
    verified (that is `verified` of `/me`)."""
    e = current_api_user().enterprise
    return jsonify(
        uscc=e.uscc,
        name=e.name,
        legal_rep=e.legal_rep,
        established_on=e.established_on.isoformat() if e.established_on else None,
        registered_capital=str(e.registered_capital) if e.registered_capital is not None else None,
        region_code=e.region_code,
        industry_code=e.industry_code,
        scale=e.scale,
        verified=e.verified,
    )


@bp.route("/regions")
@api_auth(unverified_ok=True)
@doc(response=CODE_LIST_SCHEMA, tag="reference")
def regions():
    """GB/T 2260 regions of Shaanxi (province, cities, counties)."""
    rows = db.session.scalars(select(Region).order_by(Region.code))
    return jsonify(
        [
            {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code}
            for r in rows
        ]
    )


@bp.route("/industries")
@api_auth(unverified_ok=True)
@doc(response=CODE_LIST_SCHEMA, tag="reference")
def industries():
    """GB/T 4754-2017 sections and divisions."""
    rows = db.session.scalars(select(Industry).order_by(Industry.code))
    return jsonify(
        [
            {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code}
            for r in rows
        ]
    )


@bp.route("/banks")
@api_auth(Role.ADMIN, Role.REGULATOR)
@doc(response=BANKS_SCHEMA, tag="banks")
def banks():
    """Banks on the platform (operator and financial office)."""
    return jsonify([{"code": b.code, "name": b.name, "active": b.is_active} for b in list_banks()])
