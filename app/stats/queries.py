"""The SQL that turns applications into statistics cells (used live and by the rollup).

Every figure is counted in the month (Asia/Shanghai) of its own event, so that a month's
figures stop changing once the month is over (see docs/stats.md):

- demand: `submitted_at`;  acceptance and response time: `accepted_at`;
- open demands that lapsed unpicked (withdrawn or expired before any bank accepted):
  `updated_at` (their last transition);
- approvals and rejections: `decided_at`;  disbursements: `disbursed_on` (a business date).

One statement reads each application with an event in the period once and computes every
family of figures with `FILTER (WHERE <its event in the period>)`, grouped by the axes asked
for (and the product type for the rollup); distinct enterprises are bottom-K sketches of the
same pass, and so are the working days (as lists, live). The rollup stores the same
statement's rows month by month (`rollup.py`), with the working days counted into
histograms by a second statement (`days_select`), and the current month's completed days
provisionally (cut at today's midnight: `since` / `until`); the rest is read live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased

from app.applications.models import Application
from app.clock import utcnow
from app.enterprises.models import Industry
from app.extensions import db
from app.products.models import Product
from app.stats.models import AXES, StatsCalendar
from app.util import SHANGHAI

SKETCH_K = 10  # ids kept per sketch: the suppression threshold may not exceed it
FAMILIES = ("applicants", "deciders", "borrowers")
# A group known to rest on at least K enterprises without reading which (the rollup stops
# reading ids once one row has K): K placeholder ids. They merge like any sketch — a union
# holding them keeps K ids — so counts stay right; no figure shows an id.
SATURATED = tuple(range(-SKETCH_K, 0))


def merge_sketch(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """The K smallest distinct ids of both (exact distinct count while below K)."""
    return sorted(set(a) | set(b))[:SKETCH_K]


def parse_sketch(text: str | None, n: int | None) -> list[int]:
    """A stored or computed sketch: comma-separated ids (SQLite gives them all, unsorted),
    or saturated when its count reached K."""
    if n is not None and n >= SKETCH_K:
        return list(SATURATED)
    return sorted({int(x) for x in (text or "").split(",") if x})[:SKETCH_K]


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

    DECIMALS = frozenset(
        ("demand_amount", "disbursed_amount", "first_loan_amount", "credit_amount",
         "typed_amount", "rate_sum")
    )  # fmt: skip

    def merge(self, other: Cell) -> Cell:
        # Thousands of merges per breakdown (every rollup row, every parent's children): the
        # fields are read and written through the instances' dicts, and zeros are skipped.
        mine, theirs = self.__dict__, other.__dict__
        for name in self.SUMS:
            value = theirs[name]
            if value:
                mine[name] += value
        for name in ("accept_days", "disburse_days"):
            counts = theirs[name]
            if counts:
                own = mine[name]
                if own:  # added key by key (Counter.update's checks cost more than this)
                    get = own.get
                    for days, n in counts.items():
                        own[days] = get(days, 0) + n
                else:
                    own.update(counts)
        for family in FAMILIES:
            ids = theirs[family]
            if ids:
                own = mine[family]
                mine[family] = merge_sketch(own, ids) if own else list(ids)
        return self

    def distinct(self, family: str) -> int:
        """Distinct enterprises behind a family of figures (exact below SKETCH_K)."""
        return len(getattr(self, family))

    # Each family's events (suppression's tie-break), by the sums that count them; a cross
    # of suppression reads these sums only, besides the sketches.
    FAMILY_EVENTS = {
        "applicants": ("demand_count",),
        "deciders": ("accepted", "lapsed", "approved", "rejected"),
        "borrowers": ("disbursed_count",),
    }
    EVENT_SUMS = tuple(name for names in FAMILY_EVENTS.values() for name in names)

    def events(self, family: str) -> int:
        """How many events a family of figures counts (suppression's tie-break)."""
        fields = self.__dict__
        return sum(fields[name] for name in self.FAMILY_EVENTS[family])


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


def _utc_bounds(first: int, last: int, since: date | None = None,
                until: date | None = None) -> tuple[datetime, datetime]:  # fmt: skip
    """The instants (Asia/Shanghai) the months `first`..`last` begin and end at, cut to the
    local days `since` .. before `until` when given (a month's completed days, or its
    days from one on)."""
    start_day = max(month_start(first), since) if since else month_start(first)
    end_day = month_start(next_month(last))
    end_day = min(end_day, until) if until else end_day
    start = datetime.combine(start_day, time(0), tzinfo=SHANGHAI)
    end = datetime.combine(end_day, time(0), tzinfo=SHANGHAI)
    return start, end


# --- dialect-specific expressions ----------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _local_date(column):
    if _dialect() == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), db.Date)
    return func.date(column, "+8 hours")


