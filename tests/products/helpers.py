"""Shared by the loan tests: a published product with sensible defaults."""

from __future__ import annotations

from app.products import services
from app.products.models import Product

DEFAULTS = {
    "name": "税易贷",
    "type": "credit",
    "tags": ["信易贷", "税易贷"],
    "amount_min": "100000",
    "amount_max": "500000",
    "term_min_months": 6,
    "term_max_months": 36,
    "rate_min": "3.85",
    "rate_max": "6.5",
    "regions": [],
    "industries": [],
    "exclude_black_list": True,
}


def make_product(bank, status: str = "published", **fields) -> Product:
    return services.create_product(bank.id, {**DEFAULTS, **fields, "status": status})
