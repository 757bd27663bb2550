"""Reads that tolerate lag go to a real PostgreSQL streaming replica (app/replicas.py).

These tests need the suite's PostgreSQL (`TEST_DATABASE_URL`) and a hot standby streaming
from it (`TEST_REPLICA_URL`, the same database on the replica; `scripts/replica.sh start`
makes one, as `.ci/run` does). They work in a database of their own, made on the primary and
dropped at the end, so what they commit never reaches the suite's database.

The primary is reached as a role that may not read `stats_indicators` (the data indicators
that the office's statistics page shows on every view): a statistics page that answers at
all was served by the replica.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from app import create_app
from app.auth.models import Role, User
from app.enterprises.models import Region
from app.extensions import db
from app.replicas import EXTENSION, replica_reads
from config import TestConfig
from tests.conftest import FreshContextClient, WebClient

PRIMARY = os.environ.get("TEST_DATABASE_URL")
REPLICA = os.environ.get("TEST_REPLICA_URL")
PROBE_ROLE = "xyd_replica_probe"  # the primary's role in these tests: no SELECT on stats
MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")

pytestmark = [
    pytest.mark.committing,
    pytest.mark.skipif(
        not (PRIMARY and REPLICA), reason="needs TEST_DATABASE_URL and TEST_REPLICA_URL"
    ),
]


def _on(url: str, database: str, user: str | None = None) -> str:
    made = make_url(url).set(database=database)
    return made.set(username=user).render_as_string(hide_password=False) if user else str(made)


def _app(primary: str, replicas: str, audit_key: str, checkpoints: str):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = primary
        DATABASE_REPLICA_URLS = replicas
        AUDIT_SIGNING_KEY_FILE = audit_key
        AUDIT_CHECKPOINT_DIR = checkpoints

    made = create_app(Cfg)
    made.test_client_class = FreshContextClient
    return made


def _wait_for_replica(url: str, user_id: int) -> None:
    """Until the replica has replayed the commit that made `user_id`: usually a few
    milliseconds, seconds on a loaded machine. Until then the replica may not have the
    database yet, or has it without the migrated tables: both mean "not yet"."""
    engine = create_engine(url)
    try:
        for _ in range(600):
            try:
                with engine.connect() as conn:
                    found = select(func.count()).select_from(User).where(User.id == user_id)
                    if conn.scalar(found):
                        return
            except (OperationalError, ProgrammingError):
                pass  # the database or its tables not replayed yet
            time.sleep(0.05)
        raise AssertionError("the replica did not catch up within 30 s")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A database of these tests' own on the primary (as the superuser), migrated, with a
    regulator; the probe role may do anything in it but read `stats_indicators`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    root = tmp_path_factory.mktemp("replica")
    key = root / "signing-key.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    name = f"xyd_replica_{os.getpid()}"
    admin = create_engine(_on(PRIMARY, "postgres"), isolation_level="AUTOCOMMIT")
    try:  # a failed setup drops its database and lets go of the connection too
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
            if not conn.scalar(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": PROBE_ROLE}
            ):
                conn.execute(text(f"CREATE ROLE {PROBE_ROLE} LOGIN"))
        owner = _app(_on(PRIMARY, name), "", str(key), str(root / "checkpoints"))
        with owner.app_context():
            upgrade(directory=MIGRATIONS)
            from tests.factories import Factories

            regulator = Factories().user(Role.REGULATOR)
            db.session.commit()
            ids = {"regulator": regulator.id}
            for grant in (
                f"GRANT USAGE ON SCHEMA public TO {PROBE_ROLE}",
                f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {PROBE_ROLE}",
                f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {PROBE_ROLE}",
                f"REVOKE SELECT ON stats_indicators FROM {PROBE_ROLE}",
            ):
                db.session.execute(text(grant))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        _wait_for_replica(_on(REPLICA, name), ids["regulator"])
        yield {"name": name, "key": str(key), "root": root, **ids}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"DROP ROLE IF EXISTS {PROBE_ROLE}"))
        admin.dispose()


def _routed_app(cluster, replicas: str | None = None):
    """The app as production runs it: the primary as the probe role, one replica."""
    replicas = _on(REPLICA, cluster["name"]) if replicas is None else replicas
    return _app(
        _on(PRIMARY, cluster["name"], PROBE_ROLE),
        replicas,
        cluster["key"],
        str(cluster["root"] / "checkpoints"),
    )


@contextmanager
def _running(made):
    """The test holds the app's context (as the suite's tests hold theirs); its engines are
    closed at the end."""
    with made.app_context():
        try:
            yield
        finally:
            db.session.remove()
            made.extensions[EXTENSION].dispose()
            db.engine.dispose()


def _statements_on(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _login(made, cluster) -> WebClient:
    client = WebClient(made.test_client())
    client.login(db.session.get(User, cluster["regulator"]))
    return client


def test_the_primary_really_refuses_to_read_the_statistics(cluster):
    probe = create_engine(_on(PRIMARY, cluster["name"], PROBE_ROLE))
    try:
        with probe.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT count(*) FROM stats_indicators"))
    finally:
        probe.dispose()


def test_selects_inside_replica_reads_go_to_the_replica_and_writes_to_the_primary(cluster):
    made = _routed_app(cluster)
    with _running(made):
        assert db.session.scalar(select(func.pg_is_in_recovery())) is False
        with replica_reads():
            assert db.session.scalar(select(func.pg_is_in_recovery())) is True
            # A write inside still reaches the primary (a standby refuses writes).
            db.session.execute(
                insert(Region).values(code="619999", name="副本测试区", level="county")
            )
            db.session.commit()
        assert db.session.scalar(select(Region.name).where(Region.code == "619999"))
        db.session.execute(text("DELETE FROM regions WHERE code = '619999'"))
        db.session.commit()


def test_the_statistics_page_is_served_by_the_replica(cluster, _clock):
    made = _routed_app(cluster)
    with _running(made):
        seen = _statements_on(made.extensions[EXTENSION].engines[0])
        office = _login(made, cluster)
        # Logging in wrote: wait out the window in which this browser reads its own writes.
        _clock.shift(timedelta(seconds=made.config["REPLICA_STICKY_SECONDS"] + 1))
        response = office.get("/stats")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert any("stats_indicators" in statement for statement in seen), seen


def test_a_browser_that_just_wrote_reads_the_primary_for_a_while(cluster, _clock):
    made = _routed_app(cluster)
    with _running(made):
        seen = _statements_on(made.extensions[EXTENSION].engines[0])
        office = _login(made, cluster)  # logging in writes: the session row, the last login
        # The primary cannot read the statistics, so reading its own write fails loudly…
        with pytest.raises(ProgrammingError, match="permission denied"):
            office.get("/stats")
        assert not seen
        # …and once the sticky seconds have passed, the replica answers again.
        _clock.shift(timedelta(seconds=made.config["REPLICA_STICKY_SECONDS"] + 1))
        assert office.get("/stats").status_code == 200
        assert any("stats_indicators" in statement for statement in seen), seen


def test_with_the_replica_down_the_primary_reads_and_writes(cluster):
    """A replica that refuses connections is skipped: the primary (here the superuser, who
    may read everything) answers the statistics, and writes go on."""
    down = _on(REPLICA, cluster["name"]).replace(str(make_url(REPLICA).port), "1", 1)
    made = _app(_on(PRIMARY, cluster["name"]), down, cluster["key"], str(cluster["root"]))
    made.config["REPLICA_STICKY_SECONDS"] = 0
    with _running(made):
        office = _login(made, cluster)
        assert office.get("/stats").status_code == 200
        assert made.extensions[EXTENSION]._down_until, "the replica was not marked down"
        assert office.post("/lang", {"locale": "en", "next": "/stats"}).status_code == 302
        assert db.session.get(User, cluster["regulator"]).locale == "en"
        db.session.execute(
            text("UPDATE users SET locale = 'zh' WHERE id = :u"), {"u": cluster["regulator"]}
        )
        db.session.commit()


def test_a_request_on_a_healthy_replica_takes_one_connection_of_it(cluster, _clock):
    """No probe before the read: the replica's pool gives out one connection per request,
    the one the page's statements run on."""
    made = _routed_app(cluster)
    with _running(made):
        replica = made.extensions[EXTENSION].engines[0]
        checkouts: list[object] = []
        event.listen(replica, "checkout", lambda *a: checkouts.append(a[0]))
        office = _login(made, cluster)
        for _ in range(2):
            _clock.shift(timedelta(seconds=made.config["REPLICA_STICKY_SECONDS"] + 1))
            checkouts.clear()
            assert office.get("/stats").status_code == 200
            assert len(checkouts) == 1


