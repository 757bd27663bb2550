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
- *A replica that is down*: a replica that refuses a connection is skipped for
  `REPLICA_RETRY_SECONDS`; with none left, the primary answers. Reads never fail because a
  replica did.

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
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from app.clock import utcnow

log = logging.getLogger(__name__)

_wanted: ContextVar[bool] = ContextVar("replica_wanted", default=False)
_STICKY_KEY = "primary_until"  # in the browser's session: read the primary until then
EXTENSION = "xyd_replicas"


class Replicas:
    """The configured replicas' engines and which of them are resting after a failure."""

    def __init__(self, urls: list[str], retry_seconds: float) -> None:
        self.engines: list[Engine] = [
            create_engine(url, pool_pre_ping=True, connect_args=_connect_args(url)) for url in urls
        ]
        self.retry = timedelta(seconds=retry_seconds)
        self._down_until: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def pick(self) -> Engine | None:
        """A replica that answers, or None when every one is down (the primary then reads)."""
        now = utcnow()
        with self._lock:
            candidates = [
                i for i in range(len(self.engines)) if self._down_until.get(i, now) <= now
            ]
        random.shuffle(candidates)
        for i in candidates:
            engine = self.engines[i]
            try:
                with engine.connect():  # from the pool when one is idle: no round trip
                    pass
            except DBAPIError as exc:
                with self._lock:
                    self._down_until[i] = now + self.retry
                log.warning("replica %s is down, reading the primary: %s", engine.url, exc)
                continue
            return engine
        return None

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
        replicas = _replicas() if bind is None else None
        if replicas is not None:
            if self._flushing or not _is_read(clause):
                if has_request_context():
                    g.wrote = True  # this browser then reads the primary for a while
            elif _wanted.get() and not _sticky():
                engine = _chosen(replicas)
                if engine is not None:
                    return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _is_read(clause) -> bool:
    return clause is not None and bool(getattr(clause, "is_select", False))


def _chosen(replicas: Replicas) -> Engine | None:
    """One replica per request (or per context outside one), picked once."""
    if has_request_context():
        if "replica" not in g:
            g.replica = replicas.pick()
        return g.replica
    return replicas.pick()
