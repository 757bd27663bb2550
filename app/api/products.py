"""Loan products: the public list, and a bank administrator's create / change."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user, optional_api_user
from app.api.spec import doc
from app.auth.models import BANK_ROLES, Role
from app.enterprises.size import SIZES
from app.errors import ValidationFailed
from app.extensions import db
from app.products import services
from app.products.models import PRODUCT_TYPES

PRODUCT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "type": {"type": "string", "enum": list(PRODUCT_TYPES)},
        "tags": {"type": "array", "items": {"type": "string"}},
        "amount_min": {"type": "string", "description": "yuan"},
        "amount_max": {"type": "string", "description": "yuan"},
        "term_min_months": {"type": "integer"},
        "term_max_months": {"type": "integer"},
        "rate_min": {"type": "string", "description": "annual percent"},
        "rate_max": {"type": "string", "description": "annual percent"},
        "regions": {"type": "array", "items": {"type": "string"}, "description": "GB/T 2260"},
        "industries": {"type": "array", "items": {"type": "string"}, "description": "GB/T 4754"},
        "sizes": {
            "type": "array",
            "items": {"type": "string", "enum": list(SIZES)},
            "description": "enterprise sizes served (工信部联企业〔2011〕300号); empty = any",
        },
        "min_grade": {"type": "string", "nullable": True},
        "min_score": {"type": "integer", "nullable": True},
        "min_years": {"type": "integer", "nullable": True},
        "min_tax_grade": {"type": "string", "nullable": True},
        "exclude_black_list": {"type": "boolean"},
        "status": {"type": "string", "enum": ["draft", "published", "suspended", "retired"]},
        "version": {"type": "integer"},
    },
}


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    return body


@bp.route("/products")
@doc(response={"type": "array", "items": PRODUCT_SCHEMA}, tag="products")
def list_products():
    """Published products; with a bank user's token, that bank's own products (drafts too)."""
    user = optional_api_user()
    if user is not None and user.role in BANK_ROLES and user.bank_id is not None:
        items = services.list_bank_products(user.bank_id)
        return jsonify([services.product_to_dict(p) for p in items])
    return jsonify([services.product_to_dict(p) for p in services.list_published()])


@bp.route("/products", methods=["POST"])
@api_auth(Role.BANK_ADMIN)
@doc(request=PRODUCT_SCHEMA, response=PRODUCT_SCHEMA, status=201, tag="products")
def create_product():
    """Create a product of the caller's bank (draft, or published with status)."""
    user = current_api_user()
    product = services.create_product(user.bank_id, _body())
    db.session.commit()
    return jsonify(services.product_to_dict(product)), 201


@bp.route("/products/<int:product_id>", methods=["GET"])
@doc(response=PRODUCT_SCHEMA, tag="products")
def get_product(product_id: int):
    """One published product."""
    return jsonify(services.product_to_dict(services.get_published(product_id)))


@bp.route("/products/<int:product_id>", methods=["PATCH"])
@api_auth(Role.BANK_ADMIN)
@doc(request=PRODUCT_SCHEMA, response=PRODUCT_SCHEMA, tag="products")
def update_product(product_id: int):
    """Change fields or status (publish, suspend, retire); `version` guards lost updates."""
    user = current_api_user()
    body = _body()
    product = services.update_product(
        product_id, user.bank_id, body, expected_version=body.get("version")
    )
    db.session.commit()
    return jsonify(services.product_to_dict(product))
