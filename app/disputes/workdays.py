"""Chinese working days: public holidays and adjusted working days (调休) from chinese-calendar.

The package covers the years the State Council has published. For a later year it raises
NotImplementedError; we then count Monday to Friday and log a warning, so a deadline is
never refused. Updating the pinned `chinesecalendar` brings the new year's calendar.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

from app.util import local_today  # noqa: F401 - re-exported for the disputes package

log = logging.getLogger(__name__)


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; counting Monday-Friday", day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself is not counted)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative (those in (end, start]) when end < start."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count
