"""The access log is a hash chain: tampering is found, updates and deletes are refused."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit import services
from app.audit.models import GENESIS_HASH, AccessLogEntry, AccessLogHead
from app.auth.models import Role
from app.extensions import db


def _append(user, enterprise, outcome="allowed", **kw):
    return services.append(
        user_id=user.id,
        bank_id=user.bank_id,
        enterprise_id=enterprise.id,
        endpoint="/api/v1/enterprises/x/profile",
        channel="api",
        outcome=outcome,
        requested=["tax_payments", "enterprises"],
        granted=["tax_payments"] if outcome == "allowed" else [],
        ip="10.1.2.3",
        **kw,
    )


@pytest.fixture
def officer_and_enterprise(factories):
    return factories.user(Role.BANK_OFFICER), factories.enterprise()


def test_rows_link_to_their_predecessor(officer_and_enterprise):
    officer, enterprise = officer_and_enterprise
    start = db.session.scalar(
        select(AccessLogEntry.row_hash).order_by(AccessLogEntry.id.desc()).limit(1)
    )
    first = _append(officer, enterprise)
    second = _append(officer, enterprise, outcome="denied", reason="no_authorization")
    assert first.prev_hash == (start or GENESIS_HASH)
    assert second.prev_hash == first.row_hash
    assert first.granted == "tax_payments" and first.requested == "enterprises,tax_payments"
    assert services.verify_chain().ok


def test_hash_covers_every_field(officer_and_enterprise):
    officer, enterprise = officer_and_enterprise
    entry = _append(officer, enterprise)
    fields = {name: getattr(entry, name) for name in services.CANONICAL_FIELDS}
    assert services.row_hash(entry.prev_hash, fields) == entry.row_hash
    for name, other in [("outcome", "denied"), ("ip", "10.9.9.9"), ("granted", "")]:
        assert services.row_hash(entry.prev_hash, {**fields, name: other}) != entry.row_hash


def test_update_and_delete_are_refused_by_the_database(officer_and_enterprise):
    officer, enterprise = officer_and_enterprise
    entry = _append(officer, enterprise)
    db.session.commit()
    for statement in (
        "UPDATE access_log SET outcome = 'allowed' WHERE id = :id",
        "DELETE FROM access_log WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": entry.id})


def _tamper(sql: str, params: dict) -> None:
    """Change a row behind the triggers' back, as an attacker with table access would."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(sql), params)
        db.session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    else:
        db.session.execute(text("DROP TRIGGER access_log_no_update"))
        db.session.execute(text("DROP TRIGGER access_log_no_delete"))
        db.session.execute(text(sql), params)  # the test's rollback restores the triggers


def test_verify_names_the_first_altered_row(app, officer_and_enterprise):
    officer, enterprise = officer_and_enterprise
    rows = [_append(officer, enterprise) for _ in range(4)]
    _tamper("UPDATE access_log SET outcome = 'denied' WHERE id = :id", {"id": rows[1].id})
    db.session.expire_all()
    result = services.verify_chain()
    assert not result.ok and result.first_bad_id == rows[1].id
    cli = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert cli.exit_code == 1
    assert f"row {rows[1].id}" in cli.output and "altered" in cli.output


def test_verify_finds_a_removed_row(app, officer_and_enterprise):
    officer, enterprise = officer_and_enterprise
    rows = [_append(officer, enterprise) for _ in range(3)]
    _tamper("DELETE FROM access_log WHERE id = :id", {"id": rows[1].id})
    result = services.verify_chain()
    assert not result.ok and result.first_bad_id == rows[2].id
    assert "removed" in result.message


def test_verify_ok_is_recorded(app, officer_and_enterprise):
    officer, enterprise = officer_and_enterprise
    _append(officer, enterprise)
    cli = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert cli.exit_code == 0, cli.output
    assert "chains intact" in cli.output
    last = services.last_verification()
    assert last.ok and last.rows >= 1


@pytest.mark.committing
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_chain_intact_after_concurrent_writes_from_threads(app):
    """Eight threads append at once; the advisory lock keeps one chain with no fork."""
    with app.app_context():
        from tests.factories import Factories

        factories = Factories()
        officer = factories.user(Role.BANK_OFFICER)
        enterprise = factories.enterprise()
        db.session.commit()
        ids = (officer.id, officer.bank_id, enterprise.id)
        before = services.count_entries()
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                for _ in range(25):
                    services.append(
                        user_id=ids[0], bank_id=ids[1], enterprise_id=ids[2],
                        endpoint="/t", channel="api", outcome="allowed",
                    )  # fmt: skip
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        with app.app_context():
            assert services.count_entries() == before + 200
            result = services.verify_chain()
            assert result.ok, result.message
            hashes = db.session.scalars(select(AccessLogEntry.prev_hash)).all()
            assert len(hashes) == len(set(hashes))  # no two rows share a predecessor
            head = db.session.get(AccessLogHead, ids[2])  # moved by every append, in order
            last = db.session.scalars(
                select(AccessLogEntry).where(AccessLogEntry.chain == ids[2])
                .order_by(AccessLogEntry.id.desc()).limit(1)
            ).one()  # fmt: skip
            assert (head.length, head.last_id, head.head) == (200, last.id, last.row_hash)
    finally:
        with app.app_context():
            db.session.execute(text("SET session_replication_role = replica"))
            db.session.execute(
                text("DELETE FROM access_log WHERE enterprise_id = :e"), {"e": ids[2]}
            )
            db.session.execute(text("DELETE FROM access_log_heads WHERE chain = :e"), {"e": ids[2]})
            db.session.execute(text("SET session_replication_role = DEFAULT"))
            db.session.execute(text("DELETE FROM users WHERE id = :u"), {"u": ids[0]})
            db.session.execute(text("DELETE FROM banks WHERE id = :b"), {"b": ids[1]})
            db.session.execute(text("DELETE FROM enterprises WHERE id = :e"), {"e": ids[2]})
            db.session.commit()


