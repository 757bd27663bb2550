"""Matching an enterprise's need against published products, criterion by criterion.

Set-based: one SQL query judges every published product on every criterion of
`criteria.CRITERIA` at once (the enterprise's facts, from `app/facts`, are bound values in
it) and keeps the eligible ones and the near misses; Python then words each verdict SQL gave
and ranks the candidates. The
ranking is explained too: rate, how well the amount and term fit the product, and the bank's
response record (median working days to accept, last 90 days).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    bindparam,
    case,
    func,
    inspect,
    literal_column,
    select,
    union_all,
)

from app.applications.models import Application
from app.banks.models import Bank
from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.facts.services import EnterpriseFacts, facts_for, facts_of
from app.matching import criteria
from app.matching.criteria import CRITERIA
from app.products.models import Product
from app.scoring.services import (
    ActiveGrades,
    active_definition_is,
    active_grade_order,
    last_active_grades,
    read_active_grades,
)
from app.util import format_rate

NEAR_MISS_MAX = 2  # products failing more checks than this are not shown
RESULT_LIMIT = 30  # the best 30 (eligible first); the API may ask for up to MAX_LIMIT
MAX_LIMIT = 100
RESPONSE_WINDOW_DAYS = 90


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
    sizes: str
    min_grade: str | None
    min_score: int | None
    min_years: int | None
    min_tax_grade: str | None
    exclude_black_list: bool
    bank: BankView

    @classmethod
    def from_row(cls, row) -> ProductView:
        """From a row that starts with `_VIEW_COLUMNS`, read by position (by name, thirty
        rows of twenty columns cost more than wording them)."""
        n = len(_VIEW_FIELDS)
        return cls(**dict(zip(_VIEW_FIELDS, row, strict=False)),
                   bank=BankView(row.bank_id, row[n], row[n + 1]))  # fmt: skip

    @property
    def region_codes(self) -> list[str]:
        return [c for c in self.regions.split(",") if c]

    @property
    def industry_codes(self) -> list[str]:
        return [c for c in self.industries.split(",") if c]

    @property
    def size_codes(self) -> list[str]:
        return [c for c in self.sizes.split(",") if c]


_VIEW_FIELDS = (
    "id", "bank_id", "name", "type", "tags", "amount_min", "amount_max", "term_min_months",
    "term_max_months", "rate_min", "rate_max", "regions", "industries", "sizes",
    "min_grade", "min_score", "min_years", "min_tax_grade", "exclude_black_list",
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


def _translator():
    """`gettext` with the translations looked up once: matching explains hundreds of checks
    per call, and Flask-Babel's lookup per message would be most of its time."""
    translations = get_translations()

    def translate(message: str, **variables) -> str:
        text = translations.ugettext(message)
        return text % variables if variables else text

    return translate


# --- ranking -----------------------------------------------------------------------------


def _response_medians(bank_ids):
    """SQL: (bank_id, median) of the working days from submission to acceptance of the
    applications these banks accepted in the last 90 days (from `response_since`, bound).

    The median by position, portable to both databases: with the days of a bank numbered
    1..c in order, the middle one (c odd) or the mean of the middle two (c even) are those
    whose number n has c <= 2n <= c + 2. Computed beside the match, so that ranking costs
    no round trip of its own and no bank's days are sent to Python.
    """
    a = Application
    days = (
        select(
            a.bank_id.label("bank_id"),
            a.response_working_days.label("days"),
            func.row_number()
            .over(partition_by=a.bank_id, order_by=a.response_working_days)
            .label("n"),
            func.count().over(partition_by=a.bank_id).label("c"),
        )
        .where(
            a.bank_id.in_(bank_ids),
            a.accepted_at >= bindparam("response_since", type_=a.accepted_at.type),
            a.response_working_days.is_not(None),
        )
        .subquery("days")
    )
    return (
        select(days.c.bank_id, func.avg(days.c.days).label("median"))
        .where(days.c.n * 2 >= days.c.c, days.c.n * 2 <= days.c.c + 2)
        .group_by(days.c.bank_id)
        .subquery("medians")
    )


