"""The operator's scheduler page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from app.scheduler import services


def test_admin_sees_lease_jobs_and_runs_newest_first(login_as):
    web, _admin = login_as("admin")
    services.acquire_lease("web-1:4242:cafe", 30)
    base = utcnow()
    for i in range(3):
        run = services.claim_run("pull_sources", base + timedelta(minutes=i), "web-1:4242:cafe")
        run.started_at = base + timedelta(minutes=i)
        services.finish_run(run, "failed" if i == 2 else "succeeded",
                            error="ConnectionError: 税务源超时" if i == 2 else None)  # fmt: skip
    db.session.commit()
    body = web.get("/admin/scheduler/").get_data(as_text=True)
    assert "web-1:4242:cafe" in body and "运行中" in body
    for name in ("expire_authorizations", "process_pull_requests", "pull_sources"):
        assert name in body
    assert "ConnectionError: 税务源超时" in body
    assert body.index("税务源超时") < body.index("成功")  # newest (failed) first
    assert 'href="/admin/scheduler/"' in body  # nav link
    assert "每天" in body and "每 5 分钟" in body and "86400" not in body  # intervals in words


@pytest.mark.parametrize(
    ("seconds", "zh"),
    [(86400, "每天"), (172800, "每 2 天"), (3600, "每小时"), (900, "每 15 分钟"), (60, "每分钟"),
     (90, "每 90 秒")],
)  # fmt: skip
def test_intervals_read_in_the_largest_whole_unit(app, seconds, zh):
    from app.scheduler.jobs import every

    with app.test_request_context():
        assert every(seconds) == zh


def test_runs_are_paginated(login_as):
    web, _admin = login_as("admin")
    base = utcnow()
    for i in range(55):
        run = services.claim_run("heartbeat", base + timedelta(seconds=i), "h")
        services.finish_run(run, "succeeded")
    db.session.commit()
    first = web.get("/admin/scheduler/").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "page=2" in first
    second = web.get("/admin/scheduler/?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second


def test_empty_state_explains_how_to_start(login_as):
    web, _admin = login_as("admin")
    body = web.get("/admin/scheduler/").get_data(as_text=True)
    assert "flask scheduler run" in body and "暂无运行记录" in body


@pytest.mark.parametrize("role", ["enterprise", "bank_admin", "regulator"])
def test_other_roles_get_403(login_as, role):
    web, _user = login_as(role)
    assert web.get("/admin/scheduler/").status_code == 403


def test_job_descriptions_and_intervals_in_english(login_as):
    web, admin = login_as("admin")
    admin.locale = "en"
    db.session.commit()
    body = web.get("/admin/scheduler/").get_data(as_text=True)
    assert "Mark authorizations past their end as expired" in body and "daily" in body
    assert "将已过有效期的授权标记为已过期" not in body and "每天" not in body
