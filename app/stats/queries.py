"""The SQL that turns applications into statistics cells (used live and by the rollup).

Every figure is counted in the month (Asia/Shanghai) of its own event, so that a month's
figures stop changing once the month is over (see docs/stats.md):

- demand: `submitted_at`;  acceptance and response time: `accepted_at`;
- open demands that lapsed unpicked (withdrawn or expired before any bank accepted):
  `updated_at` (their last transition);
- approvals and rejections: `decided_at`;  disbursements: `disbursed_on` (a business date).

One query per family of figures, each grouped by the dimension's key (and by month and
product type for the rollup); the working-day histograms ride along in the same queries.
Distinct enterprises come from three more queries that keep the K smallest ids per group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.orm import aliased

from app.applications.models import Application
from app.extensions import db
from app.products.models import Product
from app.stats.models import StatsCalendar
from app.util import SHANGHAI, utcnow

SKETCH_K = 10  # ids kept per sketch: the suppression threshold may not exceed it
FAMILIES = ("applicants", "deciders", "borrowers")


def merge_sketch(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """The K smallest distinct ids of both (exact distinct count while below K)."""
    return sorted(set(a) | set(b))[:SKETCH_K]


@dataclass
class Cell:
    """Additive figures of one group (sums, counts, histograms, sketches)."""

    demand_count: int = 0
    demand_amount: Decimal = Decimal(0)
    open_demands: int = 0
    accepted: int = 0
    picked_up: int = 0
    lapsed: int = 0
    approved: int = 0
    rejected: int = 0
    disbursed_count: int = 0
    disbursed_amount: Decimal = Decimal(0)
    first_loans: int = 0
    first_loan_amount: Decimal = Decimal(0)
    credit_amount: Decimal = Decimal(0)
    typed_amount: Decimal = Decimal(0)
    rate_sum: Decimal = Decimal(0)
    rate_n: int = 0
    term_sum: int = 0
    term_n: int = 0
    accept_days: Counter = field(default_factory=Counter)
    disburse_days: Counter = field(default_factory=Counter)
    applicants: list[int] = field(default_factory=list)
    deciders: list[int] = field(default_factory=list)
    borrowers: list[int] = field(default_factory=list)

    SUMS = (
        "demand_count", "demand_amount", "open_demands", "accepted", "picked_up", "lapsed",
        "approved", "rejected", "disbursed_count", "disbursed_amount", "first_loans",
        "first_loan_amount", "credit_amount", "typed_amount", "rate_sum", "rate_n",
        "term_sum", "term_n",
    )  # fmt: skip

    def merge(self, other: Cell) -> Cell:
        for name in self.SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.accept_days.update(other.accept_days)
        self.disburse_days.update(other.disburse_days)
        for family in FAMILIES:
            setattr(self, family, merge_sketch(getattr(self, family), getattr(other, family)))
        return self

    def distinct(self, family: str) -> int:
        """Distinct enterprises behind a family of figures (exact below SKETCH_K)."""
        return len(getattr(self, family))


# --- periods -------------------------------------------------------------------------------


def month_start(month: int) -> date:
    return date(month // 100, month % 100, 1)


def next_month(month: int) -> int:
    year, m = divmod(month, 100)
    return (year + 1) * 100 + 1 if m == 12 else month + 1


def current_month(now: datetime | None = None) -> int:
    local = (now or utcnow()).astimezone(SHANGHAI)
    return local.year * 100 + local.month


def month_label(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def months_between(first: int, last: int) -> list[int]:
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


def _add_months(month: int, n: int) -> int:
    year, m = divmod(month, 100)
    total = year * 12 + (m - 1) + n
    return (total // 12) * 100 + total % 12 + 1


def month_runs(months: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous runs of months as (first, last)."""
    runs: list[tuple[int, int]] = []
    for m in sorted(set(months)):
        if runs and next_month(runs[-1][1]) == m:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return runs


def _utc_bounds(first: int, last: int) -> tuple[datetime, datetime]:
    start = datetime.combine(month_start(first), time(0), tzinfo=SHANGHAI)
    end = datetime.combine(month_start(next_month(last)), time(0), tzinfo=SHANGHAI)
    return start, end


def _in_months(column, months: Sequence[int], *, is_date: bool = False):
    clauses = []
    for first, last in month_runs(months):
        start, end = _utc_bounds(first, last)
        if is_date:
            clauses.append(and_(column >= start.date(), column < end.date()))
        else:
            clauses.append(and_(column >= start, column < end))
    return or_(*clauses) if clauses else literal(False)


# --- dialect-specific expressions ----------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _local_month(column):
    if _dialect() == "postgresql":
        local = func.timezone("Asia/Shanghai", column)
        return cast(func.to_char(local, "YYYYMM"), Integer)
    return cast(func.strftime("%Y%m", column, "+8 hours"), Integer)


def _date_month(column):
    if _dialect() == "postgresql":
        return cast(func.to_char(column, "YYYYMM"), Integer)
    return cast(func.strftime("%Y%m", column), Integer)


