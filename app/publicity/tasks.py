"""Scheduled: the daily publicity expiry."""

from __future__ import annotations


def expire_publicity() -> dict:
    """Mark the records whose publicity period ended; rebuild the profiles concerned."""
    from app.publicity.services import run

    return run().to_dict()
