"""Which source records count on a day, and what "in force" and "current" mean.

`counts(source, table, as_of)` is the one SQL condition every reader of source records adds:
scoring's feature extraction, the enterprise facts (matching, the bank's inbox, who may see
an open demand), the bank's view of an enterprise. It is the AND of the rules registered for
the source with `@record_rule`; today:

- **disputes (异议)**: a record withdrawn after the enterprise's objection no longer counts.
  A *corrected* record needs no rule: the correction rewrites the record itself through the
  import path (the old values go to record history), so every reader sees the new values.
- **publicity periods (公示期)**: a penalty or black-list entry counts only within the
  dates its tier gives it (`within_publicity`; the tiers are the rule table of
  `app/publicity`); a tier that is not published (轻微) never counts.
- **credit repair (信用修复)**: a record whose repair was approved no longer counts from the
  day of the approval (`not_repaired`; `app/repairs`).
- **decided in the future**: a public-credit decision dated after `as_of`, a tax rating of
  `as_of`'s own year or later (year Y is published in the spring of Y+1) and a monthly record
  of a later month do not count yet, so a past profile can be rebuilt exactly.

On top of `counts`, two validity rules describe facts rather than records:

- `in_force`: a list entry (black / red list) or licence counts as in force on `as_of` from
  its decision day to its `valid_until` (no end = in force);
- `tax_rating_current`: the tax credit grade in use is the latest of the
  `TAX_RATING_VALID_YEARS` years before `as_of`'s year; an older rating is stale.

Adding a rule:
write `def rule(source, c, as_of) -> SQL condition` over the record's columns `c` and
decorate it with `@record_rule("public_credit")`; every reader above applies it at once.
The module imports only models, so any domain may ask it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, true

from app.disputes.models import Dispute
from app.repairs.models import Repair
from app.sources.models import MONTHLY_SOURCES, RECORD_SOURCES

# A tax credit rating of year Y is published in the spring of Y+1 and used until the next
# one: on as_of, the grade of as_of.year - 1 or, until it is published, as_of.year - 2.
TAX_RATING_VALID_YEARS = 2

Rule = Callable[[str, Any, date], ColumnElement[bool]]
_RULES: list[tuple[frozenset[str], Rule]] = []


def record_rule(*sources: str) -> Callable[[Rule], Rule]:
    """Register a rule for these sources (none named = every record source)."""
    unknown = set(sources) - set(RECORD_SOURCES)
    if unknown:
        raise ValueError(f"unknown record sources: {sorted(unknown)}")

    def register(rule: Rule) -> Rule:
        _RULES.append((frozenset(sources or RECORD_SOURCES), rule))
        return rule

    return register


def columns(table: Any) -> Any:
    """The column collection of a Core table (`table()` clause) or of an ORM model."""
    return table.c if hasattr(table, "c") else table.__table__.c


def counts(source: str, table: Any, as_of: date) -> ColumnElement[bool]:
    """SQL: a record of `source` (in `table`, a model or a Core table) counts on `as_of`."""
    if source not in RECORD_SOURCES:
        raise ValueError(f"unknown record source: {source}")
    c = columns(table)
    conditions = [rule(source, c, as_of) for sources, rule in _RULES if source in sources]
    return and_(true(), *conditions)


@record_rule()
def not_withdrawn(source: str, c: Any, as_of: date) -> ColumnElement[bool]:
    """Not withdrawn through a dispute (an anti-join on `ix_disputes_source_record`)."""
    return ~exists().where(
        Dispute.source == source, Dispute.record_id == c.id, Dispute.status == "withdrawn"
    )


@record_rule("public_credit")
def decided_by(source: str, c: Any, as_of: date) -> ColumnElement[bool]:
    return c.decided_on <= as_of


@record_rule("public_credit")
def within_publicity(source: str, c: Any, as_of: date) -> ColumnElement[bool]:
    """Publicity periods (公示期): a graded record (a penalty, a black-list entry) counts from
    `shown_from` to `shown_until`, both stored by `app/publicity` from its rule table; an
    unpublished tier (no `shown_from`) never counts; ungraded records (no tier) are not
    limited."""
    return or_(
        c.tier.is_(None),
        and_(c.shown_from <= as_of, or_(c.shown_until.is_(None), c.shown_until >= as_of)),
    )


@record_rule("public_credit")
def not_repaired(source: str, c: Any, as_of: date) -> ColumnElement[bool]:
    """Credit repair (信用修复): a record whose repair was approved on or before `as_of`
    no longer counts (a revoked repair counts for nothing; an anti-join on
    `ix_repairs_record_status`)."""
    return ~exists().where(
        Repair.record_id == c.id, Repair.status == "approved", Repair.repaired_on <= as_of
    )


@record_rule("tax_ratings")
def rated_by(source: str, c: Any, as_of: date) -> ColumnElement[bool]:
    return c.year < as_of.year


@record_rule(*MONTHLY_SOURCES)
def period_by(source: str, c: Any, as_of: date) -> ColumnElement[bool]:
    return c.period <= f"{as_of.year:04d}-{as_of.month:02d}"


def in_force(table: Any, category: str, as_of: date) -> ColumnElement[bool]:
    """SQL: a public-credit record of `category` (black_list, red_list, license) in force on
    `as_of`. Combine with `counts` (a withdrawn entry is in force for nobody)."""
    c = columns(table)
    return and_(
        c.category == category,
        c.decided_on <= as_of,
        or_(c.valid_until.is_(None), c.valid_until >= as_of),
    )


def tax_rating_current(table: Any, as_of: date) -> ColumnElement[bool]:
    """SQL: a tax rating recent enough to be the grade in use on `as_of` (not stale)."""
    c = columns(table)
    return c.year.between(as_of.year - TAX_RATING_VALID_YEARS, as_of.year - 1)
