"""Scheduled job: verify the access-log chain (nightly)."""

from __future__ import annotations

from app.audit import services
from app.extensions import db


def verify_access_log() -> dict:
    result = services.verify_chain()
    services.record_verification(result)
    db.session.commit()
    if not result.ok:
        raise RuntimeError(result.message)
    return {"rows": result.rows, "last_hash": result.last_hash}
