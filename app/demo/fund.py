"""A demo risk-mitigation fund and the demo loans' life after disbursement, so that the fund's
dashboard and the loan-quality statistics have something to show.

Everything goes through the services a bank and the office use (`funds.services.register`,
`loans.services.report_status`, `file_claim`, `decide`), with their rules; only the loans of
banks that have a demo officer are touched. Deterministic for a seed; idempotent: nothing is
added once the demo fund exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import BANK_ROLES, Role, User
from app.clock import local_today
from app.errors import ServiceError
from app.extensions import db
from app.funds import services as funds
from app.funds.models import Fund
from app.loans import services as loans
from app.loans.models import Loan

DEMO_FUND = "SXXYD"
SEED = 2011
REGISTERED = 24  # loans registered with the fund, at most
# Of the loans followed (the demo officers' banks'), the share reported in each state at the
# end of last month: most normal, some settled, a few in trouble.
STATES = (("settled", 0.15), ("special_mention", 0.06), ("overdue", 0.06), ("non_performing", 0.04))


@dataclass
class DemoFund:
    registered: int = 0
    reports: int = 0
    claims: int = 0
    paid: int = 0


def load_demo_fund(seed: int = SEED) -> DemoFund:
    """The demo fund with registered loans, month-end status reports of the demo loans, a
    paid claim and a pending one."""
    result = DemoFund()
    if db.session.scalar(select(Fund.id).where(Fund.code == DEMO_FUND)) is not None:
        return result
    office = db.session.scalar(select(User).where(User.role == Role.REGULATOR).order_by(User.id))
    officers = {
        user.bank_id: user
        for user in db.session.scalars(
            select(User).where(User.role.in_(BANK_ROLES)).order_by(User.id.desc())
        )
        if user.bank_id is not None
    }
    if office is None or not officers:
        return result
    fund = funds.create_fund(
        DEMO_FUND, name="陕西省信易贷风险缓释基金", capital="20000000", share="50",
        cap_per_loan="1000000", leverage="10", sizes="medium,small,micro",
        register_within_days="365", claim_after_days="90", decide_working_days="10",
        user_id=office.id,
    )  # fmt: skip
    followed = list(
        db.session.scalars(
            select(Loan)
            .where(Loan.bank_id.in_(list(officers)))
            .order_by(Loan.disbursed_on.desc(), Loan.id)
        )
    )
    rng = random.Random(seed)
    registered: list[Loan] = []
    for loan in followed:
        if len(registered) == REGISTERED:
            break
        try:
            with db.session.begin_nested():
                funds.register(fund.code, loan.application_id, officers[loan.bank_id])
        except ServiceError:
            continue  # not eligible (size, window, capacity): a bank would not register it
        registered.append(loan)
    result.registered = len(registered)
    today = local_today()
    month_end = today.replace(day=1) - timedelta(days=1)
    claimed = registered[-2:] if len(registered) >= 4 else []
    for loan in followed:
        if loan in claimed or loan.disbursed_on > month_end:
            continue
        status = _state(rng)
        result.reports += _report(loan, officers[loan.bank_id], month_end, status, rng)
    for n, loan in enumerate(claimed):  # two loans long overdue: a claim on each
        officer = officers[loan.bank_id]
        _report(loan, officer, today, "non_performing", rng, days=120)
        claim = funds.file_claim(
            fund.code, loan.id, officer, loss_amount=str(loan.outstanding),
            evidence="催收记录、逾期通知书及起诉材料",
        )  # fmt: skip
        result.claims += 1
        if n == 0:
            funds.decide(claim.id, office, outcome="approved", note="材料齐全，同意代偿")
            result.paid += 1
    db.session.flush()
    return result


def _state(rng: random.Random) -> str:
    roll, edge = rng.random(), 0.0
    for status, share in STATES:
        edge += share
        if roll < edge:
            return status
    return "normal"


def _report(
    loan: Loan, officer: User, as_of: date, status: str, rng: random.Random, days: int = 0
) -> int:
    """One month-end report as the bank would send it; 0 when the rules refuse it."""
    if status == "settled":
        left, days = "0", 0
    else:
        owed = loans.scheduled_outstanding(loan, as_of)
        left = str(owed if owed > 0 else loan.principal)
        days = days or {"special_mention": 0, "overdue": rng.randint(5, 80),
                        "non_performing": rng.randint(91, 200)}.get(status, 0)  # fmt: skip
    try:
        with db.session.begin_nested():
            loans.report_status(
                loan.id, officer, as_of=as_of, status=status, days_past_due=days,
                outstanding=left,
            )  # fmt: skip
    except ServiceError:
        return 0
    return 1
