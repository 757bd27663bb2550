"""The operator's view of the scheduler: the lease, the jobs and their runs."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from app.auth.decorators import role_required
from app.auth.models import Role
from app.clock import utcnow
from app.scheduler import services
from app.scheduler.jobs import registered_jobs

bp = Blueprint("scheduler", __name__, url_prefix="/admin/scheduler")


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "scheduler/index.html",
        lease=services.get_lease(),
        jobs=registered_jobs(current_app),
        last=services.last_runs_by_job(),
        runs=services.recent_runs(page=max(page, 1)),
        now=utcnow(),
    )
