"""Scheduled: roll up completed months; count the data indicators (registered in
app/scheduler/jobs.py)."""

from __future__ import annotations


def roll_up_stats() -> dict:
    """Roll up the completed months not done yet and those an application changed since."""
    from app.stats.rollup import roll_up

    return roll_up()


def count_data_indicators() -> dict:
    """Count the records per source and the enterprises for the dashboard."""
    from app.stats.services import count_indicators

    return count_indicators()
