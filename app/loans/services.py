"""Loans after disbursement: opened with their schedule, followed by the bank's reports.

`open_loan` is called by the disbursement itself (same transaction), so every disbursed
application has exactly one loan. A bank reports a status monthly (`report_status`: web form,
API, file); the rules of what a report may say are `check_report`, in one place. A report
that settles a loan releases what a fund had reserved for it (`funds.services.loan_closed`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.applications.models import Application
from app.applications.states import State
from app.auth.models import BANK_ROLES, User
from app.clock import local_today
from app.errors import Conflict, FieldErrors, Forbidden
from app.extensions import db
from app.funds import services as funds
from app.loans.models import (
    CLOSED_STATUSES,
    Loan,
    LoanReport,
    LoanStatus,
    Repayment,
    ReportOrigin,
)
from app.loans.queries import loan_of_application, loan_of_bank
from app.util import CENT, add_months, money

# Loans up to a year are repaid at maturity (到期一次还本); longer ones by the month.
BULLET_MAX_MONTHS = 12
MAX_DAYS_PAST_DUE = 36500


def default_repayment(term_months: int) -> Repayment:
    return Repayment.BULLET if term_months <= BULLET_MAX_MONTHS else Repayment.INSTALMENTS


def _loan_of(app: Application) -> Loan:
    """A new loan on the terms of a disbursed application (principal = amount disbursed)."""
    assert app.state == State.DISBURSED and app.disbursed_amount and app.disbursed_on
    assert app.bank_id is not None
    term = app.approved_term_months or app.term_months
    return Loan(
        application_id=app.id, enterprise_id=app.enterprise_id, bank_id=app.bank_id,
        product_type=app.product.type if app.product else None,
        principal=app.disbursed_amount, rate=app.approved_rate, term_months=term,
        disbursed_on=app.disbursed_on, maturity_on=add_months(app.disbursed_on, term),
        repayment=default_repayment(term).value, first_loan=app.first_loan,
        status=LoanStatus.NORMAL.value, days_past_due=0, outstanding=app.disbursed_amount,
    )  # fmt: skip


def open_loan(app: Application) -> Loan:
    """The loan of a disbursed application (opened once; a second call returns it)."""
    existing = loan_of_application(app.id)
    if existing is not None:
        return existing
    loan = _loan_of(app)
    db.session.add(loan)
    db.session.flush()
    return loan


def open_missing_loans() -> int:
    """Open the loans of disbursed applications written without the service (the demo's
    history, written in bulk); returns how many."""
    missing = db.session.scalars(
        select(Application).where(
            Application.state == State.DISBURSED,
            Application.disbursed_amount > 0,
            Application.disbursed_on.is_not(None),
            Application.bank_id.is_not(None),
            ~select(Loan.id).where(Loan.application_id == Application.id).exists(),
        )
    ).all()
    db.session.add_all([_loan_of(app) for app in missing])
    db.session.flush()
    return len(missing)


class Instalment(NamedTuple):
    number: int
    due_on: date
    principal: Decimal
    remaining: Decimal  # principal outstanding after this instalment


def schedule(loan: Loan) -> list[Instalment]:
    """When the principal falls due: all at maturity (bullet), or equal principal each month
    with the cents left over in the last instalment."""
    if loan.repayment == Repayment.BULLET:
        return [Instalment(1, loan.maturity_on, loan.principal, Decimal("0.00"))]
    each = (loan.principal / loan.term_months).quantize(CENT, rounding="ROUND_DOWN")
    rows, remaining = [], loan.principal
    for n in range(1, loan.term_months + 1):
        part = remaining if n == loan.term_months else each
        remaining -= part
        rows.append(Instalment(n, add_months(loan.disbursed_on, n), part, remaining))
    return rows


def scheduled_outstanding(loan: Loan, on: date) -> Decimal:
    """What the schedule says should still be owed on `on` (before any report)."""
    owed = loan.principal
    for row in schedule(loan):
        if row.due_on <= on:
            owed = row.remaining
    return owed


# --- reports ------------------------------------------------------------------------------


class Report(NamedTuple):
    as_of: date
    status: LoanStatus
    days_past_due: int
    outstanding: Decimal


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount == amount.quantize(CENT) else None


class LoanFacts(NamedTuple):
    """What the report rules read of a loan: its terms and its current (latest) report."""

    principal: Decimal
    disbursed_on: date
    status: str
    as_of: date | None


# The rules a report must keep, by code (the import stores each rejection's reason in
# Chinese and English from these).
LOAN_CLOSED = "loan_closed"
REPORT_RULES = {
    "before_disbursement": _l("报告日期不能早于放款日期"),
    "future_as_of": _l("报告日期不能晚于今天"),
    LOAN_CLOSED: _l("贷款已结清或核销，不再接受之后的报送"),
    "days_past_due_range": _l("逾期天数应为 0 或正整数"),
    "days_past_due_not_zero": _l("正常或结清的贷款逾期天数应为 0"),
    "days_past_due_missing": _l("逾期的贷款应填写逾期天数"),
    "outstanding_range": _l("贷款余额应在 0 至放款金额之间"),
    "settled_outstanding": _l("结清的贷款余额应为 0"),
}


def report_problems(
    loan: LoanFacts, today: date, as_of: date | None, status: str | None,
    days_past_due: int | None, outstanding: Decimal | None,
) -> dict[str, str]:  # fmt: skip
    """The rules of a report over plain values, field → rule code (empty: it may be taken).

    The one definition for the web form, the API and the file import (`app.loans.imports`,
    row by row over values read in bulk); a value None could not be read and is not judged.
    A day between disbursement and today, and not after the day a closed (settled, written
    off) loan closed; days past due 0 for a normal or settled loan and at least 1 for an
    overdue one; an outstanding balance from 0 to the principal, 0 once settled.
    """
    problems: dict[str, str] = {}
    if as_of is not None:
        if as_of < loan.disbursed_on:
            problems["as_of"] = "before_disbursement"
        elif as_of > today:
            problems["as_of"] = "future_as_of"
        elif loan.status in CLOSED_STATUSES and loan.as_of is not None and as_of > loan.as_of:
            problems["as_of"] = LOAN_CLOSED
    if days_past_due is not None:
        if not 0 <= days_past_due <= MAX_DAYS_PAST_DUE:
            problems["days_past_due"] = "days_past_due_range"
        elif status in (LoanStatus.NORMAL, LoanStatus.SETTLED) and days_past_due:
            problems["days_past_due"] = "days_past_due_not_zero"
        elif status == LoanStatus.OVERDUE and days_past_due < 1:
            problems["days_past_due"] = "days_past_due_missing"
    if outstanding is not None:
        if outstanding < 0 or outstanding > loan.principal:
            problems["outstanding"] = "outstanding_range"
        elif status == LoanStatus.SETTLED and outstanding != 0:
            problems["outstanding"] = "settled_outstanding"
    return problems


def becomes_current(loan_as_of: date | None, as_of: date) -> bool:
    """Whether a taken report becomes the loan's status: the newest day counts (a later
    report of the same day is a correction); an older day is kept in the history only."""
    return loan_as_of is None or as_of >= loan_as_of


def facts_of(loan: Loan) -> LoanFacts:
    return LoanFacts(loan.principal, loan.disbursed_on, loan.status, loan.as_of)


def check_report(loan: Loan, as_of: Any, status: Any, days_past_due: Any, outstanding: Any):
    """The report as values, or FieldErrors naming every wrong field (what cannot be read,
    then the rules of `report_problems`); a report after a closed loan closed is a
    Conflict (409)."""
    errors: dict[str, str] = {}
    day = _day(as_of)
    if day is None:
        errors["as_of"] = _("报告日期格式应为 YYYY-MM-DD")
    try:
        state: LoanStatus | None = LoanStatus(str(status or "").strip())
    except ValueError:
        state = None
        errors["status"] = _("贷款状态应为：%(s)s", s="、".join(s.label for s in LoanStatus))
    dpd_raw = 0 if days_past_due in (None, "") else days_past_due
    try:
        dpd = int(str(dpd_raw).strip()) if not isinstance(dpd_raw, bool) else -1
    except ValueError:
        dpd = -1
    left = _money(outstanding)
    if left is None:
        errors["outstanding"] = _("贷款余额不是有效的金额（最多两位小数）")
    problems = report_problems(facts_of(loan), local_today(), day, state, dpd, left)
    closed = problems.get("as_of") == LOAN_CLOSED and problems.pop("as_of")
    errors.update({name: str(REPORT_RULES[code]) for name, code in problems.items()})
    if errors:
        raise FieldErrors(errors)
    if closed:
        raise Conflict(
            _("贷款已于 %(d)s %(s)s，不再接受之后的报送", d=loan.as_of, s=loan.status_label),
            code=LOAN_CLOSED,
        )
    assert day is not None and state is not None and left is not None
    return Report(day, state, dpd, money(left))


def report_status(
    loan_id: int, user: User, *, as_of: Any, status: Any, days_past_due: Any = None,
    outstanding: Any, origin: ReportOrigin = ReportOrigin.WEB,
) -> LoanReport:  # fmt: skip
    """The bank's report of one of its loans. The newest report (by day) is the loan's
    status; an older day is kept in the history without changing it. A closed loan (settled,
    written off) takes no later report (409). A file of reports goes the same way in bulk
    (`app.loans.imports`)."""
    if user.role not in BANK_ROLES:
        raise Forbidden(_("只有放款银行可以报送贷款状态"), code="wrong_role")
    loan = loan_of_bank(loan_id, user.bank_id)
    # one report at a time per loan: lock its row, then read what the last one wrote
    db.session.execute(select(Loan.id).where(Loan.id == loan.id).with_for_update())
    db.session.refresh(loan)
    report = check_report(loan, as_of, status, days_past_due, outstanding)
    row = LoanReport(
        loan_id=loan.id, as_of=report.as_of, status=report.status.value,
        days_past_due=report.days_past_due, outstanding=report.outstanding,
        origin=ReportOrigin(origin).value, user_id=user.id,
    )  # fmt: skip
    db.session.add(row)
    if becomes_current(loan.as_of, report.as_of):
        loan.status, loan.days_past_due = report.status.value, report.days_past_due
        loan.outstanding, loan.as_of = report.outstanding, report.as_of
    db.session.flush()
    if loan.status in CLOSED_STATUSES:
        funds.loan_closed(loan)
    return row


def reports_of(loan: Loan) -> list[LoanReport]:
    return list(
        db.session.scalars(
            select(LoanReport)
            .where(LoanReport.loan_id == loan.id)
            .order_by(LoanReport.as_of.desc(), LoanReport.id.desc())
        )
    )