def _sketch(eid, condition) -> tuple[Any, Any]:
    """(the K smallest distinct ids meeting `condition`, comma-separated; how many, at most
    K). SQLite has no arrays: it gives every id and readers cut to K."""
    if _dialect() == "postgresql":
        ids = func.array_agg(aggregate_order_by(distinct(eid), eid)).filter(condition)
        kept = type_coerce(ids, ARRAY(Integer))[1:SKETCH_K]
        return func.coalesce(func.array_to_string(kept, ","), ""), func.coalesce(
            func.cardinality(kept), 0
        )
    ids = func.group_concat(distinct(eid)).filter(condition)
    return func.coalesce(ids, ""), func.min(func.count(distinct(eid)).filter(condition), SKETCH_K)


def concat(column, where=None):
    """The strings of a group joined by commas (string_agg / group_concat), those meeting
    `where` only when given."""
    joined = (
        func.string_agg(column, ",")
        if _dialect() == "postgresql"
        else func.group_concat(column, ",")
    )
    return joined if where is None else joined.filter(where)


# --- axes, levels and filters --------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a query is restricted to (None = no restriction)."""

    city: str | None = None  # GB/T 2260 city code (6 digits ending in 00)
    county: str | None = None
    section: str | None = None  # GB/T 4754 section letter
    division: str | None = None  # two digits
    bank_id: int | None = None
    product_type: str | None = None


# A grouping's axis and level; "month" has none (the trend).
DIM_AXIS = {
    "city": ("place", "city"), "county": ("place", "county"),
    "section": ("industry", "section"), "division": ("industry", "division"),
    "bank": ("bank", "bank"), "product": ("bank", "product"),
}  # fmt: skip


def filter_levels(filters: Filters) -> dict[str, str]:
    """The level each filtered axis is restricted at."""
    levels = {}
    if filters.county or filters.city:
        levels["place"] = "county" if filters.county else "city"
    if filters.division or filters.section:
        levels["industry"] = "division" if filters.division else "section"
    if filters.bank_id is not None:
        levels["bank"] = "bank"
    return levels


def grain_of(dim: str, filters: Filters) -> str:
    """The rollup grain that answers `dim` under `filters`."""
    return grain_at(dict([DIM_AXIS[dim]]) if dim in DIM_AXIS else {}, filters)


def grain_at(levels: Mapping[str, str], filters: Filters) -> str:
    """The rollup grain that holds each axis of `levels` under `filters`: each axis at the
    finer of the asked and the filter's level."""
    grain = filter_levels(filters)
    for axis, level in levels.items():
        order = AXES[axis]
        if axis not in grain or order.index(level) > order.index(grain[axis]):
            grain[axis] = level
    return "+".join(grain[axis] for axis in AXES if axis in grain) or "all"


def grain_levels(grain: str) -> dict[str, str]:
    levels = {} if grain == "all" else dict.fromkeys(grain.split("+"))
    return {axis: level for axis, options in AXES.items() for level in options if level in levels}


# The enterprise's region and industry as copied onto each application when it applied
# (`Application.region_code`, `industry_section`, `industry_division`): no join needed.


def _region_key(city: bool):
    code = Application.region_code
    province = or_(code.is_(None), code.like("__0000"))
    value = func.substr(code, 1, 4) + "00" if city else code
    return case((province, None), else_=value)


def _axis_key(level: str):
    """An application's key at `level`, as text ("" when not known)."""
    a = Application
    expr = {
        "city": _region_key(True), "county": _region_key(False),
        "section": a.industry_section, "division": a.industry_division,
        "bank": cast(a.bank_id, String), "product": _product_key(),
    }[level]  # fmt: skip
    return func.coalesce(expr, "")


