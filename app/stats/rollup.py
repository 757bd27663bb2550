"""The monthly rollup: written by the scheduler for completed months (`roll_up`) and,
provisionally, for the current month's completed days (`roll_up_current`), read back for
the months it holds (`rollup_cells`). One row per month, grain, key and product
type, computed by the same one-pass statement as the live figures (`queries.period_select`,
with its working-day histograms) and stored by `INSERT … SELECT`; see app/stats/models.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, case, delete, func, insert, literal, select, text

from app.applications.models import Application
from app.clock import utcnow
from app.enterprises.models import Industry
from app.extensions import db
from app.products.models import Product
from app.progress import NO_PROGRESS, Progress
from app.stats.models import (
    GRAINS,
    StatsCalendar,
    StatsMonthly,
    StatsProvisionalMonth,
    StatsRollupMonth,
)
from app.stats.queries import (
    DIM_AXIS,
    FAMILIES,
    OPEN_PREFIX,
    SKETCH_K,
    Cell,
    Filters,
    cell_of,
    concat,
    current_month,
    days_select,
    grain_levels,
    group_key,
    histogram_text,
    month_start,
    months_between,
    parse_histogram,
    period_select,
)
from app.util import SHANGHAI

T = TypeVar("T")
# Applications touched this long before a rollup started are looked at again by the next
# run (a transaction that began before the run may commit after it).
ROLLUP_MARGIN = timedelta(minutes=15)
ROLLUP_WORK_MEM = "64MB"


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


def provisional_months(months: Iterable[int]) -> dict[int, date]:
    """Of `months`, those rolled up provisionally (the days before a day of theirs; see
    `roll_up_current`): month → the first day not rolled up, to be computed live."""
    wanted = sorted(set(months))
    if not wanted:
        return {}
    p = StatsProvisionalMonth
    rows = db.session.execute(
        select(p.month, p.through).where(p.month >= wanted[0], p.month <= wanted[-1])
    )
    return {month: through for month, through in rows if month in wanted}


def with_provisional(months: Iterable[int], read: Callable[[dict[int, date]], T]) -> T:
    """`read(provisional months)`, read again if the cut-off moved meanwhile: the rollup job
    replaces a month's rows and moves its cut-off in one transaction, and a reader in READ
    COMMITTED could otherwise take the rows up to one day and compute live from another
    (a day counted twice, or missed)."""
    wanted = list(months)
    partial = provisional_months(wanted)
    while True:
        result = read(partial)
        again = provisional_months(wanted)
        if again == partial:
            return result
        partial = again


def _where(grain: str, filters: Filters) -> list:
    """`filters` on the rows of `grain`: an equality at the grain's own level, a prefix or
    a list of keys at a coarser one."""
    levels = grain_levels(grain)
    c = StatsMonthly.__table__.c
    where = [c.grain == grain]
    if filters.product_type:
        where.append(c.product_type == filters.product_type)
    if filters.county:
        where.append(c.place == filters.county)
    elif filters.city:
        by_city = levels["place"] == "city"
        where.append(c.place == filters.city if by_city else c.place.like(filters.city[:4] + "%"))
    if filters.division:
        where.append(c.industry == filters.division)
    elif filters.section:
        if levels["industry"] == "section":
            where.append(c.industry == filters.section)
        else:
            divisions = db.session.scalars(
                select(Industry.code).where(Industry.parent_code == filters.section)
            )
            where.append(c.industry.in_([*divisions, filters.section]))
    if filters.bank_id is not None:
        if levels["bank"] == "bank":
            where.append(c.bank == str(filters.bank_id))
        else:
            ids = db.session.scalars(select(Product.id).where(Product.bank_id == filters.bank_id))
            keys = [str(i) for i in ids] + [f"{OPEN_PREFIX}{filters.bank_id}"]
            where.append(c.bank.in_(keys))
    return where


def rollup_select(grain: str, keys: Sequence[Any], filters: Filters, months: Sequence[int], *,
                  days: bool = True, sums: Sequence[str] = Cell.SUMS):  # fmt: skip
    """The rows of `grain` over `months` added up per value of `keys` (columns of
    `stats_monthly`): sums in SQL; sketches read only for groups whose every row rests on
    fewer than K enterprises (a row with K already settles the count); with `days`, the
    histograms joined; `sums` as `queries.period_select`'s."""
    m = StatsMonthly.__table__

    def sketch(family: str):
        n = func.max(m.c[f"n_{family}"])
        return case((n >= SKETCH_K, literal("")), else_=concat(m.c[family])).label(family)

    histograms = [concat(m.c[name]).label(name) for name in ("accept_days", "disburse_days")]
    return (
        select(
            *keys,
            *[func.sum(m.c[name]).label(name) for name in sums],
            *[func.max(m.c[f"n_{family}"]).label(f"n_{family}") for family in FAMILIES],
            *[sketch(family) for family in FAMILIES],
            *(histograms if days else []),
        )
        .where(m.c.month.in_(months), *_where(grain, filters))
        .group_by(*keys)
    )


