"""The facts about an enterprise that products, banks and statistics ask about.

`facts_for(ids, as_of)` reads, in one statement for any number of enterprises: the registry
(region, industry section and division, years in business, declared scale, registered
capital), the current profile (grade, score), the tax credit grade in use, black- and
red-list membership in force, and whether it has borrowed before (首贷 = an enterprise's
first loan). Every record is read through `records.counts`, so a record withdrawn after a
dispute, decided in the future, or no longer valid changes every reader at once: matching,
the bank's inbox and who may see an open demand, the bank's view of an enterprise, and the
first-loan flag the statistics count. Scoring reads the same record rules in its own
aggregate queries (`scoring/features.py`).

Adding a fact: a field on `EnterpriseFacts`, its SQL column in `_facts_statement`, and, if
banks should see it, a line in `SHOWN_TO_BANKS` naming the category that must be authorized.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import aliased

from app.applications.models import Application
from app.clock import local_today
from app.consent.terms import in_data_range, year_end
from app.enterprises.models import Enterprise
from app.extensions import db
from app.facts.records import counts, in_force, tax_rating_current
from app.facts.registry import industry_levels, size_in_use, years_in_business
from app.ingest.models import PublicCreditRecord, TaxRating
from app.profiles.models import CurrentProfile, ProfileSnapshot


@dataclass(frozen=True)
class EnterpriseFacts:
    """What is known of one enterprise on `as_of` (None = unknown)."""

    enterprise_id: int
    as_of: date
    region_code: str | None
    industry_code: str | None
    industry_section: str | None  # GB/T 4754 section letter
    industry_division: str | None  # two-digit division (the letter for a section-only code)
    established_on: date | None
    years_in_business: int | None
    scale: str | None  # declared: micro / small / medium / large
    size_by_standard: str | None  # computed from the figures (`enterprises.size`)
    size: str | None  # what products, the fund and statistics go by (`registry.size_in_use`)
    registered_capital: Decimal | None  # 万元
    grade: str | None  # of the current profile
    score: int | None
    profile_id: int | None
    scorecard_version: int | None  # the version that scored the current profile
    tax_grade: str | None  # the grade in use (`records.tax_rating_current`)
    tax_grade_year: int | None
    black_listed: bool  # an entry of 严重失信主体名单 in force
    red_listed: bool  # an entry of 守信激励 (red list) in force
    black_listed_on: date | None  # the decision day of the latest black-list entry in force
    red_listed_on: date | None  # the same for the red list
    borrowed_before: bool  # a loan disbursed on the platform (so the next is not 首贷)

    @property
    def size_mismatch(self) -> bool:
        """The declared size disagrees with what the standard makes of the figures."""
        return None not in (self.scale, self.size_by_standard) and (
            self.scale != self.size_by_standard
        )


def facts_for(
    enterprise_ids: Iterable[int], as_of: date | None = None
) -> dict[int, EnterpriseFacts]:
    """Facts of these enterprises on `as_of` (default today), keyed by id; unknown ids are
    absent. One statement, whatever the number of enterprises."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    as_of = as_of or local_today()
    facts = {}
    for row in db.session.execute(_facts_statement(as_of), {"ids": ids}):
        values = row._asdict()
        values["years_in_business"] = years_in_business(values["established_on"], as_of)
        values["black_listed"] = values["black_listed_on"] is not None
        values["red_listed"] = values["red_listed_on"] is not None
        values["borrowed_before"] = bool(values["borrowed_before"])
        facts[row.enterprise_id] = EnterpriseFacts(as_of=as_of, **values)
    return facts


def facts_of(enterprise_id: int, as_of: date | None = None) -> EnterpriseFacts:
    """Facts of one enterprise (KeyError when it is not in the registry)."""
    return facts_for([enterprise_id], as_of)[enterprise_id]


def _listed_on(category: str, as_of: date):
    """SQL: the decision day of the enterprise's latest list entry of `category` in force
    (None: not listed)."""
    p = PublicCreditRecord
    return (
        select(func.max(p.decided_on))
        .where(
            p.uscc == Enterprise.uscc,
            counts("public_credit", p, as_of),
            in_force(p, category, as_of),
        )
        .scalar_subquery()
    )


@lru_cache(maxsize=32)
def _facts_statement(as_of: date) -> Select:
    """The statement for `as_of`, the enterprise ids bound at execution (`ids`, expanding).
    Built once per day and kept: building it (every record rule, as SQL expressions) costs
    more than running it for one enterprise."""
    levels = industry_levels()
    snapshot = aliased(ProfileSnapshot, name="current_snapshot")
    r = TaxRating
    rating = (
        select(r.grade, r.year)
        .where(
            r.uscc == Enterprise.uscc, counts("tax_ratings", r, as_of), tax_rating_current(r, as_of)
        )
        .order_by(r.year.desc())
        .limit(1)
    )
    return (
        select(
            Enterprise.id.label("enterprise_id"),
            Enterprise.region_code,
            Enterprise.industry_code,
            levels.section.label("industry_section"),
            levels.division.label("industry_division"),
            Enterprise.established_on,
            Enterprise.scale,
            Enterprise.size.label("size_by_standard"),
            size_in_use().label("size"),
            Enterprise.registered_capital,
            snapshot.grade,
            snapshot.score,
            snapshot.id.label("profile_id"),
            snapshot.scorecard_version,
            rating.with_only_columns(r.grade).scalar_subquery().label("tax_grade"),
            rating.with_only_columns(r.year).scalar_subquery().label("tax_grade_year"),
            _listed_on("black_list", as_of).label("black_listed_on"),
            _listed_on("red_list", as_of).label("red_listed_on"),
            _borrowed(Enterprise.id).exists().label("borrowed_before"),
        )
        .outerjoin(levels.table, levels.onclause)
        .outerjoin(CurrentProfile, CurrentProfile.enterprise_id == Enterprise.id)
        .outerjoin(snapshot, snapshot.id == CurrentProfile.snapshot_id)
        .where(Enterprise.id.in_(bindparam("ids", expanding=True)))
    )


