"""Background imports: a big upload or push, stored and queued as its batch, run by the
scheduler (`run_import_jobs` in app/ingest/tasks.py), never by a web worker.

    queued ──claim (one atomic UPDATE … WHERE status = 'queued')──▶ running
    running ──ingest_file commits──▶ succeeded     running ──refused / error──▶ failed
    running, heartbeat older than INGEST_JOB_STALE_SECONDS ──▶ queued again (or failed
    after INGEST_JOB_MAX_ATTEMPTS): the process that ran it died.

The file is kept outside the web root (INGEST_JOB_DIR, default the instance folder's
`ingest-jobs/`) under a random name, and removed when its batch ends. While the import's
own transaction is open, `BatchProgress` writes rows read, rejected, the total and a
heartbeat to the batch row in short transactions of its own connection, so that the
operator's page sees them. (On SQLite the import holds the only write lock, so there the
progress shows only when the batch ends: SQLite is for development.)
"""

from __future__ import annotations

import os
import secrets
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, select, update

from app.clock import utcnow
from app.extensions import db
from app.ingest.models import ImportBatch
from app.progress import Progress

DEFAULT_BACKGROUND_BYTES = 5 * 1024 * 1024
PROGRESS_EVERY = timedelta(seconds=1)


def job_dir() -> Path:
    configured = current_app.config.get("INGEST_JOB_DIR")
    folder = Path(configured or os.path.join(current_app.instance_path, "ingest-jobs"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def background_bytes() -> int:
    """Uploads and pushes bigger than this are imported in the background."""
    return int(current_app.config.get("INGEST_BACKGROUND_BYTES", DEFAULT_BACKGROUND_BYTES))


def store_upload(stream: IO[bytes], suffix: str) -> Path:
    """Copy an upload into the job folder under a random name (the caller removes it)."""
    target = job_dir() / f"{secrets.token_hex(16)}{suffix}"
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out, length=1 << 20)
    return target


def queue_file(
    source: str, stored: Path, filename: str, *, user_id: int | None, origin: str
) -> ImportBatch:
    """The batch of a stored file, queued for the scheduler. Flushes; the caller commits."""
    batch = ImportBatch(
        source=source,
        origin=origin,
        filename=filename,
        user_id=user_id,
        started_at=utcnow(),
        status="queued",
        stored_file=stored.name,
        rows_read=0,
        rows_rejected=0,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


class BatchProgress(Progress):
    """Progress of a running background batch, written to its row at most once a second in
    a transaction of its own (a separate connection), with the heartbeat."""

    def __init__(self, batch_id: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.rows_read = 0
        self.rows_rejected = 0
        self.total_rows: int | None = None
        self._last: datetime | None = None
        # SQLite: the import's transaction holds the database's one write lock.
        self._enabled = db.engine.dialect.name != "sqlite"

    def total(self, n: int | None) -> None:
        self.total_rows = n
        self.write(force=True)

    def advance(self, n: int = 1) -> None:
        self.rows_read += n
        self.write()

    def rejected(self, n: int) -> None:
        self.rows_rejected += n

    def write(self, *, force: bool = False) -> None:
        now = utcnow()
        if not self._enabled or (
            not force and self._last is not None and now - self._last < PROGRESS_EVERY
        ):
            return
        self._last = now
        with db.engine.begin() as connection:
            connection.execute(
                update(ImportBatch.__table__)
                .where(ImportBatch.__table__.c.id == self.batch_id)
                .values(
                    rows_read=self.rows_read,
                    rows_rejected=self.rows_rejected,
                    total_rows=self.total_rows,
                    heartbeat_at=now,
                )
            )


def claim_next(holder: str) -> int | None:
    """Take the oldest queued batch for `holder` (flushes; commit at once). One UPDATE whose
    WHERE re-checks `status = 'queued'`: of two schedulers racing for a batch, PostgreSQL
    makes the second wait for the first's row lock and then finds the row no longer queued,
    so it updates nothing; SQLite has one writer at a time."""
    now = utcnow()
    oldest = (
        select(ImportBatch.id)
        .where(ImportBatch.status == "queued")
        .order_by(ImportBatch.id)
        .limit(1)
        .scalar_subquery()
    )
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == oldest, ImportBatch.status == "queued")
        .values(
            status="running",
            claimed_by=holder,
            started_at=now,
            heartbeat_at=now,
            attempts=ImportBatch.attempts + 1,
        )
        .returning(ImportBatch.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    return int(claimed) if claimed is not None else None


def run_claimed(batch_id: int) -> dict:
    """Import a claimed batch's stored file; commits (success or the recorded failure)."""
    from app.ingest.services import ingest_file

    batch = db.session.get(ImportBatch, batch_id)
    assert batch is not None and batch.stored_file
    path = job_dir() / batch.stored_file
    outcome: dict = {"batch_id": batch_id}
    try:
        summary = ingest_file(
            batch.source,
            path,
            user_id=batch.user_id,
            filename=batch.filename,
            origin=batch.origin,
            progress=BatchProgress(batch_id),
            batch=batch,
        )
        db.session.commit()
        outcome.update(status="succeeded", rows=summary.rows, rejected=summary.rejected)
    except Exception as exc:  # noqa: BLE001 - recorded on the batch by ingest_file
        db.session.rollback()
        outcome.update(status="failed", error=str(getattr(exc, "message", exc))[:300])
    finally:
        path.unlink(missing_ok=True)
    return outcome


def recover_stale(now: datetime | None = None) -> dict[str, int]:
    """Running background batches whose heartbeat stopped (their process died, and with it
    the import's transaction): queued again, or failed after INGEST_JOB_MAX_ATTEMPTS.
    Flushes; the caller commits."""
    now = now or utcnow()
    config = current_app.config
    stale = now - timedelta(seconds=int(config.get("INGEST_JOB_STALE_SECONDS", 900)))
    attempts = int(config.get("INGEST_JOB_MAX_ATTEMPTS", 3))
    dead = and_(
        ImportBatch.status == "running",
        ImportBatch.stored_file.is_not(None),
        ImportBatch.heartbeat_at < stale,
    )
    requeued = db.session.execute(
        update(ImportBatch)
        .where(dead, ImportBatch.attempts < attempts)
        .values(status="queued", claimed_by=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    given_up = list(
        db.session.scalars(select(ImportBatch).where(dead, ImportBatch.attempts >= attempts))
    )
    for batch in given_up:
        batch.status = "failed"
        batch.finished_at = now
        batch.error = _("导入进程中断：已尝试 %(n)s 次仍未完成，请重新上传", n=batch.attempts)
        if batch.stored_file:
            (job_dir() / batch.stored_file).unlink(missing_ok=True)
    db.session.flush()
    return {"requeued": int(requeued or 0), "failed": len(given_up)}


def describe(batch: ImportBatch, now: datetime | None = None) -> dict:
    """A batch's state and progress as the operator's page and the API show it: the state
    (and its words), rows read / rejected, the total and percent when known, elapsed time,
    and the final counts once it has ended."""
    now = now or utcnow()
    ended = batch.status in ("succeeded", "failed")
    running = batch.status == "running"
    elapsed = None
    if batch.status != "queued":
        elapsed = int(((batch.finished_at or now) - batch.started_at).total_seconds())
    rows_read = batch.rows if batch.status == "succeeded" else (batch.rows_read or 0)
    rejected = batch.rejected if batch.status == "succeeded" else (batch.rows_rejected or 0)
    body = {
        "batch_id": batch.id,
        "source": batch.source,
        "state": batch.status,
        "state_label": batch.state_label,
        "finished": ended,
        "rows_read": rows_read,
        "rows_rejected": rejected,
        "total_rows": batch.total_rows,
        "percent": batch.percent,
        "elapsed_seconds": elapsed,
        "elapsed": _duration(elapsed) if elapsed is not None else None,
        "heartbeat_at": batch.heartbeat_at.isoformat() if running and batch.heartbeat_at else None,
        "error": batch.error,
    }
    if batch.status == "succeeded":
        body["summary"] = {
            "rows": batch.rows,
            "inserted": batch.inserted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "rejected": batch.rejected,
            "skipped_no_consent": batch.skipped_no_consent,
        }
    return body


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(max(seconds, 0), 60)
    if minutes:
        return _("%(m)s 分 %(s)s 秒", m=minutes, s=seconds)
    return _("%(s)s 秒", s=seconds)
