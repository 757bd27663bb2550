"""Loan quality for the financial office (and for each bank, its own): the loan book as of
the end of a month — outstanding balance (贷款余额), overdue and non-performing (不良)
balances and ratios — by bank, product, city, county, industry section and division, and
enterprise size (大/中/小/微).

A stock, not a flow: each loan counts as its newest status report up to the month's last day
says (`loans.queries.book_as_of`; what "overdue" and "non-performing" mean is defined there
once). Computed live in one statement per table. Suppressed like the lending statistics
(`suppression.suppress`, the same rule and complement) in three families, each resting on
its own enterprises: the book, the overdue loans, the non-performing loans (docs/stats.md,
"Loan quality").
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from app.applications.models import Application
from app.auth.models import User
from app.banks.models import Bank
from app.enterprises.models import Enterprise
from app.enterprises.services import industry_names, region_names
from app.enterprises.size import SIZE_LABELS, SIZES, Size
from app.errors import ValidationFailed
from app.extensions import db
from app.facts.registry import size_in_use
from app.loans.queries import book_as_of, in_book, is_non_performing, is_overdue
from app.stats import services
from app.stats.models import AXES
from app.stats.queries import (
    _axis_key,
    _dec,
    _sketch,
    _where,
    current_month,
    merge_sketch,
    month_label,
    parse_sketch,
)
from app.stats.suppression import merged, min_enterprises, small_families, suppress

GROUPINGS = ("bank", "product", "city", "county", "section", "division", "size")
GROUP_LABELS = {**{g: services.GROUP_LABELS[g] for g in GROUPINGS[:-1]}, "size": _l("企业规模")}
FAMILIES = ("book", "overdue", "npl")
FAMILY_FIGURES = {
    "book": ("loans", "outstanding"),
    "overdue": ("overdue_loans", "overdue_amount", "overdue_ratio"),
    "npl": ("npl_loans", "npl_amount", "npl_ratio"),
}
# The names the API and exports give the families.
FAMILY_NAMES = {"book": "book", "overdue": "overdue", "npl": "non_performing"}
FAMILY_LABELS = {"book": _l("贷款余额"), "overdue": _l("逾期数据"), "npl": _l("不良数据")}
FIGURES = tuple(name for names in FAMILY_FIGURES.values() for name in names)
FOUR = Decimal("0.0001")
TWO = Decimal("0.01")


@dataclass
class LoanCell:
    """Additive figures of one group of the book, and per family the smallest enterprise
    ids behind it (a sketch, as `queries.Cell`)."""

    loans: int = 0
    outstanding: Decimal = Decimal(0)
    overdue_loans: int = 0
    overdue_amount: Decimal = Decimal(0)
    npl_loans: int = 0
    npl_amount: Decimal = Decimal(0)
    book: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    npl: list[int] = field(default_factory=list)

    SUMS = ("loans", "outstanding", "overdue_loans", "overdue_amount", "npl_loans", "npl_amount")

    def merge(self, other: LoanCell) -> LoanCell:
        for name in self.SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for family in FAMILIES:
            setattr(self, family, merge_sketch(getattr(self, family), getattr(other, family)))
        return self

    def distinct(self, family: str) -> int:
        return len(getattr(self, family))

    def events(self, family: str) -> int:
        return {"book": self.loans, "overdue": self.overdue_loans, "npl": self.npl_loans}[family]


@dataclass(frozen=True)
class LoanQuery(services.Query):
    """A table of the book: `months` holds the one month asked; `size` filters on the
    enterprise's size ("" = not known)."""

    size: str | None = None

    @property
    def month(self) -> int:
        return self.months[-1]

    @property
    def day(self) -> date:
        """The month's last day: the book as of it."""
        year, month = divmod(self.month, 100)
        return date(year, month, calendar.monthrange(year, month)[1])


# --- the question ----------------------------------------------------------------------------


def parse_query(args: dict[str, Any], now: datetime | None = None) -> LoanQuery:
    """The grouping, month and filters from request arguments; 422 naming a bad field."""

    def arg(name: str) -> str:
        value = args.get(name)
        return "" if value is None or name == "product_type" else str(value).strip()

    group_by = services.parse_grouping(arg("group_by"), "bank", GROUPINGS)
    this = current_month(now)
    month = services._parse_month(arg("month"), "month") if arg("month") else this
    if month > this:
        raise ValidationFailed("month", _("月份不能晚于本月"), code="bad_period")
    size = arg("size")
    if size and size not in SIZES:
        message = _("企业规模应为：%(s)s", s="、".join(str(SIZE_LABELS[Size(s)]) for s in SIZES))
        raise ValidationFailed("size", message, code="bad_size")
    return LoanQuery(group_by, (month,), services._parse_filters(arg), size=size or None)


