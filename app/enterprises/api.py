"""The enterprise register's API: the caller's own enterprise and the reference lists of
regions (GB/T 2260) and industries (GB/T 4754) its records are coded in."""

from __future__ import annotations

from datetime import date

from flask import jsonify
from sqlalchemy import select

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import MoneyText, Shape
from app.api.spec import doc
from app.auth.models import Role
from app.enterprises.models import Industry, Region
from app.extensions import db


class OwnEnterprise(Shape):
    uscc: str
    name: str
    legal_rep: str | None
    established_on: date | None
    registered_capital: MoneyText | None
    region_code: str | None
    industry_code: str | None
    scale: str | None
    verified: bool


class Code(Shape):
    """A region or an industry: the same shape in both reference lists."""

    code: str
    name: str
    level: str
    parent_code: str | None


@bp.route("/me/enterprise")
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(response=OwnEnterprise, tag="me")
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
@doc(response=list[Code], tag="reference")
def regions():
    """GB/T 2260 regions of Shaanxi (province, cities, counties)."""
    return jsonify(_codes(Region))


@bp.route("/industries")
@api_auth(unverified_ok=True)
@doc(response=list[Code], tag="reference")
def industries():
    """GB/T 4754-2017 sections and divisions."""
    return jsonify(_codes(Industry))


def _codes(model: type[Region] | type[Industry]) -> list[dict]:
    """A reference list in code order, each entry a `Code`."""
    return [
        {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code}
        for r in db.session.scalars(select(model).order_by(model.code))
    ]
