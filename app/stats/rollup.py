"""The monthly rollup: written by the scheduler for completed months (`roll_up`), read
back for the months it holds (`rollup_cells`). One row per month, dimension, group key and
product type; working-day histograms beside them; see app/stats/models.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from app.applications.models import Application
from app.enterprises.models import Industry
from app.extensions import db
from app.products.models import Product
from app.stats.models import (
    ROLLUP_DIMS,
    StatsCalendar,
    StatsMonthly,
    StatsMonthlyDays,
    StatsRollupMonth,
)
from app.stats.queries import (
    FAMILIES,
    Cell,
    Filters,
    compute_cells,
    current_month,
    month_runs,
    months_between,
)
from app.util import utcnow

# Applications touched this long before a rollup started are looked at again by the next
# run (a transaction that began before the run may commit after it).
ROLLUP_MARGIN = timedelta(minutes=15)


def rolled_months(months: Iterable[int]) -> set[int]:
    wanted = sorted(set(months))
    if not wanted:
        return set()
    rows = db.session.scalars(
        select(StatsRollupMonth.month).where(
            StatsRollupMonth.month >= wanted[0], StatsRollupMonth.month <= wanted[-1]
        )
    )
    return set(rows) & set(wanted)


def _rollup_dim(dim: str) -> str:
    return "all" if dim == "month" else dim


def rollup_key_filter(dim: str, filters: Filters) -> tuple[bool, list]:
    """(whether the rollup can answer `filters` for `dim`, the conditions on its rows)."""
    m = StatsMonthly
    where: list = []
    if filters.product_type:
        where.append(m.product_type == filters.product_type)
    place = filters.county or filters.city
    if place:
        if dim == "county":
            where.append(m.key == filters.county if filters.county else m.key.like(place[:4] + "%"))
        elif dim == "city" and filters.city:
            where.append(m.key == filters.city)
        else:
            return False, []
    industry = filters.division or filters.section
    if industry:
        if dim == "division":
            if filters.division:
                where.append(m.key == filters.division)
            else:
                divisions = db.session.scalars(
                    select(Industry.code).where(Industry.parent_code == filters.section)
                )
                where.append(m.key.in_([*divisions, filters.section]))
        elif dim == "section" and filters.section:
            where.append(m.key == filters.section)
        else:
            return False, []
    if filters.bank_id is not None:
        if dim == "bank":
            where.append(m.key == str(filters.bank_id))
        elif dim == "product":
            ids = db.session.scalars(select(Product.id).where(Product.bank_id == filters.bank_id))
            where.append(m.key.in_([str(i) for i in ids]))
        else:
            return False, []
    return True, where


def _sketch(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def rollup_cells(dim: str, where: list, months: Sequence[int]) -> dict[str, Cell]:
    m, d = StatsMonthly, StatsMonthlyDays
    rdim = _rollup_dim(dim)
    cells: dict[str, Cell] = {}
    rows = db.session.scalars(select(m).where(m.dim == rdim, m.month.in_(months), *where))
    for row in rows:
        key = str(row.month) if dim == "month" else row.key
        cell = Cell(**{name: getattr(row, name) for name in Cell.SUMS})
        for family in FAMILIES:
            setattr(cell, family, _sketch(getattr(row, family)))
        cells.setdefault(key, Cell()).merge(cell)
    # The histograms, summed in SQL (the same conditions apply to their key columns).
    day_where = [_days_condition(c) for c in where]
    group = [d.month] if dim == "month" else [d.key]
    query = (
        select(*group, d.kind, d.days, func.sum(d.n))
        .where(d.dim == rdim, d.month.in_(months), *day_where)
        .group_by(*group, d.kind, d.days)
    )
    for hist in db.session.execute(query):
        key, kind, days, n = tuple(hist)
        cell = cells.setdefault(str(key), Cell())
        (cell.accept_days if kind == "accept" else cell.disburse_days)[int(days)] += int(n)
    return cells


def _days_condition(clause):
    """The same condition on stats_monthly_days (its columns have the same names)."""
    from sqlalchemy.sql.visitors import replacement_traverse

    def swap(element):
        table = getattr(element, "table", None)
        if table is StatsMonthly.__table__:
            return StatsMonthlyDays.__table__.c[element.name]
        return None

    return replacement_traverse(clause, {}, swap)  # type: ignore[call-overload]


def sync_calendar(first_year: int = 2015, last_year: int | None = None) -> int:
    """Keep `stats_calendar` in step with chinese-calendar (a new package version learns the
    next year's holidays). Returns the number of days written."""
    from datetime import date

    from app.workcalendar.services import is_working_day

    last_year = last_year or utcnow().year + 2
    stored = dict(db.session.execute(select(StatsCalendar.day, StatsCalendar.ordinal)).all())
    day, end, ordinal = date(first_year, 1, 1), date(last_year, 12, 31), 0
    changed = []
    while day <= end:
        ordinal += 1 if is_working_day(day) else 0
        if stored.get(day) != ordinal:
            changed.append({"day": day, "ordinal": ordinal})
        day += timedelta(days=1)
    if changed:
        db.session.execute(
            delete(StatsCalendar).where(StatsCalendar.day.in_([c["day"] for c in changed]))
        )
        db.session.execute(insert(StatsCalendar), changed)
    return len(changed)


def _event_months(apps: Iterable[Application]) -> set[int]:
    months: set[int] = set()
    for app in apps:
        for moment in (app.submitted_at, app.accepted_at, app.decided_at, app.updated_at):
            if moment is not None:
                months.add(current_month(moment))
        if app.disbursed_on is not None:
            months.add(app.disbursed_on.year * 100 + app.disbursed_on.month)
    return months


def months_to_roll_up(now: datetime | None = None) -> list[int]:
    """Completed months never rolled up, and those an application changed since the last run."""
    now = now or utcnow()
    this = current_month(now)
    first = db.session.scalar(select(func.min(Application.submitted_at)))
    if first is None:
        return []
    every = months_between(min(current_month(first), this), this)[:-1]
    done = set(db.session.scalars(select(StatsRollupMonth.month)))
    wanted = {m for m in every if m not in done}
    last_start = db.session.scalar(select(func.max(StatsRollupMonth.started_at)))
    if last_start is not None:
        changed = db.session.scalars(
            select(Application).where(Application.updated_at >= last_start - ROLLUP_MARGIN)
        )
        wanted |= {m for m in _event_months(changed) if m < this}
    return sorted(wanted)


def roll_up(months: Sequence[int] | None = None, *, now: datetime | None = None) -> dict:
    """(Re)compute the rollup rows of `months` (default: `months_to_roll_up`)."""
    now = now or utcnow()
    started = now
    sync_calendar()
    months = list(months) if months is not None else months_to_roll_up(now)
    this = current_month(now)
    months = [m for m in months if m < this]
    if not months:
        return {"months": 0, "rows": 0}
    m, d = StatsMonthly, StatsMonthlyDays
    db.session.execute(delete(m).where(m.month.in_(months)))
    db.session.execute(delete(d).where(d.month.in_(months)))
    db.session.execute(delete(StatsRollupMonth).where(StatsRollupMonth.month.in_(months)))
    written = 0
    for first, last in month_runs(months):
        run = months_between(first, last)
        for dim in ROLLUP_DIMS:
            cells = compute_cells(dim, Filters(), run, by_month=True, by_type=True)
            rows, days = [], []
            for (month, key, ptype), cell in cells.items():
                ident = {"month": int(month), "dim": dim, "key": key, "product_type": ptype}
                rows.append({
                    **ident, **{name: getattr(cell, name) for name in Cell.SUMS},
                    **{f: ",".join(map(str, getattr(cell, f))) for f in FAMILIES},
                })  # fmt: skip
                for kind, hist in (("accept", cell.accept_days), ("disburse", cell.disburse_days)):
                    days += [{**ident, "kind": kind, "days": k, "n": v} for k, v in hist.items()]
            for chunk in range(0, len(rows), 5000):
                db.session.execute(insert(m), rows[chunk : chunk + 5000])
            for chunk in range(0, len(days), 5000):
                db.session.execute(insert(d), days[chunk : chunk + 5000])
            written += len(rows)
    db.session.execute(
        insert(StatsRollupMonth),
        [{"month": month, "computed_at": utcnow(), "started_at": started} for month in months],
    )
    db.session.flush()
    return {"months": len(months), "rows": written}