def query_for(user: User | None, args: dict[str, Any], now: datetime | None = None) -> LoanQuery:
    """Parse, then scope to the user as every statistic is (`services.scope`: a bank sees
    only its own loans)."""
    query = services.scope(user, parse_query(args, now))
    assert isinstance(query, LoanQuery)
    return query


# --- the cells -------------------------------------------------------------------------------


def _key(dim: str):
    if dim == "size":
        return func.coalesce(size_in_use(), "")
    return _axis_key(dim)


def cells_for(query: LoanQuery) -> dict[str, LoanCell]:
    """Each group's cell of the book as of the query's month, in one statement."""
    return {keys[0]: cell for keys, cell in _cells(query, (query.group_by,)).items()}


def _cells(query: LoanQuery, dims: tuple[str, ...]) -> dict[tuple[str, ...], LoanCell]:
    """Each group's cell by the keys of `dims` (one grouping, or the two of a cross)."""
    book = book_as_of(query.day)
    status, dpd, amount = book.c.status, book.c.days_past_due, book.c.outstanding
    eid = book.c.enterprise_id
    kept, late, bad = in_book(status), is_overdue(status, dpd), is_non_performing(status)
    bad = and_(kept, bad)
    keys = [_key(dim).label(f"k{i}") for i, dim in enumerate(dims)]
    sketches = [part for cond in (kept, late, bad) for part in _sketch(eid, cond)]
    where = _where(query.filters)
    if query.size is not None:
        where.append(func.coalesce(size_in_use(), "") == query.size)
    rows = db.session.execute(
        select(
            *keys,
            func.count().filter(kept),
            func.sum(amount).filter(kept),
            func.count().filter(late),
            func.sum(amount).filter(late),
            func.count().filter(bad),
            func.sum(amount).filter(bad),
            *sketches,
        )
        .select_from(book)
        .join(Application, Application.id == book.c.application_id)
        .join(Enterprise, Enterprise.id == book.c.enterprise_id)
        .where(kept, *where)
        .group_by(*keys)
    ).all()
    cells = {}
    for row in rows:
        n, out, n_late, late_amount, n_bad, bad_amount, *ids = row[len(dims) :]
        cells[tuple(str(k) for k in row[: len(dims)])] = LoanCell(
            loans=int(n or 0), outstanding=_dec(out), overdue_loans=int(n_late or 0),
            overdue_amount=_dec(late_amount), npl_loans=int(n_bad or 0),
            npl_amount=_dec(bad_amount), book=parse_sketch(ids[0], ids[1]),
            overdue=parse_sketch(ids[2], ids[3]), npl=parse_sketch(ids[4], ids[5]),
        )  # fmt: skip
    return cells


# --- what is shown ---------------------------------------------------------------------------


def _ratio(num: Decimal, den: Decimal) -> str | None:
    if not den:
        return None
    return str((Decimal(num) / Decimal(den)).quantize(FOUR, rounding=ROUND_HALF_UP))


def figures(cell: LoanCell) -> dict[str, Any]:
    """The published figures of a cell (money and ratios 0–1 as decimal strings)."""
    return {
        "loans": cell.loans,
        "outstanding": str(Decimal(cell.outstanding).quantize(TWO)),
        "overdue_loans": cell.overdue_loans,
        "overdue_amount": str(Decimal(cell.overdue_amount).quantize(TWO)),
        "overdue_ratio": _ratio(cell.overdue_amount, cell.outstanding),
        "npl_loans": cell.npl_loans,
        "npl_amount": str(Decimal(cell.npl_amount).quantize(TWO)),
        "npl_ratio": _ratio(cell.npl_amount, cell.outstanding),
    }


def shown(cell: LoanCell, withheld: set[str]) -> dict[str, Any]:
    """A row as published: the withheld families' figures null, and a ratio whenever its
    denominator, the book's balance, is withheld."""
    values = figures(cell)
    families = [family for family in FAMILIES if family in withheld]
    for family in families:
        values.update(dict.fromkeys(FAMILY_FIGURES[family]))
    if "book" in withheld:
        values.update(overdue_ratio=None, npl_ratio=None)
    return {
        "suppressed": bool(families),
        "suppressed_families": [FAMILY_NAMES[family] for family in families],
        **values,
    }


