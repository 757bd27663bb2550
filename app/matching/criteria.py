"""The matching criteria, each declared once: its SQL predicate and its wording side by side.

SQL decides everywhere (the matches page, which banks are told of an open demand and may
see it, a bank's inbox); the wording only says, in the enterprise's terms, why SQL decided
as it did. A predicate reads the product's columns and the enterprise's side as a `Need`
of column expressions: bound parameters when one enterprise is matched
(`need_parameters`), the columns of a row per demand when a bank's inbox is checked
(`need_rows`). A value the enterprise lacks (no profile, no tax grade, no founding date) is
NULL, so its predicate is not true and the product fails that criterion.

Adding a criterion: a `Criterion(code, predicate, wording)` in `CRITERIA`, and, if it reads
a new fact of the enterprise, a field of `Need` and its value in `need_values`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)

from app.enterprises.size import SIZE_LABELS, Size
from app.facts.services import EnterpriseFacts
from app.ingest.models import TAX_GRADES
from app.products.models import Product
from app.util import format_yuan

N_REGIONS = 3  # a county is covered by itself, its city and its province
N_INDUSTRIES = 2  # a division is covered by itself and its section


@dataclass(frozen=True)
class Need:
    """The enterprise's side of every predicate, as SQL expressions."""

    amount: Any
    term: Any
    region0: Any
    region1: Any
    region2: Any
    industry0: Any
    industry1: Any
    grade_rank: Any  # 0 = the active scorecard's best grade; NULL = no grade it defines
    score: Any
    years: Any
    tax_rank: Any  # 0 = A
    black_listed: Any
    size: Any  # "%,small,%" for a LIKE on the product's sizes; NULL = size unknown


_TYPES = {
    "amount": Numeric(18, 2), "term": Integer(), "grade_rank": Integer(), "score": Integer(),
    "years": Integer(), "tax_rank": Integer(), "black_listed": Boolean(),
}  # fmt: skip
NEED_FIELDS = tuple(f.name for f in fields(Need))


def region_candidates(code: str | None) -> list[str]:
    """The product region codes that cover this county: itself, its city, its province."""
    if not code or len(code) != 6:
        return []
    return sorted({code, code[:4] + "00", code[:2] + "0000"})


def industry_candidates(facts: EnterpriseFacts) -> list[str]:
    """The product industry codes that cover this industry: its division and its section."""
    return list(dict.fromkeys(c for c in (facts.industry_division, facts.industry_section) if c))


def _rank(order: Sequence[str], code: str | None) -> int | None:
    return order.index(code) if code in order else None


def need_values(
    facts: EnterpriseFacts, amount: Decimal, term: int, grades: Sequence[str]
) -> dict[str, Any]:
    """The values of a `Need` for this enterprise and request (`grades`: the active
    scorecard's codes, best first)."""
    regions = region_candidates(facts.region_code)
    industries = industry_candidates(facts)
    values: dict[str, Any] = {
        "amount": amount,
        "term": term,
        "grade_rank": _rank(grades, facts.grade),
        "score": facts.score,
        "years": facts.years_in_business,
        "tax_rank": _rank(TAX_GRADES, facts.tax_grade),
        "black_listed": facts.black_listed,
        "size": f"%,{facts.size},%" if facts.size else None,
    }
    covering = (("region", regions, N_REGIONS), ("industry", industries, N_INDUSTRIES))
    for prefix, codes, n in covering:
        for i in range(n):
            values[f"{prefix}{i}"] = f"%,{codes[i]},%" if i < len(codes) else None
    return values


def need_parameters() -> Need:
    """A `Need` of bound parameters named after its fields (one enterprise)."""
    return Need(**{name: bindparam(name, type_=_TYPES.get(name, String())) for name in NEED_FIELDS})


def need_rows(rows: Sequence[tuple[Any, dict[str, Any]]]):
    """A subquery with one row per (key, `need_values`): column `key` and a `Need`'s fields
    (a bank's inbox checks all its open demands in one statement)."""
    selects = [
        select(
            literal(key, Integer()).label("key"),
            *[
                cast(literal(values[name]), _TYPES.get(name, String())).label(name)
                for name in NEED_FIELDS
            ],
        )
        for key, values in rows
    ]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("need")


def need_of(subquery) -> Need:
    return Need(**{name: subquery.c[name] for name in NEED_FIELDS})


def rank_of(column, order: Sequence[str]):
    """The position of `column`'s code in `order` (0 = best), NULL for a code not in it."""
    if not order:
        return null()
    return case({code: i for i, code in enumerate(order)}, value=column, else_=null())


# --- the criteria ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """What the wording reads besides the product: the enterprise's facts and its request."""

    facts: EnterpriseFacts
    amount: Decimal
    term: int
    grades: Sequence[str]  # the active scorecard's codes, best first


Predicate = Callable[[Need, Sequence[str]], ColumnElement[bool]]
Wording = Callable[[bool, Any, Case, Callable[..., str]], str]


@dataclass(frozen=True)
class Criterion:
    code: str
    predicate: Predicate  # (need, grade order) → SQL condition; not true = fails
    wording: Wording  # (passed, product, case, gettext) → the reason shown


def _amount(passed, p, c, _):
    if passed:
        return _(
            "金额在 %(a)s–%(b)s 范围内", a=format_yuan(p.amount_min), b=format_yuan(p.amount_max)
        )
    if c.amount > p.amount_max:
        return _("金额超出上限 %(v)s", v=format_yuan(p.amount_max))
    return _("金额低于下限 %(v)s", v=format_yuan(p.amount_min))


