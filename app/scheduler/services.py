"""The scheduler lease and the job-run record.

Lease: one row per name in `scheduler_leases`. A process holds it while `expires_at` is in
the future and renews it every few seconds; a standby takes it with the same UPDATE once it
has lapsed. Taking it is one atomic statement, so two processes can never both win:

    UPDATE scheduler_leases SET holder = :me, … WHERE name = :name
      AND (expires_at < :now OR holder = :me)

and, when the row does not exist yet, `INSERT … ON CONFLICT DO NOTHING` (SQLite and
PostgreSQL both have it); RETURNING says who won (a lost race returns no row).

Job runs: a run claims its tick by inserting (job, scheduled_for), unique; a second claim of
the same tick fails, so a tick runs once even across a lease hand-over.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.extensions import db
from app.scheduler.models import JobRun, SchedulerLease
from app.upsert import upsert

LEASE_NAME = "scheduler"


def make_holder_id() -> str:
    """hostname:pid:uuid — unique per process run, readable by an operator."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def acquire_lease(
    holder: str, ttl_seconds: float, *, name: str = LEASE_NAME, now: datetime | None = None
) -> bool:
    """Take or renew the lease for `holder`; True when it now holds it. Flushes only."""
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    result = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.expires_at < now, SchedulerLease.holder == holder),
        )
        .values(
            holder=holder,
            # A renewal keeps the original acquisition time; a take-over starts a new one.
            acquired_at=case(
                (SchedulerLease.holder == holder, SchedulerLease.acquired_at),
                else_=literal(now, SchedulerLease.acquired_at.type),
            ),
            renewed_at=now,
            expires_at=expires,
        )
        .returning(SchedulerLease.name)
        .execution_options(synchronize_session=False)
    )
    if result.first() is not None:
        return True
    values = {
        "name": name,
        "holder": holder,
        "acquired_at": now,
        "renewed_at": now,
        "expires_at": expires,
    }
    inserted = db.session.execute(
        upsert(SchedulerLease)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(SchedulerLease.name)
    )
    return inserted.first() is not None


def holds_lease(holder: str, *, name: str = LEASE_NAME, now: datetime | None = None) -> bool:
    """Whether `holder` holds an unexpired lease right now (checked before every job run)."""
    now = now or utcnow()
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(SchedulerLease)
            .where(
                SchedulerLease.name == name,
                SchedulerLease.holder == holder,
                SchedulerLease.expires_at > now,
            )
        )
    )


def release_lease(holder: str, *, name: str = LEASE_NAME, now: datetime | None = None) -> bool:
    """Give the lease up at once (clean stop) so that a standby takes over immediately."""
    now = now or utcnow()
    result = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=now - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def get_lease(name: str = LEASE_NAME) -> SchedulerLease | None:
    return db.session.get(SchedulerLease, name)


# --- job runs --------------------------------------------------------------------------


def tick_for(interval_seconds: float, now: datetime | None = None) -> datetime:
    """The tick a run at `now` belongs to: `now` floored to a multiple of the interval.

    Every process computes the same tick for the same moment, which is what makes the
    (job, scheduled_for) claim meaningful across processes.
    """
    now = now or utcnow()
    step = max(int(interval_seconds), 1)
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step, UTC)


def claim_run(job: str, scheduled_for: datetime, holder: str) -> JobRun | None:
    """Insert the run row for this tick, or None when the tick was already claimed.

    Uses a SAVEPOINT so that a lost race leaves the caller's transaction usable.
    """
    run = JobRun(job=job, scheduled_for=scheduled_for, started_at=utcnow(), holder=holder)
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        return None
    return run


def finish_run(
    run: JobRun, outcome: str, *, error: str | None = None, details: dict | None = None
) -> JobRun:
    run.outcome = outcome
    run.finished_at = utcnow()
    run.error = error
    run.details = json.dumps(details, ensure_ascii=False, default=str) if details else None
    db.session.flush()
    return run


def abandon_unfinished_runs(holder: str) -> int:
    """Close runs left without an outcome by other holders (a process killed mid-run).

    Called when `holder` becomes active: a run of a former holder cannot still be going,
    because that holder no longer has the lease (and re-checks it before each run).
    """
    result = db.session.execute(
        update(JobRun)
        .where(JobRun.outcome.is_(None), JobRun.holder != holder)
        .values(
            outcome="failed",
            finished_at=utcnow(),
            error="abandoned: the scheduler process stopped during the run",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def recent_runs(page: int = 1, per_page: int = 50):
    """Job runs newest first, paginated (Flask-SQLAlchemy Pagination)."""
    return db.paginate(
        select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def last_runs_by_job() -> dict[str, JobRun]:
    """The latest run of each job."""
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    rows = db.session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id))
    return {run.job: run for run in rows}
