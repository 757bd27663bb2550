"""首贷 checked: disbursements where the bank's word and the platform's knowledge differ.

The counting rule is `facts.services.counted_first_loan`; this lists the disagreements
(`facts.services.first_loan_disagrees`, here as SQL) for the financial office and the
operator, and for a bank its own. No enterprise is named: a disagreement is a question to
the bank about one of its loans, which the application number identifies to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select, text

from app.applications.models import FIRST_LOAN_DISAGREES, Application
from app.auth.models import BANK_ROLES, User
from app.banks.models import Bank
from app.extensions import db
from app.paging import Page, read_page
from app.products.models import Product


@dataclass(frozen=True)
class Disagreement:
    application_id: int
    bank: str
    product: str
    disbursed_on: date | None
    amount: Decimal | None
    declared: bool  # what the bank said: first loan or not
    platform: bool  # what the platform knew: no earlier loan on the platform


def bank_scope(user: User) -> int | None:
    """Whose loans `user` is asked about: a bank's staff their own bank's; the office and the
    operator every bank's (None)."""
    return user.bank_id if user.role in BANK_ROLES else None


def _where(bank_id: int | None):
    # The partial index's own condition, so that the planner reads the index alone.
    condition = text(FIRST_LOAN_DISAGREES)
    return condition if bank_id is None else and_(condition, Application.bank_id == bank_id)


def count(bank_id: int | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(_where(bank_id)))


def disagreements(bank_id: int | None = None, page: int | None = None) -> Page[Disagreement]:
    """A page of them (the request's when `page` is not given), newest disbursement first;
    `bank_id` narrows to one bank's loans."""
    a = Application
    found = read_page(
        select(
            a.id,
            Bank.name,
            Product.name,
            a.disbursed_on,
            a.disbursed_amount,
            a.first_loan_declared,
            a.first_loan_platform,
        )
        .join(Bank, Bank.id == a.bank_id)
        .join(Product, Product.id == a.product_id)
        .where(_where(bank_id))
        .order_by(a.disbursed_on.desc(), a.id.desc()),
        page,
    )
    return replace(found, rows=[Disagreement(*row) for row in found.rows])
