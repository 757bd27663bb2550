"""Lending statistics for the financial office (and for each bank, its own).

Who sees what (`scope`), the period and filters (`parse_query`), where a summary's cells come
from (`cells_for`: the monthly rollup, `rollup.py`, for completed months; computed live,
`queries.py`, for the current month and for filters the rollup cannot answer), and the
summary itself with its labels, suppression (`suppression.py`), indicators and exports.
docs/stats.md states the definitions in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from app.auth.models import BANK_ROLES, Role, User
from app.banks.models import Bank
from app.clock import utcnow
from app.consent.models import Authorization
from app.consent.services import in_force
from app.enterprises.models import Enterprise, Industry, Region
from app.enterprises.services import industry_names, region_names
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.products.models import PRODUCT_TYPES, TYPE_LABELS, Product
from app.sources.models import ENTERPRISE_SOURCES
from app.stats.cross import cross_cells
from app.stats.models import AXES, GRAINS, StatsIndicator
from app.stats.queries import (
    DIM_AXIS,
    OPEN_PREFIX,
    Cell,
    Filters,
    _add_months,
    current_month,
    grain_of,
    live_cells,
    month_label,
    months_between,
    section_of,
)
from app.stats.rollup import rolled_months, rollup_cells, with_provisional
from app.stats.suppression import (
    FAMILIES,
    FAMILY_LABELS,
    FAMILY_NAMES,
    Node,
    cross_nodes,
    merged,
    min_enterprises,
    shown,
    small_families,
    suppress,
    suppress_cross,
)

GROUPINGS = ("month", "city", "county", "section", "division", "bank", "product")
GROUP_LABELS = {
    "month": _l("月份"), "city": _l("市"), "county": _l("区县"), "section": _l("行业门类"),
    "division": _l("行业大类"), "bank": _l("银行"), "product": _l("产品"),
}  # fmt: skip
# `industry` is accepted as a synonym of `section` in the API (the documented parameter name).
ALIASES = {"industry": "section"}
DEFAULT_MONTHS = 12
MAX_MONTHS = 120
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# --- the question: who asks, for what --------------------------------------------------------


@dataclass(frozen=True)
class Query:
    group_by: str
    months: tuple[int, ...]
    filters: Filters = field(default_factory=Filters)
    # The bank filter is a bank user's own bank (forced by `scope`), not a question's choice.
    bank_scoped: bool = False

    @property
    def first(self) -> int:
        return self.months[0]

    @property
    def last(self) -> int:
        return self.months[-1]


def _parse_month(value: str, name: str) -> int:
    match = _MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(name, _("月份格式应为 YYYY-MM"), code="bad_period")
    return int(match.group(1)) * 100 + int(match.group(2))


def parse_grouping(value: str, default: str, groupings: Sequence[str]) -> str:
    """The grouping asked for (by name or alias; `default` when none is), one of
    `groupings`; else 422 listing them. Every stats table's query reads it so."""
    group_by = ALIASES.get(value or default, value or default)
    if group_by not in groupings:
        raise ValidationFailed(
            "group_by",
            _("未知的分组：%(g)s（可选 %(all)s）", g=value, all=", ".join(groupings)),
            code="bad_group_by",
        )
    return group_by


def parse_query(args: dict[str, Any], now: datetime | None = None) -> Query:
    """The grouping, period and filters from request arguments; 422 naming a bad field."""

    def arg(name: str) -> str:
        value = args.get(name)
        return "" if value is None else str(value).strip()

    group_by = parse_grouping(arg("group_by"), "month", GROUPINGS)
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


OFFICE_ROLES = (Role.REGULATOR, Role.ADMIN)  # see every bank and the data indicators


def sees_every_bank(user: User | None) -> bool:
    return user is not None and user.role in OFFICE_ROLES


