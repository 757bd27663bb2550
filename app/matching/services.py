"""Matching an enterprise's need against published products, criterion by criterion.

Set-based: one SQL query scores every published product on every criterion at once (the
enterprise's facts, from `app/facts`, are constants in it) and keeps the eligible ones and
the near misses; Python then explains each candidate's checks in Chinese and ranks them. The
ranking is explained too: rate, how well the amount and term fit the product, and the bank's
response record (median working days to accept, last 90 days).
"""

from __future__ import annotations

import functools
import operator
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy import BindParameter, and_, bindparam, case, not_, or_, select, true

from app.applications.models import Application
from app.banks.models import Bank
from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.facts.services import EnterpriseFacts, facts_for, facts_of
from app.products.models import GRADES, TAX_GRADES, Product

NEAR_MISS_MAX = 2  # products failing more checks than this are not shown
RESULT_LIMIT = 30  # the best 30 (eligible first); the API may ask for up to MAX_LIMIT
MAX_LIMIT = 100
RESPONSE_WINDOW_DAYS = 90
CRITERIA = (
    "amount", "term", "region", "industry", "min_grade", "min_score", "min_years",
    "min_tax_grade", "black_list",
)  # fmt: skip


@dataclass(frozen=True)
class BankView:
    id: int
    name: str
    code: str


@dataclass(frozen=True)
class ProductView:
    """The columns of a product that matching reads, fetched in the one SQL pass (loading
    thousands of ORM objects would cost more than the matching itself)."""

    id: int
    bank_id: int
    name: str
    type: str
    tags: list
    amount_min: Decimal
    amount_max: Decimal
    term_min_months: int
    term_max_months: int
    rate_min: Decimal
    rate_max: Decimal
    regions: str
    industries: str
    min_grade: str | None
    min_score: int | None
    min_years: int | None
    min_tax_grade: str | None
    exclude_black_list: bool
    bank: BankView

    @classmethod
    def from_row(cls, row) -> ProductView:
        values = {name: getattr(row, name) for name in _VIEW_FIELDS}
        return cls(**values, bank=BankView(row.bank_id, row.bank_name, row.bank_code))

    @property
    def region_codes(self) -> list[str]:
        return [c for c in self.regions.split(",") if c]

    @property
    def industry_codes(self) -> list[str]:
        return [c for c in self.industries.split(",") if c]


_VIEW_FIELDS = (
    "id", "bank_id", "name", "type", "tags", "amount_min", "amount_max", "term_min_months",
    "term_max_months", "rate_min", "rate_max", "regions", "industries", "min_grade",
    "min_score", "min_years", "min_tax_grade", "exclude_black_list",
)  # fmt: skip
_VIEW_COLUMNS = [getattr(Product, name) for name in _VIEW_FIELDS] + [
    Bank.name.label("bank_name"),
    Bank.code.label("bank_code"),
]