def test_a_replica_that_dropped_its_connections_rests_and_the_read_goes_on(cluster, _clock):
    """A replica restart leaves the pool's connections dead: the read that meets one is run
    again on the primary (here the superuser, who may read everything), the replica rests
    for REPLICA_RETRY_SECONDS and then serves again."""
    made = _app(
        _on(PRIMARY, cluster["name"]),
        _on(REPLICA, cluster["name"]),
        cluster["key"],
        str(cluster["root"]),
    )
    made.config["REPLICA_STICKY_SECONDS"] = 0
    with _running(made):
        replicas = made.extensions[EXTENSION]
        seen = _statements_on(replicas.engines[0])
        office = _login(made, cluster)
        assert office.get("/stats").status_code == 200
        assert any("stats_indicators" in statement for statement in seen), seen
        killer = create_engine(_on(REPLICA, cluster["name"]), isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            ended = conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": cluster["name"]},
            )
        killer.dispose()
        assert ended
        seen.clear()
        page = office.get("/stats")
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
        assert replicas._down_until, "the replica was not rested"
        assert len(seen) == 1  # the one statement that met the dead connection
        _clock.shift(timedelta(seconds=made.config["REPLICA_RETRY_SECONDS"] + 1))
        seen.clear()
        assert office.get("/stats").status_code == 200
        assert any("stats_indicators" in statement for statement in seen), seen


def test_the_session_commits_after_a_replica_read_failed(cluster):
    """The dead replica connection is let go of: the session that met it reads the primary
    and commits as usual."""
    made = _app(
        _on(PRIMARY, cluster["name"]),
        _on(REPLICA, cluster["name"]),
        cluster["key"],
        str(cluster["root"]),
    )
    with _running(made):
        with replica_reads():
            assert db.session.scalar(select(func.pg_is_in_recovery())) is True
        killer = create_engine(_on(REPLICA, cluster["name"]), isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": cluster["name"]},
            )
        killer.dispose()
        with replica_reads():
            assert db.session.scalar(select(func.pg_is_in_recovery())) is False
        db.session.execute(insert(Region).values(code="619998", name="副本故障区", level="county"))
        db.session.commit()
        assert db.session.scalar(select(Region.name).where(Region.code == "619998"))
        db.session.execute(text("DELETE FROM regions WHERE code = '619998'"))
        db.session.commit()