def scope(user: User | None, query: Query) -> Query:
    """Who may read what: the office and the operator everything; a bank only its own
    figures (the bank filter is forced, another bank is refused); nobody else."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("请先登录"))
    if sees_every_bank(user):
        return query
    if user.role in BANK_ROLES and user.bank_id is not None:
        if query.filters.bank_id not in (None, user.bank_id):
            raise Forbidden(_("银行只能查看本行的统计"), code="other_bank")
        return replace(
            query, filters=replace(query.filters, bank_id=user.bank_id), bank_scoped=True
        )
    raise Forbidden(_("您的角色无权查看统计"), code="wrong_role")


@dataclass
class Cells:
    """A question's cells, and where they came from."""

    by_key: dict[str, Cell]
    rolled: int  # months read from the rollup
    # The months computed live and their cell over every group (the trend's row for them),
    # when they were computed one by one — the dashboard's trend reuses it (of a month
    # rolled up provisionally, the days computed live).
    live: dict[int, Cell] = field(default_factory=dict)


def cells_for(
    query: Query,
    *,
    now: datetime | None = None,
    live_only: bool = False,
    known: dict[int, Cell] | None = None,
) -> Cells:
    """Each group's cell: completed months from the rollup grain that answers the question,
    the rest computed live (a month in `known` — the trend's current month already computed
    for a breakdown — is taken as it is)."""
    dim = query.group_by
    this = current_month(now)
    months = [m for m in query.months if m <= this]
    grain = grain_of(dim, query.filters)
    usable = grain in GRAINS and not live_only
    rolled = sorted(rolled_months(months)) if usable else []
    known = known or {}
    live = [m for m in months if m not in rolled and m not in known]

    def read(partial: dict) -> tuple[dict[str, Cell], dict[str, Cell]]:
        # A month rolled up provisionally (the current month's completed days): its rows
        # are read with the rest, its days from `partial[month]` on computed live.
        stored = [*rolled, *partial]
        cells = rollup_cells(grain, dim, query.filters, stored) if stored else {}
        return cells, live_cells(dim, query.filters, live, since=partial)

    pending = [m for m in months if m not in rolled] if usable else []
    cells, computed = with_provisional(pending, read)
    for key, cell in computed.items():
        cells.setdefault(key, Cell()).merge(cell)
    for month, cell in known.items():
        if month in months and month not in rolled:
            cells.setdefault(str(month), Cell()).merge(cell)
    if dim == "month":  # every month of the period has a row, empty or not
        for m in months:
            cells.setdefault(str(m), Cell())
    whole = {}
    if len(live) == 1:  # the groups split that month's applications: their union is its row
        whole[live[0]] = Cell()
        for cell in computed.values():
            whole[live[0]].merge(cell)
    return Cells(cells, len(rolled), whole)


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
    ids = [int(k) for k in keys if k.isdigit()]
    rows = db.session.execute(
        select(Product.id, Product.name, Bank.name, Product.bank_id)
        .join(Bank, Bank.id == Product.bank_id)
        .where(Product.id.in_(ids))
    ).all()
    labels = {str(pid): f"{bank} · {name}" for pid, name, bank, _bid in rows}
    banks = {str(pid): str(bid) for pid, _n, _b, bid in rows}
    # Open demands a bank picked up are a row of that bank ("o" + its id); those no bank
    # picked up are the row of none, as in the bank breakdown.
    picked = [k for k in keys if k.startswith(OPEN_PREFIX)]
    takers = db.session.execute(
        select(Bank.id, Bank.name).where(Bank.id.in_([int(k[1:]) for k in picked]))
    )
    taker_names = {f"{OPEN_PREFIX}{i}": str(name) for i, name in takers}
    for key in picked:
        labels[key] = f"{taker_names.get(key, key)} · {_l('开放需求')}"
        banks[key] = key[len(OPEN_PREFIX) :]
    return {k: labels.get(k, k) if k else str(_l("未受理的开放需求")) for k in keys}, banks


def _public_key(dim: str, key: str, bank_codes: dict[int, str]) -> str | None:
    if not key or (dim == "product" and key.startswith(OPEN_PREFIX)):
        return None  # the unknown, and open demands (a product row's `bank` says whose)
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
    live: dict[int, Cell] = field(default_factory=dict)  # see Cells.live

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