OPEN_PREFIX = "o"  # an open demand taken by a bank, at product level: "o" + the bank's id


def _product_key():
    """The product, or for an open demand the bank that took it ("o7"): an open demand
    belongs to the bank that picked it up, in the product breakdown as in the bank's."""
    a = Application
    return case(
        (a.product_id.is_not(None), cast(a.product_id, String)),
        (a.bank_id.is_not(None), literal_column(f"'{OPEN_PREFIX}'") + cast(a.bank_id, String)),
        else_=literal_column("''"),
    )


def group_key(dim: str, key: str) -> str:
    """A stored or computed key as the grouping `dim` shows it: a county's key grouped by
    city is its city's, a division's grouped by section its section's (a filter on one
    county or division makes the rollup grain finer than the grouping). In the product
    breakdown the open demands a bank picked up stay that bank's own group ("o" + its id),
    so that the products refine the banks exactly."""
    if dim == "city" and key:
        return key[:4] + "00"
    if dim == "section" and key:
        return section_of(key) or ""
    return key


_SECTIONS: dict[str, str | None] = {}


def section_of(key: str) -> str | None:
    """The GB/T 4754 section of a division code (a section letter is its own)."""
    if not key:
        return None
    if len(key) == 1:
        return key
    if not _SECTIONS:
        rows = db.session.execute(
            select(Industry.code, Industry.parent_code).where(Industry.level == "division")
        )
        _SECTIONS.update({code: parent for code, parent in rows})
    return _SECTIONS.get(key)


def _where(filters: Filters) -> list:
    clauses = []
    if filters.county:
        clauses.append(Application.region_code == filters.county)
    elif filters.city:
        clauses.append(Application.region_code.like(filters.city[:4] + "%"))
    if filters.division:
        clauses.append(Application.industry_division == filters.division)
    elif filters.section:
        clauses.append(Application.industry_section == filters.section)
    if filters.bank_id is not None:
        clauses.append(Application.bank_id == filters.bank_id)
    if filters.product_type:
        clauses.append(Product.type == filters.product_type)
    return clauses


# --- the figures of a period in one pass ---------------------------------------------------


def LAPSED() -> list:  # noqa: N802 - a fixed set of conditions
    """Open demands that ended (withdrawn or expired) before any bank accepted them."""
    a = Application
    return [a.product_id.is_(None), a.accepted_at.is_(None), a.state.in_(("withdrawn", "expired"))]


def _events(start: datetime, end: datetime) -> dict[str, Any]:
    """Each family's event within [`start`, `end`) (`_utc_bounds`)."""
    a = Application
    day0, day1 = start.date(), end.date()

    def within(column):
        return and_(column >= start, column < end)

    return {
        "demand": within(a.submitted_at),
        "accepted": within(a.accepted_at),
        "lapsed": and_(*LAPSED(), within(a.updated_at)),
        "decided": within(a.decided_at),
        "disbursed": and_(a.disbursed_on >= day0, a.disbursed_on < day1),
    }


def _keys(levels: Mapping[str, str], by_type: bool) -> tuple[list, list]:
    """(the key columns g_place, g_industry, g_bank, g_type; the names to group by)."""
    columns, names = [], []
    for axis in AXES:
        name = f"g_{axis}"
        if axis in levels:
            columns.append(_axis_key(levels[axis]).label(name))
            names.append(name)
        else:
            columns.append(literal("").label(name))
    if by_type:
        columns.append(func.coalesce(Product.type, "").label("g_type"))
        names.append("g_type")
    else:
        columns.append(literal("").label("g_type"))
    return columns, names


@dataclass(frozen=True)
class _WorkingDays:
    """The two durations the medians are taken of, and which applications count for each:
    working days to acceptance (accepted in the period), to disbursement (disbursed in it,
    counted on `stats_calendar`, joined by `join`). One definition for the live lists and
    the rollup's histograms."""

    measures: dict[str, tuple[Any, Any]]  # kind → (days, condition)
    end_day: Any
    start_day: Any

    def join(self, query):
        a = Application
        query = query.outerjoin(self.end_day, self.end_day.day == a.disbursed_on)
        return query.outerjoin(self.start_day, self.start_day.day == _local_date(a.submitted_at))


