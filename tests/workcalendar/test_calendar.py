"""The operator's calendar days override chinese-calendar and fill the years it lacks.

chinesecalendar 1.11.0 (pinned) knows 2025 and 2026, not 2027: there, Monday to Friday
count until the operator enters the State Council's notice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.workcalendar import services
from app.workcalendar.models import CalendarDay


def test_an_unknown_year_counts_weekdays_until_the_operator_enters_it():
    assert not services.package_knows(2027)
    # Thursday 31 Dec 2026 + 1 working day: Friday 1 Jan 2027 counts as a weekday.
    assert services.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    services.set_day(date(2027, 1, 1), False, "元旦")
    assert not services.is_working_day(date(2027, 1, 1))
    assert services.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert services.working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1


def test_an_adjusted_working_saturday_counts():
    saturday = date(2027, 2, 20)
    assert not services.is_working_day(saturday)
    services.set_day(saturday, True, "春节调休")
    assert services.is_working_day(saturday)
    assert services.add_working_days(date(2027, 2, 19), 1) == saturday


def test_the_operator_corrects_a_day_the_package_knows_and_can_undo_it():
    day = date(2026, 3, 10)  # a Tuesday, a working day for the package
    services.set_day(day, False, "更正")
    assert not services.is_working_day(day)
    assert services.unset_day(day) is True
    assert services.is_working_day(day)
    assert services.unset_day(day) is False


def test_setting_a_day_again_replaces_it():
    services.set_day(date(2027, 5, 3), False, "劳动节")
    services.set_day(date(2027, 5, 3), True, "调休")
    rows = services.entered_days(2027)
    assert [(r.day, r.working, r.name) for r in rows] == [(date(2027, 5, 3), True, "调休")]


def test_an_application_deadline_uses_the_entered_holidays():
    # Wednesday 30 Dec 2026, 10:00 in Shanghai; three working days.
    submitted = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
    assert services.deadline_after(submitted, 3).date() == date(2027, 1, 4)  # Thu, Fri, Mon
    services.set_day(date(2027, 1, 1), False, "元旦")
    deadline = services.deadline_after(submitted, 3)
    assert deadline == datetime(2027, 1, 5, 15, 59, 59, 999999, tzinfo=UTC)  # Thu, Mon, Tue


def test_the_cache_is_one_query_per_context_and_forgets_on_change(monkeypatch):
    calls = []
    real = db.session.execute

    def counting(statement, *args, **kwargs):
        if "calendar_days" in str(statement):
            calls.append(statement)
        return real(statement, *args, **kwargs)

    services.forget_overrides()
    monkeypatch.setattr(db.session, "execute", counting)
    for _ in range(5):
        services.working_days_between(date(2027, 1, 1), date(2027, 3, 1))
    assert len(calls) == 1
    services.set_day(date(2027, 1, 1), False, "元旦")
    services.is_working_day(date(2027, 1, 1))
    assert len(calls) == 2


def test_cli_sets_lists_unsets_and_reports_status(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "set", "2027-02-06", "2027-02-07", "--off",
                                 "--name", "春节"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert db.session.get(CalendarDay, date(2027, 2, 6)).working is False
    listed = runner.invoke(args=["calendar", "list", "--year", "2027"])
    assert "2027-02-06  放假  春节" in listed.output and "2027-02-07" in listed.output
    assert runner.invoke(args=["calendar", "unset", "2027-02-07"]).exit_code == 0
    assert db.session.get(CalendarDay, date(2027, 2, 7)) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calendar", "set", "2027-13-01", "--off"], "不是日期"),
        (["calendar", "set", "2027-01-01"], "--off 或 --work"),
    ],
)
def test_cli_refuses_bad_input_and_writes_nothing(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2 and message in result.output
    assert services.entered_days() == []


def test_status_exits_1_while_next_year_is_unknown(app, monkeypatch):
    monkeypatch.setattr("app.workcalendar.cli.local_today", lambda: date(2026, 11, 27))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "status"])
    assert result.exit_code == 1
    assert "2026: chinese-calendar" in result.output and "2027: UNKNOWN" in result.output
    services.set_day(date(2027, 1, 1), False, "元旦")
    result = runner.invoke(args=["calendar", "status"])
    assert result.exit_code == 0 and "2027: 1 days entered" in result.output


def test_the_daily_job_fails_in_november_while_next_year_is_unknown(app, monkeypatch):
    from datetime import timedelta

    from app.clock import utcnow
    from app.scheduler.jobs import registered_jobs
    from app.scheduler.models import JobRun
    from app.scheduler.runner import SchedulerRunner

    runner = SchedulerRunner(app, holder="calendar-test:1:abc")
    assert runner.acquire()
    job = next(j for j in registered_jobs(app) if j.name == "check_calendar")
    ticks = iter(utcnow() - timedelta(days=n) for n in range(3))
    monkeypatch.setattr("app.workcalendar.tasks.local_today", lambda: date(2026, 10, 31))
    assert runner.run_job(job, next(ticks)) == "succeeded"  # before November: this year only
    monkeypatch.setattr("app.workcalendar.tasks.local_today", lambda: date(2026, 11, 27))
    assert runner.run_job(job, next(ticks)) == "failed"
    run = db.session.scalars(
        select(JobRun).where(JobRun.job == "check_calendar").order_by(JobRun.id.desc())
    ).first()
    assert "2027 年的节假日安排未知" in run.error
    services.set_day(date(2027, 1, 1), False, "元旦")
    db.session.commit()
    assert runner.run_job(job, next(ticks)) == "succeeded"
