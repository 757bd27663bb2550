"""`flask scheduler run|status`: the one process that runs scheduled jobs."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app.clock import utcnow
from app.scheduler import services
from app.scheduler.jobs import registered_jobs
from app.scheduler.runner import LeaseHeld, SchedulerRunner
from app.util import to_local

scheduler_cli = AppGroup("scheduler", help="Run and inspect scheduled jobs.")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job's current tick once, then exit.")
def run(once: bool) -> None:
    """Run the scheduler. A second process waits as a standby and takes over when the
    first stops (lease in the database); only the lease holder runs jobs."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = SchedulerRunner(app)
    if not once:
        runner.run_forever()
        return
    try:
        outcomes = runner.run_once()
    except LeaseHeld as exc:
        raise click.ClickException(f"another scheduler holds the lease: {exc.holder}") from exc
    for name, outcome in outcomes.items():
        click.echo(f"{name}: {outcome or 'not run (tick already claimed)'}")


@scheduler_cli.command("status")
def status() -> None:
    """Show the lease holder and each job's last run."""
    lease = services.get_lease()
    if lease is None:
        click.echo("lease: never taken")
    else:
        state = "held" if lease.expires_at > utcnow() else "lapsed"
        click.echo(f"lease: {state} by {lease.holder} until {to_local(lease.expires_at)}")
    last = services.last_runs_by_job()
    for job in registered_jobs(current_app):
        run = last.get(job.name)
        when = f"{to_local(run.started_at)} {run.outcome or 'running'}" if run else "never run"
        click.echo(f"{job.name} (every {job.seconds}s): {when}")