def _withheld(query: LoanQuery, cells: dict[str, LoanCell], n: int, decided: dict,
              product_banks: dict[str, str]) -> tuple[set[str], dict[str, set[str]]]:  # fmt: skip
    """(The families withheld from the totals; per family, the groups withheld.) The same
    rule as `services.withheld`: the totals when small or when they are a withheld row of
    the table without one of the filters; the groups by `suppression.suppress`."""
    total = merged(cells.values(), LoanCell)
    whole = small_families(total, n, FAMILIES) | _withheld_by_filters(query, n, decided)
    row = _cross_row(query)
    if row is None:
        parent_of = services._parent_of(query.group_by, product_banks)
        hidden = suppress(cells, n, parent_of=parent_of, whole=whole, families=FAMILIES)
    else:
        hidden = _row_of_cross(query, *row, n, decided)
    decided[query] = hidden
    return whole, hidden


# The axes of the book: the lending statistics' and the enterprise's size (one level).
ORDER = {**AXES, "size": ("size",)}
DIM_AXIS = {**services.DIM_AXIS, "size": ("size", "size")}


def _cross_row(query: LoanQuery) -> tuple[str, str, str, LoanQuery] | None:
    """As `services.cross_of`, with size an axis: (the filter's axis, level and key; the
    question without that filter and without its own axis's, the cross's other filters)."""
    own_axis, own_level = DIM_AXIS[query.group_by]
    f = query.filters
    scoped = query.bank_scoped and f.bank_id is not None
    filters = [found for found in services.filter_keys(f) if found[0] != "bank" or not scoped]
    if query.size is not None:
        filters.append(("size", "size", query.size))
    found = services.cross_of(own_axis, own_level, filters, ORDER)
    if found is None:
        return None
    rest = query
    for axis in (found[0], own_axis):
        if axis == "size":
            rest = replace(rest, size=None)
        elif axis != "bank" or not scoped:  # a bank's own scope stays: its own figures
            rest = replace(rest, filters=services._without(rest.filters, axis))
    return (*found, replace(rest, group_by=""))


def _row_of_cross(
    query: LoanQuery, axis: str, level: str, key: str, rest: LoanQuery, n: int, decided: dict
) -> dict[str, set[str]]:
    """The groups `query` withholds: its row of the cross of its grouping and its filter,
    the cross decided once per request (`services.decide_cross`)."""
    own_axis, own_level = DIM_AXIS[query.group_by]
    levels = {axis: level, own_axis: own_level}
    memo = ("cross", tuple(sorted(levels.items())), rest)
    if memo not in decided:

        def margin(dim: str) -> dict[str, set[str]]:
            table = replace(rest, group_by=dim)
            if table not in decided:
                cells = cells_for(table)
                _withheld(table, cells, n, decided, _labels_of(dim, cells)[1])
            return decided[table]

        dims = tuple(levels[axis] for axis in ORDER if axis in levels)
        cells = _cells(rest, dims)
        decided[memo] = services.decide_cross(levels, ORDER, cells, n, margin, families=FAMILIES)  # type: ignore[arg-type]
    return services.row_of(decided[memo], ORDER, levels, axis, key, own_axis)


def _withheld_by_filters(query: LoanQuery, n: int, decided: dict) -> set[str]:
    above: list[tuple[LoanQuery, str]] = [  # (the table without a filter, its row)
        (replace(query, group_by=level, filters=services._without(query.filters, axis)), key)
        for axis, level, key in services.filter_keys(query.filters)
        if axis != "bank" or not query.bank_scoped  # a bank's own figures: its own
    ]
    if query.size is not None:
        above.append((replace(query, group_by="size", size=None), query.size))
    families: set[str] = set()
    for table, key in above:
        if table not in decided:
            cells = cells_for(table)
            _labels, banks = _labels_of(table.group_by, cells)
            _withheld(table, cells, n, decided, banks)
        families |= {family for family, keys in decided[table].items() if key in keys}
    return families


def _labels_of(dim: str, keys) -> tuple[dict[str, str], dict[str, str]]:
    if dim == "size":
        unknown = _("未知")
        return {k: str(SIZE_LABELS[Size(k)]) if k in SIZES else unknown for k in keys}, {}
    return services._labels(dim, keys)


