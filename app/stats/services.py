"""Lending statistics for the financial office (and for each bank, its own).

Every rule lives here: who sees what (`scope`), the period and filters (`parse_query`),
where figures come from (the monthly rollup for completed months, computed live for the
current month and for filters the rollup cannot answer), the figures' definitions
(`figures`), and small-group suppression (`suppress`). docs/stats.md states the
definitions in words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select

from app.applications.models import Application
from app.auth.models import BANK_ROLES, Role, User
from app.banks.models import Bank
from app.consent.models import Authorization
from app.enterprises.models import Enterprise, Industry, Region
from app.enterprises.services import industry_names, region_names
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.products.models import PRODUCT_TYPES, Product
from app.stats.models import (
    ROLLUP_DIMS,
    StatsCalendar,
    StatsMonthly,
    StatsMonthlyDays,
    StatsRollupMonth,
)
from app.stats.queries import (
    FAMILIES,
    SKETCH_K,
    Cell,
    Filters,
    compute_cells,
    month_runs,
    next_month,
)
from app.util import SHANGHAI, utcnow

GROUPINGS = ("month", "city", "county", "section", "division", "bank", "product")
GROUP_LABELS = {
    "month": _l("月份"), "city": _l("市"), "county": _l("区县"), "section": _l("行业门类"),
    "division": _l("行业大类"), "bank": _l("银行"), "product": _l("产品"),
}  # fmt: skip
# `industry` is accepted as a synonym of `section` in the API (DESIGN.md names "industry").
ALIASES = {"industry": "section"}
TYPE_LABELS = {"credit": _l("信用贷"), "collateral": _l("抵押贷"), "guarantee": _l("担保贷")}
DEFAULT_MONTHS = 12
MAX_MONTHS = 120
# Applications touched this long before a rollup started are looked at again by the next
# run (a transaction that began before the run may commit after it).
ROLLUP_MARGIN = timedelta(minutes=15)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# --- the question: who asks, for what --------------------------------------------------------


@dataclass(frozen=True)
class Query:
    group_by: str
    months: tuple[int, ...]
    filters: Filters = field(default_factory=Filters)

    @property
    def first(self) -> int:
        return self.months[0]

    @property
    def last(self) -> int:
        return self.months[-1]


def current_month(now: datetime | None = None) -> int:
    local = (now or utcnow()).astimezone(SHANGHAI)
    return local.year * 100 + local.month


def month_label(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def _parse_month(value: str, name: str) -> int:
    match = _MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(name, _("月份格式应为 YYYY-MM"), code="bad_period")
    return int(match.group(1)) * 100 + int(match.group(2))


def months_between(first: int, last: int) -> list[int]:
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


def _add_months(month: int, n: int) -> int:
    year, m = divmod(month, 100)
    total = year * 12 + (m - 1) + n
    return (total // 12) * 100 + total % 12 + 1


def parse_query(args: dict[str, Any], now: datetime | None = None) -> Query:
    """The grouping, period and filters from request arguments; 422 naming a bad field."""

    def arg(name: str) -> str:
        value = args.get(name)
        return "" if value is None else str(value).strip()

    group_by = ALIASES.get(arg("group_by") or "month", arg("group_by") or "month")
    if group_by not in GROUPINGS:
        raise ValidationFailed(
            "group_by",
            _("未知的分组：%(g)s（可选 %(all)s）", g=arg("group_by"), all=", ".join(GROUPINGS)),
            code="bad_group_by",
        )
    this = current_month(now)
    last = _parse_month(arg("to"), "to") if arg("to") else this
    first = (
        _parse_month(arg("from"), "from") if arg("from") else _add_months(last, 1 - DEFAULT_MONTHS)
    )
    if first > last:
        raise ValidationFailed("from", _("起始月份不能晚于结束月份"), code="bad_period")
    if last > this:
        raise ValidationFailed("to", _("结束月份不能晚于本月"), code="bad_period")
    months = months_between(first, last)
    if len(months) > MAX_MONTHS:
        raise ValidationFailed("from", _("期间最长 %(n)d 个月", n=MAX_MONTHS), code="bad_period")
    return Query(group_by, tuple(months), _parse_filters(arg))


def _parse_filters(arg) -> Filters:
    place, industry, bank, ptype = (
        arg("place"),
        arg("industry").upper(),
        arg("bank"),
        arg("product_type"),
    )
    filters = Filters()
    if place:
        level = db.session.scalar(select(Region.level).where(Region.code == place))
        if level not in ("city", "county"):
            raise ValidationFailed("place", _("地区应为市或区县代码"), code="bad_place")
        filters = replace(filters, **{level: place})
    if industry:
        level = db.session.scalar(select(Industry.level).where(Industry.code == industry))
        if level not in ("section", "division"):
            raise ValidationFailed("industry", _("行业应为门类字母或大类代码"), code="bad_industry")
        filters = replace(filters, **{level: industry})
    if bank:
        bank_id = db.session.scalar(select(Bank.id).where(Bank.code == bank))
        if bank_id is None:
            raise ValidationFailed("bank", _("银行不存在"), code="bad_bank")
        filters = replace(filters, bank_id=bank_id)
    if ptype:
        if ptype not in PRODUCT_TYPES:
            message = _("产品类型应为 credit、collateral 或 guarantee")
            raise ValidationFailed("product_type", message, code="bad_product_type")
        filters = replace(filters, product_type=ptype)
    return filters


def scope(user: User | None, query: Query) -> Query:
    """Who may read what: the office and the operator everything; a bank only its own
    figures (the bank filter is forced, another bank is refused); nobody else."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("请先登录"))
    if user.role in (Role.REGULATOR, Role.ADMIN):
        return query
    if user.role in BANK_ROLES and user.bank_id is not None:
        if query.filters.bank_id not in (None, user.bank_id):
            raise Forbidden(_("银行只能查看本行的统计"), code="other_bank")
        return replace(query, filters=replace(query.filters, bank_id=user.bank_id))
    raise Forbidden(_("您的角色无权查看统计"), code="wrong_role")


