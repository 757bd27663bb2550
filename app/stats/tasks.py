"""Scheduled: roll up completed months; count the data indicators (registered in
app/scheduler/jobs.py)."""

from __future__ import annotations


def roll_up_stats() -> dict:
    """Roll up the completed months not done yet and those an application changed since;
    then the current month's completed days (provisionally: redone once a day has passed
    or an application changed)."""
    from app.stats.rollup import roll_up, roll_up_current

    done = roll_up()
    current = roll_up_current()
    return {**done, "current_rows": current["rows"]}


def count_data_indicators() -> dict:
    """Count the records per source and the enterprises for the dashboard."""
    from app.stats.services import count_indicators

    return count_indicators()
