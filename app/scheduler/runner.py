"""The `flask scheduler run` process: standby until it holds the lease, then run the jobs.

    standby ──acquire──▶ active (APScheduler BlockingScheduler + a lease-renewal job)
       ▲                    │ renewal refused (lease lost)
       └────────────────────┘
    SIGTERM / Ctrl-C: stop the scheduler, wait for running jobs, release the lease.

A process killed outright stops renewing; its lease lapses after the TTL and a standby
takes over. Before each run the lease is re-checked, and the run claims its tick
(job, scheduled_for) so that no tick runs twice, even across a hand-over.
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.extensions import db
from app.scheduler import services
from app.scheduler.jobs import Job, registered_jobs
from app.scheduler.models import JobRun
from app.scheduler.tasks import JobSkipped

log = logging.getLogger("app.scheduler")
# Aligning every interval trigger to the epoch makes all processes agree on the ticks.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class SchedulerRunner:
    def __init__(self, app: Flask, *, holder: str | None = None):
        self.app = app
        self.holder = holder or services.make_holder_id()
        self.ttl = float(app.config["SCHEDULER_LEASE_TTL"])
        self.renew_every = float(app.config["SCHEDULER_RENEW_INTERVAL"])
        self.poll_every = float(app.config["SCHEDULER_POLL_INTERVAL"])
        self.jobs = registered_jobs(app)
        self._stopping = threading.Event()
        self._scheduler: BlockingScheduler | None = None

    # --- lease ---------------------------------------------------------------------

    def acquire(self) -> bool:
        with self.app.app_context():
            try:
                held = services.acquire_lease(self.holder, self.ttl)
                db.session.commit()
                return held
            except Exception:
                db.session.rollback()
                log.exception("lease: could not reach the database")
                return False

    def release(self) -> None:
        with self.app.app_context():
            try:
                services.release_lease(self.holder)
                db.session.commit()
                log.info("lease released by %s", self.holder)
            except Exception:
                db.session.rollback()
                log.exception("lease: release failed (it will lapse after the TTL)")

    def _renew(self) -> None:
        if not self.acquire():
            log.warning("lease lost by %s; back to standby", self.holder)
            if self._scheduler is not None:
                self._scheduler.shutdown(wait=False)

    # --- running jobs --------------------------------------------------------------

    def run_job(self, job: Job, scheduled_for: datetime | None = None) -> str | None:
        """Run one tick of `job` if this process holds the lease and the tick is unclaimed.

        Returns the outcome, or None when the run did not happen (no lease, tick taken).
        """
        with self.app.app_context():
            try:
                if not services.holds_lease(self.holder):
                    log.warning("%s: lease not held, run skipped", job.name)
                    return None
                tick = scheduled_for or services.tick_for(job.seconds)
                run = services.claim_run(job.name, tick, self.holder)
                if run is None:
                    db.session.rollback()
                    log.info("%s: tick %s already claimed", job.name, tick.isoformat())
                    return None
                db.session.commit()
                run_id = run.id
            except Exception:
                db.session.rollback()
                log.exception("%s: could not claim the run", job.name)
                return None

            error: str | None = None
            try:
                details = job.func() or {}
                outcome = "succeeded"
            except JobSkipped as exc:
                db.session.rollback()
                outcome, details = "skipped", {"reason": str(exc)}
            except Exception:  # noqa: BLE001 - any failure is recorded on the run
                db.session.rollback()
                outcome, details = "failed", {}
                error = traceback.format_exc()[-4000:]
                log.error("%s failed:\n%s", job.name, error)
            claimed = db.session.get(JobRun, run_id)
            assert claimed is not None
            services.finish_run(claimed, outcome, error=error, details=details)
            db.session.commit()
            return outcome

    def run_once(self) -> dict[str, str | None]:
        """Every job once (its current tick), under the lease. For `--once` and cron."""
        if not self.acquire():
            raise LeaseHeld(self.current_holder())
        self._close_abandoned()
        try:
            return {job.name: self.run_job(job) for job in self.jobs}
        finally:
            self.release()

    def _close_abandoned(self) -> None:
        with self.app.app_context():
            try:
                count = services.abandon_unfinished_runs(self.holder)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("could not close abandoned runs")
                return
            if count:
                log.warning("closed %d run(s) abandoned by a previous holder", count)

    def current_holder(self) -> str | None:
        with self.app.app_context():
            lease = services.get_lease()
            return lease.holder if lease else None

    # --- the loop ------------------------------------------------------------------

    def stop(self, *_args) -> None:
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("scheduler %s starting (jobs: %s)", self.holder, [j.name for j in self.jobs])
        try:
            announced = False
            while not self._stopping.is_set():
                if self.acquire():
                    log.info("lease acquired by %s: active", self.holder)
                    announced = False
                    self._close_abandoned()
                    self._run_active()
                else:
                    if not announced:
                        log.info("standby: lease held by %s", self.current_holder())
                        announced = True
                    self._stopping.wait(self.poll_every)
        finally:
            self.release()

    def _run_active(self) -> None:
        executor = ThreadPoolExecutor(max_workers=4)
        scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": executor},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        for job in self.jobs:
            scheduler.add_job(
                self.run_job,
                IntervalTrigger(seconds=job.seconds, start_date=EPOCH, timezone=UTC),
                args=[job],
                id=job.name,
                name=job.name,
                misfire_grace_time=max(job.seconds, 1),
            )
        scheduler.add_job(
            self._renew,
            IntervalTrigger(seconds=self.renew_every, timezone=UTC),
            id="_lease_renewal",
            misfire_grace_time=None,
        )
        self._scheduler = scheduler
        if self._stopping.is_set():
            return
        try:
            scheduler.start()  # blocks until shutdown (stop() or a lost lease)
        finally:
            executor.shutdown(wait=True)  # let running jobs record their outcome
            self._scheduler = None


class LeaseHeld(Exception):
    """Another scheduler process holds the lease."""

    def __init__(self, holder: str | None):
        super().__init__(holder)
        self.holder = holder
