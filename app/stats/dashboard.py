"""What the dashboard shows: the month trend and one breakdown under the same filters,
the choices of the filter form, drill-down links and chart data (all through services)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.banks.models import Bank
from app.enterprises.models import Industry, Region
from app.enterprises.size import SIZE_LABELS
from app.errors import ValidationFailed
from app.extensions import db
from app.products.models import TYPE_LABELS
from app.stats import loan_quality, services

DEFAULT_BREAKDOWN = "city"
# group → (the grouping it drills into, the filter its key sets)
DRILL = {"city": ("county", "place"), "section": ("division", "industry"),
         "bank": ("product", "bank")}  # fmt: skip


@dataclass
class View:
    args: dict[str, str]
    trend: services.Summary
    breakdown: services.Summary
    indicators: dict | None
    choices: dict[str, Any]
    drill: dict[str, str] | None
    charts: dict[str, Any]
    is_bank: bool
    withheld_label: str = ""  # the families withheld from the totals, in words
    period: str = ""  # the months the figures cover ("2025-01 — 2025-03")


def _args(raw: dict[str, Any]) -> dict[str, str]:
    keep = ("group_by", "from", "to", "place", "industry", "bank", "product_type")
    args = {k: str(raw.get(k) or "").strip() for k in keep}
    args["group_by"] = args["group_by"] or DEFAULT_BREAKDOWN
    if args["group_by"] == "month":
        args["group_by"] = DEFAULT_BREAKDOWN  # the trend is always shown
    return args


def breakdown(user: User, raw: dict[str, Any]) -> services.Summary:
    """The breakdown the page shows (what the exports write)."""
    args = _args(raw)
    return services.summary_for(user, {k: v for k, v in args.items() if v})


def build(user: User, raw: dict[str, Any]) -> View:
    args = _args(raw)
    given = {k: v for k, v in args.items() if v}
    decided: dict = {}  # the tables both suppress against (a filter's table above): once
    table = services.summary_for(user, given, decided=decided)
    # The trend's live month is the union of the breakdown's groups: not computed twice.
    trend = services.summarize(
        replace(table.query, group_by="month"), known=table.live, decided=decided
    )
    # The form shows what was applied (a bank user's bank is forced).
    args["from"] = services.month_label(table.query.first)
    args["to"] = services.month_label(table.query.last)
    period = f"{args['from']} — {args['to']}"
    is_bank = not services.sees_every_bank(user)
    drill = None
    if args["group_by"] in DRILL and not (is_bank and args["group_by"] == "bank"):
        target, param = DRILL[args["group_by"]]
        drill = {"group_by": target, "param": param}
    return View(
        args=args,
        trend=trend,
        breakdown=table,
        indicators=None if is_bank else services.data_indicators(user),
        choices=_choices(args, is_bank),
        drill=drill,
        charts=_charts(trend, table),
        is_bank=is_bank,
        withheld_label=services.families_label(table.totals["suppressed_families"]),
        period=period,
    )


def build_or_explain(user: User, raw: dict[str, Any]) -> tuple[View, dict[str, str]]:
    """The page for `raw`, or, when a filter is wrong (`from` after `to`, an unknown bank…),
    the page without the wrong filters, with what was typed kept in the form and each wrong
    field's message (field → message) to mark it; never a bare error page."""
    errors: dict[str, str] = {}
    given = dict(raw)
    for _attempt in range(len(_args(raw)) + 1):
        try:
            view = build(user, given)
        except ValidationFailed as exc:
            found = getattr(exc, "errors", None) or {exc.field or "from": exc.message}
            errors.update({name: str(message) for name, message in found.items()})
            dropped = set(found) | ({"from", "to"} if {"from", "to"} & set(found) else set())
            given = {k: v for k, v in given.items() if k not in dropped}
            continue
        typed = _args(raw)
        for name in errors:
            if name in typed:
                view.args[name] = typed[name]
        if {"from", "to"} & set(errors):  # a period is wrong as a pair: mark both months
            view.args["from"], view.args["to"] = typed["from"], typed["to"]
            errors = {"from": "", "to": "", **errors}
        return view, errors
    raise AssertionError("the filters without the wrong ones always build")  # pragma: no cover


