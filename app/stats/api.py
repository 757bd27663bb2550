"""Lending statistics for the financial office (and a bank's own figures)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import Field, create_model

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import (
    DayText,
    DecimalText,
    InstantText,
    MoneyText,
    PercentText,
    Query,
    Shape,
    answer,
    choice,
    read_query,
)
from app.api.spec import doc
from app.auth.models import Role
from app.enterprises.size import SIZES
from app.products.models import PRODUCT_TYPES
from app.replicas import reads_replica
from app.sources.models import ENTERPRISE_SOURCES
from app.stats import loan_quality, services, suppression

# --- the answers: the figures' models are generated from the services' lists of figures ---


def _figure_type(name: str) -> Any:
    """How a figure is answered: counts as integers, money and ratios as decimal strings,
    medians (working days) as numbers; null when withheld."""
    if name.endswith("amount") or name == "outstanding":
        return MoneyText | None
    if name == "avg_rate":
        return PercentText | None
    if name.endswith(("rate", "share", "ratio", "term_months")):
        return DecimalText | None
    if name.startswith("median"):
        return float | None
    return int | None


def _figures(name: str, figures: tuple[str, ...], families: dict[str, str]) -> type[Shape]:
    """A row's figures and what of them is withheld (`suppression.shown`)."""
    fields: dict[str, Any] = {
        "suppressed": (bool, Field(description="some figures are withheld")),
        "suppressed_families": (
            list[choice(families.values())],  # type: ignore[misc]
            Field(description="the families whose figures are null: too few enterprises"),
        ),
        **{figure: (_figure_type(figure), ...) for figure in figures},
    }
    return create_model(name, __base__=Shape, **fields)


def _row(name: str, figures: type[Shape]) -> type[Shape]:
    return create_model(
        name,
        __base__=figures,
        key=(str | None, Field(description="the group's code (null: not known)")),
        label=(str, ...),
        bank=(str | None, Field(None, description="the product's bank (group_by=product)")),
    )


StatsFigures = _figures("StatsFigures", suppression.FIGURES, suppression.FAMILY_NAMES)
StatsRow = _row("StatsRow", StatsFigures)
LoanQualityFigures = _figures("LoanQualityFigures", loan_quality.FIGURES, loan_quality.FAMILY_NAMES)
LoanQualityRow = _row("LoanQualityRow", LoanQualityFigures)


class _Where(Shape):
    """The filters every statistics answer repeats back."""

    place: str | None
    industry: str | None
    bank: str | None


class StatsFilters(_Where):
    product_type: choice(PRODUCT_TYPES) | None  # type: ignore[valid-type]


class StatsSummary(Shape):
    group_by: choice(services.GROUPINGS)  # type: ignore[valid-type]
    from_: str = Field(alias="from", description="YYYY-MM")
    to: str = Field(description="YYYY-MM")
    filters: StatsFilters
    min_enterprises: int
    rows: list[StatsRow]  # type: ignore[valid-type]
    totals: StatsFigures  # type: ignore[valid-type]


class LoanQualityFilters(_Where):
    size: choice(SIZES) | None  # type: ignore[valid-type]


class LoanQualitySummary(Shape):
    group_by: choice(loan_quality.GROUPINGS)  # type: ignore[valid-type]
    month: str = Field(description="YYYY-MM")
    as_of: DayText = Field(description="the month's last day: the book as of it")
    filters: LoanQualityFilters
    min_enterprises: int
    rows: list[LoanQualityRow]  # type: ignore[valid-type]
    totals: LoanQualityFigures  # type: ignore[valid-type]


IndicatorRecords = create_model(
    "IndicatorRecords",
    __base__=Shape,
    **dict.fromkeys(ENTERPRISE_SOURCES, (int, ...)),  # type: ignore[call-overload]
)


class Indicators(Shape):
    records: IndicatorRecords = Field(description="records per source")  # type: ignore[valid-type]
    enterprises: int
    enterprises_verified: int
    enterprises_with_collection_authorization: int
    as_of: InstantText = Field(description="when they were counted")


# --- the questions: the services check the periods and look the codes up -----------------

_MONTH = {"description": "YYYY-MM", "examples": ["2025-12"]}


class _Filters(Query):
    place: str | None = Field(None, description="GB/T 2260 city or county code")
    industry: str | None = Field(None, description="GB/T 4754 section letter or two-digit division")
    bank: str | None = Field(None, description="bank code")


class StatsQuery(_Filters):
    group_by: choice([*services.GROUPINGS, *services.ALIASES]) = "month"  # type: ignore[valid-type]
    from_: str | None = Field(None, alias="from", **_MONTH)  # type: ignore[arg-type]
    to: str | None = Field(None, **_MONTH)  # type: ignore[arg-type]
    product_type: choice(PRODUCT_TYPES) | None = None  # type: ignore[valid-type]


class LoanQualityQuery(_Filters):
    group_by: choice([*loan_quality.GROUPINGS, *services.ALIASES]) = "bank"  # type: ignore[valid-type]
    month: str | None = Field(
        None,
        description="the book as of this month's last day, YYYY-MM (default: the current month)",
        examples=["2025-12"],
    )
    size: choice(SIZES) | None = None  # type: ignore[valid-type]


def _args(query: Query) -> dict[str, Any]:
    """The query as the services read request arguments."""
    return query.model_dump(by_alias=True, exclude_none=True)


@bp.route("/stats/summary")
@api_auth(Role.REGULATOR, Role.ADMIN, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=StatsSummary, query=StatsQuery, tag="stats")
@reads_replica
def stats_summary():
    """Lending figures per group: demand, approvals, disbursements, first loans, credit share.

    `group_by` = month | city | county | section (alias industry) | division | bank | product;
    `from` / `to` = YYYY-MM (default: the last 12 months). Each figure counts in the month of
    its own event (docs/stats.md). Each family of figures (demand, decisions, disbursements)
    resting on fewer enterprises than the configured minimum, or that would give such a group
    away by subtraction, is null and named in `suppressed_families`. A bank token sees only
    its own bank's figures.
    Money and ratios are decimal strings; rates are annual percent.
    """
    summary = services.summary_for(current_api_user(), _args(read_query(StatsQuery)))
    return jsonify(answer(StatsSummary, summary.to_dict()))


@bp.route("/stats/indicators")
@api_auth(Role.REGULATOR, Role.ADMIN)
@doc(response=Indicators, tag="stats")
@reads_replica
def stats_indicators():
    """Data indicators: records per source, enterprises covered, enterprises with a
    collection authorization in force, as last counted (`as_of`, UTC, ISO 8601)."""
    indicators = services.data_indicators(current_api_user())
    return jsonify(answer(Indicators, {**indicators, "as_of": indicators["as_of"].isoformat()}))


@bp.route("/stats/loans")
@api_auth(Role.REGULATOR, Role.ADMIN, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=LoanQualitySummary, query=LoanQualityQuery, tag="stats")
@reads_replica
def stats_loans():
    """Loan quality: outstanding balance, overdue and non-performing loans and ratios.

    The loan book as of the last day of `month` (YYYY-MM, default the current month), each
    loan as its newest status report up to that day says; `group_by` = bank | product | city
    | county | section (alias industry) | division | size. Overdue = at least one day past
    due; non-performing = reported 不良; ratios = their balance over the book's (0–1,
    docs/stats.md). The families (book, overdue, non_performing) are withheld like the
    lending figures. A bank token sees only its own bank's loans.
    """
    summary = loan_quality.summary_for(current_api_user(), _args(read_query(LoanQualityQuery)))
    return jsonify(answer(LoanQualitySummary, summary.to_dict()))
