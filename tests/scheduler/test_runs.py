"""Job runs: recorded with outcome and error, one per tick, only under the lease."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.consent import services as consent_services
from app.consent.models import PullRequest
from app.extensions import db
from app.scheduler import services
from app.scheduler.jobs import Job, registered_jobs
from app.scheduler.models import JobRun
from app.scheduler.runner import SchedulerRunner
from app.scheduler.tasks import JobSkipped


@pytest.fixture
def runner(app):
    runner = SchedulerRunner(app, holder="test-host:1:abc")
    assert runner.acquire()
    return runner


def _runs(job: str) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def test_success_is_recorded_with_details(runner):
    job = Job("demo_ok", 60, lambda: {"rows": 3})
    assert runner.run_job(job) == "succeeded"
    (run,) = _runs("demo_ok")
    assert run.outcome == "succeeded" and run.finished_at >= run.started_at
    assert json.loads(run.details) == {"rows": 3} and run.holder == "test-host:1:abc"


def test_failure_keeps_the_error_text(runner):
    def broken():
        raise ValueError("source answered 502 three times")

    assert runner.run_job(Job("demo_fail", 60, broken)) == "failed"
    (run,) = _runs("demo_fail")
    assert run.outcome == "failed" and run.finished_at is not None
    assert "ValueError: source answered 502 three times" in run.error
    assert "Traceback" in run.error


def test_work_of_a_failed_job_is_rolled_back(runner, factories):
    def half_done():
        factories.enterprise(name="不应留下的企业")
        raise RuntimeError("crash mid-job")

    assert runner.run_job(Job("demo_rollback", 60, half_done)) == "failed"
    from app.enterprises.models import Enterprise

    assert db.session.scalar(select(Enterprise).where(Enterprise.name == "不应留下的企业")) is None


def test_skipped(runner):
    def nothing():
        raise JobSkipped("sources module unavailable")

    assert runner.run_job(Job("demo_skip", 60, nothing)) == "skipped"
    (run,) = _runs("demo_skip")
    assert json.loads(run.details) == {"reason": "sources module unavailable"}


def test_a_tick_runs_once(runner):
    calls = []
    job = Job("demo_once", 60, lambda: calls.append(1) or {})
    tick = services.tick_for(60)
    assert runner.run_job(job, tick) == "succeeded"
    assert runner.run_job(job, tick) is None
    other = SchedulerRunner(runner.app, holder="other:2:def")
    assert other.run_job(job, tick) is None
    assert calls == [1] and len(_runs("demo_once")) == 1


def test_no_run_without_the_lease(app):
    standby = SchedulerRunner(app, holder="standby:3:xyz")
    assert SchedulerRunner(app, holder="active:4:abc").acquire()
    assert not standby.acquire()
    calls = []
    assert standby.run_job(Job("demo_lease", 60, lambda: calls.append(1) or {})) is None
    assert calls == [] and _runs("demo_lease") == []


def test_run_once_runs_every_job_and_releases(app, monkeypatch):
    monkeypatch.setattr("app.workcalendar.tasks.local_today", lambda: date(2026, 6, 1))
    runner = SchedulerRunner(app, holder="cron:5:aaa")
    outcomes = runner.run_once()
    assert outcomes == {
        "expire_authorizations": "succeeded",
        "process_pull_requests": "succeeded",
        "pull_sources": "skipped",
        "checkpoint_access_log": "succeeded",
        "verify_access_log": "succeeded",
        "run_import_jobs": "skipped",
        "remind_applications": "succeeded",
        "expire_applications": "succeeded",
        "rebuild_profiles": "succeeded",
        "roll_up_stats": "succeeded",
        "count_data_indicators": "succeeded",
        "expire_publicity": "succeeded",
        "sample_repairs": "skipped",
        "send_emails": "skipped",
        "remind_expiring_authorizations": "skipped",
        "check_calendar": "succeeded",
        "apply_retention": "succeeded",
    }
    assert not services.holds_lease("cron:5:aaa")


def test_registry_filter_and_test_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_TEST_JOB", True)
    monkeypatch.setitem(app.config, "SCHEDULER_JOBS", "heartbeat, expire_authorizations")
    assert [j.name for j in registered_jobs(app)] == ["expire_authorizations", "heartbeat"]


def test_expire_job_marks_lapsed_authorizations(runner, factories):
    text = consent_services.current_text("collection")
    enterprise = factories.enterprise()
    auth = consent_services.grant_collection(
        enterprise.id, ["tax_ratings"], user_id=None, ip=None, text_id=text.id,
        days=1, now=utcnow() - timedelta(days=2),
    )  # fmt: skip
    db.session.commit()
    job = next(j for j in registered_jobs(runner.app) if j.name == "expire_authorizations")
    assert runner.run_job(job) == "succeeded"
    db.session.refresh(auth)
    assert auth.state == "expired"
    assert json.loads(_runs("expire_authorizations")[0].details) == {"expired": 1}


def _grant(factories):
    text = consent_services.current_text("collection")
    enterprise = factories.enterprise()
    consent_services.grant_collection(
        enterprise.id, ["tax_payments", "utility_bills"], user_id=None, ip=None, text_id=text.id
    )
    db.session.commit()
    return enterprise


def test_pull_requests_are_done_once_even_with_no_source_configured(runner, factories):
    """The real pull (tests/sources/test_end_to_end.py covers one against an HTTP server)."""
    enterprise = _grant(factories)
    job = next(j for j in registered_jobs(runner.app) if j.name == "process_pull_requests")
    assert runner.run_job(job) == "succeeded"
    request = db.session.scalar(
        select(PullRequest).where(PullRequest.enterprise_id == enterprise.id)
    )
    assert request.done_at is not None and request.outcome.startswith("ok")
    assert request.attempts == 1
    from app.consent.tasks import process_pull_requests

    assert process_pull_requests() == {"processed": 0}  # nothing pending: not pulled again
    db.session.refresh(request)
    assert request.attempts == 1