@dataclass
class LoanSummary:
    query: LoanQuery
    rows: list[dict]
    totals: dict

    def to_dict(self) -> dict:
        f = self.query.filters
        return {
            "group_by": self.query.group_by,
            "month": month_label(self.query.month),
            "as_of": self.query.day.isoformat(),
            "filters": {
                "place": f.county or f.city,
                "industry": f.division or f.section,
                "bank": services._bank_code(f.bank_id),
                "size": self.query.size,
            },
            "min_enterprises": min_enterprises(),
            "rows": self.rows,
            "totals": self.totals,
        }


def summarize(query: LoanQuery, *, decided: dict | None = None) -> LoanSummary:
    """One row per group and the totals, each family withheld where it would reveal too
    few enterprises. `decided`: the tables already decided for this request."""
    dim = query.group_by
    cells = cells_for(query)
    labels, product_banks = _labels_of(dim, cells)
    whole, hidden = _withheld(
        query, cells, min_enterprises(), {} if decided is None else decided, product_banks
    )
    codes = dict(db.session.execute(select(Bank.id, Bank.code)).all())
    ordered = dim in ("city", "county", "section", "division")
    rows = []
    for key in sorted(cells, key=lambda k: (k == "", k if ordered else labels[k])):
        public = (key or None) if dim == "size" else services._public_key(dim, key, codes)
        row: dict[str, Any] = {"key": public, "label": labels[key]}
        if dim == "product":
            bank_id = product_banks.get(key)
            row["bank"] = codes.get(int(bank_id)) if bank_id else None
        row.update(shown(cells[key], {family for family in FAMILIES if key in hidden[family]}))
        rows.append(row)
    return LoanSummary(query, rows, shown(merged(cells.values(), LoanCell), whole))


def summary_for(user: User | None, args: dict[str, Any], *, now: datetime | None = None):
    """The API and the page: parse, scope to the user, summarize."""
    return summarize(query_for(user, args, now))


def families_label(families: list[str]) -> str:
    return "、".join(str(FAMILY_LABELS[f]) for f in FAMILIES if FAMILY_NAMES[f] in families)


# --- export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    ("label", _l("分组")), ("loans", _l("在贷笔数")), ("outstanding", _l("贷款余额（元）")),
    ("overdue_loans", _l("逾期笔数")), ("overdue_amount", _l("逾期贷款余额（元）")),
    ("overdue_ratio", _l("逾期率")), ("npl_loans", _l("不良笔数")),
    ("npl_amount", _l("不良贷款余额（元）")), ("npl_ratio", _l("不良率")),
    ("suppressed_families", _l("已抑制")),
]  # fmt: skip
_FORMATS = {"outstanding": "#,##0.00", "overdue_amount": "#,##0.00", "npl_amount": "#,##0.00",
            "overdue_ratio": "0.00%", "npl_ratio": "0.00%", "label": None,
            "suppressed_families": None}  # fmt: skip


def export_formats() -> list[str | None]:
    return [_FORMATS.get(name, "#,##0") for name, _label in EXPORT_COLUMNS]


def export_table(summary: LoanSummary) -> tuple[list[str], list[list[Any]]]:
    """The table as a header and rows (groups, then the totals)."""
    header = [str(label) for _name, label in EXPORT_COLUMNS]
    body = []
    for row in [*summary.rows, {"label": _("合计"), **summary.totals}]:
        values = []
        for name, _label in EXPORT_COLUMNS:
            value = row.get(name)
            if name == "suppressed_families":
                value = families_label(value or [])
            values.append("" if value is None else value)
        body.append(values)
    return header, body


def export_filters(summary: LoanSummary) -> list[tuple[str, str]]:
    """What an export shows, in words, above its table."""
    q, f = summary.query, summary.query.filters
    regions, industries = region_names(), industry_names()
    place, trade = f.county or f.city, f.division or f.section
    bank = db.session.get(Bank, f.bank_id) if f.bank_id is not None else None
    return [
        (_("截至"), q.day.isoformat()),
        (_("分组"), str(GROUP_LABELS.get(q.group_by, q.group_by))),
        (_("所在地区"), regions.get(place, place) if place else _("全省")),
        (_("所属行业"), f"{trade} {industries.get(trade, '')}".strip() if trade else _("全部行业")),
        (_("银行"), bank.name if bank else _("全部银行")),
        (_("企业规模"), _labels_of("size", [q.size])[0][q.size] if q.size else _("全部规模")),
    ]