# --- first loans (首贷) ----------------------------------------------------------------------


def _borrowed(enterprise_id: Any, excluding: int | None = None) -> Select:
    query = select(Application.id).where(
        Application.enterprise_id == enterprise_id, Application.state == "disbursed"
    )
    if excluding is not None:
        query = query.where(Application.id != excluding)
    return query


def is_first_loan(enterprise_id: int, excluding: int | None = None) -> bool:
    """首贷: no loan of this enterprise disbursed on the platform (besides `excluding`, the
    application being disbursed)."""
    return db.session.scalar(_borrowed(enterprise_id, excluding).limit(1)) is None


def counted_first_loan(declared: bool | None, platform: bool) -> bool:
    """Whether a disbursement counts as 首贷 in the statistics: the platform knows no earlier
    loan of the enterprise *and* the bank, if it said, said first. A bank that says "not
    first" is believed (it sees the credit bureau; the platform sees only its own loans); a
    bank that says "first" against an earlier loan on the platform is not."""
    return platform and declared is not False


def first_loan_disagrees(declared: bool | None, platform: bool | None) -> bool:
    """The bank's word and the platform's knowledge differ (listed for the financial office)."""
    return declared is not None and platform is not None and declared != platform


def enterprises_that_borrowed(enterprise_ids: Iterable[int]) -> set[int]:
    """Which of these enterprises have a disbursed loan on the platform (set-based)."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Application.enterprise_id)
            .where(Application.enterprise_id.in_(ids), Application.state == "disbursed")
            .distinct()
        )
    )


# --- what a bank is shown --------------------------------------------------------------------


def _listed_day(name: str) -> Callable[[EnterpriseFacts], date | None]:
    return lambda facts: getattr(facts, name)


def _rating_day(facts: EnterpriseFacts) -> date | None:
    return year_end(facts.tax_grade_year) if facts.tax_grade_year is not None else None


class Shown(NamedTuple):
    name: str  # the EnterpriseFacts field
    category: str  # the data category a bank's authorization must cover
    label: Any  # lazy msgid
    # The last day of the data the fact rests on (`consent.terms.in_data_range`), None for
    # registry facts; outside the bank's date range the fact reads as if no record were
    # behind it (`unknown`), which tells nothing of the record left out.
    day: Callable[[EnterpriseFacts], date | None] = lambda _facts: None
    unknown: Any = None


SHOWN_TO_BANKS = (
    Shown("years_in_business", "enterprises", _l("经营年限（年）")),
    Shown("registered_capital", "enterprises", _l("注册资本（万元）")),
    Shown("size_by_standard", "enterprises", _l("企业规模（按划型标准测算）")),
    Shown("scale", "enterprises", _l("企业规模（自报）")),
    Shown("size_mismatch", "enterprises", _l("自报规模与测算不一致")),
    Shown("black_listed", "public_credit", _l("列入严重失信主体名单"),
          _listed_day("black_listed_on"), False),
    Shown("red_listed", "public_credit", _l("列入守信激励名单"),
          _listed_day("red_listed_on"), False),
    Shown("tax_grade", "tax_ratings", _l("纳税信用级别"), _rating_day),
    Shown("tax_grade_year", "tax_ratings", _l("纳税信用评价年度"), _rating_day),
)  # fmt: skip


def for_banks(facts: EnterpriseFacts) -> dict[str, dict[str, Any]]:
    """Every fact a bank may be shown, JSON-ready, with the last day of the data behind it:
    `{name: {"value": …, "day": "YYYY-MM-DD" | None}}` (what the profile cache keeps)."""
    dated = {}
    for item in SHOWN_TO_BANKS:
        value, day = getattr(facts, item.name), item.day(facts)
        dated[item.name] = {
            "value": str(value) if isinstance(value, Decimal) else value,
            "day": day.isoformat() if day else None,
        }
    return dated


def shown_to_bank(
    dated: Mapping[str, Mapping[str, Any]],
    covered: Iterable[str],
    ranges: Mapping[str, date | None] | None = None,
) -> dict[str, Any]:
    """The facts (`for_banks`) a bank may see under an authorization covering `covered`,
    each category's from `ranges[category]` on (the date-range rule of every section)."""
    allowed, ranges = set(covered), ranges or {}
    shown: dict[str, Any] = {}
    for item in SHOWN_TO_BANKS:
        if item.category in allowed:
            fact = dated[item.name]
            day = date.fromisoformat(fact["day"]) if fact["day"] else None
            in_range = in_data_range(day, ranges.get(item.category))
            shown[item.name] = fact["value"] if in_range else item.unknown
    return shown
