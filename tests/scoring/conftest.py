"""Source tables for the extraction tests.

Issue 3's ingestion owns `public_credit_records`, `tax_ratings`, `tax_payments`,
`utility_bills` and `social_insurance_records`; until it is merged they exist only here,
created inside the test's own transaction (rolled back with it, on SQLite and PostgreSQL) and
only when missing (`checkfirst`), with just the columns the contract fixes.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, Numeric, String, Table, Text

from app.extensions import db

V1_FILE = Path(__file__).resolve().parents[2] / "app" / "scoring" / "definitions" / "v1.json"

_meta = MetaData()
_money = Numeric(18, 2)
PUBLIC_CREDIT = Table(
    "public_credit_records",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("category", String(20), nullable=False),
    Column("ref_no", String(100), nullable=False),
    Column("authority", String(200), nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("valid_until", Date),
    Column("content", Text),
    Column("penalty_amount", _money),
    Column("severity", String(10)),
)
TAX_RATINGS = Table(
    "tax_ratings",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("year", Integer, nullable=False),
    Column("grade", String(1), nullable=False),
)
TAX_PAYMENTS = Table(
    "tax_payments",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("period", String(7), nullable=False),
    Column("tax_type", String(50), nullable=False),
    Column("amount", _money, nullable=False),
    Column("due_on", Date),
    Column("paid_on", Date),
)
UTILITY_BILLS = Table(
    "utility_bills",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("utility", String(20), nullable=False),
    Column("period", String(7), nullable=False),
    Column("amount_due", _money, nullable=False),
    Column("amount_paid", _money, nullable=False),
    Column("due_on", Date),
    Column("paid_on", Date),
)
SOCIAL_INSURANCE = Table(
    "social_insurance_records",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("period", String(7), nullable=False),
    Column("headcount", Integer, nullable=False),
    Column("amount_due", _money, nullable=False),
    Column("amount_paid", _money, nullable=False),
    Column("paid_on", Date),
)


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
            [{"uscc": uscc, "period": period, "tax_type": tax_type, "amount": Decimal(amount),
              "due_on": due_on, "paid_on": paid_on}],
        )  # fmt: skip

    def utility(self, uscc, period, due, paid, due_on=None, paid_on=None, utility="electricity"):
        db.session.execute(
            UTILITY_BILLS.insert(),
            [{"uscc": uscc, "utility": utility, "period": period, "amount_due": Decimal(due),
              "amount_paid": Decimal(paid), "due_on": due_on, "paid_on": paid_on}],
        )  # fmt: skip

    def social(self, uscc, period, headcount, due, paid, paid_on=None):
        db.session.execute(
            SOCIAL_INSURANCE.insert(),
            [{"uscc": uscc, "period": period, "headcount": headcount, "amount_due": Decimal(due),
              "amount_paid": Decimal(paid), "paid_on": paid_on}],
        )  # fmt: skip

    def public(self, uscc, category, decided_on: date, valid_until=None, amount=None,
               severity=None):  # fmt: skip
        db.session.execute(
            PUBLIC_CREDIT.insert(),
            [{"uscc": uscc, "category": category, "ref_no": self._ref(), "authority": "某市市场监管局",
              "decided_on": decided_on, "valid_until": valid_until, "content": "测试",
              "penalty_amount": None if amount is None else Decimal(amount), "severity": severity}],
        )  # fmt: skip

    def rating(self, uscc, year, grade):
        db.session.execute(TAX_RATINGS.insert(), [{"uscc": uscc, "year": year, "grade": grade}])


@pytest.fixture
def sources(app) -> Sources:
    _meta.create_all(bind=db.session.connection(), checkfirst=True)
    return Sources()


@pytest.fixture(scope="session")
def v1_definition() -> dict:
    return json.loads(V1_FILE.read_text(encoding="utf-8"))["definition"]
