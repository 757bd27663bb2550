"""The daily cap holds under concurrent reads: sixteen reads at once under an authorization
with a cap of four give exactly four allowed reads and twelve refusals, all logged. Each
reader pauses between counting the day's reads and logging its own, which without a lock
lets every one of them count fewer than the cap and pass.

On PostgreSQL the guard's row lock serialises them (`guard.covering_authorizations` with
`lock`); on SQLite every transaction begins IMMEDIATE (`app.db_events`), so the count and the log row are one step
there too. Each database is proven on its own: PostgreSQL with the suite's database, SQLite
with a database file of this test's own (threads need a file, and the rows it commits must
not reach the suite's)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AccessLogEntry
from app.auth.models import Role, User
from app.consent import guard, services
from app.consent.terms import DAILY_CAP
from app.enterprises.models import Enterprise
from app.extensions import db
from tests.audit.test_chain import _app_with_pool

READERS = 16
CAP = 4


def _seed(app) -> dict:
    """A bank with READERS officers and an enterprise that grants it a query authorization
    capped at CAP reads a day, committed."""
    from tests.factories import Factories

    with app.app_context():
        factories = Factories()
        bank = factories.bank()
        officers = [factories.user(Role.BANK_OFFICER, bank=bank) for _ in range(READERS)]
        enterprise = factories.enterprise()
        auth = services.grant_query(
            enterprise.id, bank.id, ["enterprises"], purpose="pre_loan", user_id=None, ip=None,
            text_id=services.current_text("query").id, reads_per_day=CAP,
        )  # fmt: skip
        db.session.commit()
        return {"bank": bank.id, "users": [o.id for o in officers], "enterprise": enterprise.id,
                "auth": auth.id}  # fmt: skip


def _race(app, ids: dict, monkeypatch) -> tuple[list[tuple[bool, str]], dict[str, int]]:
    """READERS officers read at once, each through a connection of its own; the decisions
    and the access log's rows by outcome."""
    counted = guard.reads_today

    def slow_count(*args, **kwargs):
        done = counted(*args, **kwargs)
        time.sleep(0.05)  # the window between counting and logging, made wide
        return done

    monkeypatch.setattr(guard, "reads_today", slow_count)
    wide = _app_with_pool(app, READERS + 2)
    barrier = threading.Barrier(READERS)
    outcomes: list[tuple[bool, str]] = []
    errors: list[BaseException] = []

    def reader(user_id: int) -> None:
        try:
            with wide.app_context():
                user = db.session.get(User, user_id)
                target = db.session.get(Enterprise, ids["enterprise"])
                db.session.commit()
                barrier.wait()
                decision = guard.check_bank_access(
                    user, target, ["enterprises"], endpoint="/race", channel="api", ip=None
                )
                outcomes.append((decision.allowed, decision.reason))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(u,)) for u in ids["users"]]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        with wide.app_context():
            db.engine.dispose()
    assert not errors, errors
    with app.app_context():
        logged = dict(
            db.session.execute(
                select(AccessLogEntry.outcome, func.count())
                .where(AccessLogEntry.enterprise_id == ids["enterprise"])
                .group_by(AccessLogEntry.outcome)
            ).all()
        )
    return outcomes, logged


def _exactly_the_cap(outcomes: list[tuple[bool, str]], logged: dict[str, int]) -> None:
    assert len([o for o in outcomes if o[0]]) == CAP, outcomes
    assert sorted(r for ok, r in outcomes if not ok) == [DAILY_CAP] * (READERS - CAP)
    assert logged == {"allowed": CAP, "denied": READERS - CAP}


@pytest.mark.committing
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_sixteen_concurrent_reads_pass_the_cap_of_four_exactly_four_times(app, monkeypatch):
    ids = _seed(app)
    try:
        _exactly_the_cap(*_race(app, ids, monkeypatch))
    finally:
        with app.app_context():
            db.session.execute(text("SET session_replication_role = replica"))
            db.session.execute(
                text("DELETE FROM access_log WHERE enterprise_id = :e"), {"e": ids["enterprise"]}
            )
            db.session.execute(
                text("DELETE FROM access_log_heads WHERE chain = :e"), {"e": ids["enterprise"]}
            )
            db.session.execute(text("SET session_replication_role = DEFAULT"))
            db.session.execute(text("DELETE FROM authorizations WHERE id = :a"), {"a": ids["auth"]})
            db.session.execute(text("DELETE FROM users WHERE bank_id = :b"), {"b": ids["bank"]})
            db.session.execute(text("DELETE FROM banks WHERE id = :b"), {"b": ids["bank"]})
            db.session.execute(
                text("DELETE FROM enterprises WHERE id = :e"), {"e": ids["enterprise"]}
            )
            db.session.commit()


@pytest.mark.committing
@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite only")
def test_the_cap_holds_on_sqlite_too(app, tmp_path, monkeypatch):
    """The same race on a SQLite file of its own, migrated from nothing."""
    from flask_migrate import upgrade

    from app import create_app
    from config import TestConfig

    class Own(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'race.sqlite'}"
        AUDIT_SIGNING_KEY_FILE = app.config["AUDIT_SIGNING_KEY_FILE"]
        AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")

    own = create_app(Own)
    with own.app_context():
        upgrade(directory=str(Path(__file__).parents[2] / "migrations"))
        db.session.remove()
    try:
        _exactly_the_cap(*_race(own, _seed(own), monkeypatch))
    finally:
        with own.app_context():
            db.engine.dispose()
