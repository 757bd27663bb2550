"""Scheduled: roll up completed months (registered in app/scheduler/jobs.py)."""

from __future__ import annotations


def roll_up_stats() -> dict:
    """Roll up the completed months not done yet and those an application changed since."""
    from app.stats.rollup import roll_up

    return roll_up()