def _rank(matches: list[Match], amount: Decimal, term: int, medians: dict[int, float], _=_) -> None:
    """Rank by rate, fit and the bank's response record (`medians`: median working days
    to accept, last 90 days, per bank that accepted any)."""
    if not matches:
        return
    best_rate = min(m.product.rate_min for m in matches)
    for m in matches:
        p = m.product
        rate_score = float(best_rate / p.rate_min)
        fit = (min(float(amount / p.amount_max), 1.0) + min(term / p.term_max_months, 1.0)) / 2
        median = medians.get(p.bank_id)
        response = 0.5 if median is None else 1 / (1 + median)
        m.rank_score = 0.5 * rate_score + 0.3 * fit + 0.2 * response
        m.rank_reasons = [
            _("最低年利率 %(r)s%%", r=format_rate(p.rate_min)),
            _("金额与期限匹配度 %(f)d%%", f=round(fit * 100)),
            _("该行近 90 天无受理记录")
            if median is None
            else _("该行近 90 天受理中位数 %(d)s 个工作日", d=f"{median:g}"),
        ]
    matches.sort(key=lambda m: (m.failed, -m.rank_score, m.product.id))
    for position, m in enumerate(matches, start=1):
        m.rank = position


# 0 and 1 written into the SQL rather than bound: forty fewer parameters to adapt and send
# on every match, and a shorter text for the driver to convert.
_ZERO: ColumnElement[int] = literal_column("0", Integer())
_ONE: ColumnElement[int] = literal_column("1", Integer())
_PUBLISHED = Product.status == "published"


@functools.lru_cache(maxsize=64)
def _match_statement(grades: tuple[str, ...], near_miss_max: int, limit: int):
    """Every published product judged on every criterion (failed = how many it misses); the
    best `limit` with at most `near_miss_max` misses, with each criterion's verdict
    (`ok_<code>`) for the wording.

    In two passes, the second only when the first falls short. First the eligible products,
    lowest rate first: a plain conjunction of the criteria, which the database stops judging
    at a product's first miss (most products miss the amount or the term), and whose every
    verdict is therefore 1. When `limit` of them are eligible, they are the answer: eligible
    products rank before any near miss. Otherwise every product is judged criterion by
    criterion, its misses counted, those with at most `near_miss_max` kept (filtered before
    the sort: sorting every product costs more than counting twice) and the best `limit` by
    (misses, rate) taken, its eligible rows left out, being the first pass's. The second
    pass is gated on a count of the first, a constant both databases evaluate before
    scanning (PostgreSQL's plan shows the scan not executed). The verdicts come with the
    chosen rows (each criterion is written twice in the SQL, not three times: parsing and
    planning are most of its cost on PostgreSQL), which only then are joined to their full
    columns and their bank. No row at all unless the active scorecard's definition is still
    the one bound as `scorecard`, whose order `grades` is.

    Built once per grade order and reused: constructing the expressions costs more Python
    time than running them. Expressions are immutable, so sharing them between requests and
    threads is safe.
    """
    need = criteria.need_parameters()
    oks = criteria.predicates(need, grades)
    codes = [f"ok_{c.code}" for c in CRITERIA]
    eligible = (
        select(Product.id.label("id"), Product.bank_id.label("bank_id"), _ZERO.label("failed"),
               *[_ONE.label(code) for code in codes])
        .where(_PUBLISHED, *oks)
        .order_by(Product.rate_min, Product.id)
        .limit(limit)
        .cte("eligible")
    )  # fmt: skip
    short = select(func.count()).select_from(eligible).scalar_subquery() < limit
    judgements = [
        case((ok, _ONE), else_=_ZERO).label(code) for ok, code in zip(oks, codes, strict=True)
    ]
    judged = (
        select(Product.id, Product.bank_id, Product.rate_min, *judgements)
        .where(_PUBLISHED, short)
        .subquery("judged")
    )
    verdicts = [judged.c[code] for code in codes]
    failed = literal_column(str(len(codes)), Integer()) - functools.reduce(operator.add, verdicts)
    counted = (
        select(judged.c.id, judged.c.bank_id, failed.label("failed"), *verdicts)
        .where(failed <= near_miss_max)
        .order_by(failed, judged.c.rate_min, judged.c.id)
        .limit(limit)
        .subquery("counted")
    )
    # Read twice (the rows, and their banks for the medians): both databases compute it once.
    top = union_all(select(eligible), select(counted).where(counted.c.failed > 0)).cte("top")
    medians = _response_medians(select(top.c.bank_id))
    return (
        select(*_VIEW_COLUMNS, medians.c.median, top.c.failed, *[top.c[code] for code in codes])
        .join_from(top, Product, Product.id == top.c.id)
        .join(Bank, Bank.id == Product.bank_id)
        .outerjoin(medians, medians.c.bank_id == Product.bank_id)
        # Already true of every row; it keeps PostgreSQL's estimate of them small, so that
        # they are joined to their products by key rather than by a scan of every product.
        .where(
            top.c.failed <= near_miss_max,
            active_definition_is(bindparam("scorecard", type_=Text())),
        )
        .order_by(top.c.failed, Product.rate_min, Product.id)
        .limit(limit)
    )