def _local_date(column):
    if _dialect() == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), db.Date)
    return func.date(column, "+8 hours")


# --- dimensions and filters ----------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a query is restricted to (None = no restriction)."""

    city: str | None = None  # GB/T 2260 city code (6 digits ending in 00)
    county: str | None = None
    section: str | None = None  # GB/T 4754 section letter
    division: str | None = None  # two digits
    bank_id: int | None = None
    product_type: str | None = None


# The enterprise's region and industry as copied onto each application when it applied
# (`Application.region_code`, `industry_section`, `industry_division`): no join needed.


def _section_expr():
    return Application.industry_section


def _division_expr():
    return Application.industry_division


def _region_key(city: bool):
    code = Application.region_code
    province = or_(code.is_(None), code.like("__0000"))
    value = func.substr(code, 1, 4) + "00" if city else code
    return case((province, None), else_=value)


def _key_expr(dim: str, month_expr):
    if dim == "all":
        return literal_column("''")
    if dim == "month":
        return month_expr
    if dim == "city":
        return _region_key(True)
    if dim == "county":
        return _region_key(False)
    if dim == "section":
        return _section_expr()
    if dim == "division":
        return _division_expr()
    if dim == "bank":
        return Application.bank_id
    if dim == "product":
        return Application.product_id
    raise ValueError(dim)


def _from(query, dim: str, filters: Filters, by_type: bool):
    if by_type or filters.product_type is not None:
        query = query.outerjoin(Product, Product.id == Application.product_id)
    return query


def _where(filters: Filters) -> list:
    clauses = []
    if filters.county:
        clauses.append(Application.region_code == filters.county)
    elif filters.city:
        clauses.append(Application.region_code.like(filters.city[:4] + "%"))
    if filters.division:
        clauses.append(_division_expr() == filters.division)
    elif filters.section:
        clauses.append(_section_expr() == filters.section)
    if filters.bank_id is not None:
        clauses.append(Application.bank_id == filters.bank_id)
    if filters.product_type:
        clauses.append(Product.type == filters.product_type)
    return clauses


# --- the families of figures ---------------------------------------------------------------

GroupKey = tuple[Any, Any, Any]  # (month or None, key, product type or None)


def _group_cols(dim: str, month_expr, by_month: bool, by_type: bool) -> list:
    return [
        (month_expr if by_month else literal_column("NULL")).label("g_month"),
        _key_expr(dim, month_expr).label("g_key"),
        (Product.type if by_type else literal_column("NULL")).label("g_type"),
    ]


def _grouped(dim, filters, months, *, column, is_date, by_month, by_type, measures, extra=(),
             product=False):  # fmt: skip
    month_expr = _date_month(column) if is_date else _local_month(column)
    groups = _group_cols(dim, month_expr, by_month, by_type)
    query = select(*groups, *measures)
    query = _from(query.select_from(Application), dim, filters, by_type or product)
    query = query.where(_in_months(column, months, is_date=is_date), *extra, *_where(filters))
    names = [c.name for c in groups] + [m.name for m in measures if m.name.startswith("gd_")]
    return query.group_by(*[literal_column(n) for n in names])


def _cell(cells: dict[GroupKey, Cell], row, by_type: bool) -> Cell:
    return cells.setdefault(_gk(row, by_type), Cell())


