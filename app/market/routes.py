"""Public pages: the product supermarket, one product, the platform's figures, the guides."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from app.auth.models import Role
from app.enterprises.services import region_names
from app.market import services
from app.products.models import TYPE_LABELS, Product
from app.products.services import get_published
from app.replicas import reads_replica

bp = Blueprint("market", __name__)
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def _qualify_url(product: Product, amount=None, term=None) -> str:
    """Where "check whether I qualify" leads: the enterprise's matching for this product (at
    the amount and term asked, else the product's smallest), or the login, then matching."""
    target = url_for(
        "matching.index",
        amount=amount or product.amount_min,
        term_months=term or product.term_min_months,
        _anchor=f"product-{product.id}",
    )
    if current_user.is_authenticated and current_user.role == Role.ENTERPRISE:
        return target
    return url_for("auth.login", next=target)


@bp.route("/market")
@reads_replica
def index():
    filters, errors = services.Filters.from_args(request.args)
    page = services.search(filters)
    return (
        render_template(
            "market/index.html",
            filters=filters,
            errors=errors,
            page=page,
            types=TYPE_LABELS,
            banks=services.banks_with_products(),
            regions=region_names(),
            conditions=services.conditions,
            qualify=_qualify_url,
        ),
        422 if errors else 200,
    )


@bp.route("/market/<int:product_id>")
@reads_replica
def product(product_id: int):
    if product_id > MAX_ID:
        abort(404)
    item = get_published(product_id)
    return render_template(
        "market/product.html",
        product=item,
        types=TYPE_LABELS,
        conditions=services.conditions(item),
        qualify=_qualify_url(item, request.args.get("amount"), request.args.get("term")),
    )


@bp.route("/figures")
@reads_replica
def figures():
    return render_template("market/figures.html", figures=services.public_figures())


@bp.route("/guide")
def guide():
    return render_template("market/guide.html")
