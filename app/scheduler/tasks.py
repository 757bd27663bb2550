"""Jobs that belong to no other domain: pulling the HTTP sources, and a test heartbeat."""

from __future__ import annotations

import os

from app.util import utcnow


class JobSkipped(Exception):
    """Raised by a job that had nothing it could do; recorded as outcome `skipped`."""


def pull_sources() -> dict:
    """Pull every configured HTTP source that is due (`app.sources` decides what is due)."""
    try:
        from app.sources.services import due_sources, pull_source  # type: ignore[import-not-found]
    except ImportError as exc:
        raise JobSkipped("sources module unavailable") from exc
    pulled = {}
    for ds in due_sources(utcnow()):
        result = pull_source(ds.source)
        pulled[ds.source] = getattr(result, "batch_id", None) or str(result)[:200]
    return {"pulled": pulled}


def heartbeat() -> dict:
    """A one-second job for the two-process tests (enabled by XYD_SCHEDULER_TEST_JOB=1)."""
    return {"pid": os.getpid()}