def summarize(
    query: Query,
    *,
    now: datetime | None = None,
    live_only: bool = False,
    known: dict[int, Cell] | None = None,
    decided: dict | None = None,
) -> Summary:
    """One row per group and the totals, each family of figures withheld where it would
    reveal too few enterprises (`withheld`). `decided`: the tables already decided for this
    request (the dashboard's trend and breakdown share them)."""
    dim = query.group_by
    found = cells_for(query, now=now, live_only=live_only, known=known)
    cells, rolled = found.by_key, found.rolled
    n = min_enterprises()
    labels, product_banks = _labels(dim, cells)
    context = _Decided(now, live_only, {} if decided is None else decided)
    whole, hidden = withheld(query, cells, n, context, product_banks)
    bank_codes = (
        dict(db.session.execute(select(Bank.id, Bank.code)).all())
        if dim in ("bank", "product")
        else {}
    )
    ordered = dim in ("month", "city", "county", "section", "division")
    rows = []
    for key in sorted(cells, key=lambda k: (k == "", k if ordered else labels[k])):
        row: dict[str, Any] = {"key": _public_key(dim, key, bank_codes), "label": labels[key]}
        if dim == "product":
            bank_id = product_banks.get(key)
            row["bank"] = bank_codes.get(int(bank_id)) if bank_id else None
        row.update(shown(cells[key], {family for family in FAMILIES if key in hidden[family]}))
        rows.append(row)
    return Summary(
        query,
        rows,
        shown(merged(cells.values()), whole),
        rolled,
        len(query.months) - rolled,
        found.live,
    )


# --- suppression across the tables of a question ---------------------------------------------


@dataclass
class _Decided:
    """The tables decided so far: (grouping, months, filters) → per family, the groups
    withheld."""

    now: datetime | None
    live_only: bool
    tables: dict


def withheld(
    query: Query, cells: dict[str, Cell], n: int, decided: _Decided,
    product_banks: dict[str, str] | None = None,
) -> tuple[set[str], dict[str, set[str]]]:  # fmt: skip
    """(The families withheld from the question's total; per family, the groups withheld.)

    The total is withheld where it rests on too few enterprises, and where it is a group
    withheld in the table without one of the question's filters (place=西安 is 西安's row of
    the city table; a drill-down must not show what the table above it withholds). The
    groups follow `suppression.suppress`: counties, divisions and products as children of
    their city, section and bank."""
    whole = small_families(merged(cells.values()), n) | _withheld_by_filters(query, n, decided)
    row = _cross_row(query)
    if row is None:
        parent_of = _parent_of(query.group_by, product_banks or {})
        hidden = suppress(cells, n, parent_of=parent_of, whole=whole)
    else:
        hidden = _row_of_cross(query, *row, n, decided)
    decided.tables[(query.group_by, query.months, query.filters)] = hidden
    return whole, hidden


def _cross_row(query: Query) -> tuple[str, str, str, Filters] | None:
    """(The filter's axis, level and key; the filters the cross is taken under) when
    `query`'s table is a row of a cross (`cross_of`), else None."""
    if query.group_by not in DIM_AXIS:
        return None
    own_axis, own_level = DIM_AXIS[query.group_by]
    f = query.filters
    scoped = query.bank_scoped and f.bank_id is not None
    filters = [(axis, level, key) for axis, level, key in filter_keys(f)
               if axis != "bank" or not scoped]  # fmt: skip
    found = cross_of(own_axis, own_level, filters, AXES)
    if found is None:
        return None
    rest = _without(f, found[0])
    if own_axis != "bank" or not scoped:  # a bank's own scope stays: its own figures
        rest = _without(rest, own_axis)
    return (*found, rest)


def filter_keys(f: Filters) -> list[tuple[str, str, str]]:
    """Each filter as (axis, level, key)."""
    found = []
    if f.county or f.city:
        found.append(("place", "county" if f.county else "city", str(f.county or f.city)))
    if f.division or f.section:
        found.append(("industry", "division" if f.division else "section",
                      str(f.division or f.section)))  # fmt: skip
    if f.bank_id is not None:
        found.append(("bank", "bank", str(f.bank_id)))
    return found


def cross_of(
    own_axis: str, own_level: str, filters: list[tuple[str, str, str]], order: dict
) -> tuple[str, str, str] | None:
    """A table grouped on one axis and filtered on exactly one other is a row of the two
    axes' cross (`suppression.suppress_cross`): that filter (axis, level, key). None for
    the others: a table filtered on its own axis only, or on two other axes (a row of
    three: decided under its totals, themselves a cell of a cross), or on its own axis
    below its grouping's level (the city table of one county is not a row of the city
    level). `filters`: (axis, level, key), a bank's own scope left out."""
    for axis, level, _key in filters:
        if axis == own_axis and order[axis].index(level) > order[axis].index(own_level):
            return None
    others = [found for found in filters if found[0] != own_axis]
    return others[0] if len(others) == 1 else None


