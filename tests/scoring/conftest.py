"""Source rows for the extraction tests, written straight into the ingestion's tables
(inside the test's rolled-back transaction)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.extensions import db
from app.ingest.models import (
    PublicCreditRecord,
    SocialInsuranceRecord,
    TaxPayment,
    TaxRating,
    UtilityBill,
)

V1_FILE = Path(__file__).resolve().parents[2] / "app" / "scoring" / "definitions" / "v1.json"

PUBLIC_CREDIT = PublicCreditRecord.__table__
TAX_RATINGS = TaxRating.__table__
TAX_PAYMENTS = TaxPayment.__table__
UTILITY_BILLS = UtilityBill.__table__
SOCIAL_INSURANCE = SocialInsuranceRecord.__table__
BATCH = {"batch_id": 0}  # rows written here belong to no import batch


class Sources:
    """Insert source rows the way the ingestion would store them."""

    def __init__(self) -> None:
        self._n = 0

    def _ref(self) -> str:
        self._n += 1
        return f"REF-{self._n}"

    def tax(self, uscc, period, amount, due_on=None, paid_on=None, tax_type="增值税"):
        db.session.execute(
            TAX_PAYMENTS.insert(),
            [{**BATCH, "uscc": uscc, "period": period, "tax_type": tax_type, "amount": Decimal(amount),
              "due_on": due_on, "paid_on": paid_on}],
        )  # fmt: skip

    def utility(self, uscc, period, due, paid, due_on=None, paid_on=None, utility="electricity"):
        db.session.execute(
            UTILITY_BILLS.insert(),
            [{**BATCH, "uscc": uscc, "utility": utility, "period": period, "amount_due": Decimal(due),
              "amount_paid": Decimal(paid), "due_on": due_on, "paid_on": paid_on}],
        )  # fmt: skip

    def social(self, uscc, period, headcount, due, paid, paid_on=None):
        db.session.execute(
            SOCIAL_INSURANCE.insert(),
            [{**BATCH, "uscc": uscc, "period": period, "headcount": headcount, "amount_due": Decimal(due),
              "amount_paid": Decimal(paid), "paid_on": paid_on}],
        )  # fmt: skip

    def public(self, uscc, category, decided_on: date, valid_until=None, amount=None,
               severity=None):  # fmt: skip
        db.session.execute(
            PUBLIC_CREDIT.insert(),
            [{**BATCH, "uscc": uscc, "category": category, "ref_no": self._ref(), "authority": "某市市场监管局",
              "decided_on": decided_on, "valid_until": valid_until, "content": "测试",
              "penalty_amount": None if amount is None else Decimal(amount), "severity": severity}],
        )  # fmt: skip

    def rating(self, uscc, year, grade):
        db.session.execute(
            TAX_RATINGS.insert(), [{**BATCH, "uscc": uscc, "year": year, "grade": grade}]
        )


@pytest.fixture
def sources(app) -> Sources:
    return Sources()


@pytest.fixture(scope="session")
def v1_definition() -> dict:
    return json.loads(V1_FILE.read_text(encoding="utf-8"))["definition"]
