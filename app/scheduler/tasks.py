"""Jobs that belong to no other domain: pulling the HTTP sources, and a test heartbeat."""

from __future__ import annotations

import os

from app.clock import utcnow


class JobSkipped(Exception):
    """Raised by a job that had nothing it could do; recorded as outcome `skipped`."""


def pull_sources() -> dict:
    """Pull every configured HTTP source that is due; one failing does not stop the rest.

    Each pull is its own import batch and transaction (see `app.sources.services`).
    """
    from app.sources.services import pull_due

    results = pull_due(utcnow())
    if not results:
        raise JobSkipped("no source due")
    failed = [r for r in results if not r.ok]
    details = {"pulled": [r.to_dict() for r in results]}
    if failed:
        raise RuntimeError("; ".join(repr(r) for r in failed)[:500])
    return details


def heartbeat() -> dict:
    """A one-second job for the two-process tests (enabled by XYD_SCHEDULER_TEST_JOB=1)."""
    return {"pid": os.getpid()}
