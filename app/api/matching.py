"""Products that fit the calling enterprise's need, each criterion explained."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import PercentText, Shape, choice
from app.api.spec import doc
from app.auth.models import Role
from app.errors import ValidationFailed
from app.matching import services
from app.products.models import ProductType


class Check(Shape):
    criterion: str
    passed: bool
    detail: str


class Match(Shape):
    product_id: int
    bank: str
    bank_code: str
    name: str
    type: choice(ProductType)  # type: ignore[valid-type]
    tags: list[str]
    eligible: bool
    rank: int
    rank_score: float
    rank_reasons: list[str]
    rate_min: PercentText
    rate_max: PercentText
    checks: list[Check]


@bp.route("/me/matches")
@api_auth(Role.ENTERPRISE)
@doc(
    response=list[Match],
    params=[
        {"name": "amount", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "term_months", "in": "query", "required": True, "schema": {"type": "integer"}},
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "default": 30, "maximum": 100},
        },
    ],
    tag="matching",
)
def my_matches():
    """Published products for amount and term: eligible first, then near misses."""
    user = current_api_user()
    limit = request.args.get("limit", type=int) or services.RESULT_LIMIT
    if not 1 <= limit <= services.MAX_LIMIT:
        raise ValidationFailed("limit", _("limit 应为 1 至 %(n)d", n=services.MAX_LIMIT))
    matches = services.match(
        user.enterprise, request.args.get("amount"), request.args.get("term_months"), limit=limit
    )
    return jsonify([m.to_dict() for m in matches])