# --- where the cells come from ---------------------------------------------------------------


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


def _rollup_cells(dim: str, where: list, months: Sequence[int]) -> dict[str, Cell]:
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


def cells_for(
    query: Query, *, now: datetime | None = None, live_only: bool = False
) -> tuple[dict[str, Cell], int]:
    """Each group's cell: rolled-up completed months plus the rest computed live."""
    dim = query.group_by
    this = current_month(now)
    months = [m for m in query.months if m <= this]
    usable, where = rollup_key_filter(dim, query.filters)
    rolled = rolled_months(months) if usable and not live_only else set()
    live = [m for m in months if m not in rolled]
    cells: dict[str, Cell] = {}
    if rolled:
        cells = _rollup_cells(dim, where, sorted(rolled))
    for (_month, key, _type), cell in compute_cells(dim, query.filters, live).items():
        cells.setdefault(key, Cell()).merge(cell)
    if dim == "month":  # every month of the period has a row, empty or not
        for m in months:
            cells.setdefault(str(m), Cell())
    return cells, len(rolled)


# --- figures and suppression -----------------------------------------------------------------

FOUR = Decimal("0.0001")
TWO = Decimal("0.01")


def _ratio(num, den) -> str | None:
    if not den:
        return None
    return str((Decimal(num) / Decimal(den)).quantize(FOUR, rounding=ROUND_HALF_UP))


