"""Publicity periods: a graded record's tier and dates, computed in one place from the rules.

A negative public-credit record (a penalty, a black-list entry) falls in a tier by its
category and severity (`PublicityRule`); the tier says how long it is shown (`PublicityTier`):

- shown from the decision day, unless the tier is not published at all (轻微 by default);
- shown until the day before the decision's `max_months` anniversary (the last day shown);
- repairable (信用修复 may be applied for) from the `min_months` anniversary.

`window()` is that computation; `assign()` stores tier / shown_from / shown_until on the
records (after every public-credit import batch, before the profile rebuild reads them, and
in the daily `run()` after the operator changed a rule). Whether a record counts on a day is
the record rule `within_publicity` of `app/facts/records.py`, over these stored dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from app import events
from app.clock import local_today, utcnow
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.ingest.models import PublicCreditRecord
from app.ingest.services import BatchSummary
from app.ingest.specs import SEVERITIES
from app.ingest.writers import enterprise_ids_for
from app.publicity.models import GRADED_CATEGORIES, TIERS, PublicityRule, PublicityTier
from app.util import add_months

_CHUNK = 5000  # USCCs per IN (…) list


class Tier(NamedTuple):
    min_months: int
    max_months: int
    published: bool


@dataclass(frozen=True)
class Rules:
    """The rule table as read once: tiers by name, tier by (category, severity or None)."""

    tiers: dict[str, Tier]
    tier_of: dict[tuple[str, str | None], str]

    def tier_for(self, category: str, severity: str | None) -> str | None:
        if category not in GRADED_CATEGORIES:
            return None
        return self.tier_of.get((category, severity)) or self.tier_of.get((category, None))


@dataclass(frozen=True)
class Window:
    tier: str | None  # None: not graded (no publicity limit)
    shown_from: date | None  # None: not shown at all
    shown_until: date | None  # the last day shown
    repairable_from: date | None  # the first day a repair may be applied for


UNGRADED = Window(None, None, None, None)


def load_rules() -> Rules:
    tiers = {
        t.tier: Tier(t.min_months, t.max_months, t.published)
        for t in db.session.scalars(select(PublicityTier))
    }
    tier_of = {(r.category, r.severity): r.tier for r in db.session.scalars(select(PublicityRule))}
    return Rules(tiers, tier_of)


def window(
    category: str, severity: str | None, decided_on: date, rules: Rules | None = None
) -> Window:
    """The publicity window of a record decided on `decided_on` (the one computation)."""
    rules = rules or load_rules()
    tier = rules.tier_for(category, severity)
    if tier is None or tier not in rules.tiers:
        return UNGRADED
    spec = rules.tiers[tier]
    return Window(
        tier,
        decided_on if spec.published else None,
        add_months(decided_on, spec.max_months) - timedelta(days=1),
        add_months(decided_on, spec.min_months),
    )


def window_of(record: PublicCreditRecord, rules: Rules | None = None) -> Window:
    return window(record.category, record.severity, record.decided_on, rules)


# --- storing the windows -------------------------------------------------------------------


def assign(usccs: Iterable[str] | None = None, rules: Rules | None = None) -> set[str]:
    """Store each graded record's window (of these enterprises' records; None = every
    record) where it differs; returns the USCCs whose records changed."""
    rules = rules or load_rules()
    p = PublicCreditRecord
    query = select(
        p.id, p.uscc, p.category, p.severity, p.decided_on, p.tier, p.shown_from, p.shown_until
    ).where(or_(p.category.in_(GRADED_CATEGORIES), p.tier.is_not(None)))
    chunks: list[Any]
    if usccs is None:
        chunks = [None]
    else:
        codes = sorted(set(usccs))
        chunks = [codes[i : i + _CHUNK] for i in range(0, len(codes), _CHUNK)]
    changed: set[str] = set()
    for chunk in chunks:
        part = query if chunk is None else query.where(p.uscc.in_(chunk))
        updates = []
        for row in db.session.execute(part):
            w = window(row.category, row.severity, row.decided_on, rules)
            if (row.tier, row.shown_from, row.shown_until) != (
                w.tier,
                w.shown_from,
                w.shown_until,
            ):
                updates.append(
                    {"id": row.id, "tier": w.tier, "shown_from": w.shown_from,
                     "shown_until": w.shown_until}
                )  # fmt: skip
                changed.add(row.uscc)
        if updates:
            db.session.execute(update(PublicCreditRecord), updates)
    return changed


@events.batch_written.connect
def assign_after_batch(summary: BatchSummary) -> None:
    """A public-credit batch's records get their windows before the profile rebuild."""
    if summary.source == "public_credit" and summary.touched_usccs:
        assign(summary.touched_usccs)