@functools.lru_cache(maxsize=16)
def _fitting_statement(grades: tuple[str, ...]):
    need = criteria.need_parameters()
    return select(Product.bank_id).where(_PUBLISHED, *criteria.predicates(need, grades)).distinct()


def _matched_rows(
    facts: EnterpriseFacts,
    amount: Decimal,
    term: int,
    active: ActiveGrades,
    near_miss_max: int,
    limit: int,
) -> Sequence[Any]:
    values = criteria.need_values(facts, amount, term, active.grades)
    values["response_since"] = utcnow() - timedelta(days=RESPONSE_WINDOW_DAYS)
    values["scorecard"] = active.definition or ""
    statement = _match_statement(active.grades, near_miss_max, limit)
    return db.session.execute(statement, values).all()


def _id_of(enterprise: Enterprise) -> int:
    """Its id, without the reload of an instance that a commit or rollback expired (matching
    reads the enterprise through its facts only)."""
    identity: tuple[Any, ...] | None = inspect(enterprise).identity
    return identity[0] if identity else enterprise.id


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
    facts = facts or facts_of(_id_of(enterprise))
    active = last_active_grades()
    rows = _matched_rows(facts, amount_d, term, active, near_miss_max, limit)
    if not rows:
        # None fit, or the grades last read are no longer the active ones: read and retry.
        fresh = read_active_grades()
        if fresh == active:
            return []
        active = fresh
        rows = _matched_rows(facts, amount_d, term, active, near_miss_max, limit)
        if not rows:
            return []
    grades = active.grades
    matches = []
    medians: dict[int, float] = {}
    translate = _translator()
    case_ = criteria.Case(facts, amount_d, term, grades)
    first_verdict = len(_VIEW_COLUMNS) + 2  # after the product's columns, median and failed
    for row in rows:
        if row.median is not None:
            medians[row.bank_id] = float(row.median)
        product = ProductView.from_row(row)
        checks = []
        for criterion, ok in zip(CRITERIA, row[first_verdict:], strict=True):
            passed = bool(ok)
            detail = criterion.wording(passed, product, case_, translate)
            checks.append({"criterion": criterion.code, "passed": passed, "detail": detail})
        matches.append(Match(product, checks, row.failed))
    _rank(matches, amount_d, term, medians, translate)
    return matches


def fitting_bank_ids(enterprise: Enterprise, amount: Decimal, term_months: int) -> set[int]:
    """Banks with at least one published product this enterprise is eligible for (the
    banks told of an open demand, and those that may see it)."""
    grades = active_grade_order()
    values = criteria.need_values(facts_of(enterprise.id), amount, term_months, grades)
    return set(db.session.scalars(_fitting_statement(grades), values))


INBOX_CHUNK = 200  # demands per statement (SQLite allows 500 SELECTs in one UNION)


def demands_fitting_bank(bank_id: int, demands: Sequence[Application]) -> list[Application]:
    """The open demands that at least one of this bank's published products fits: the same
    criteria in SQL as `fitting_bank_ids`, one row of facts per demand, one statement per
    200 demands."""
    if not demands:
        return []
    grades = active_grade_order()
    facts = facts_for({d.enterprise_id for d in demands})
    fitting: set[int] = set()
    for start in range(0, len(demands), INBOX_CHUNK):
        rows = [
            (i, criteria.need_values(facts[d.enterprise_id], Decimal(d.amount), d.term_months,
                                     grades))
            for i, d in enumerate(demands[start : start + INBOX_CHUNK], start=start)
            if d.enterprise_id in facts
        ]  # fmt: skip
        if not rows:
            continue
        need = criteria.need_rows(rows)
        fits = (
            select(Product.id)
            .where(
                Product.bank_id == bank_id,
                _PUBLISHED,
                *criteria.predicates(criteria.need_of(need), grades),
            )
            .exists()
        )
        fitting.update(db.session.scalars(select(need.c.key).where(fits)))
    return [d for i, d in enumerate(demands) if i in fitting]
