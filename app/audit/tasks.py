"""Scheduled jobs: sign a checkpoint of the access log (every few minutes); verify the whole
chain against the checkpoints (nightly)."""

from __future__ import annotations

from app.audit import checkpoints, services
from app.extensions import db


def checkpoint_access_log() -> dict:
    signed = checkpoints.checkpoint_now()
    return {"seq": signed.statement.seq, "length": signed.statement.length}


def verify_access_log() -> dict:
    result = checkpoints.verify_all()
    services.record_verification(result)
    db.session.commit()
    if not result.ok:
        raise RuntimeError(result.message)
    return {"rows": result.rows, "last_hash": result.last_hash, "checkpoint": result.checkpoint_seq}
