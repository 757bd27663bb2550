"""The monthly rollup of lending statistics, and a working-day calendar for SQL.

`stats_monthly` holds, for each completed month (Asia/Shanghai) and each grouping
dimension, one row per group key and product type: additive sums and counts, plus the
smallest enterprise ids behind each family of figures (a bottom-K sketch: merging two
sketches and keeping the K smallest gives exactly the distinct count while it is below K,
which is all the suppression rule needs). Working-day durations are kept as histograms in
`stats_monthly_days`, so that medians over several months or groups stay exact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.types import Money, UTCDateTime
from app.util import utcnow

# Dimensions stored in the rollup; "all" is one row per month and type (the month trend).
ROLLUP_DIMS = ("all", "city", "county", "section", "division", "bank", "product")


class StatsMonthly(db.Model):
    __tablename__ = "stats_monthly"
    __table_args__ = (Index("ix_stats_monthly_dim_month", "dim", "month"),)

    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # YYYYMM
    dim: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(20), primary_key=True)  # "" = not known
    product_type: Mapped[str] = mapped_column(String(12), primary_key=True)  # "" = open demand
    demand_count: Mapped[int] = mapped_column(Integer, default=0)
    demand_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    open_demands: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    picked_up: Mapped[int] = mapped_column(Integer, default=0)
    lapsed: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    disbursed_count: Mapped[int] = mapped_column(Integer, default=0)
    disbursed_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    first_loans: Mapped[int] = mapped_column(Integer, default=0)
    first_loan_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    typed_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    rate_sum: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    rate_n: Mapped[int] = mapped_column(Integer, default=0)
    term_sum: Mapped[int] = mapped_column(Integer, default=0)
    term_n: Mapped[int] = mapped_column(Integer, default=0)
    # Bottom-K sketches: the smallest distinct enterprise ids, comma-separated.
    applicants: Mapped[str] = mapped_column(Text, default="")
    deciders: Mapped[str] = mapped_column(Text, default="")
    borrowers: Mapped[str] = mapped_column(Text, default="")


class StatsMonthlyDays(db.Model):
    """How many applications took `days` working days (`kind`: accept | disburse)."""

    __tablename__ = "stats_monthly_days"
    __table_args__ = (Index("ix_stats_monthly_days_dim_month", "dim", "month"),)

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    dim: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    product_type: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatsRollupMonth(db.Model):
    """A month that has been rolled up, and when (the next run redoes changed months)."""

    __tablename__ = "stats_rollup_months"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatsCalendar(db.Model):
    """Each day with the number of Chinese working days up to it (chinese-calendar), so
    that SQL counts working days between two dates as a difference of ordinals."""

    __tablename__ = "stats_calendar"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)
