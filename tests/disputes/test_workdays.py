"""Deadlines in Chinese working days: the National Day holiday 2025 and its adjusted days.

chinesecalendar 1.11.0 (pinned) holds the 2025 arrangement: 2025-10-01 … 10-08 off
(National Day with the Mid-Autumn Festival), Sunday 2025-09-28 and Saturday 2025-10-11
working days (调休).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from app.disputes import services
from app.workcalendar.services import add_working_days, working_days_between


def test_the_package_holds_the_2025_national_day_arrangement():
    assert not chinese_calendar.is_workday(date(2025, 10, 1))
    assert not chinese_calendar.is_workday(date(2025, 10, 8))
    assert chinese_calendar.is_workday(date(2025, 9, 28))  # a Sunday, worked
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # a Saturday, worked


def test_fifteen_working_days_from_30_september_skip_the_holiday():
    # 10-09, 10-10, 10-11 (Sat, worked), 10-13 … 10-17, 10-20 … 10-24, 10-27, 10-28
    assert add_working_days(date(2025, 9, 30), 15) == date(2025, 10, 28)
    # without the holiday and the adjusted Saturday it would have been 2025-10-21
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)  # the worked Sunday


def test_working_days_between_counts_after_the_first_day_up_to_the_last():
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 28)) == 15
    assert working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert working_days_between(date(2025, 10, 28), date(2025, 10, 28)) == 0
    assert working_days_between(date(2025, 10, 28), date(2025, 10, 30)) == 2
    assert working_days_between(date(2025, 10, 30), date(2025, 10, 28)) == -2


def test_a_year_the_package_does_not_know_counts_monday_to_friday(caplog, monkeypatch):
    monkeypatch.setattr("app.workcalendar.services._WARNED", set())  # warned once per process
    with caplog.at_level(logging.WARNING, logger="app.workcalendar.services"):
        assert add_working_days(date(2027, 3, 5), 1) == date(2027, 3, 8)  # Fri → Mon
    assert "no data for 2027" in caplog.text


def _file(world, when: datetime):
    return services.file_dispute(
        world.enterprise.id,
        "tax_payments",
        world.unpaid_tax.id,
        reason="该月税款已缴清",
        user_id=world.owner.id,
        now=when,
    )


def test_a_dispute_filed_before_national_day_is_forwarded_after_it(world):
    dispute = _file(world, datetime(2025, 9, 30, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    assert dispute.deadline == date(2025, 10, 9)  # one working day: the holiday is skipped
    assert services.working_days_left(dispute, date(2025, 9, 30)) == 1
    assert services.working_days_left(dispute, date(2025, 10, 8)) == 1  # holiday: no time spent
    assert not services.is_overdue(dispute, date(2025, 10, 9))
    assert services.is_overdue(dispute, date(2025, 10, 10))
    services.forward(dispute.id, user_id=world.admin.id, authority="西安市税务局",
                     now=datetime(2025, 10, 9, 2, 0, tzinfo=UTC))  # fmt: skip
    # five working days for the authority: 10-10, 10-11 (a Saturday, worked), 10-13 … 10-15
    assert dispute.deadline == date(2025, 10, 15)
    assert services.working_days_left(dispute, date(2025, 10, 9)) == 5
    assert services.working_days_left(dispute, date(2025, 10, 11)) == 3
    assert services.working_days_left(dispute, date(2025, 10, 16)) == -1
    assert services.is_overdue(dispute, date(2025, 10, 16))


def test_the_filing_day_is_the_local_day_in_shanghai(world):
    # 2025-09-29 17:00 UTC is already 2025-09-30 01:00 in Shanghai
    dispute = _file(world, datetime(2025, 9, 29, 17, 0, tzinfo=UTC))
    assert dispute.deadline == date(2025, 10, 9)


@pytest.mark.parametrize(("days", "due"), [(3, date(2025, 10, 11)), (1, date(2025, 10, 9))])
def test_the_number_of_working_days_is_configurable(app, world, monkeypatch, days, due):
    monkeypatch.setitem(app.config, "DISPUTE_FLAG_WORKING_DAYS", days)
    assert _file(world, datetime(2025, 9, 30, 2, 0, tzinfo=UTC)).deadline == due