# --- the daily run -------------------------------------------------------------------------


@dataclass
class RunSummary:
    reassigned: int = 0  # enterprises whose records' windows changed (a rule changed)
    expired: int = 0  # records whose publicity ended since the last run
    restored: int = 0  # records shown again (a rule lengthened their period)
    profiles_rebuilt: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def run(today: date | None = None, now: datetime | None = None) -> RunSummary:
    """The daily expiry (`flask publicity run`, job `expire_publicity`): store the windows
    as the rules now say, mark the records whose publicity ended (公示期满), and rebuild the
    profiles of the enterprises concerned, so their scores no longer count them."""
    today = today or local_today()
    now = now or utcnow()
    p = PublicCreditRecord
    summary = RunSummary()
    touched = assign(None)
    summary.reassigned = len(touched)
    ended = and_(p.tier.is_not(None), p.shown_until < today)
    for marked, condition, value in (
        ("expired", and_(ended, p.publicity_ended_at.is_(None)), now),
        ("restored", and_(~ended, p.publicity_ended_at.is_not(None)), None),
    ):
        rows = db.session.execute(select(p.id, p.uscc).where(condition)).all()
        if rows:
            db.session.execute(
                update(p)
                .where(p.id.in_([r.id for r in rows]))
                .values(publicity_ended_at=value)
                .execution_options(synchronize_session=False)
            )
        setattr(summary, marked, len(rows))
        touched.update(r.uscc for r in rows)
    ids = enterprise_ids_for(sorted(touched))
    if ids:
        events.records_changed.send(
            "publicity", enterprise_ids=ids, trigger="publicity", as_of=today
        )
    summary.profiles_rebuilt = len(ids)
    db.session.flush()
    return summary


# --- the operator's rule table -------------------------------------------------------------


def list_tiers() -> list[PublicityTier]:
    order = {t: i for i, t in enumerate(TIERS)}
    return sorted(db.session.scalars(select(PublicityTier)), key=lambda t: order[t.tier])


def list_rules() -> list[PublicityRule]:
    return list(
        db.session.scalars(
            select(PublicityRule).order_by(
                PublicityRule.category, PublicityRule.severity.is_(None), PublicityRule.severity
            )
        )
    )


def set_tier(
    tier: str, *, min_months: int, max_months: int, published: bool | None = None
) -> PublicityTier:
    """Change a tier's periods; the records follow at the next `run()`."""
    row = db.session.get(PublicityTier, tier)
    if row is None:
        raise NotFound(_("未知的公示等级：%(tier)s", tier=tier))
    if min_months < 0 or max_months < min_months or max_months < 1:
        raise ValidationFailed(
            "max_months", _("公示期应满足 0 ≤ 最短 ≤ 最长，且最长至少 1 个月"), code="bad_months"
        )
    row.min_months, row.max_months = min_months, max_months
    if published is not None:
        row.published = published
    db.session.flush()
    return row


def set_rule(category: str, severity: str | None, tier: str) -> PublicityRule:
    """Records of `category` (and `severity`; None = its other records) fall in `tier`."""
    if category not in GRADED_CATEGORIES:
        raise ValidationFailed(
            "category",
            _("公示期只适用于：%(all)s", all=", ".join(GRADED_CATEGORIES)),
            code="not_graded",
        )
    if severity is not None and severity not in set(SEVERITIES.values()):
        raise ValidationFailed(
            "severity", _("未知的严重程度：%(s)s", s=severity), code="unknown_severity"
        )
    if tier not in TIERS:
        raise ValidationFailed("tier", _("未知的公示等级：%(tier)s", tier=tier))
    rule = db.session.scalar(
        select(PublicityRule).where(
            PublicityRule.category == category,
            PublicityRule.severity.is_(None)
            if severity is None
            else PublicityRule.severity == severity,
        )
    )
    if rule is None:
        rule = PublicityRule(category=category, severity=severity, tier=tier)
        db.session.add(rule)
    rule.tier = tier
    db.session.flush()
    return rule
