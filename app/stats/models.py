"""The monthly rollup of lending statistics, and a working-day calendar for SQL.

`stats_monthly` holds, for each completed month (Asia/Shanghai) and each *grain* — a set of
axes at a level: place (city or county), industry (section or division), bank (bank or
product) — one row per key of those axes and product type: additive sums and counts, plus
the smallest enterprise ids behind each family of figures (a bottom-K sketch: merging two
sketches and keeping the K smallest gives exactly the distinct count while it is below K,
which is all the suppression rule needs) and their number. A question grouped by one axis
and filtered on others is answered from the grain with exactly those axes at those levels,
so it reads one row per group, month and product type (see `GRAINS`). Working-day durations
are kept as histograms in the same rows, so that medians over several months or groups stay
exact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Index, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.types import Money, UTCDateTime

# The axes and their levels, coarse to fine (a filter at a coarser level than its grain's
# is a prefix or a list of keys: a city over counties, a section over divisions, a bank
# over its products).
AXES = {
    "place": ("city", "county"),
    "industry": ("section", "division"),
    "bank": ("bank", "product"),
}
# The grains rolled up: every axis alone, every pair of axes with at most one at its fine
# level, and the three coarse levels together (the dashboard's place + bank filters over an
# industry breakdown). A question needing two fine levels filters on a county or a
# division, which picks few applications through their indexes: it is computed live from
# the applications (docs/stats.md). Two fine levels together would store nearly one row
# per application.
GRAINS = (
    "all", "city", "county", "section", "division", "bank", "product",
    "city+section", "city+division", "county+section",
    "city+bank", "county+bank", "city+product",
    "section+bank", "division+bank", "section+product",
    "city+section+bank",
)  # fmt: skip


class StatsMonthly(db.Model):
    __tablename__ = "stats_monthly"
    __table_args__ = (
        Index("ix_stats_monthly_place", "grain", "place", "month"),
        Index("ix_stats_monthly_industry", "grain", "industry", "month"),
        Index("ix_stats_monthly_bank", "grain", "bank", "month"),
    )

    # The keys ("" = not an axis of the grain, or not known: an enterprise registered at
    # province level, an open demand no bank took).
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # YYYYMM
    grain: Mapped[str] = mapped_column(String(24), primary_key=True)
    place: Mapped[str] = mapped_column(String(6), primary_key=True)
    industry: Mapped[str] = mapped_column(String(2), primary_key=True)
    bank: Mapped[str] = mapped_column(String(12), primary_key=True)  # bank or product id
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
    # Bottom-K sketches: the smallest distinct enterprise ids, comma-separated (SQLite, which
    # has no arrays, keeps every id: readers cut to K), and how many (at most K).
    applicants: Mapped[str] = mapped_column(Text, default="")
    deciders: Mapped[str] = mapped_column(Text, default="")
    borrowers: Mapped[str] = mapped_column(Text, default="")
    n_applicants: Mapped[int] = mapped_column(SmallInteger, default=0)
    n_deciders: Mapped[int] = mapped_column(SmallInteger, default=0)
    n_borrowers: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Working-day histograms "days:count,…" (to acceptance; to disbursement), so that
    # medians over several months or groups stay exact.
    accept_days: Mapped[str] = mapped_column(Text, default="")
    disburse_days: Mapped[str] = mapped_column(Text, default="")


class StatsRollupMonth(db.Model):
    """A month that has been rolled up, and when (the next run redoes changed months)."""

    __tablename__ = "stats_rollup_months"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatsProvisionalMonth(db.Model):
    """A month not over yet whose completed days are rolled up provisionally: its rows in
    `stats_monthly` hold the days before `through` (Asia/Shanghai), and readers compute
    live only from `through` on. Redone by each rollup run once a day has passed or an
    application has changed since `started_at`; replaced by the month's own rollup once it
    is over."""

    __tablename__ = "stats_provisional_months"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    through: Mapped[date] = mapped_column(Date)  # the first day not rolled up
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatsCalendar(db.Model):
    """Each day with the number of Chinese working days up to it (chinese-calendar), so
    that SQL counts working days between two dates as a difference of ordinals."""

    __tablename__ = "stats_calendar"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)


class StatsIndicator(db.Model):
    """A data indicator (records per source, enterprises, enterprises with a collection
    authorization in force) as last counted by the scheduler (`count_data_indicators`):
    counting millions of records on every dashboard view would cost more than the view."""

    __tablename__ = "stats_indicators"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
