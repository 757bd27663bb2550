"""Retention: how long each kind of record is kept, decided here once.

The access log is kept at least `MIN_YEARS` (5) years, `ACCESS_LOG_RETENTION_YEARS` when
configured longer. It is append-only (triggers refuse DELETE, and the application's database
role may only insert), so the platform never removes a log row itself: the job reports the
rows past their retention, for the database owner to archive under the deployment's
procedure.

An authorization, its categories and its consent text are kept as long as anything cites
them: a log row, a credit report issued under it, a data pull it queued, a later grant that
replaced it. An authorization that ended (revoked or lapsed) before the retention cutoff and
that nothing cites is removed, with its categories and reminders; consent texts are kept
while any authorization cites them.

`run(remove=False)` only counts; the scheduler's `apply_retention` job removes and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.audit.models import AccessLogEntry
from app.clock import utcnow
from app.consent.models import Authorization, AuthorizationScope, PullRequest
from app.extensions import db
from app.notifications.models import AuthorizationReminder
from app.reports.models import CreditReport

MIN_YEARS = 5
_CHUNK = 500


def retention_years() -> int:
    """The configured years of retention, never below the legal minimum."""
    configured = int(current_app.config.get("ACCESS_LOG_RETENTION_YEARS", MIN_YEARS))
    if configured < MIN_YEARS:
        raise ValueError(
            f"ACCESS_LOG_RETENTION_YEARS={configured}: access-log rows are kept at least "
            f"{MIN_YEARS} years"
        )
    return configured


def cutoff(now: datetime | None = None) -> datetime:
    """The instant before which a record has passed its retention (the same day and month,
    `retention_years()` earlier; 29 February falls back to the 28th)."""
    now = now or utcnow()
    years = retention_years()
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - years, day=28)


@dataclass
class Report:
    cutoff: datetime
    years: int
    log_rows_past: int  # kept: append-only, archived by the database owner
    oldest_log_row: datetime | None
    authorizations_past: int  # ended before the cutoff
    authorizations_cited: int  # of those, kept because something cites them
    authorizations_removed: int

    def to_dict(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(),
            "years": self.years,
            "access_log_rows_past_retention": self.log_rows_past,
            "oldest_access_log_row": self.oldest_log_row.isoformat()
            if self.oldest_log_row
            else None,
            "authorizations_past_retention": self.authorizations_past,
            "authorizations_kept_as_cited": self.authorizations_cited,
            "authorizations_removed": self.authorizations_removed,
        }


def _ended_before(moment: datetime):
    """Authorizations that stopped before `moment`: revoked then, or valid until then."""
    return or_(
        (Authorization.state == "revoked") & (Authorization.revoked_at < moment),
        Authorization.valid_until < moment,
    )


def _cited():
    """An authorization something still cites."""
    me = Authorization.id
    replaced = aliased(Authorization)
    return or_(
        exists().where(AccessLogEntry.authorization_id == me),
        exists().where(CreditReport.authorization_id == me),
        exists().where(PullRequest.authorization_id == me),
        exists().where(replaced.replaced_by_id == me),
    )


def run(*, remove: bool, now: datetime | None = None) -> Report:
    """Count what passed its retention; with `remove`, delete the uncited authorizations
    (in chunks, in the caller's transaction)."""
    moment = cutoff(now)
    log_past = db.session.scalar(
        select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.at < moment)
    )
    oldest = db.session.scalar(select(func.min(AccessLogEntry.at)))
    ended = _ended_before(moment)
    past = db.session.scalar(select(func.count()).select_from(Authorization).where(ended))
    removable = list(db.session.scalars(select(Authorization.id).where(ended, ~_cited())))
    removed = 0
    if remove:
        for start in range(0, len(removable), _CHUNK):
            ids = removable[start : start + _CHUNK]
            db.session.execute(
                delete(AuthorizationScope).where(AuthorizationScope.authorization_id.in_(ids))
            )
            db.session.execute(
                delete(AuthorizationReminder).where(AuthorizationReminder.authorization_id.in_(ids))
            )
            db.session.execute(delete(Authorization).where(Authorization.id.in_(ids)))
            removed += len(ids)
        db.session.expire_all()
    return Report(
        cutoff=moment,
        years=retention_years(),
        log_rows_past=log_past or 0,
        oldest_log_row=oldest,
        authorizations_past=past or 0,
        authorizations_cited=(past or 0) - len(removable),
        authorizations_removed=removed,
    )
