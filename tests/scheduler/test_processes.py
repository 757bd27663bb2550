"""Two real `flask scheduler run` processes: one active, one standby, each tick once.

The processes get their own committed database: on the SQLite pass an SQLite file in
tmp_path, on the PostgreSQL pass a separate database created next to TEST_DATABASE_URL
and dropped afterwards. Both are migrated with `flask db upgrade`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.clock import utcnow
from app.util import as_utc

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.committing, pytest.mark.wall_clock]


@contextmanager
def _database(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'scheduler.sqlite'}"
        return
    name = f"xyd_sched_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(
        XYD_ENV="development",
        DATABASE_URL=url,
        XYD_SCHEDULER_TEST_JOB="1",
        XYD_SCHEDULER_JOBS="heartbeat",
        XYD_SCHEDULER_LEASE_TTL="4",  # renewed every 0.5 s: margin for a loaded machine
        XYD_SCHEDULER_RENEW_INTERVAL="0.5",
        XYD_SCHEDULER_POLL_INTERVAL="0.3",
        PYTHONUNBUFFERED="1",
    )
    return env


def _ts(value) -> datetime:
    """A timestamp read with raw SQL (SQLite gives text) as an aware UTC datetime."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_standby_takes_over_and_each_tick_runs_once(tmp_path):
    with _database(tmp_path) as url:
        env = _env(url)
        subprocess.run(_flask("db", "upgrade"), cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        engine = create_engine(url)

        def lease():
            with engine.connect() as conn:
                return conn.execute(text("SELECT holder, expires_at FROM scheduler_leases")).first()

        def runs():
            with engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT scheduled_for, holder, outcome, started_at FROM job_runs "
                        "WHERE job = 'heartbeat' ORDER BY started_at"
                    )
                ).all()

        logs = {name: open(tmp_path / f"{name}.log", "w+") for name in ("a", "b")}  # noqa: SIM115
        procs: dict[str, subprocess.Popen] = {}
        try:
            procs["a"] = subprocess.Popen(_flask("scheduler", "run"), cwd=ROOT, env=env,
                                          stdout=logs["a"], stderr=subprocess.STDOUT)  # fmt: skip
            _wait_for(lambda: lease() and f":{procs['a'].pid}:" in lease()[0], 60, "A active")
            procs["b"] = subprocess.Popen(_flask("scheduler", "run"), cwd=ROOT, env=env,
                                          stdout=logs["b"], stderr=subprocess.STDOUT)  # fmt: skip
            _wait_for(lambda: "standby" in (tmp_path / "b.log").read_text(), 60, "B standby")
            # A keeps ticking while B waits (a fixed sleep is too short on a loaded machine).
            _wait_for(lambda: len(runs()) >= 3, 60, "A ticks")
            time.sleep(1)
            holder_a = lease()[0]
            procs["a"].kill()  # no clean stop: B must wait for the lease to lapse
            procs["a"].wait(10)
            killed_at = utcnow()
            _wait_for(lambda: f":{procs['b'].pid}:" in lease()[0], 30, "B takes over")
            holder_b = lease()[0]
            _wait_for(lambda: sum(r.holder == holder_b for r in runs()) >= 3, 30, "B ticks")
            procs["b"].send_signal(signal.SIGTERM)  # clean stop releases the lease
            assert procs["b"].wait(20) == 0
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
            for fh in logs.values():
                fh.close()

        for name in ("a", "b"):  # shown when an assertion below fails
            print(f"--- {name}.log\n" + (tmp_path / f"{name}.log").read_text()[-4000:])
        rows = runs()
        ticks = [r.scheduled_for for r in rows]
        assert len(ticks) == len(set(ticks)), "a tick ran twice"
        by_a = [r for r in rows if r.holder == holder_a]
        by_b = [r for r in rows if r.holder == holder_b]
        assert len(by_a) >= 3 and len(by_b) >= 3
        assert len(by_a) + len(by_b) == len(rows)  # nobody else ran anything
        # A run cut off by the kill (if any) was closed by B as abandoned.
        assert all(r.outcome == "succeeded" for r in by_b)
        assert all(r.outcome == "succeeded" for r in by_a[:-1])
        assert by_a[-1].outcome in ("succeeded", "failed")
        # The standby ran nothing while A was alive, and took over only after A died.
        assert max(_ts(r.started_at) for r in by_a) < min(_ts(r.started_at) for r in by_b)
        assert min(_ts(r.started_at) for r in by_b) >= killed_at
        final = lease()
        assert _ts(final.expires_at) <= utcnow()  # released by the clean stop
        assert "lease released" in (tmp_path / "b.log").read_text()
        engine.dispose()


def test_make_run_serves_with_the_scheduler_and_ctrl_c_stops_both(tmp_path):
    """scripts/run.py (what `make run` starts): the site answers, the scheduler holds its
    lease and runs jobs; Ctrl-C (SIGINT to the process group, as a terminal sends it) stops
    both processes and releases the lease."""
    import socket

    import requests

    with _database(tmp_path) as url:
        env = _env(url)
        subprocess.run(_flask("db", "upgrade"), cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        engine = create_engine(url)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]

        def lease():
            with engine.connect() as conn:
                return conn.execute(text("SELECT holder, expires_at FROM scheduler_leases")).first()

        def healthy():
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
            except requests.ConnectionError:
                return False

        log = open(tmp_path / "run.log", "w+")  # noqa: SIM115
        both = subprocess.Popen([sys.executable, "scripts/run.py", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        try:
            _wait_for(healthy, 60, "the web server")
            _wait_for(lambda: lease() and _ts(lease().expires_at) > utcnow(), 60, "the lease")
            os.killpg(both.pid, signal.SIGINT)  # Ctrl-C
            assert both.wait(40) == 0
        finally:
            if both.poll() is None:
                os.killpg(both.pid, signal.SIGKILL)
                both.wait(10)
            log.close()
        print((tmp_path / "run.log").read_text()[-3000:])
        assert not healthy()
        released = _ts(lease().expires_at)
        engine.dispose()  # before the database is dropped
        assert released <= utcnow()  # the scheduler stopped cleanly
        assert "web server and scheduler stopped" in (tmp_path / "run.log").read_text()
