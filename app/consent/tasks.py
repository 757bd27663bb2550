"""Scheduled jobs of the consent domain (registered in app/scheduler/jobs.py)."""

from __future__ import annotations

from app.clock import utcnow
from app.consent import services
from app.enterprises.models import Enterprise
from app.extensions import db


def expire_authorizations() -> dict:
    """Mark lapsed authorizations expired (checks already ignore them by the clock)."""
    return {"expired": services.expire_lapsed(utcnow())}


def process_pull_requests(limit: int = 100) -> dict:
    """Pull the data of enterprises that just granted collection.

    Each request is done once (`done_at`, `outcome`); a failed pull records its error and
    is done too — the regular `pull_sources` job catches up later. While `app.sources` is
    not installed, requests stay pending with the outcome "sources module unavailable", so
    that they run once it is.
    """
    from app.sources.services import pull_enterprise

    pending = services.pending_pull_requests(limit)
    if not pending:
        return {"processed": 0}
    done = failed = 0
    for request in pending:
        enterprise = db.session.get(Enterprise, request.enterprise_id)
        request.attempts += 1
        # Each pull is its own import batch and transaction: commit our bookkeeping first.
        db.session.commit()
        try:
            results = pull_enterprise(enterprise.uscc, sources=list(request.categories))
        except Exception as exc:  # noqa: BLE001 - one enterprise's failure must not stop the rest
            db.session.rollback()
            request.outcome = f"failed: {exc}"[:500]
            failed += 1
        else:
            bad = [r for r in results if not r.ok]
            request.outcome = (("failed: " if bad else "ok: ") + str(results))[:500]
            failed += bool(bad)
            done += not bad
        request.done_at = utcnow()
        db.session.commit()
    return {"processed": done, "failed": failed}