LOCK_TIMEOUT = "2s"  # how long an append may wait for a lock before PostgreSQL gives up


def _app_with_pool(app, size: int):
    """The same database through an application whose pool has `size` connections."""
    from app import create_app
    from config import TestConfig

    class Wide(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": size, "max_overflow": 0}

    return create_app(Wide)


def _held_appends(app, ids: list[tuple[int, int, int]]) -> tuple[int, int]:
    """One thread per (user, bank, enterprise): all append at once, with a lock timeout, and
    each keeps its transaction (and whatever lock the append took) open until every thread has
    either appended or given up waiting for a lock. Returns (appended, timed out).

    No clock is read: an append that needs another's lock can only get it when that one
    commits, and nobody commits before everybody has answered, so it waits out LOCK_TIMEOUT
    and is counted as timed out, however fast or slow the machine."""
    barrier = threading.Barrier(len(ids))
    answered = threading.Semaphore(0)
    release = threading.Event()
    appended: list[int] = []
    timed_out: list[int] = []
    errors: list[BaseException] = []

    def worker(user_id, bank_id, enterprise_id):
        try:
            with app.app_context():
                db.session.execute(text("SELECT 1"))  # a connection of its own, ready
                db.session.commit()
                barrier.wait()
                db.session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                try:
                    services.append(
                        user_id=user_id, bank_id=bank_id, enterprise_id=enterprise_id,
                        endpoint="/t", channel="api", outcome="allowed",
                    )  # fmt: skip
                except DBAPIError as exc:
                    if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                        raise
                    db.session.rollback()
                    timed_out.append(enterprise_id)
                else:
                    appended.append(enterprise_id)
                answered.release()
                release.wait(timeout=120)  # the rest of the request, its lock still held
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            answered.release()

    threads = [threading.Thread(target=worker, args=i) for i in ids]
    for t in threads:
        t.start()
    for _ in threads:
        answered.acquire(timeout=120)
    release.set()
    for t in threads:
        t.join()
    assert not errors, errors
    return len(appended), len(timed_out)


@pytest.mark.committing
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_sixteen_readers_of_different_enterprises_do_not_wait_for_each_other(app):
    """16 threads append for 16 enterprises at once and keep their transactions open until all
    have answered: all 16 append, so none waited for another's lock; 16 appends for one
    enterprise, held the same way, queue behind the first: 1 appends, 15 time out waiting."""
    with app.app_context():
        from tests.factories import Factories

        factories = Factories()
        officer = factories.user(Role.BANK_OFFICER)
        enterprises = [factories.enterprise() for _ in range(16)]
        db.session.commit()
        bank_id, user_id = officer.bank_id, officer.id
        enterprise_ids = [e.id for e in enterprises]
    wide = _app_with_pool(app, 20)  # the default pool (5 + 10 overflow) would queue the 16th
    try:
        apart = _held_appends(wide, [(user_id, bank_id, e) for e in enterprise_ids])
        together = _held_appends(wide, [(user_id, bank_id, enterprise_ids[0])] * 16)
        assert apart == (16, 0)  # nobody waited for another's lock
        assert together == (1, 15)  # the same chain does queue
        with app.app_context():
            result = services.verify_chain()
            assert result.ok, result.message
    finally:
        with wide.app_context():
            db.engine.dispose()
        with app.app_context():
            db.session.execute(text("SET session_replication_role = replica"))
            db.session.execute(
                text("DELETE FROM access_log WHERE enterprise_id = ANY(:e)"), {"e": enterprise_ids}
            )
            db.session.execute(
                text("DELETE FROM access_log_heads WHERE chain = ANY(:e)"), {"e": enterprise_ids}
            )
            db.session.execute(text("SET session_replication_role = DEFAULT"))
            db.session.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})
            db.session.execute(text("DELETE FROM banks WHERE id = :b"), {"b": bank_id})
            db.session.execute(
                text("DELETE FROM enterprises WHERE id = ANY(:e)"), {"e": enterprise_ids}
            )
            db.session.commit()