def _term(passed, p, c, _):
    if passed:
        return _("期限在 %(a)d–%(b)d 个月范围内", a=p.term_min_months, b=p.term_max_months)
    if c.term > p.term_max_months:
        return _("期限超出上限 %(n)d 个月", n=p.term_max_months)
    return _("期限低于下限 %(n)d 个月", n=p.term_min_months)


def _listed(column, need: Need, prefix: str, n: int):
    """`column` empty (no limit) or containing one of the enterprise's codes."""
    return or_(column == "", *[column.like(getattr(need, f"{prefix}{i}")) for i in range(n)])


def _region(passed, p, c, _):
    if not p.regions:
        return _("不限地区")
    if passed:
        return _("所在地区在服务范围内")
    if not region_candidates(c.facts.region_code):
        return _("企业登记地区未知")
    return _("所在地区不在服务范围内")


def _industry(passed, p, c, _):
    if not p.industries:
        return _("不限行业")
    if passed:
        return _("所属行业在支持范围内")
    if not industry_candidates(c.facts):
        return _("企业所属行业未知")
    return _("所属行业不在支持范围内")


def _grade(passed, p, c, _):
    f = c.facts
    if p.min_grade is None:
        return _("不限信用等级")
    if passed:
        return _("信用等级 %(g)s 达到要求 %(m)s", g=f.grade, m=p.min_grade)
    if f.grade is None:
        return _("暂无信用画像")
    if p.min_grade not in c.grades:
        return _("要求的信用等级 %(m)s 不在现行评分卡中", m=p.min_grade)
    if f.grade not in c.grades:
        return _("信用等级 %(g)s 不在现行评分卡中，待重新评分", g=f.grade)
    return _("信用等级 %(g)s 低于要求 %(m)s", g=f.grade, m=p.min_grade)


def _score(passed, p, c, _):
    f = c.facts
    if p.min_score is None:
        return _("不限信用评分")
    if f.score is None:
        return _("暂无信用画像")
    if passed:
        return _("信用评分 %(s)d 达到要求 %(m)d", s=f.score, m=p.min_score)
    return _("信用评分 %(s)d 低于要求 %(m)d", s=f.score, m=p.min_score)


def _years(passed, p, c, _):
    years = c.facts.years_in_business
    if p.min_years is None:
        return _("不限经营年限")
    if years is None:
        return _("成立日期未知")
    if passed:
        return _("经营 %(y)d 年，满足 %(m)d 年要求", y=years, m=p.min_years)
    return _("经营 %(y)d 年，不足 %(m)d 年", y=years, m=p.min_years)


def _tax_grade(passed, p, c, _):
    grade = c.facts.tax_grade
    if p.min_tax_grade is None:
        return _("不限纳税信用级别")
    if grade is None:
        return _("暂无纳税信用评价")
    if passed:
        return _("纳税信用 %(g)s 级达到要求 %(m)s 级", g=grade, m=p.min_tax_grade)
    return _("纳税信用 %(g)s 级低于要求 %(m)s 级", g=grade, m=p.min_tax_grade)


def _size(passed, p, c, _):
    if not p.sizes:
        return _("不限企业规模")
    wanted = "、".join(str(SIZE_LABELS[Size(s)]) for s in p.size_codes)
    size = c.facts.size
    if size is None:
        return _("企业规模未知（本产品限%(sizes)s企业）", sizes=wanted)
    label = SIZE_LABELS[Size(size)]
    if passed:
        return _("%(size)s企业，符合本产品的规模要求", size=label)
    return _("%(size)s企业，本产品仅限%(sizes)s企业", size=label, sizes=wanted)


def _black_list(passed, p, c, _):
    if not p.exclude_black_list:
        return _("本产品不排除名单主体")
    if passed:
        return _("不在严重失信主体名单")
    return _("黑名单主体不予受理")


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "amount",
        lambda n, _g: and_(Product.amount_min <= n.amount, Product.amount_max >= n.amount),
        _amount,
    ),
    Criterion(
        "term",
        lambda n, _g: and_(Product.term_min_months <= n.term, Product.term_max_months >= n.term),
        _term,
    ),
    Criterion("region", lambda n, _g: _listed(Product.regions, n, "region", N_REGIONS), _region),
    Criterion(
        "industry",
        lambda n, _g: _listed(Product.industries, n, "industry", N_INDUSTRIES),
        _industry,
    ),
    Criterion("size", lambda n, _g: or_(Product.sizes == "", Product.sizes.like(n.size)), _size),
    Criterion(
        "min_grade",
        lambda n, grades: or_(
            Product.min_grade.is_(None), rank_of(Product.min_grade, grades) >= n.grade_rank
        ),
        _grade,
    ),
    Criterion(
        "min_score",
        lambda n, _g: or_(Product.min_score.is_(None), Product.min_score <= n.score),
        _score,
    ),
    Criterion(
        "min_years",
        lambda n, _g: or_(Product.min_years.is_(None), Product.min_years <= n.years),
        _years,
    ),
    Criterion(
        "min_tax_grade",
        lambda n, _g: or_(
            Product.min_tax_grade.is_(None),
            rank_of(Product.min_tax_grade, TAX_GRADES) >= n.tax_rank,
        ),
        _tax_grade,
    ),
    Criterion(
        "black_list",
        lambda n, _g: or_(not_(Product.exclude_black_list), not_(n.black_listed)),
        _black_list,
    ),
)
CODES = tuple(c.code for c in CRITERIA)
# The criteria about the need (how much, how long); the others are about the enterprise.
NEED_CODES = ("amount", "term")


def predicates(need: Need, grades: Sequence[str]) -> list[ColumnElement[bool]]:
    """Every criterion's condition, in `CRITERIA` order."""
    return [c.predicate(need, grades) for c in CRITERIA]