def _without(f: Filters, axis: str) -> Filters:
    if axis == "place":
        return replace(f, city=None, county=None)
    if axis == "industry":
        return replace(f, section=None, division=None)
    return replace(f, bank_id=None)


def row_of(
    crossed: dict[str, set[Node]], order: dict, levels: dict[str, str], axis: str, key: str,
    own_axis: str,
) -> dict[str, set[str]]:  # fmt: skip
    """Per family, the groups a table withholds: its row of a decided cross (the filter on
    `axis` is `key`; the groups are on `own_axis`)."""
    i = [a for a in order if a in levels].index(axis)
    row = (order[axis].index(levels[axis]) + 1, key)
    depth = order[own_axis].index(levels[own_axis]) + 1
    return {
        family: {node[1 - i][1] for node in nodes if node[i] == row and node[1 - i][0] == depth}
        for family, nodes in crossed.items()
    }


def decide_cross(
    levels: dict[str, str],
    order: dict,
    cells: dict[tuple[str, str], Any],
    n: int,
    margin: Callable[[str], dict[str, set[str]]],
    *,
    families: Iterable[str] = FAMILIES,
    within: tuple[str, dict[tuple[str, str], Any]] | None = None,
) -> dict[str, set[Node]]:
    """The cross of two axes at `levels` (`order`: each axis's levels, coarse first), from
    its cells at those levels: its margins (each axis alone, at each level) as their own
    tables withhold them (`margin(grouping)`), then `suppression.suppress_cross`.

    `within`: (an axis at its fine level, the cells at its coarse level): `cells` then hold
    only the children of one coarse key on that axis (the counties of one city). A fine
    node is tied only to its siblings and to coarser nodes (a county's cells to its city's
    and to the other counties of that city), so its fate is the same as in the whole cross,
    at a tenth of the cost."""
    axes = [a for a in order if a in levels]
    product_banks: dict[str, str] = {}
    if "product" in levels.values():
        i = axes.index("bank")
        keys = {pair[i] for pair in cells} | {pair[i] for pair in (within or ("", {}))[1]}
        product_banks = _labels("product", keys)[1]
    parents = tuple(
        _parent_of(levels[a], product_banks) if order[a].index(levels[a]) else None for a in axes
    )
    nodes = cross_nodes(cells, parents, families)  # type: ignore[arg-type]
    if within is not None:
        i = axes.index(within[0])
        coarse = (None, parents[1]) if i == 0 else (parents[0], None)
        fine = {node: sizes for node, sizes in nodes.items() if node[i][0] == 2}
        nodes = {**cross_nodes(within[1], coarse, families), **fine}  # type: ignore[arg-type]
    margins: dict[str, set[Node]] = {family: set() for family in families}
    for i, axis in enumerate(axes):
        for depth, dim in enumerate(order[axis][: order[axis].index(levels[axis]) + 1], 1):
            for family, keys in margin(dim).items():
                margins[family] |= {
                    ((depth, k), (0, "")) if i == 0 else ((0, ""), (depth, k)) for k in keys
                }
    return suppress_cross(nodes, n, margins, parents, families)  # type: ignore[arg-type]


def fine_filter(axis: str, level: str, key: str) -> tuple[str, str] | None:
    """(the coarse level, the coarse key) of a filter at its axis's fine level (a county:
    its city; a division: its section), whose cross is taken within that coarse key."""
    if level == "county":
        return "city", str(_parent_of("county", {})(key))
    if level == "division":
        return "section", str(_parent_of("division", {})(key))
    return None