@dataclass
class Match:
    product: ProductView
    checks: list[dict[str, Any]]
    failed: int
    rank_score: float = 0.0
    rank_reasons: list[str] = field(default_factory=list)
    rank: int = 0

    @property
    def eligible(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        """The matches contract of the API, plus the product's terms and the rank's reasons."""
        p = self.product
        return {
            "product_id": p.id,
            "bank": p.bank.name,
            "bank_code": p.bank.code,
            "name": p.name,
            "type": p.type,
            "tags": list(p.tags or []),
            "eligible": self.eligible,
            "rank": self.rank,
            "rank_score": round(self.rank_score, 3),
            "rank_reasons": self.rank_reasons,
            "rate_min": str(p.rate_min),
            "rate_max": str(p.rate_max),
            "checks": self.checks,
        }


# --- which product codes cover the enterprise --------------------------------------------


def region_candidates(code: str | None) -> list[str]:
    """The product region codes that cover this county: itself, its city, its province."""
    if not code or len(code) != 6:
        return []
    return sorted({code, code[:4] + "00", code[:2] + "0000"})


def industry_candidates(facts: EnterpriseFacts) -> list[str]:
    """The product industry codes that cover this industry: its division and its section."""
    return list(dict.fromkeys(c for c in (facts.industry_division, facts.industry_section) if c))


# --- criteria as SQL ---------------------------------------------------------------------


# --- explaining each check in Chinese ----------------------------------------------------


def wan(value: Decimal) -> str:
    """Yuan as people say it: 500000 → "50万", 1234.5 → "1234.50元"."""
    value = Decimal(value)
    if value >= 10000:
        text = f"{(value / 10000).normalize():f}"
        return f"{text}万"
    return f"{value:.2f}元"


def _translator():
    """`gettext` with the translations looked up once: matching explains hundreds of checks
    per call, and Flask-Babel's lookup per message would be most of its time."""
    translations = get_translations()

    def translate(message: str, **variables) -> str:
        text = translations.ugettext(message)
        return text % variables if variables else text

    return translate


def _explain(
    p: ProductView, facts: EnterpriseFacts, amount: Decimal, term: int, regions, industries, _=_
):
    checks = []

    def add(criterion: str, passed: bool, detail: str) -> None:
        checks.append({"criterion": criterion, "passed": passed, "detail": detail})

    if amount > p.amount_max:
        add("amount", False, _("金额超出上限 %(v)s", v=wan(p.amount_max)))
    elif amount < p.amount_min:
        add("amount", False, _("金额低于下限 %(v)s", v=wan(p.amount_min)))
    else:
        add(
            "amount", True, _("金额在 %(a)s–%(b)s 范围内", a=wan(p.amount_min), b=wan(p.amount_max))
        )
    if term > p.term_max_months:
        add("term", False, _("期限超出上限 %(n)d 个月", n=p.term_max_months))
    elif term < p.term_min_months:
        add("term", False, _("期限低于下限 %(n)d 个月", n=p.term_min_months))
    else:
        add(
            "term",
            True,
            _("期限在 %(a)d–%(b)d 个月范围内", a=p.term_min_months, b=p.term_max_months),
        )
    # Each message translated only when it is the one shown.
    if not p.regions:
        add("region", True, _("不限地区"))
    elif not regions:
        add("region", False, _("企业登记地区未知"))
    elif any(f",{code}," in p.regions for code in regions):
        add("region", True, _("所在地区在服务范围内"))
    else:
        add("region", False, _("所在地区不在服务范围内"))
    if not p.industries:
        add("industry", True, _("不限行业"))
    elif not industries:
        add("industry", False, _("企业所属行业未知"))
    elif any(f",{code}," in p.industries for code in industries):
        add("industry", True, _("所属行业在支持范围内"))
    else:
        add("industry", False, _("所属行业不在支持范围内"))
    if p.min_grade is None:
        add("min_grade", True, _("不限信用等级"))
    elif facts.grade is None:
        add("min_grade", False, _("暂无信用画像"))
    elif GRADES.index(facts.grade) <= GRADES.index(p.min_grade):
        add("min_grade", True, _("信用等级 %(g)s 达到要求 %(m)s", g=facts.grade, m=p.min_grade))
    else:
        add("min_grade", False, _("信用等级 %(g)s 低于要求 %(m)s", g=facts.grade, m=p.min_grade))
    if p.min_score is None:
        add("min_score", True, _("不限信用评分"))
    elif facts.score is None:
        add("min_score", False, _("暂无信用画像"))
    elif facts.score >= p.min_score:
        add("min_score", True, _("信用评分 %(s)d 达到要求 %(m)d", s=facts.score, m=p.min_score))
    else:
        add("min_score", False, _("信用评分 %(s)d 低于要求 %(m)d", s=facts.score, m=p.min_score))
    if p.min_years is None:
        add("min_years", True, _("不限经营年限"))
    elif (years := facts.years_in_business) is None:
        add("min_years", False, _("成立日期未知"))
    elif years >= p.min_years:
        add("min_years", True, _("经营 %(y)d 年，满足 %(m)d 年要求", y=years, m=p.min_years))
    else:
        add("min_years", False, _("经营 %(y)d 年，不足 %(m)d 年", y=years, m=p.min_years))
    if p.min_tax_grade is None:
        add("min_tax_grade", True, _("不限纳税信用级别"))
    elif facts.tax_grade is None:
        add("min_tax_grade", False, _("暂无纳税信用评价"))
    elif TAX_GRADES.index(facts.tax_grade) <= TAX_GRADES.index(p.min_tax_grade):
        add(
            "min_tax_grade",
            True,
            _("纳税信用 %(g)s 级达到要求 %(m)s 级", g=facts.tax_grade, m=p.min_tax_grade),
        )
    else:
        add(
            "min_tax_grade",
            False,
            _("纳税信用 %(g)s 级低于要求 %(m)s 级", g=facts.tax_grade, m=p.min_tax_grade),
        )
    if facts.black_listed and p.exclude_black_list:
        add("black_list", False, _("黑名单主体不予受理"))
    elif p.exclude_black_list:
        add("black_list", True, _("不在严重失信主体名单"))
    else:
        add("black_list", True, _("本产品不排除名单主体"))
    return checks


# --- ranking -----------------------------------------------------------------------------


def bank_response_medians(bank_ids: Sequence[int], now=None) -> dict[int, float]:
    """Median working days from submission to acceptance, per bank, last 90 days."""
    if not bank_ids:
        return {}
    since = (now or utcnow()) - timedelta(days=RESPONSE_WINDOW_DAYS)
    rows = db.session.execute(
        select(Application.bank_id, Application.response_working_days).where(
            Application.bank_id.in_(set(bank_ids)),
            Application.accepted_at >= since,
            Application.response_working_days.is_not(None),
        )
    )
    days: dict[int, list[int]] = {}
    for bank_id, value in rows:
        if bank_id is not None and value is not None:
            days.setdefault(bank_id, []).append(value)
    return {bank_id: float(statistics.median(values)) for bank_id, values in days.items()}


def _rank(matches: list[Match], amount: Decimal, term: int, _=_) -> None:
    if not matches:
        return
    best_rate = min(m.product.rate_min for m in matches)
    medians = bank_response_medians([m.product.bank_id for m in matches])
    for m in matches:
        p = m.product
        rate_score = float(best_rate / p.rate_min)
        fit = (min(float(amount / p.amount_max), 1.0) + min(term / p.term_max_months, 1.0)) / 2
        median = medians.get(p.bank_id)
        response = 0.5 if median is None else 1 / (1 + median)
        m.rank_score = 0.5 * rate_score + 0.3 * fit + 0.2 * response
        m.rank_reasons = [
            _("最低年利率 %(r)s%%", r=f"{p.rate_min.normalize():f}"),
            _("金额与期限匹配度 %(f)d%%", f=round(fit * 100)),
            _("该行近 90 天无受理记录")
            if median is None
            else _("该行近 90 天受理中位数 %(d)s 个工作日", d=f"{median:g}"),
        ]
    matches.sort(key=lambda m: (m.failed, -m.rank_score, m.product.id))
    for position, m in enumerate(matches, start=1):
        m.rank = position


@dataclass(frozen=True)
class Shape:
    """What the matching SQL depends on besides bound values (one statement per shape)."""

    n_regions: int
    n_industries: int
    has_grade: bool
    has_score: bool
    has_years: bool
    has_tax_grade: bool
    black_listed: bool


def _bound(
    facts: EnterpriseFacts, amount: Decimal, term: int
) -> tuple[Shape, dict[str, Any], list, list]:
    """The statement shape, the bound values, and the region and industry codes that
    cover this enterprise."""
    regions = region_candidates(facts.region_code)
    industries = industry_candidates(facts)
    shape = Shape(
        len(regions), len(industries), facts.grade in GRADES, facts.score is not None,
        facts.years_in_business is not None, facts.tax_grade in TAX_GRADES, facts.black_listed,
    )  # fmt: skip
    params: dict[str, Any] = {"amount": amount, "term": term}
    params |= {f"region{i}": f"%,{code},%" for i, code in enumerate(regions)}
    params |= {f"industry{i}": f"%,{code},%" for i, code in enumerate(industries)}
    if facts.grade in GRADES:
        params["grades"] = list(GRADES[GRADES.index(str(facts.grade)) :])
    if facts.tax_grade in TAX_GRADES:
        params["tax_grades"] = list(TAX_GRADES[TAX_GRADES.index(str(facts.tax_grade)) :])
    if shape.has_score:
        params["score"] = facts.score
    if shape.has_years:
        params["years"] = facts.years_in_business
    return shape, params, regions, industries


@functools.lru_cache(maxsize=512)
def _criteria(shape: Shape) -> tuple:
    """The nine criteria in SQL for one shape of facts, with bound parameters for the values
    (the same rules as `_explain`, which words them).

    Built once per shape and reused: constructing the expressions costs more Python time than
    running them. Expressions are immutable, so sharing them between requests and threads is
    safe.
    """

    def listed(column, prefix: str, n: int):
        return or_(column == "", *[column.like(bindparam(f"{prefix}{i}")) for i in range(n)])

    amount: BindParameter[Decimal] = bindparam("amount")
    term: BindParameter[int] = bindparam("term")
    return (
        and_(Product.amount_min <= amount, Product.amount_max >= amount),
        and_(Product.term_min_months <= term, Product.term_max_months >= term),
        listed(Product.regions, "region", shape.n_regions),
        listed(Product.industries, "industry", shape.n_industries),
        or_(Product.min_grade.is_(None), Product.min_grade.in_(bindparam("grades", expanding=True)))
        if shape.has_grade else Product.min_grade.is_(None),
        or_(Product.min_score.is_(None), Product.min_score <= bindparam("score"))
        if shape.has_score else Product.min_score.is_(None),
        or_(Product.min_years.is_(None), Product.min_years <= bindparam("years"))
        if shape.has_years else Product.min_years.is_(None),
        or_(Product.min_tax_grade.is_(None),
            Product.min_tax_grade.in_(bindparam("tax_grades", expanding=True)))
        if shape.has_tax_grade else Product.min_tax_grade.is_(None),
        not_(Product.exclude_black_list) if shape.black_listed else true(),
    )  # fmt: skip


@functools.lru_cache(maxsize=512)
def _match_statement(shape: Shape, near_miss_max: int, limit: int):
    """Every published product scored on every criterion (failed = how many it misses); the
    best `limit` with at most `near_miss_max` misses."""
    failed = functools.reduce(operator.add, [case((ok, 0), else_=1) for ok in _criteria(shape)])
    failed_label = failed.label("failed")
    # The best `limit` products by (failed, rate) are chosen on narrow rows first; only they
    # are joined to their full columns and their bank (a third less time than sorting wide
    # rows on PostgreSQL).
    top = (
        select(Product.id.label("id"), failed_label)
        .where(Product.status == "published", failed <= near_miss_max)
        .order_by(failed_label, Product.rate_min, Product.id)
        .limit(limit)
        .subquery("top")
    )
    return (
        select(*_VIEW_COLUMNS, top.c.failed)
        .join_from(top, Product, Product.id == top.c.id)
        .join(Bank, Bank.id == Product.bank_id)
        .order_by(top.c.failed, Product.rate_min, Product.id)
    )


# --- entry points ------------------------------------------------------------------------


def check_need(amount: Any, term_months: Any) -> tuple[Decimal, int]:
    """The need's amount and term, or ValidationFailed naming the field."""
    from app.applications.services import parse_amount, parse_term

    return parse_amount(amount), parse_term(term_months)


def match(
    enterprise: Enterprise,
    amount: Any,
    term_months: Any,
    *,
    limit: int = RESULT_LIMIT,
    near_miss_max: int = NEAR_MISS_MAX,
    facts: EnterpriseFacts | None = None,
) -> list[Match]:
    """Published products for this need: eligible ones first, then the near misses."""
    amount_d, term = check_need(amount, term_months)
    facts = facts or facts_of(enterprise.id)
    shape, params, regions, industries = _bound(facts, amount_d, term)
    statement = _match_statement(shape, near_miss_max, limit)
    rows = db.session.execute(statement, params).all()
    if not rows:
        return []
    matches = []
    translate = _translator()
    for row in rows:
        product = ProductView.from_row(row)
        checks = _explain(product, facts, amount_d, term, regions, industries, translate)
        matches.append(Match(product, checks, sum(1 for c in checks if not c["passed"])))
    _rank(matches, amount_d, term, translate)
    return matches


def fitting_bank_ids(enterprise: Enterprise, amount: Decimal, term_months: int) -> set[int]:
    """Banks with at least one published product this enterprise is eligible for."""
    shape, params, _regions, _industries = _bound(facts_of(enterprise.id), amount, term_months)
    query = select(Product.bank_id).where(Product.status == "published", *_criteria(shape))
    return set(db.session.scalars(query.distinct(), params))


def demands_fitting_bank(bank_id: int, demands: Sequence[Application]) -> list[Application]:
    """The open demands that at least one of this bank's published products fits: one query
    for the products, one for all the enterprises' facts, then the same checks the
    enterprise sees on its matches page (`_explain`), untranslated."""
    if not demands:
        return []
    products = [
        ProductView.from_row(row)
        for row in db.session.execute(
            select(*_VIEW_COLUMNS)
            .join(Bank, Bank.id == Product.bank_id)
            .where(Product.bank_id == bank_id, Product.status == "published")
        )
    ]
    if not products:
        return []
    facts = facts_for({d.enterprise_id for d in demands})

    def untranslated(message: str, **_variables) -> str:
        return message

    fitting = []
    for demand in demands:
        f = facts[demand.enterprise_id]
        regions = region_candidates(f.region_code)
        industries = industry_candidates(f)
        amount, term = Decimal(demand.amount), demand.term_months
        if any(
            all(
                c["passed"] for c in _explain(p, f, amount, term, regions, industries, untranslated)
            )
            for p in products
        ):
            fitting.append(demand)
    return fitting
