"""The scheduler's job for background imports (app/ingest/jobs.py)."""

from __future__ import annotations

from app.extensions import db
from app.ingest import jobs


def run_import_jobs() -> dict:
    """Re-queue imports whose process died, then run every queued import, oldest first,
    each claimed and committed on its own."""
    from app.scheduler.services import make_holder_id
    from app.scheduler.tasks import JobSkipped

    recovered = jobs.recover_stale()
    db.session.commit()
    holder = make_holder_id()
    imports = []
    while (batch_id := jobs.claim_next(holder)) is not None:
        db.session.commit()
        imports.append(jobs.run_claimed(batch_id))
    if not imports and not any(recovered.values()):
        raise JobSkipped("no import queued")
    return {"imports": imports, "recovered": recovered}