def median(hist: Counter) -> float | None:
    """The median of a histogram {value: count}; the mean of the two middle values when
    the count is even."""
    total = sum(hist.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(hist):
        count = hist[value]
        for position in wanted[len(found) :]:
            if position < seen + count:
                found.append(value)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


FIGURES = (
    "demand_count", "demand_amount", "open_demands", "picked_up", "lapsed", "pickup_rate",
    "accepted", "approved", "rejected", "approval_rate", "disbursed_count",
    "disbursed_amount", "first_loans", "first_loan_amount", "credit_amount",
    "credit_share", "avg_rate", "avg_term_months", "median_days_to_accept",
    "median_days_to_disburse",
)  # fmt: skip


def figures(cell: Cell) -> dict[str, Any]:
    """The published figures of a cell (money and ratios as decimal strings)."""
    return {
        "demand_count": cell.demand_count,
        "demand_amount": str(Decimal(cell.demand_amount).quantize(TWO)),
        "open_demands": cell.open_demands,
        "picked_up": cell.picked_up,
        "lapsed": cell.lapsed,
        "pickup_rate": _ratio(cell.picked_up, cell.picked_up + cell.lapsed),
        "accepted": cell.accepted,
        "approved": cell.approved,
        "rejected": cell.rejected,
        "approval_rate": _ratio(cell.approved, cell.approved + cell.rejected),
        "disbursed_count": cell.disbursed_count,
        "disbursed_amount": str(Decimal(cell.disbursed_amount).quantize(TWO)),
        "first_loans": cell.first_loans,
        "first_loan_amount": str(Decimal(cell.first_loan_amount).quantize(TWO)),
        "credit_amount": str(Decimal(cell.credit_amount).quantize(TWO)),
        "credit_share": _ratio(cell.credit_amount, cell.typed_amount),
        "avg_rate": None
        if not cell.rate_n
        else str((Decimal(cell.rate_sum) / cell.rate_n).quantize(TWO, rounding=ROUND_HALF_UP)),
        "avg_term_months": None
        if not cell.term_n
        else str(
            (Decimal(cell.term_sum) / cell.term_n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        ),
        "median_days_to_accept": median(cell.accept_days),
        "median_days_to_disburse": median(cell.disburse_days),
    }


def min_enterprises() -> int:
    n = int(current_app.config.get("STATS_MIN_ENTERPRISES", 3))
    return max(1, min(n, SKETCH_K))


def too_small(cell: Cell, n: int) -> bool:
    """A family of figures resting on 1..n-1 enterprises would reveal them."""
    return any(0 < cell.distinct(family) < n for family in FAMILIES)


def _parent(dim: str, key: str, product_banks: dict[str, str]) -> str | None:
    if dim == "county":
        return key[:4] if key else None
    if dim == "division":
        return _section_of(key)
    if dim == "product":
        return product_banks.get(key)
    return None


def suppress(
    dim: str, cells: dict[str, Cell], n: int, product_banks: dict[str, str] | None = None
) -> set[str]:
    """The keys to hide: groups under `n` enterprises, then complementary ones.

    While the hidden groups together could be recovered by subtracting the shown ones from
    the total (one hidden group, or hidden groups that together still rest on fewer than
    `n` enterprises), the smallest shown group is hidden too — a sibling under the same
    parent (city, section, bank) first, since the parent's own row is shown elsewhere.
    """
    hidden = {key for key, cell in cells.items() if too_small(cell, n)}
    if not hidden:
        return hidden
    banks = product_banks or {}

    def exposed() -> bool:
        union = Cell()
        for key in hidden:
            union.merge(_copy(cells[key]))
        return len(hidden) == 1 or too_small(union, n)

    def size(key: str) -> tuple:
        cell = cells[key]
        return (cell.distinct("applicants") + cell.distinct("borrowers"), cell.demand_count, key)

    while exposed():
        shown = [key for key in cells if key not in hidden and _has_figures(cells[key])]
        if not shown:
            break
        parents = {_parent(dim, key, banks) for key in hidden} - {None}
        siblings = [key for key in shown if _parent(dim, key, banks) in parents]
        hidden.add(min(siblings or shown, key=size))
    # Per parent too: one hidden child of a shown parent is its parent minus its siblings.
    if dim in ("county", "division", "product"):
        for parent in {_parent(dim, key, banks) for key in hidden} - {None}:
            children = [key for key in cells if _parent(dim, key, banks) == parent]
            mine = [key for key in children if key in hidden]
            rest = [key for key in children if key not in hidden and _has_figures(cells[key])]
            if len(mine) == 1 and rest:
                hidden.add(min(rest, key=size))
    return hidden


def _copy(cell: Cell) -> Cell:
    return Cell().merge(cell)


def _has_figures(cell: Cell) -> bool:
    return bool(cell.demand_count or cell.accepted or cell.lapsed or cell.approved
                or cell.rejected or cell.disbursed_count)  # fmt: skip


_SECTIONS: dict[str, str | None] = {}


def _section_of(key: str) -> str | None:
    if not key:
        return None
    if len(key) == 1:
        return key
    if not _SECTIONS:
        _SECTIONS.update(
            {code: parent for code, parent in db.session.execute(
                select(Industry.code, Industry.parent_code).where(Industry.level == "division"))}
        )  # fmt: skip
    return _SECTIONS.get(key)


# --- labels ----------------------------------------------------------------------------------


def _labels(dim: str, keys: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(key → label, product key → bank key) for the rows shown."""
    keys = list(keys)
    unknown = str(_l("未知"))
    if dim == "month":
        return {k: month_label(int(k)) for k in keys}, {}
    if dim in ("city", "county"):
        names = region_names()
        return {k: names.get(k, k) if k else unknown for k in keys}, {}
    if dim in ("section", "division"):
        names = industry_names()
        return {k: names.get(k, k) if k else unknown for k in keys}, {}
    if dim == "bank":
        ids = [int(k) for k in keys if k]
        found = db.session.execute(select(Bank.id, Bank.name).where(Bank.id.in_(ids)))
        bank_names: dict[int, str] = {int(i): str(n) for i, n in found}
        return {
            k: bank_names.get(int(k), k) if k else str(_l("未受理的开放需求")) for k in keys
        }, {}
    ids = [int(k) for k in keys if k]
    rows = db.session.execute(
        select(Product.id, Product.name, Bank.name, Product.bank_id)
        .join(Bank, Bank.id == Product.bank_id)
        .where(Product.id.in_(ids))
    ).all()
    labels = {str(pid): f"{bank} · {name}" for pid, name, bank, _bid in rows}
    banks = {str(pid): str(bid) for pid, _n, _b, bid in rows}
    return {k: labels.get(k, k) if k else str(_l("开放需求")) for k in keys}, banks


def _public_key(dim: str, key: str, bank_codes: dict[int, str]) -> str | None:
    if not key:
        return None
    if dim == "bank":
        return bank_codes.get(int(key), key)
    if dim == "month":
        return month_label(int(key))
    return key


# --- the summary -----------------------------------------------------------------------------


@dataclass
class Summary:
    query: Query
    rows: list[dict]
    totals: dict
    rollup_months: int
    live_months: int

    def to_dict(self) -> dict:
        f = self.query.filters
        return {
            "group_by": self.query.group_by,
            "from": month_label(self.query.first),
            "to": month_label(self.query.last),
            "filters": {
                "place": f.county or f.city,
                "industry": f.division or f.section,
                "bank": _bank_code(f.bank_id),
                "product_type": f.product_type,
            },
            "min_enterprises": min_enterprises(),
            "rows": self.rows,
            "totals": self.totals,
        }


def _bank_code(bank_id: int | None) -> str | None:
    return (
        None if bank_id is None else db.session.scalar(select(Bank.code).where(Bank.id == bank_id))
    )


def summarize(query: Query, *, now: datetime | None = None, live_only: bool = False) -> Summary:
    """One row per group (suppressed where too few enterprises) and the totals."""
    dim = query.group_by
    cells, rolled = cells_for(query, now=now, live_only=live_only)
    n = min_enterprises()
    labels, product_banks = _labels(dim, cells)
    hidden = suppress(dim, cells, n, product_banks)
    bank_codes = (
        dict(db.session.execute(select(Bank.id, Bank.code)).all())
        if dim in ("bank", "product")
        else {}
    )
    total = Cell()
    for cell in cells.values():
        total.merge(_copy(cell))
    ordered = dim in ("month", "city", "county", "section", "division")
    rows = []
    for key in sorted(cells, key=lambda k: (k == "", k if ordered else labels[k])):
        row: dict[str, Any] = {"key": _public_key(dim, key, bank_codes), "label": labels[key]}
        if dim == "product":
            bank_id = product_banks.get(key)
            row["bank"] = bank_codes.get(int(bank_id)) if bank_id else None
        row.update(_shown(cells[key], key in hidden))
        rows.append(row)
    return Summary(
        query, rows, _shown(total, too_small(total, n)), rolled, len(query.months) - rolled
    )


def _shown(cell: Cell, hidden: bool) -> dict:
    values = figures(cell)
    if hidden:
        values = dict.fromkeys(values)
    return {"suppressed": hidden, **values}


def summary_for(user: User | None, args: dict[str, Any], *, now: datetime | None = None) -> Summary:
    """The API and the dashboard: parse, scope to the user, summarize."""
    query = scope(user, parse_query(args, now))
    return summarize(query, now=now)


# --- data indicators -------------------------------------------------------------------------


def data_indicators(user: User | None) -> dict[str, Any]:
    """Records per source, enterprises in the registry, enterprises with a collection
    authorization in force (the office and the operator only: these are platform-wide)."""
    if user is None or user.role not in (Role.REGULATOR, Role.ADMIN):
        raise Forbidden(_("您的角色无权查看数据指标"), code="wrong_role")
    from app.ingest.models import (
        PublicCreditRecord,
        SocialInsuranceRecord,
        TaxPayment,
        TaxRating,
        UtilityBill,
    )

    models = {
        "public_credit": PublicCreditRecord, "tax_ratings": TaxRating,
        "tax_payments": TaxPayment, "utility_bills": UtilityBill,
        "social_insurance": SocialInsuranceRecord,
    }  # fmt: skip
    records = {"enterprises": db.session.scalar(select(func.count()).select_from(Enterprise)) or 0}
    for source, model in models.items():
        records[source] = db.session.scalar(select(func.count()).select_from(model)) or 0
    now = utcnow()
    authorized = db.session.scalar(
        select(func.count(func.distinct(Authorization.enterprise_id))).where(
            Authorization.kind == "collection",
            Authorization.state == "active",
            Authorization.valid_from <= now,
            or_(Authorization.valid_until.is_(None), Authorization.valid_until > now),
        )
    )
    return {
        "records": records,
        "enterprises": records["enterprises"],
        "enterprises_verified": db.session.scalar(
            select(func.count()).select_from(Enterprise).where(Enterprise.verified.is_(True))
        )
        or 0,
        "enterprises_with_collection_authorization": authorized or 0,
    }


# --- the rollup ------------------------------------------------------------------------------


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


# --- export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    ("label", _l("分组")), ("demand_count", _l("需求笔数")),
    ("demand_amount", _l("需求金额（元）")),
    ("open_demands", _l("开放需求")), ("pickup_rate", _l("开放需求对接率")),
    ("accepted", _l("受理笔数")), ("approved", _l("批准笔数")), ("rejected", _l("拒绝笔数")),
    ("approval_rate", _l("审批通过率")), ("disbursed_count", _l("放款笔数")),
    ("disbursed_amount", _l("放款金额（元）")), ("first_loans", _l("首贷笔数")),
    ("first_loan_amount", _l("首贷金额（元）")), ("credit_share", _l("信用贷占比")),
    ("avg_rate", _l("平均年利率（%）")), ("avg_term_months", _l("平均期限（月）")),
    ("median_days_to_accept", _l("受理用时中位数（工作日）")),
    ("median_days_to_disburse", _l("放款用时中位数（工作日）")), ("suppressed", _l("已抑制")),
]  # fmt: skip


def export_table(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """The current view as a header and rows (groups, then the totals)."""
    header = [str(label) for _name, label in EXPORT_COLUMNS]
    body = []
    for row in [*summary.rows, {"label": str(_l("合计")), **summary.totals}]:
        body.append([_cell_value(row.get(name)) for name, _label in EXPORT_COLUMNS])
    return header, body


def _cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "Y" if value else ""
    return "" if value is None else value
