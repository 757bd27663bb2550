"""Working-day arithmetic with Chinese public holidays and adjusted working days (调休).

`chinese_calendar` knows the State Council's schedule year by year; for a year it does not
know yet, weekdays count as working days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar

from app.util import SHANGHAI, to_local


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year outside the package's data
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The Nth working day after `start` (start itself not counted)."""
    day = start
    left = n
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def deadline_after(moment: datetime, n: int) -> datetime:
    """End of the Nth working day (Asia/Shanghai) after the day of `moment`, as a UTC time."""
    local = to_local(moment)
    assert local is not None
    last = add_working_days(local.date(), n)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI) - timedelta(
        microseconds=1
    )


def working_days_left(deadline: datetime, now: datetime) -> int:
    """Working days from today (Shanghai) to the deadline's day; 0 on the last day, < 0 late."""
    today = to_local(now)
    last = to_local(deadline)
    assert today is not None and last is not None
    if now > deadline:
        return -max(1, working_days_between(last.date(), today.date()))
    return working_days_between(today.date(), last.date())
