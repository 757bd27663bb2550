"""Engine settings for SQLite: foreign keys on, and transactions SQLAlchemy controls.

pysqlite's own transaction handling defeats SAVEPOINTs (which the tests rely on to roll
back each test); the SQLAlchemy docs' recipe hands BEGIN to SQLAlchemy instead.

Transactions begin IMMEDIATE: a deferred transaction that reads and later writes fails at
once with "database is locked" when another connection committed in between (WAL's
BUSY_SNAPSHOT ignores busy_timeout) — seen with the scheduler's threads. IMMEDIATE takes the
write lock up front and waits for it (busy_timeout). SQLite serves development and tests
only; PostgreSQL is the production store.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
