"""`flask profiles rebuild [--uscc CODE] [--json]` and the nightly job."""

from __future__ import annotations

import json

from app.clock import local_today
from app.extensions import db
from app.profiles import services, tasks
from app.scheduler.jobs import registered_jobs


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["profiles", "rebuild", *args])


def test_rebuild_json_then_nothing_changed(app, punctual):
    enterprise = punctual()
    db.session.commit()
    result = _cli(app, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["trigger"] == "full" and body["scorecard_version"] == 1
    assert body["written"] >= 1 and body["enterprises"] >= 1
    assert body["as_of"] == local_today().isoformat() and body["seconds"] >= 0
    assert services.latest_profile(enterprise.id).trigger == "full"

    again = json.loads(_cli(app, "--json").output)
    assert again["written"] == 0 and again["unchanged"] == again["enterprises"]


def test_rebuild_one_enterprise_by_code(app, punctual, factories):
    enterprise, other = punctual(), factories.enterprise()
    db.session.commit()
    result = _cli(app, "--uscc", enterprise.uscc.lower())
    assert result.exit_code == 0, result.output
    assert "1 enterprises, 1 snapshots written, 0 unchanged" in result.output
    assert services.latest_profile(enterprise.id).trigger == "manual"
    assert services.latest_profile(other.id) is None


def test_rebuild_unknown_code(app, factories):
    result = _cli(app, "--uscc", factories.uscc())
    assert result.exit_code == 1 and "no enterprise" in result.output


def test_the_nightly_job_is_registered_and_rebuilds_everything(app, punctual):
    job = next(j for j in registered_jobs(app) if j.name == "rebuild_profiles")
    assert job.seconds == 86400 and job.func is tasks.rebuild_profiles
    enterprise = punctual()
    details = tasks.rebuild_profiles()
    assert details["trigger"] == "schedule" and details["written"] >= 1
    assert services.latest_profile(enterprise.id).trigger == "schedule"
    assert tasks.rebuild_profiles()["written"] == 0
