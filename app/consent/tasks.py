"""Scheduled jobs of the consent domain (registered in app/scheduler/jobs.py)."""

from __future__ import annotations

from app.consent import services
from app.enterprises.models import Enterprise
from app.extensions import db
from app.util import utcnow

UNAVAILABLE = "sources module unavailable"


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
    pending = services.pending_pull_requests(limit)
    if not pending:
        return {"processed": 0}
    try:
        from app.sources.services import pull_enterprise  # type: ignore[import-not-found]
    except ImportError:
        for request in pending:
            request.outcome = UNAVAILABLE
            request.attempts += 1
        db.session.flush()
        return {"processed": 0, "pending": len(pending), "outcome": UNAVAILABLE}
    done = failed = 0
    for request in pending:
        enterprise = db.session.get(Enterprise, request.enterprise_id)
        request.attempts += 1
        try:
            with db.session.begin_nested():
                result = pull_enterprise(enterprise.uscc, sources=list(request.categories))
            request.outcome = ("ok: " + str(result))[:500]
            done += 1
        except Exception as exc:  # noqa: BLE001 - one enterprise's failure must not stop the rest
            request.outcome = f"failed: {exc}"[:500]
            failed += 1
        request.done_at = utcnow()
    db.session.flush()
    return {"processed": done, "failed": failed}
