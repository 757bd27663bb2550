"""Reads that tolerate a few seconds of lag go to PostgreSQL streaming replicas.

`DATABASE_REPLICA_URLS` (optional; several, separated by spaces or commas) names hot-standby
replicas of the primary. Code that may read slightly old data says so with `replica_reads()`
(a context manager and a view decorator): statistics, the product supermarket and public
pages, an enterprise's own history pages. Inside it, the session sends SELECTs to a replica;
writes, flushes and everything outside it — the guard, the access log, logins — stay on the
primary, so a privacy decision never rests on a lagging copy.

Two cases read the primary even inside `replica_reads()`:
- *Read your own writes*: a browser that has just written (its request committed a change)
  reads the primary for `REPLICA_STICKY_SECONDS`, so the page after a submission shows it.
- *A replica that is down*: a healthy replica costs no extra round trip (no probe before
  the read). When a read on a replica fails with a connection error (refused, dropped, the
  server shutting down), the replica rests for `REPLICA_RETRY_SECONDS` and the same read is
  run again on another replica or, with none left, on the primary. Reads never fail because
  a replica did.

Without replicas configured (development, SQLite) `replica_reads()` changes nothing.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, has_request_context, session
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import ORMExecuteState

from app.clock import utcnow

log = logging.getLogger(__name__)

_wanted: ContextVar[bool] = ContextVar("replica_wanted", default=False)
_STICKY_KEY = "primary_until"  # in the browser's session: read the primary until then
EXTENSION = "xyd_replicas"


class Replicas:
    """The configured replicas' engines and which of them are resting after a failure."""

    def __init__(self, urls: list[str], retry_seconds: float) -> None:
        # No pool_pre_ping: it would cost a round trip at every checkout, that is on every
        # replica read. A pooled connection that went stale (the replica restarted) fails on
        # its first statement like a replica that is down: `_read_elsewhere` rests the
        # replica and reads elsewhere, and SQLAlchemy drops the pool's other connections on
        # that disconnect, so the replica is read afresh once its rest is over.
        self.engines: list[Engine] = [
            create_engine(url, connect_args=_connect_args(url)) for url in urls
        ]
        self.retry = timedelta(seconds=retry_seconds)
        self._down_until: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def pick(self) -> Engine | None:
        """A replica that is not resting, or None when every one is (the primary then reads).
        Nothing is sent to it: a failing read rests it (`rest`)."""
        now = utcnow()
        with self._lock:
            candidates = [
                i for i in range(len(self.engines)) if self._down_until.get(i, now) <= now
            ]
        return self.engines[random.choice(candidates)] if candidates else None

    def rest(self, engine: Engine, exc: DBAPIError) -> None:
        """`engine` failed with a connection error: skip it for `retry`."""
        with self._lock:
            self._down_until[self.engines.index(engine)] = utcnow() + self.retry
        log.warning("replica %s is down, reading elsewhere: %s", engine.url, exc)

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


def _connect_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 2} if url.startswith("postgresql") else {}


def configured_urls(value: str | None) -> list[str]:
    return [u for u in re.split(r"[\s,]+", value or "") if u]


def init_app(app: Flask) -> None:
    urls = configured_urls(app.config.get("DATABASE_REPLICA_URLS"))
    if not urls:
        return
    app.extensions[EXTENSION] = Replicas(urls, float(app.config["REPLICA_RETRY_SECONDS"]))
    # Only with replicas: with a hook, SQLAlchemy prepares each ORM statement once more.
    if not event.contains(RoutingSession, "do_orm_execute", _read_elsewhere):
        event.listen(RoutingSession, "do_orm_execute", _read_elsewhere)

    @app.after_request
    def _stick_to_the_primary(response):
        if g.get("wrote") and session.get("sid"):  # a signed-in browser (the API has no session)
            until = utcnow() + timedelta(seconds=float(app.config["REPLICA_STICKY_SECONDS"]))
            session[_STICKY_KEY] = until.isoformat()
        return response


