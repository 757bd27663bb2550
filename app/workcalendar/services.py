"""Working-day arithmetic with Chinese public holidays and adjusted working days (调休).

A day is a working day when the operator said so (`calendar_days`), else when
chinese-calendar says so; for a year the package does not know yet (it raises
NotImplementedError) and the operator has not entered, Monday to Friday count. The
operator's days are read once per app context and kept for a minute, so a page that shows
a hundred deadlines runs one query.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import chinese_calendar
from flask import g, has_app_context
from sqlalchemy import select

from app.extensions import db
from app.util import SHANGHAI, to_local
from app.workcalendar.models import CalendarDay

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0
_WARNED: set[int] = set()  # years already warned about, per process


def overrides() -> Mapping[date, bool]:
    """The operator's days ({day: working}), empty outside an app context."""
    if not has_app_context():
        return {}
    cached = g.get("_calendar_days")
    if cached is not None and clock.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    days = {
        day: working
        for day, working in db.session.execute(select(CalendarDay.day, CalendarDay.working))
    }
    g._calendar_days = (clock.monotonic(), days)
    return days


def forget_overrides() -> None:
    if has_app_context():
        g.pop("_calendar_days", None)


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date, days: Mapping[date, bool] | None = None) -> bool:
    days = overrides() if days is None else days
    if day in days:
        return days[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year outside the package's data, not entered
        if day.year not in _WARNED:
            _WARNED.add(day.year)
            log.warning("chinese-calendar has no data for %s; counting Monday-Friday", day.year)
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The Nth working day after `start` (start itself not counted)."""
    days = overrides()
    day, left = start, n
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, days):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative (those in (end, start]) when end < start."""
    if end < start:
        return -working_days_between(end, start)
    days = overrides()
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, days)
    return count


def deadline_after(moment: datetime, n: int) -> datetime:
    """End of the Nth working day (Asia/Shanghai) after the day of `moment`, as a UTC time."""
    local = to_local(moment)
    assert local is not None
    last = add_working_days(local.date(), n)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return end - timedelta(microseconds=1)


def working_days_left(deadline: datetime, now: datetime) -> int:
    """Working days from today (Shanghai) to the deadline's day; 0 on the last day, < 0 late."""
    today = to_local(now)
    last = to_local(deadline)
    assert today is not None and last is not None
    if now > deadline:
        return -max(1, working_days_between(last.date(), today.date()))
    return working_days_between(today.date(), last.date())


# --- the operator's days -----------------------------------------------------------------


def set_day(day: date, working: bool, name: str = "", user_id: int | None = None) -> CalendarDay:
    """Declare `day` worked or off (replacing an earlier entry for it)."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.working, row.name, row.created_by_id = working, name.strip()[:60], user_id
    db.session.flush()
    forget_overrides()
    return row


def unset_day(day: date) -> bool:
    row = db.session.get(CalendarDay, day)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    forget_overrides()
    return True


def entered_days(year: int | None = None) -> list[CalendarDay]:
    query = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day < date(year + 1, 1, 1)
        )
    return list(db.session.scalars(query))


def coverage(years: list[int]) -> list[dict]:
    """Per year: whether the package knows it and how many days the operator entered."""
    entered: dict[int, int] = {}
    for day in overrides():
        entered[day.year] = entered.get(day.year, 0) + 1
    return [{"year": y, "package": package_knows(y), "entered": entered.get(y, 0)} for y in years]