def _dec(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def compute_cells(
    dim: str,
    filters: Filters,
    months: Sequence[int],
    *,
    by_month: bool = False,
    by_type: bool = False,
) -> dict[GroupKey, Cell]:
    """Every figure of `months` for `dim`'s groups, straight from the applications."""
    cells: dict[GroupKey, Cell] = {}
    if not months:
        return cells
    a = Application
    one: Any = literal_column("1")
    is_open = a.product_id.is_(None)
    opts = {"by_month": by_month, "by_type": by_type}
    session = db.session

    demand = _grouped(
        dim, filters, months, column=a.submitted_at, is_date=False, **opts,
        measures=[
            func.count().label("n"),
            func.sum(a.amount).label("amount"),
            func.sum(case((is_open, one), else_=0)).label("open_n"),
        ],
    )  # fmt: skip
    for row in session.execute(demand):
        c = _cell(cells, row, by_type)
        c.demand_count += row.n
        c.demand_amount += _dec(row.amount)
        c.open_demands += int(row.open_n or 0)

    accepted = _grouped(
        dim, filters, months, column=a.accepted_at, is_date=False, **opts,
        measures=[
            a.response_working_days.label("gd_days"),
            func.count().label("n"),
            func.sum(case((is_open, one), else_=0)).label("picked"),
        ],
    )  # fmt: skip
    for row in session.execute(accepted):
        c = _cell(cells, row, by_type)
        c.accepted += row.n
        c.picked_up += int(row.picked or 0)
        if row.gd_days is not None:
            c.accept_days[int(row.gd_days)] += row.n

    lapsed = _grouped(
        dim, filters, months, column=a.updated_at, is_date=False, **opts,
        measures=[func.count().label("n")],
        extra=LAPSED(),
    )  # fmt: skip
    for row in session.execute(lapsed):
        _cell(cells, row, by_type).lapsed += row.n

    decided = _grouped(
        dim, filters, months, column=a.decided_at, is_date=False, **opts,
        measures=[
            func.sum(case((a.approved_amount.is_not(None), one), else_=0)).label("approved"),
            func.sum(case((a.state == "rejected", one), else_=0)).label("rejected"),
        ],
    )  # fmt: skip
    for row in session.execute(decided):
        c = _cell(cells, row, by_type)
        c.approved += int(row.approved or 0)
        c.rejected += int(row.rejected or 0)

    end_day = aliased(StatsCalendar, name="stats_end_day")
    start_day = aliased(StatsCalendar, name="stats_start_day")
    amount = a.disbursed_amount
    first = a.first_loan.is_(True)
    disbursed = _grouped(
        dim, filters, months, column=a.disbursed_on, is_date=True, product=True, **opts,
        measures=[
            (end_day.ordinal - start_day.ordinal).label("gd_days"),
            func.count().label("n"),
            func.sum(amount).label("amount"),
            func.sum(case((first, one), else_=0)).label("first"),
            func.sum(case((first, amount), else_=None)).label("first_amount"),
            func.sum(case((Product.type == "credit", amount), else_=None)).label("credit"),
            func.sum(case((Product.type.is_not(None), amount), else_=None)).label("typed"),
            func.sum(a.approved_rate).label("rate_sum"),
            func.count(a.approved_rate).label("rate_n"),
            func.sum(a.approved_term_months).label("term_sum"),
            func.count(a.approved_term_months).label("term_n"),
        ],
    )  # fmt: skip
    disbursed = disbursed.outerjoin(end_day, end_day.day == a.disbursed_on).outerjoin(
        start_day, start_day.day == _local_date(a.submitted_at)
    )
    for row in session.execute(disbursed):
        c = _cell(cells, row, by_type)
        c.disbursed_count += row.n
        c.disbursed_amount += _dec(row.amount)
        c.first_loans += int(row.first or 0)
        c.first_loan_amount += _dec(row.first_amount)
        c.credit_amount += _dec(row.credit)
        c.typed_amount += _dec(row.typed)
        c.rate_sum += _dec(row.rate_sum)
        c.rate_n += int(row.rate_n or 0)
        c.term_sum += int(row.term_sum or 0)
        c.term_n += int(row.term_n or 0)
        if row.gd_days is not None:
            c.disburse_days[int(row.gd_days)] += row.n

    _sketches(cells, dim, filters, months, by_month, by_type)
    return cells


def LAPSED() -> list:  # noqa: N802 - a fixed set of conditions
    """Open demands that ended (withdrawn or expired) before any bank accepted them."""
    a = Application
    return [a.product_id.is_(None), a.accepted_at.is_(None), a.state.in_(("withdrawn", "expired"))]


def _population(dim, filters, months, by_month, by_type, column, is_date, extra=()):
    month_expr = _date_month(column) if is_date else _local_month(column)
    groups = _group_cols(dim, month_expr, by_month, by_type)
    query = _from(
        select(*groups, Application.enterprise_id.label("eid")).select_from(Application),
        dim,
        filters,
        by_type,
    )
    return query.where(_in_months(column, months, is_date=is_date), *extra, *_where(filters))


def _bottom_k(populations) -> Any:
    both = union(*populations).subquery("stats_pop")
    ranked = select(
        both.c.g_month,
        both.c.g_key,
        both.c.g_type,
        both.c.eid,
        func.row_number()
        .over(partition_by=(both.c.g_month, both.c.g_key, both.c.g_type), order_by=both.c.eid)
        .label("rn"),
    ).subquery("stats_ranked")
    return select(ranked.c.g_month, ranked.c.g_key, ranked.c.g_type, ranked.c.eid).where(
        ranked.c.rn <= SKETCH_K
    )


def _sketches(cells, dim, filters, months, by_month, by_type) -> None:
    a = Application
    args = (dim, filters, months, by_month, by_type)
    families = {
        "applicants": [_population(*args, a.submitted_at, False)],
        "deciders": [
            _population(*args, a.accepted_at, False),
            _population(*args, a.decided_at, False),
            _population(*args, a.updated_at, False, extra=LAPSED()),
        ],
        "borrowers": [_population(*args, a.disbursed_on, True)],
    }
    for family, populations in families.items():
        found: dict[GroupKey, list[int]] = {}
        for row in db.session.execute(_bottom_k(populations)):
            found.setdefault(_gk(row, by_type), []).append(int(row.eid))
        for key, ids in found.items():
            setattr(cells.setdefault(key, Cell()), family, sorted(ids))


def _gk(row, by_type: bool) -> GroupKey:
    key = "" if row.g_key is None else str(row.g_key)
    return (row.g_month, key, (row.g_type or "") if by_type else None)