def _working_days(ev: dict[str, Any]) -> _WorkingDays:
    a = Application
    end_day = aliased(StatsCalendar, name="stats_end_day")
    start_day = aliased(StatsCalendar, name="stats_start_day")
    rwd, to_disburse = a.response_working_days, end_day.ordinal - start_day.ordinal
    measures = {
        "accept": (rwd, and_(ev["accepted"], rwd.is_not(None))),
        "disburse": (to_disburse, and_(ev["disbursed"], to_disburse.is_not(None))),
    }
    return _WorkingDays(measures, end_day, start_day)


def period_select(first: int, last: int, levels: Mapping[str, str], filters: Filters, *,
                  by_type: bool = False, days: bool = False, since: date | None = None,
                  until: date | None = None, sums: Sequence[str] = Cell.SUMS):  # fmt: skip
    """Every additive figure and sketch of the months `first`..`last` (cut to the local days
    `since` .. before `until` when given), one row per key of `levels` (and product type):
    the columns of `stats_monthly` after its grain and month. With `days`, also each
    group's working days to acceptance and to disbursement as lists (`accept_list`,
    `disburse_list`: the live figures' histograms in the same pass). `sums`: the figures of
    Cell.SUMS computed (a cross of suppression needs only `Cell.EVENT_SUMS`)."""
    a = Application
    bounds = _utc_bounds(first, last, since, until)
    ev = _events(*bounds)
    is_open = a.product_id.is_(None)
    first_loan = a.first_loan.is_(True)
    disbursed = ev["disbursed"]

    def count(*conditions):
        return func.count().filter(and_(*conditions))

    def total(column, *conditions):
        return func.coalesce(func.sum(column).filter(and_(*conditions)), 0)

    measures = {
        "demand_count": count(ev["demand"]),
        "demand_amount": total(a.amount, ev["demand"]),
        "open_demands": count(ev["demand"], is_open),
        "accepted": count(ev["accepted"]),
        "picked_up": count(ev["accepted"], is_open),
        "lapsed": count(ev["lapsed"]),
        "approved": count(ev["decided"], a.approved_amount.is_not(None)),
        "rejected": count(ev["decided"], a.state == "rejected"),
        "disbursed_count": count(disbursed),
        "disbursed_amount": total(a.disbursed_amount, disbursed),
        "first_loans": count(disbursed, first_loan),
        "first_loan_amount": total(a.disbursed_amount, disbursed, first_loan),
        "credit_amount": total(a.disbursed_amount, disbursed, Product.type == "credit"),
        "typed_amount": total(a.disbursed_amount, disbursed, Product.type.is_not(None)),
        "rate_sum": total(a.approved_rate, disbursed),
        "rate_n": func.count(a.approved_rate).filter(disbursed),
        "term_sum": total(a.approved_term_months, disbursed),
        "term_n": func.count(a.approved_term_months).filter(disbursed),
    }
    populations = {
        "applicants": ev["demand"],
        "deciders": or_(ev["accepted"], ev["decided"], ev["lapsed"]),
        "borrowers": disbursed,
    }
    sketches = {family: _sketch(a.enterprise_id, c) for family, c in populations.items()}
    keys, names = _keys(levels, by_type)
    working = _working_days(ev)
    lists = [
        concat(cast(value, String), condition).label(f"{kind}_list")
        for kind, (value, condition) in working.measures.items()
        if days
    ]
    query = (
        select(
            *keys,
            *[measures[name].label(name) for name in sums],
            *[ids.label(family) for family, (ids, _n) in sketches.items()],
            *[n.label(f"n_{family}") for family, (_ids, n) in sketches.items()],
            *lists,
        )
        .select_from(a)
        .outerjoin(Product, Product.id == a.product_id)
        .where(_touched(*bounds), *_where(filters))
        .group_by(*[literal_column(name) for name in names])
    )
    return working.join(query) if days else query


def _touched(start: datetime, end: datetime):
    """Applications that may have an event in [`start`, `end`) (each family's own condition
    is its FILTER): one index range per event time, the last change standing for lapses."""
    a = Application
    times = (a.submitted_at, a.accepted_at, a.decided_at, a.updated_at)
    day0, day1 = start.date(), end.date()
    return or_(
        *[and_(c >= start, c < end) for c in times],
        and_(a.disbursed_on >= day0, a.disbursed_on < day1),
    )