def _choices(args: dict[str, str], is_bank: bool) -> dict[str, Any]:
    regions = db.session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code)
        .where(Region.level.in_(("city", "county")))
        .order_by(Region.code)
    ).all()
    industries = db.session.execute(
        select(Industry.code, Industry.name, Industry.level, Industry.parent_code).order_by(
            Industry.code
        )
    ).all()
    groupings = [g for g in services.GROUPINGS if g != "month"]
    if is_bank:
        groupings = [g for g in groupings if g != "bank"]
    return {
        "groupings": [(g, str(services.GROUP_LABELS[g])) for g in groupings],
        "places": [(c, n if level == "city" else "　" + n) for c, n, level, _p in regions],
        "industries": [
            (c, f"{c} {n}" if level == "section" else f"　{c} {n}")
            for c, n, level, _p in _sections_first(industries)
        ],
        "banks": []
        if is_bank
        else db.session.execute(select(Bank.code, Bank.name).order_by(Bank.code)).all(),
        "types": [(t, str(label)) for t, label in TYPE_LABELS.items()],
    }


def _sections_first(rows):
    """Sections, each followed by its divisions."""
    by_parent: dict[str, list] = {}
    for row in rows:
        if row[2] == "division":
            by_parent.setdefault(row[3], []).append(row)
    ordered = []
    for row in rows:
        if row[2] == "section":
            ordered.append(row)
            ordered += by_parent.get(row[0], [])
    return ordered


def _series(summary: services.Summary, name: str) -> list:
    return [row[name] for row in summary.rows]


def _charts(trend: services.Summary, table: services.Summary) -> dict[str, Any]:
    """Chart data (suppressed groups are gaps: null)."""
    return {
        "labels": {
            "demand_amount": _("需求金额（元）"),
            "disbursed_amount": _("放款金额（元）"),
            "demand_count": _("需求笔数"),
            "disbursed_count": _("放款笔数"),
            "first_loans": _("首贷笔数"),
        },
        "trend": {
            "categories": [row["label"] for row in trend.rows],
            **{
                name: _series(trend, name)
                for name in (
                    "demand_amount",
                    "disbursed_amount",
                    "demand_count",
                    "disbursed_count",
                    "first_loans",
                )
            },
        },
        "breakdown": {
            "categories": [row["label"] for row in table.rows],
            **{name: _series(table, name) for name in ("demand_amount", "disbursed_amount")},
        },
    }


# --- loan quality (/stats/loans) -------------------------------------------------------------

LOAN_ARGS = ("group_by", "month", "place", "industry", "bank", "size")


@dataclass
class LoanView:
    args: dict[str, str]
    summary: loan_quality.LoanSummary
    choices: dict[str, Any]
    is_bank: bool
    withheld_label: str = ""


def loan_args(raw: dict[str, Any]) -> dict[str, str]:
    args = {k: str(raw.get(k) or "").strip() for k in LOAN_ARGS}
    args["group_by"] = args["group_by"] or "bank"
    return args


def loan_view_or_explain(user: User, raw: dict[str, Any]) -> tuple[LoanView, dict[str, str]]:
    """The loan-quality page for `raw`; a wrong filter is dropped, kept in the form as typed
    and marked with its message (field → message), never a bare error page."""
    typed = loan_args(raw)
    given = {k: v for k, v in typed.items() if v}
    errors: dict[str, str] = {}
    is_bank = not services.sees_every_bank(user)
    if is_bank and given.get("group_by") == "bank":
        given["group_by"] = "product"
    for _attempt in range(len(LOAN_ARGS) + 1):
        try:
            summary = loan_quality.summary_for(user, given)
        except ValidationFailed as exc:
            found = getattr(exc, "errors", None) or {exc.field or "month": exc.message}
            errors.update({name: str(message) for name, message in found.items()})
            given = {k: v for k, v in given.items() if k not in found}
            continue
        args = {**typed, "group_by": summary.query.group_by}
        if "month" not in errors:
            args["month"] = services.month_label(summary.query.month)
        choices = _choices(args, is_bank)
        groupings = [g for g in loan_quality.GROUPINGS if not (is_bank and g == "bank")]
        choices["groupings"] = [(g, str(loan_quality.GROUP_LABELS[g])) for g in groupings]
        choices["sizes"] = [(s, str(label)) for s, label in SIZE_LABELS.items()]
        label = loan_quality.families_label(summary.totals["suppressed_families"])
        return LoanView(args, summary, choices, is_bank, label), errors
    raise AssertionError("the filters without the wrong ones always build")  # pragma: no cover
