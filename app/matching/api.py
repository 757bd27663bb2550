"""Products that fit the calling enterprise's need, each criterion explained."""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import Money, PercentText, Query, Shape, Whole, choice, read_query
from app.api.spec import doc
from app.auth.models import Role
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


class Need(Query):
    """The need; the service checks the amount's and the term's range."""

    amount: Money
    term_months: Whole
    limit: Whole = Field(services.RESULT_LIMIT, ge=1, le=services.MAX_LIMIT)


@bp.route("/me/matches")
@api_auth(Role.ENTERPRISE)
@doc(response=list[Match], query=Need, tag="matching")
def my_matches():
    """Published products for amount and term: eligible first, then near misses."""
    user = current_api_user()
    need = read_query(Need)
    matches = services.match(user.enterprise, need.amount, need.term_months, limit=need.limit)
    return jsonify([m.to_dict() for m in matches])