def days_select(first: int, last: int, levels: Mapping[str, str], filters: Filters, *,
                by_type: bool = False, until: date | None = None):  # fmt: skip
    """How many applications took how many working days to acceptance (accepted in the
    period) and to disbursement (disbursed in the period; both cut to the days before
    `until` when given): g_* keys, kind, days, n."""
    a = Application
    keys, names = _keys(levels, by_type)
    working = _working_days(_events(*_utc_bounds(first, last, until=until)))
    grouped: list[Any] = [literal_column(name) for name in [*names, "days"]]
    histograms = []
    for kind, (days, condition) in working.measures.items():
        query = select(*keys, literal(kind).label("kind"), days.label("days"),
                       func.count().label("n"))  # fmt: skip
        query = query.select_from(a).outerjoin(Product, Product.id == a.product_id)
        query = working.join(query) if kind == "disburse" else query
        histograms.append(query.where(condition, *_where(filters)).group_by(*grouped))
    return union_all(*histograms)


def _dec(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def cell_of(row, sums: Sequence[str] = Cell.SUMS) -> Cell:
    """A cell from a row with `sums` (of Cell.SUMS; the others stay 0), the sketches and
    their counts."""
    # Once per row of every breakdown (hundreds): read by name from the row's mapping, zero
    # counts left at their defaults.
    cell = Cell()
    values, fields = row._mapping, cell.__dict__
    for name in sums:
        value = values[name]
        if name in Cell.DECIMALS:
            if value is not None:  # as summed (a zero keeps its scale: 0.00)
                fields[name] = Decimal(value)
        elif value:
            fields[name] = int(value)
    for family in FAMILIES:
        fields[family] = parse_sketch(values[family], values[f"n_{family}"])
    return cell


def histogram_text(days_rows):
    """`days_select`'s rows folded into one row per key: accept_days and disburse_days as
    "days:count,…" (how the rollup stores them)."""
    rows = days_rows.subquery("stats_days")
    pair = cast(rows.c.days, String) + ":" + cast(rows.c.n, String)
    keys = [rows.c[f"g_{axis}"] for axis in (*AXES, "type")]
    return select(
        *keys,
        concat(pair, rows.c.kind == "accept").label("accept_days"),
        concat(pair, rows.c.kind == "disburse").label("disburse_days"),
    ).group_by(*keys)


def parse_histogram(text: str | None) -> Counter:
    """The histogram of "days:count,…" (several joined by commas add up)."""
    # Read for every rollup row of a breakdown (months of histograms joined): the numbers
    # are converted in one pass and added pairwise.
    counts: dict[int, int] = {}
    numbers = list(map(int, filter(None, (text or "").replace(":", ",").split(","))))
    for days, n in zip(numbers[::2], numbers[1::2], strict=True):
        counts[days] = counts.get(days, 0) + n
    return Counter(counts)


def live_cells(
    dim: str, filters: Filters, months: Sequence[int], since: Mapping[int, date] | None = None
) -> dict[str, Cell]:
    """Every figure of `months` for `dim`'s groups, straight from the applications: one
    pass per month for the trend, per run of months otherwise; a month in `since` from that
    local day on only (its days before are the provisional rollup's, `rollup.py`)."""
    cells: dict[str, Cell] = {}
    axis, level = DIM_AXIS.get(dim, ("", ""))
    levels = {axis: level} if axis else {}
    since = since or {}
    whole = [m for m in months if m not in since]
    periods = [(m, m) for m in whole] if dim == "month" else month_runs(whole)
    periods += [(m, m) for m in months if m in since]

    def key(row, month: int) -> str:
        return str(month) if dim == "month" else group_key(dim, getattr(row, f"g_{axis}"))

    for first, last in periods:
        query = period_select(first, last, levels, filters, days=True, since=since.get(first))
        for row in db.session.execute(query):
            cell = cell_of(row)
            cell.accept_days = _counted(row.accept_list)
            cell.disburse_days = _counted(row.disburse_list)
            cells.setdefault(key(row, first), Cell()).merge(cell)
    return cells


def _counted(text: str | None) -> Counter:
    """The histogram of a comma-separated list of integers."""
    return Counter(int(x) for x in (text or "").split(",") if x)
