"""Working days across Chinese public holidays and adjusted working days (调休).

chinesecalendar 1.11.0 knows 2025 and 2026: National Day 2025 is 1–8 October with
Sunday 28 September and Saturday 11 October worked; Spring Festival 2026 runs 15–23
February with Saturday 14 and Saturday 28 February worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.workcalendar import services as workdays


def test_holidays_and_adjusted_days_from_the_package():
    assert not workdays.is_working_day(date(2025, 10, 3))  # National Day, a Friday
    assert workdays.is_working_day(date(2025, 9, 28))  # a Sunday worked
    assert workdays.is_working_day(date(2025, 10, 11))  # a Saturday worked
    assert not workdays.is_working_day(date(2026, 2, 16))  # Spring Festival, a Monday
    assert workdays.is_working_day(date(2026, 2, 14))  # a Saturday worked


def test_three_working_days_across_national_day_2025():
    # Submitted Tuesday 30 Sep: 1–8 Oct off, Thu 9, Fri 10, Sat 11 (worked).
    assert workdays.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    # Submitted Friday 26 Sep: Sun 28 (worked), Mon 29, Tue 30.
    assert workdays.add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)


def test_three_working_days_across_spring_festival_2026():
    # Friday 13 Feb: Sat 14 (worked), then 15–23 off, Tue 24, Wed 25.
    assert workdays.add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)


def test_working_days_between_counts_only_working_days():
    assert workdays.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert workdays.working_days_between(date(2025, 10, 9), date(2025, 9, 30)) == -1
    assert workdays.working_days_between(date(2025, 10, 1), date(2025, 10, 1)) == 0


def test_deadline_is_end_of_the_nth_working_day_in_shanghai():
    # 2025-09-30 10:00 Shanghai = 02:00 UTC → end of Sat 11 Oct Shanghai = 15:59:59 UTC.
    deadline = workdays.deadline_after(datetime(2025, 9, 30, 2, 0, tzinfo=UTC), 3)
    assert deadline.astimezone(UTC).replace(microsecond=0) == datetime(
        2025, 10, 11, 15, 59, 59, tzinfo=UTC
    )
    # During the holiday, three working days are still left.
    now = datetime(2025, 10, 3, 2, 0, tzinfo=UTC)
    assert workdays.working_days_left(deadline, now) == 3
    assert workdays.working_days_left(deadline, datetime(2025, 10, 11, 2, 0, tzinfo=UTC)) == 0
    assert workdays.working_days_left(deadline, datetime(2025, 10, 13, 2, 0, tzinfo=UTC)) < 0


def test_years_outside_the_data_fall_back_to_weekdays():
    assert workdays.is_working_day(date(2099, 6, 1))  # a Monday
    assert not workdays.is_working_day(date(2099, 6, 6))  # a Saturday
