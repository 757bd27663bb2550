"""Enterprises with records written straight into the source tables (as the ingestion
stores them), inside each test's rolled-back transaction."""

from __future__ import annotations

from datetime import date

import pytest

from app.clock import local_today
from app.scoring.features import period_of, shift_month
from tests.scoring.conftest import Sources, v1_definition  # noqa: F401 - a fixture


def recent_periods(n: int) -> list[str]:
    """The last `n` complete months before today's (the scorecard's window), oldest first."""
    now = local_today()
    return [period_of(*shift_month(now.year, now.month, -k)) for k in range(n, 0, -1)]


def paid_day(period: str, late: bool = False) -> tuple[date, date]:
    """(due date, paid date) for a period, both fixed by the period alone.

    Paid on the 28th of the period's own month, which has passed for every complete month
    whatever today is: on time against a due date of the 15th of the next month, late
    against the 10th of the period's month.
    """
    year, month = int(period[:4]), int(period[5:])
    paid = date(year, month, 28)
    if late:
        return date(year, month, 10), paid
    next_year, next_month = shift_month(year, month, 1)
    return date(next_year, next_month, 15), paid


@pytest.fixture
def sources(app) -> Sources:
    return Sources()


@pytest.fixture
def punctual(factories, sources):
    """An enterprise with 24 months of tax, utilities and social insurance, all on time."""

    def make(**fields):
        enterprise = factories.enterprise(**fields)
        for period in recent_periods(24):
            due, paid = paid_day(period)
            sources.tax(enterprise.uscc, period, "12000.00", due_on=due, paid_on=paid)
            sources.utility(enterprise.uscc, period, "800.00", "800.00", due_on=due, paid_on=paid)
            sources.social(enterprise.uscc, period, 12, "9000.00", "9000.00", paid_on=paid)
        return enterprise

    return make
