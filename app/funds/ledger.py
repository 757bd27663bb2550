"""The fund's double-entry ledger: every movement is an entry of balanced lines, and every
figure is a sum of lines, never a stored number.

    capital in        Dr cash          Cr capital
    registration      Dr exposure      Cr commitments   (memo: covered principal reserved)
    release           Dr commitments   Cr exposure
    claim paid        Dr claims_paid   Cr cash
    recovery          Dr cash          Cr recoveries

So balance = capital − paid + recovered holds by construction; the property tests check it
against any sequence of operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.funds.models import Account, EntryKind, LedgerEntry, LedgerLine

ZERO = Decimal("0.00")

# Which account each kind debits and credits.
POSTINGS: dict[EntryKind, tuple[Account, Account]] = {
    EntryKind.CAPITAL: (Account.CASH, Account.CAPITAL),
    EntryKind.RESERVE: (Account.EXPOSURE, Account.COMMITMENTS),
    EntryKind.RELEASE: (Account.COMMITMENTS, Account.EXPOSURE),
    EntryKind.PAYMENT: (Account.CLAIMS_PAID, Account.CASH),
    EntryKind.RECOVERY: (Account.CASH, Account.RECOVERIES),
}


def post(
    fund_id: int, kind: EntryKind, amount: Decimal, on: date, *, loan_id: int | None = None,
    claim_id: int | None = None, bank_id: int | None = None, user_id: int | None = None,
) -> LedgerEntry:  # fmt: skip
    """One balanced entry of `amount` (> 0) of `kind`."""
    if amount <= 0:
        raise ValueError(f"a ledger entry moves a positive amount, not {amount}")
    debit, credit = POSTINGS[kind]
    entry = LedgerEntry(
        fund_id=fund_id, kind=kind.value, amount=amount, on=on, loan_id=loan_id,
        claim_id=claim_id, bank_id=bank_id, user_id=user_id, at=utcnow(),
    )  # fmt: skip
    entry.lines = [
        LedgerLine(fund_id=fund_id, account=debit.value, amount=amount),
        LedgerLine(fund_id=fund_id, account=credit.value, amount=-amount),
    ]
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Balances:
    capital: Decimal
    exposure: Decimal
    paid: Decimal
    recovered: Decimal
    balance: Decimal  # cash held


def balances(fund_id: int) -> Balances:
    """The fund's figures, summed from its lines (one query)."""
    sums = dict(
        db.session.execute(
            select(LedgerLine.account, func.coalesce(func.sum(LedgerLine.amount), 0))
            .where(LedgerLine.fund_id == fund_id)
            .group_by(LedgerLine.account)
        ).all()
    )

    def of(account: Account) -> Decimal:
        return Decimal(sums.get(account.value, 0)).quantize(ZERO)

    return Balances(
        capital=-of(Account.CAPITAL),
        exposure=of(Account.EXPOSURE),
        paid=of(Account.CLAIMS_PAID),
        recovered=-of(Account.RECOVERIES),
        balance=of(Account.CASH),
    )


def unbalanced_entries(fund_id: int) -> list[int]:
    """Entries whose lines do not sum to zero (none, unless someone wrote by hand)."""
    return list(
        db.session.scalars(
            select(LedgerLine.entry_id)
            .where(LedgerLine.fund_id == fund_id)
            .group_by(LedgerLine.entry_id)
            .having(func.sum(LedgerLine.amount) != 0)
        )
    )
