"""INSERT … ON CONFLICT, written once for both databases.

PostgreSQL and SQLite both upsert (`on_conflict_do_update` / `on_conflict_do_nothing`), but
SQLAlchemy spells the statement per dialect. `upsert(table)` returns the `insert(table)` of
the dialect the session (or the given connection) talks to, so callers only add the
ON CONFLICT clause.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from app.extensions import db


def upsert(table, bind: Connection | Engine | None = None):
    """The dialect's `insert(table)` (PostgreSQL's or SQLite's), for `bind` or the session."""
    dialect = (bind if bind is not None else db.session.get_bind()).dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
