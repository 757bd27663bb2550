"""Scheduled: the nightly full rebuild (the `as_of` day moves the windows)."""

from __future__ import annotations


def rebuild_profiles() -> dict:
    """Rebuild every profile as of today; unchanged profiles write nothing."""
    from app.profiles.services import rebuild

    return rebuild(None, trigger="schedule").to_dict()