def rollup_cells(grain: str, dim: str, filters: Filters, months: Sequence[int]) -> dict[str, Cell]:
    """Each group's cell over `months` from the rows of `grain` (`rollup_select`)."""
    m = StatsMonthly.__table__
    key = m.c.month if dim == "month" else m.c[DIM_AXIS[dim][0]]
    cells: dict[str, Cell] = {}
    for row in db.session.execute(rollup_select(grain, [key.label("g_key")], filters, months)):
        cell = cell_of(row)
        cell.accept_days = parse_histogram(row.accept_days)
        cell.disburse_days = parse_histogram(row.disburse_days)
        group = group_key(dim, str(row.g_key))
        cells[group] = cells[group].merge(cell) if group in cells else cell
    return cells


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


def _event_months(apps: Iterable[Any]) -> set[int]:
    months: set[int] = set()
    for app in apps:
        for moment in (app.submitted_at, app.accepted_at, app.decided_at, app.updated_at):
            if moment is not None:
                months.add(current_month(moment))
        if app.disbursed_on is not None:
            months.add(app.disbursed_on.year * 100 + app.disbursed_on.month)
    return months


def months_to_roll_up(now: datetime | None = None, *, everything: bool = False) -> list[int]:
    """Completed months never rolled up, and those an application changed since the last run
    (`everything`: every completed month since the first application)."""
    now = now or utcnow()
    this = current_month(now)
    first = db.session.scalar(select(func.min(Application.submitted_at)))
    if first is None:
        return []
    every = months_between(min(current_month(first), this), this)[:-1]
    if everything:
        return every
    done = set(db.session.scalars(select(StatsRollupMonth.month)))
    wanted = {m for m in every if m not in done}
    last_start = db.session.scalar(select(func.max(StatsRollupMonth.started_at)))
    if last_start is not None:
        a = Application
        changed = db.session.execute(  # the event times only, not whole applications
            select(a.submitted_at, a.accepted_at, a.decided_at, a.updated_at, a.disbursed_on).where(
                a.updated_at >= last_start - ROLLUP_MARGIN
            )
        )
        wanted |= {m for m in _event_months(changed) if m < this}
    return sorted(wanted)


def _month_rows(month: int, grain: str, until: date | None = None):
    """The rows of `month` at `grain` (its days before `until` when given): the figures and
    sketches with their histograms."""
    levels = grain_levels(grain)
    figures = period_select(month, month, levels, Filters(), by_type=True, until=until)
    figures = figures.subquery("stats_p")
    days = days_select(month, month, levels, Filters(), by_type=True, until=until)
    hist = histogram_text(days).subquery("stats_h")
    keys = ("g_place", "g_industry", "g_bank", "g_type")
    joined = figures.outerjoin(hist, and_(*[figures.c[k] == hist.c[k] for k in keys]))
    stored = {"g_place": "place", "g_industry": "industry", "g_bank": "bank",
              "g_type": "product_type"}  # fmt: skip
    columns = [
        literal(month).label("month"),
        literal(grain).label("grain"),
        *[c.label(stored.get(c.name, c.name)) for c in figures.c],
        *[func.coalesce(hist.c[name], "").label(name) for name in ("accept_days", "disburse_days")],
    ]
    return select(*columns).select_from(joined)


