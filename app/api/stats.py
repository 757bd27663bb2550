"""Lending statistics for the financial office (and a bank's own figures)."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.auth.models import Role
from app.replicas import reads_replica
from app.stats import loan_quality, services
from app.stats.suppression import FAMILY_NAMES, FIGURES

_NUMBER = {"type": "number", "nullable": True}
_STRING = {"type": "string", "nullable": True}
_INT = {"type": "integer", "nullable": True}
FIGURES_SCHEMA = {
    "type": "object",
    "properties": {
        "suppressed": {"type": "boolean", "description": "some figures are withheld"},
        "suppressed_families": {
            "type": "array",
            "items": {"type": "string", "enum": list(FAMILY_NAMES.values())},
            "description": "the families whose figures are null: too few enterprises",
        },
        **{
            name: _STRING
            if name.endswith(("amount", "rate", "share", "term_months"))
            else _NUMBER
            if name.startswith("median")
            else _INT
            for name in FIGURES
        },
    },
}
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "group_by": {"type": "string", "enum": list(services.GROUPINGS)},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "filters": {"type": "object"},
        "min_enterprises": {"type": "integer"},
        "rows": {
            "type": "array",
            "items": {
                "allOf": [
                    {"properties": {"key": _STRING, "label": {"type": "string"}}},
                    FIGURES_SCHEMA,
                ]
            },
        },
        "totals": FIGURES_SCHEMA,
    },
}
_PARAMS = [
    {"name": "group_by", "in": "query", "schema": {"type": "string",
     "enum": [*services.GROUPINGS, "industry"]}},
    {"name": "from", "in": "query", "schema": {"type": "string", "example": "2025-01"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "example": "2025-12"}},
    {"name": "place", "in": "query", "schema": {"type": "string"},
     "description": "GB/T 2260 city or county code"},
    {"name": "industry", "in": "query", "schema": {"type": "string"},
     "description": "GB/T 4754 section letter or two-digit division"},
    {"name": "bank", "in": "query", "schema": {"type": "string"}, "description": "bank code"},
    {"name": "product_type", "in": "query",
     "schema": {"type": "string", "enum": ["credit", "collateral", "guarantee"]}},
]  # fmt: skip


@bp.route("/stats/summary")
@api_auth(Role.REGULATOR, Role.ADMIN, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=SUMMARY_SCHEMA, params=_PARAMS, tag="stats")
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
    summary = services.summary_for(current_api_user(), request.args.to_dict())
    return jsonify(summary.to_dict())


@bp.route("/stats/indicators")
@api_auth(Role.REGULATOR, Role.ADMIN)
@doc(tag="stats")
@reads_replica
def stats_indicators():
    """Data indicators: records per source, enterprises covered, enterprises with a
    collection authorization in force, as last counted (`as_of`, UTC, ISO 8601)."""
    indicators = services.data_indicators(current_api_user())
    return jsonify({**indicators, "as_of": indicators["as_of"].isoformat()})


LOAN_FIGURES_SCHEMA = {
    "type": "object",
    "properties": {
        "suppressed": {"type": "boolean", "description": "some figures are withheld"},
        "suppressed_families": {
            "type": "array",
            "items": {"type": "string", "enum": list(loan_quality.FAMILY_NAMES.values())},
            "description": "the families whose figures are null: too few enterprises",
        },
        **{name: _INT if name.endswith("loans") else _STRING for name in loan_quality.FIGURES},
    },
}
LOAN_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "group_by": {"type": "string", "enum": list(loan_quality.GROUPINGS)},
        "month": {"type": "string"},
        "as_of": {"type": "string", "format": "date"},
        "filters": {"type": "object"},
        "min_enterprises": {"type": "integer"},
        "rows": {
            "type": "array",
            "items": {
                "allOf": [
                    {"properties": {"key": _STRING, "label": {"type": "string"}}},
                    LOAN_FIGURES_SCHEMA,
                ]
            },
        },
        "totals": LOAN_FIGURES_SCHEMA,
    },
}
_LOAN_PARAMS = [
    {"name": "group_by", "in": "query", "schema": {"type": "string",
     "enum": [*loan_quality.GROUPINGS, "industry"]}},
    {"name": "month", "in": "query", "schema": {"type": "string", "example": "2025-12"},
     "description": "the book as of this month's last day (default: the current month)"},
    *[p for p in _PARAMS if p["name"] in ("place", "industry", "bank")],
    {"name": "size", "in": "query",
     "schema": {"type": "string", "enum": ["micro", "small", "medium", "large"]}},
]  # fmt: skip


@bp.route("/stats/loans")
@api_auth(Role.REGULATOR, Role.ADMIN, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=LOAN_SUMMARY_SCHEMA, params=_LOAN_PARAMS, tag="stats")
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
    summary = loan_quality.summary_for(current_api_user(), request.args.to_dict())
    return jsonify(summary.to_dict())
