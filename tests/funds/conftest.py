"""Loans for the fund tests: a bank, its officer, an enterprise and a disbursed loan."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

import pytest

from app.applications import services as applications
from app.auth.models import Role
from app.clock import local_today, utcnow
from app.extensions import db
from app.funds import services as funds
from app.loans.queries import loan_of_application
from app.util import SHANGHAI
from tests.products.helpers import make_product


class Loans:
    def __init__(self, factories):
        self.f = factories
        self.bank = factories.bank()
        self.officer = factories.user(Role.BANK_OFFICER, bank=self.bank)
        self.office = factories.user(Role.REGULATOR)
        self.products = {}

    def product(self, type_: str = "credit"):
        if type_ not in self.products:
            self.products[type_] = make_product(self.bank, type=type_)
        return self.products[type_]

    def disbursed(self, amount: str = "200000", term: int = 12, type_: str = "credit",
                  scale: str = "small", on=None):  # fmt: skip
        """A disbursed application of a new enterprise, and its loan."""
        owner = self.f.user(Role.ENTERPRISE, enterprise=self.f.enterprise(scale=scale))
        app = applications.create_application(
            owner.enterprise_id, product_id=self.product(type_).id, amount=amount,
            term_months=term, purpose="流动资金", user_id=owner.id,
        )  # fmt: skip
        day = on or local_today()
        applications.accept(app.id, self.officer,
                            now=min(utcnow(), datetime.combine(day, time(9), SHANGHAI)))  # fmt: skip
        applications.approve(app.id, self.officer, amount=amount, rate="4.35", term_months=term)
        applications.disburse(app.id, self.officer, amount=amount,
                              disbursed_on=day.isoformat())  # fmt: skip
        loan = loan_of_application(app.id)
        assert loan is not None
        return loan

    def fund(self, code: str = "XYD1", **rules):
        values = {"name": "信易贷风险缓释基金", "capital": "1000000", "share": "50",
                  "cap_per_loan": "300000", "leverage": "10"}  # fmt: skip
        values.update(rules)
        return funds.create_fund(code, **values)


@pytest.fixture
def loans(factories) -> Loans:
    return Loans(factories)


def d(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
def commit():
    return db.session.commit