def roll_up(
    months: Sequence[int] | None = None,
    *,
    now: datetime | None = None,
    progress: Progress = NO_PROGRESS,
) -> dict:
    """(Re)compute the rollup rows of `months` (default: `months_to_roll_up`); `progress`
    hears of each month done."""
    now = now or utcnow()
    started = now
    sync_calendar()
    months = list(months) if months is not None else months_to_roll_up(now)
    this = current_month(now)
    months = [m for m in months if m < this]
    if not months:
        return {"months": 0, "rows": 0}
    m = StatsMonthly
    _sort_in_memory()
    db.session.execute(delete(m).where(m.month.in_(months)))
    db.session.execute(delete(StatsRollupMonth).where(StatsRollupMonth.month.in_(months)))
    # A month rolled up provisionally while it ran: its rows have just been replaced.
    provisional = StatsProvisionalMonth
    db.session.execute(delete(provisional).where(provisional.month.in_(months)))
    progress.total(len(months))
    for month in months:
        _insert_rows(month)
        progress.advance(1)
    db.session.execute(
        insert(StatsRollupMonth),
        [{"month": month, "computed_at": utcnow(), "started_at": started} for month in months],
    )
    return {"months": len(months), "rows": _rows_written(months)}


def _sort_in_memory() -> None:
    """Each grain sorts a month's applications by its keys: in memory, not on disk (about
    a fifth faster), on PostgreSQL, for this transaction only."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'"))


def _insert_rows(month: int, until: date | None = None) -> None:
    """`month`'s rows at every grain (its days before `until` when given)."""
    m = StatsMonthly
    for grain in GRAINS:
        rows = _month_rows(month, grain, until=until)
        db.session.execute(insert(m).from_select([c.name for c in rows.selected_columns], rows))


def _rows_written(months: Sequence[int]) -> int:
    # Counted, not summed from the INSERTs: psycopg reports no row count for INSERT … SELECT
    # through SQLAlchemy (-1).
    db.session.flush()
    m = StatsMonthly
    return db.session.scalar(select(func.count()).select_from(m).where(m.month.in_(months))) or 0


def _provisional_due(month: int, through: date) -> bool:
    """Whether the provisional rollup of `month` up to `through` is to be (re)done: never
    done up to that day, or an application changed since its run began (as for completed
    months, `ROLLUP_MARGIN` before)."""
    stored = db.session.get(StatsProvisionalMonth, month)
    if stored is None or stored.through != through:
        return True
    a = Application
    changed = select(a.id).where(a.updated_at >= stored.started_at - ROLLUP_MARGIN).limit(1)
    return db.session.scalar(changed) is not None


def roll_up_current(now: datetime | None = None, *, force: bool = False) -> dict:
    """Roll up the current month's completed days (those before today in Asia/Shanghai)
    provisionally, so that readers compute only today live (`provisional_months`). Redone
    when a day has passed or an application changed since the last run (`force`: always);
    on the 1st there is nothing to roll up. The month's own rollup, once it is over,
    replaces these rows (`roll_up`)."""
    now = now or utcnow()
    started = now
    this = current_month(now)
    through = now.astimezone(SHANGHAI).date()
    m, p = StatsMonthly, StatsProvisionalMonth
    stale = select(p.month).where(p.month != this)  # months over: their own rollup's
    old = list(db.session.scalars(stale))
    if old:  # a month that ended before `roll_up` ran: computed live until it runs
        db.session.execute(delete(p).where(p.month.in_(old)))
        done = set(db.session.scalars(select(StatsRollupMonth.month)))
        db.session.execute(delete(m).where(m.month.in_([x for x in old if x not in done])))
    if through <= month_start(this):  # the 1st: no completed day yet
        db.session.execute(delete(m).where(m.month == this))
        db.session.execute(delete(p).where(p.month == this))
        return {"months": 0, "rows": 0}
    if not force and not _provisional_due(this, through):
        return {"months": 0, "rows": 0}
    _sort_in_memory()
    db.session.execute(delete(p).where(p.month == this))
    db.session.execute(delete(m).where(m.month == this))
    _insert_rows(this, until=through)
    db.session.execute(
        insert(p), [{"month": this, "through": through, "computed_at": utcnow(),
                     "started_at": started}]
    )  # fmt: skip
    return {"months": 1, "rows": _rows_written([this])}
