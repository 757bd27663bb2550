"""Facts from the enterprise registry alone: years in business, industry levels and the size
that products, the fund and statistics go by.

Kept apart from `services` (which reads profiles, records and loans) so that models may
use it: the applications table copies an enterprise's region and industry levels on insert.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased

from app.enterprises.models import Enterprise, Industry


def years_in_business(established_on: date | None, as_of: date) -> int | None:
    """Whole years since establishment (anniversaries passed by `as_of`); what products'
    minimum years in business are checked against."""
    if established_on is None:
        return None
    years = as_of.year - established_on.year
    if (as_of.month, as_of.day) < (established_on.month, established_on.day):
        years -= 1
    return max(0, years)


def age_in_years(established_on: date | None, as_of: date) -> float | None:
    """The same fact to the day (days / 365.25, two decimals), for scorecard cut-offs."""
    if established_on is None:
        return None
    return round(max(0, (as_of - established_on).days) / 365.25, 2)


class IndustryLevels(NamedTuple):
    section: Any  # SQL: the GB/T 4754 section letter
    division: Any  # SQL: the two-digit division (the letter, for a section-only code)
    table: Any  # the divisions to outer-join …
    onclause: Any  # … on this condition


def industry_levels() -> IndustryLevels:
    """The section and division of `Enterprise.industry_code` as SQL: a division code (two
    digits, or longer) gives its division and that division's section; a code naming only a
    section (one letter) gives the letter as both."""
    division = aliased(Industry, name="industry_division")
    code = Enterprise.industry_code
    letter = case((func.length(code) == 1, code), else_=None)
    return IndustryLevels(
        func.coalesce(division.parent_code, letter),
        func.coalesce(division.code, letter),
        division,
        and_(division.code == func.substr(code, 1, 2), division.level == "division"),
    )


def size_in_use(enterprise: Any = Enterprise) -> Any:
    """SQL: the size products, the fund and statistics go by: the standard's
    (`Enterprise.size`, from the figures) when the figures decide it, else the declared one
    (`Enterprise.scale`); NULL when neither is known."""
    return func.coalesce(enterprise.size, enterprise.scale)


def dimensions_query(enterprise_ids: Iterable[int]) -> Select:
    """(id, region_code, industry section, industry division) of these enterprises, as the
    statistics group them."""
    levels = industry_levels()
    return (
        select(Enterprise.id, Enterprise.region_code, levels.section, levels.division)
        .outerjoin(levels.table, levels.onclause)
        .where(Enterprise.id.in_(list(enterprise_ids)))
    )