def _row_of_cross(
    query: Query, axis: str, level: str, key: str, rest: Filters, n: int, decided: _Decided
) -> dict[str, set[str]]:
    """The groups `query` withholds: its row of the cross of its grouping and its filter,
    the cross decided once per request (within the filter's city or section when it is on
    a county or a division: `decide_cross`)."""
    own_axis, own_level = DIM_AXIS[query.group_by]
    levels = {axis: level, own_axis: own_level}
    coarse = fine_filter(axis, level, key)
    memo = ("cross", tuple(sorted(levels.items())), query.months, rest, query.bank_scoped,
            coarse)  # fmt: skip
    if memo not in decided.tables:

        def margin(dim: str) -> dict[str, set[str]]:
            table = (dim, query.months, rest)
            if table not in decided.tables:
                question = Query(dim, query.months, rest, query.bank_scoped)
                cells = cells_for(question, now=decided.now, live_only=decided.live_only).by_key
                withheld(question, cells, n, decided, _labels(dim, cells)[1])
            return decided.tables[table]

        def cells_of(levels: dict[str, str], filters: Filters) -> dict:
            return cross_cells(levels, filters, query.months, now=decided.now,
                               live_only=decided.live_only)  # fmt: skip

        within = None
        cells_filters = rest
        if coarse is not None:
            within = (axis, cells_of({axis: coarse[0], own_axis: own_level}, rest))
            cells_filters = _with(rest, axis, coarse[1])
        cells = cells_of(levels, cells_filters)
        decided.tables[memo] = decide_cross(levels, AXES, cells, n, margin, within=within)
    return row_of(decided.tables[memo], AXES, levels, axis, key, own_axis)


def _with(f: Filters, axis: str, key: str) -> Filters:
    """`f` filtered on a city or a section."""
    return replace(f, city=key) if axis == "place" else replace(f, section=key)


def _withheld_by_filters(query: Query, n: int, decided: _Decided) -> set[str]:
    f = query.filters
    above = [  # (the table without the filter, the filter's group in it)
        (level, key, _without(f, axis))
        for axis, level, key in filter_keys(f)
        if axis != "bank" or not query.bank_scoped  # a bank's own figures: its own
    ]
    families: set[str] = set()
    for dim, key, rest in above:
        table = (dim, query.months, rest)
        if table not in decided.tables:
            question = Query(dim, query.months, rest, query.bank_scoped)
            cells = cells_for(question, now=decided.now, live_only=decided.live_only).by_key
            withheld(question, cells, n, decided)
        families |= {family for family, keys in decided.tables[table].items() if key in keys}
    return families


def _parent_of(dim: str, product_banks: dict[str, str]):
    """A group's parent key (its row in the coarser table), for the groupings that have one."""
    if dim == "county":  # "" (the province, or unknown) is its own city's only county
        return lambda key: key[:4] + "00" if key else ""
    if dim == "division":
        return lambda key: section_of(key) or ""
    if dim == "product":  # open demands no bank picked up: the bank breakdown's row of none
        return lambda key: product_banks.get(key, "")
    return None


def summary_for(
    user: User | None,
    args: dict[str, Any],
    *,
    now: datetime | None = None,
    decided: dict | None = None,
) -> Summary:
    """The API and the dashboard: parse, scope to the user, summarize."""
    query = scope(user, parse_query(args, now))
    return summarize(query, now=now, decided=decided)


# --- data indicators -------------------------------------------------------------------------


SOURCES = ENTERPRISE_SOURCES
AUTHORIZED = "enterprises_with_collection_authorization"


def data_indicators(user: User | None) -> dict[str, Any]:
    """Records per source, enterprises in the registry, enterprises with a collection
    authorization in force (the office and the operator only: these are platform-wide), as
    last counted by the scheduler (`as_of`); counted now, and not stored, before its first
    run (the scheduler is their only writer)."""
    if not sees_every_bank(user):
        raise Forbidden(_("您的角色无权查看数据指标"), code="wrong_role")
    stored = db.session.execute(
        select(StatsIndicator.name, StatsIndicator.value, StatsIndicator.computed_at)
    ).all()
    if stored:
        values = {name: int(value) for name, value, _at in stored}
        as_of = min(at for _n, _v, at in stored)
    else:
        as_of = utcnow()
        values = _count_indicators(as_of)
    records = {source: values.get(source, 0) for source in SOURCES}
    return {
        "records": records,
        "enterprises": records["enterprises"],
        "enterprises_verified": values.get("enterprises_verified", 0),
        AUTHORIZED: values.get(AUTHORIZED, 0),
        "as_of": as_of,
    }


