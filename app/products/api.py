"""Loan products: the public list, and a bank administrator's create / change."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user, optional_api_user
from app.api.schemas import (
    Body,
    Money,
    MoneyText,
    Paged,
    Percent,
    PercentText,
    Shape,
    Whole,
    choice,
    parse,
    read_query,
)
from app.api.spec import doc
from app.auth.models import BANK_ROLES, Role
from app.enterprises.size import SIZES
from app.products import services
from app.products.models import ProductStatus, ProductType
from app.replicas import reads_replica


class Product(Shape):
    id: int
    bank: str | None
    bank_name: str | None
    name: str
    type: choice(ProductType)  # type: ignore[valid-type]
    tags: list[str]
    description: str | None
    amount_min: MoneyText
    amount_max: MoneyText
    term_min_months: int
    term_max_months: int
    rate_min: PercentText
    rate_max: PercentText
    regions: list[str] = Field(description="GB/T 2260")
    industries: list[str] = Field(description="GB/T 4754")
    sizes: list[choice(SIZES)] = Field(  # type: ignore[valid-type]
        description="enterprise sizes served (工信部联企业〔2011〕300号); empty = any"
    )
    min_grade: str | None
    min_score: int | None
    min_years: int | None
    min_tax_grade: str | None
    exclude_black_list: bool
    status: choice(ProductStatus)  # type: ignore[valid-type]
    version: int


class ProductFields(Body):
    """A new product (the services name what is missing) or the fields changed (PATCH)."""

    name: str | None = None
    type: choice(ProductType) | None = None  # type: ignore[valid-type]
    tags: list[str] | None = None
    description: str | None = None
    amount_min: Money | None = None
    amount_max: Money | None = None
    term_min_months: Whole | None = None
    term_max_months: Whole | None = None
    rate_min: Percent | None = None
    rate_max: Percent | None = None
    regions: list[str] | None = Field(None, description="GB/T 2260 codes")
    industries: list[str] | None = Field(None, description="GB/T 4754 codes")
    sizes: list[choice(SIZES)] | None = Field(  # type: ignore[valid-type]
        None, description="enterprise sizes served (工信部联企业〔2011〕300号); empty = any"
    )
    min_grade: str | None = Field(None, description="a grade of the active scorecard")
    min_score: Whole | None = None
    min_years: Whole | None = None
    min_tax_grade: str | None = None
    exclude_black_list: bool | None = None
    status: choice(ProductStatus) | None = None  # type: ignore[valid-type]
    version: Whole | None = Field(None, description="PATCH: the version read (lost updates)")

    def given(self) -> dict[str, Any]:
        """The fields the request sent, as the services take them."""
        return self.model_dump(exclude_unset=True)


@bp.route("/products")
@doc(response=list[Product], query=Paged, tag="products")
@reads_replica
def list_products():
    """Published products, the oldest first, `limit` from `offset` (100 by default; `Link`
    names the next window); with a bank user's token, that bank's own products (drafts
    too), all of them."""
    user = optional_api_user()
    if user is not None and user.role in BANK_ROLES and user.bank_id is not None:
        items = services.list_bank_products(user.bank_id)
        return jsonify([services.product_to_dict(p) for p in items])
    listed = services.published()
    items, links = read_query(Paged).read_rows(listed)
    return jsonify([services.product_to_dict(p) for p in items]), 200, links


@bp.route("/products", methods=["POST"])
@api_auth(Role.BANK_ADMIN)
@doc(request=ProductFields, response=Product, status=201, tag="products")
def create_product():
    """Create a product of the caller's bank (draft, or published with status)."""
    user = current_api_user()
    product = services.create_product(user.bank_id, parse(ProductFields).given())
    return jsonify(services.product_to_dict(product)), 201


@bp.route("/products/<int:product_id>", methods=["GET"])
@doc(response=Product, tag="products")
def get_product(product_id: int):
    """One published product."""
    return jsonify(services.product_to_dict(services.get_published(product_id)))


@bp.route("/products/<int:product_id>", methods=["PATCH"])
@api_auth(Role.BANK_ADMIN)
@doc(request=ProductFields, response=Product, tag="products")
def update_product(product_id: int):
    """Change fields or status (publish, suspend, retire); `version` guards lost updates."""
    user = current_api_user()
    body = parse(ProductFields)
    product = services.update_product(
        product_id, user.bank_id, body.given(), expected_version=body.version
    )
    return jsonify(services.product_to_dict(product))
