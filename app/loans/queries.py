"""Who sees which loan: the enterprise its own, a bank the loans it made, the financial
office and the operator all of them. Reads only, so that the fund may use them too."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, Subquery, and_, func, select

from app.auth.models import BANK_ROLES, Role, User
from app.errors import NotFound
from app.extensions import db
from app.loans.models import CLOSED_STATUSES, Loan, LoanReport, LoanStatus


def visible_to(user: User) -> Select:
    """The loans `user` may see, newest disbursement first."""
    query = select(Loan).order_by(Loan.disbursed_on.desc(), Loan.id.desc())
    if user.role == Role.ENTERPRISE:
        return query.where(Loan.enterprise_id == user.enterprise_id)
    if user.role in BANK_ROLES:
        return query.where(Loan.bank_id == user.bank_id)
    if user.role in (Role.REGULATOR, Role.ADMIN):
        return query
    return query.where(Loan.id.is_(None))


def loan_for(loan_id: int, user: User) -> Loan:
    """One loan `user` may see; another's (or none) is NotFound."""
    loan = db.session.scalar(visible_to(user).where(Loan.id == loan_id))
    if loan is None:
        raise NotFound(_("贷款不存在"), code="loan_not_found")
    return loan


def loan_of_bank(loan_id: int, bank_id: int | None) -> Loan:
    """One of the bank's loans (what a bank acts on); NotFound otherwise."""
    loan = db.session.get(Loan, loan_id) if isinstance(loan_id, int) else None
    if loan is None or bank_id is None or loan.bank_id != bank_id:
        raise NotFound(_("贷款不存在"), code="loan_not_found")
    return loan


def loan_of_application(application_id: int) -> Loan | None:
    return db.session.scalar(select(Loan).where(Loan.application_id == application_id))


def borrowers_shown(user: User, loans: list[Loan], *, endpoint: str, channel: str) -> set[int]:
    """The ids of the loans whose borrower `user` may be shown. The enterprise sees itself;
    the office and the operator every borrower; a bank its own loans' borrowers through the
    guard (`consent.guard.identify_applicants`: under the authorization in force or, for a
    loan it disbursed, loan servicing), which logs each look before anything is shown."""
    if user.role not in BANK_ROLES:
        return {loan.id for loan in loans}
    from flask import has_request_context, request

    from app.consent.guard import identify_applicants

    ip = request.remote_addr if has_request_context() else None
    identities = identify_applicants(
        user, [loan.application for loan in loans], endpoint=endpoint, channel=channel, ip=ip
    )
    return {loan.id for loan in loans if identities[loan.application_id].shown}


# --- the loan book as of a day: what the statistics (and anything else) count -----------------
# One reading of the statuses (docs/stats.md, "Loan quality"):
# - in the book (贷款余额 counts it): disbursed by the day and not closed (settled, written off);
# - overdue (逾期): past due, i.e. reported with at least one day past due, whatever the
#   status (an overdue report always has one; a special-mention or non-performing loan
#   reported late counts too);
# - non-performing (不良): reported non-performing, past due or not (a restructured loan
#   may be non-performing with nothing past due yet).
# The ratios are balances over the book's balance.
NON_PERFORMING_STATUSES = (LoanStatus.NON_PERFORMING,)


def in_book(status) -> ColumnElement[bool]:
    return status.not_in([s.value for s in CLOSED_STATUSES])


def is_overdue(status, days_past_due) -> ColumnElement[bool]:
    return and_(in_book(status), days_past_due > 0)


def is_non_performing(status) -> ColumnElement[bool]:
    return status.in_([s.value for s in NON_PERFORMING_STATUSES])


def book_as_of(day: date) -> Subquery:
    """Each loan disbursed by `day` with its status, days past due and outstanding balance
    as of `day`: those of its newest report up to that day (by day, then by entry), or
    normal with the whole principal outstanding before its first report. Closed loans
    are kept (`in_book` leaves them out)."""
    ranked = (
        select(
            LoanReport.loan_id,
            LoanReport.status,
            LoanReport.days_past_due,
            LoanReport.outstanding,
            func.row_number()
            .over(
                partition_by=LoanReport.loan_id,
                order_by=(LoanReport.as_of.desc(), LoanReport.id.desc()),
            )
            .label("rank"),
        )
        .where(LoanReport.as_of <= day)
        .subquery()
    )
    latest = select(ranked).where(ranked.c.rank == 1).subquery()
    return (
        select(
            Loan.id.label("loan_id"),
            Loan.application_id,
            Loan.enterprise_id,
            Loan.bank_id,
            func.coalesce(latest.c.status, LoanStatus.NORMAL.value).label("status"),
            func.coalesce(latest.c.days_past_due, 0).label("days_past_due"),
            func.coalesce(latest.c.outstanding, Loan.principal).label("outstanding"),
        )
        .outerjoin(latest, latest.c.loan_id == Loan.id)
        .where(Loan.disbursed_on <= day)
        .subquery("book")
    )