def count_indicators(now: datetime | None = None) -> dict[str, int]:
    """Count the data indicators and store them (the scheduler's `count_data_indicators`,
    every 15 minutes by default)."""
    now = now or utcnow()
    values = _count_indicators(now)
    db.session.execute(delete(StatsIndicator))
    db.session.execute(
        insert(StatsIndicator),
        [{"name": name, "value": value, "computed_at": now} for name, value in values.items()],
    )
    db.session.flush()
    return values


def _count_indicators(now: datetime) -> dict[str, int]:
    """The data indicators, counted in one statement."""
    from app.ingest.models import (
        PublicCreditRecord,
        SocialInsuranceRecord,
        TaxPayment,
        TaxRating,
        UtilityBill,
    )

    models = dict(zip(SOURCES, (Enterprise, PublicCreditRecord, TaxRating, TaxPayment,
                                UtilityBill, SocialInsuranceRecord), strict=True))  # fmt: skip

    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    # One round trip: every count is a subquery of the same SELECT.
    row = db.session.execute(
        select(
            *[count(model).label(source) for source, model in models.items()],
            count(Enterprise, Enterprise.verified.is_(True)).label("enterprises_verified"),
            select(func.count(func.distinct(Authorization.enterprise_id)))
            .where(Authorization.kind == "collection", in_force(now))
            .scalar_subquery()
            .label(AUTHORIZED),
        )
    ).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


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
    ("median_days_to_disburse", _l("放款用时中位数（工作日）")),
    ("suppressed_families", _l("已抑制")),
]  # fmt: skip


# How each exported column is shown in a spreadsheet (the rest are counts or text).
MONEY_COLUMNS = frozenset({"demand_amount", "disbursed_amount", "first_loan_amount"})
RATIO_COLUMNS = frozenset({"pickup_rate", "approval_rate", "credit_share"})
DECIMAL_COLUMNS = frozenset(
    {"avg_rate", "avg_term_months", "median_days_to_accept", "median_days_to_disburse"}
)


def export_formats() -> list[str | None]:
    """Each export column's number format (Excel's codes), in `EXPORT_COLUMNS` order."""
    formats: list[str | None] = []
    for name, _label in EXPORT_COLUMNS:
        if name in MONEY_COLUMNS:
            formats.append("#,##0.00")
        elif name in RATIO_COLUMNS:
            formats.append("0.0%")
        elif name in DECIMAL_COLUMNS:
            formats.append("0.00")
        elif name in ("label", "suppressed_families"):
            formats.append(None)
        else:
            formats.append("#,##0")
    return formats


def export_filters(summary: Summary) -> list[tuple[str, str]]:
    """What an export shows, in words, for the lines above its table: the period, the
    grouping and every filter applied ("地区", "西安市")."""
    q, f = summary.query, summary.query.filters
    regions, industries = region_names(), industry_names()
    lines = [
        (_("期间"), f"{month_label(q.first)} — {month_label(q.last)}"),
        (_("分组"), str(GROUP_LABELS.get(q.group_by, q.group_by))),
    ]
    place = f.county or f.city
    lines.append((_("所在地区"), regions.get(place, place) if place else _("全省")))
    trade = f.division or f.section
    lines.append(
        (_("所属行业"), f"{trade} {industries.get(trade, '')}".strip() if trade else _("全部行业"))
    )
    if f.bank_id is not None:
        bank = db.session.get(Bank, f.bank_id)
        lines.append((_("银行"), bank.name if bank else str(f.bank_id)))
    else:
        lines.append((_("银行"), _("全部银行")))
    types = {str(kind): str(label) for kind, label in TYPE_LABELS.items()}
    kind = f.product_type
    lines.append((_("产品类型"), types.get(kind, kind) if kind else _("全部类型")))
    return lines


def export_table(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """The current view as a header and rows (groups, then the totals)."""
    header = [str(label) for _name, label in EXPORT_COLUMNS]
    body = []
    for row in [*summary.rows, {"label": str(_l("合计")), **summary.totals}]:
        body.append([_cell_value(row.get(name)) for name, _label in EXPORT_COLUMNS])
    return header, body


def families_label(families: list[str]) -> str:
    """The withheld families (API names) in words: "需求、放款"."""
    return "、".join(str(FAMILY_LABELS[f]) for f in FAMILIES if FAMILY_NAMES[f] in families)


def _cell_value(value: Any) -> Any:
    if isinstance(value, list):  # the withheld families, by name
        return families_label(value)
    return "" if value is None else value
