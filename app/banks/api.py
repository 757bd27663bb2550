"""The banks on the platform."""

from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.auth import api_auth
from app.api.schemas import Shape
from app.api.spec import doc
from app.auth.models import Role
from app.banks.services import list_banks


class BankListed(Shape):
    code: str
    name: str
    active: bool


@bp.route("/banks")
@api_auth(Role.ADMIN, Role.REGULATOR)
@doc(response=list[BankListed], tag="banks")
def banks():
    """Banks on the platform (operator and financial office)."""
    return jsonify([{"code": b.code, "name": b.name, "active": b.is_active} for b in list_banks()])