def _replicas() -> Replicas | None:
    return current_app.extensions.get(EXTENSION) if current_app else None


def _sticky() -> bool:
    """Whether this browser wrote a moment ago and must read its own write."""
    if not has_request_context():
        return False
    until = session.get(_STICKY_KEY)
    return bool(until) and datetime.fromisoformat(until) > utcnow()


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may come from a replica (a few seconds old)."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside come from the primary even within `replica_reads()`: who the user is
    and whether the session still lives."""
    token = _wanted.set(False)
    try:
        yield
    finally:
        _wanted.reset(token)


def reads_replica(view: Callable) -> Callable:
    """A view whose reads may come from a replica. Put it below the login and role
    decorators, so that who the user is and whether the session lives are read on the
    primary."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending the SELECTs of `replica_reads()` to a replica."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            replica = self.replica_for(clause)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    def replica_for(self, clause) -> Engine | None:
        """The replica that runs `clause`, or None for the primary. A write (or a flush) marks
        the request as having written: this browser then reads the primary for a while."""
        replicas = _replicas()
        if replicas is None:
            return None
        if self._flushing or not _is_read(clause):
            if has_request_context():
                g.wrote = True
            return None
        if _wanted.get() and not _sticky():
            return _chosen(replicas)
        return None


def _read_elsewhere(state: ORMExecuteState):
    """The session's `do_orm_execute` hook (listened to by `init_app` when replicas are
    configured): run a replica's read there; when the replica fails with a connection error,
    rest it and run the read again on another replica, or on the primary when none is left."""
    if state.bind_arguments.get("bind") is not None:
        return None  # the caller chose the connection
    session = state.session
    assert isinstance(session, RoutingSession)
    replica = session.replica_for(state.statement)
    if replica is None:
        return None  # the primary reads (or writes) as usual
    replicas = _replicas()
    assert replicas is not None
    while replica is not None:
        try:
            return state.invoke_statement(bind_arguments={"bind": replica})
        except DBAPIError as exc:
            if not _connection_error(exc):
                raise
            replicas.rest(replica, exc)
            _forget_choice(session, replica)
            replica = session.replica_for(state.statement)
    mapper = state.bind_arguments.get("mapper")
    primary = FlaskSession.get_bind(session, mapper=mapper, clause=state.statement)
    return state.invoke_statement(bind_arguments={"bind": primary})


def _connection_error(exc: DBAPIError) -> bool:
    """The replica could not be reached or dropped the connection: a disconnect SQLAlchemy
    detected, or an operational error without a server SQLSTATE (a refused connection), of
    class 08 (connection exception) or a server shutting down or starting up (57P01–57P03).
    A statement's own error (permission, timeout, bad data) is not one: it is raised."""
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state.startswith(("08", "57P0"))


def _forget_choice(session: RoutingSession, replica: Engine) -> None:
    """Choose again after `replica` failed, and let go of its dead connection."""
    if has_request_context():
        g.pop("replica", None)
    # The session's transaction keeps the connection (under the engine and the connection,
    # at each level of savepoints) and would commit or roll back on it at the end, which an
    # invalidated connection refuses ("Can't reconnect until invalid transaction is rolled
    # back"). SQLAlchemy has no public way to drop one bind of a session, hence its
    # `_connections` map; tests/main/test_replicas.py commits after a failed replica read.
    level = session.get_nested_transaction() or session.get_transaction()
    dead = None
    while level is not None:
        held = level._connections.pop(replica, None)
        if held is not None:
            dead = held[0]
            level._connections.pop(dead, None)
        level = level.parent
    if dead is not None:
        dead.invalidate()
        dead.close()


def _is_read(clause) -> bool:
    return clause is not None and bool(getattr(clause, "is_select", False))


def _chosen(replicas: Replicas) -> Engine | None:
    """One replica per request (or per context outside one), picked once."""
    if has_request_context():
        if "replica" not in g:
            g.replica = replicas.pick()
        return g.replica
    return replicas.pick()
