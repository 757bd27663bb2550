"""One unit of work per request: what a page or an API call writes is committed once, when it
answers, or not at all.

The rule (`init_app`): a request whose answer has a status below 400 (a page, a redirect,
JSON) commits; one that raised or answers with an error status rolls back. A `ServiceError`
that a view lets through becomes that error status (the error page, or the JSON error under
/api/), so nothing the refused action wrote is kept. Views and API handlers therefore neither
commit nor roll back.

A view that answers a `ServiceError` itself (the form again with its errors, a message and a
redirect) calls `discard()` where it catches it (`refusal_flashed()` does both for an action
answered with a redirect): the request's writes are rolled back at once, so the page shows
what is stored (and, on PostgreSQL, can still read after a failed statement), and the
request's end commits nothing even when the answer is a redirect.

A view commits early only on purpose, with a comment saying why: a refused try that must be
recorded although the answer is an error (a wrong password or code, a refused verification
step). CLI commands and scheduled jobs are not requests: they keep their own transactions; a
command that does one thing a service may refuse wraps it in `command_unit()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, Response, flash, g

from app.errors import ServiceError
from app.extensions import db

_DISCARDED = "_unit_of_work_discarded"


def init_app(app: Flask) -> None:
    """Register the commit or rollback at the end of every request. Register it after the
    other `after_request` hooks: Flask runs them in reverse, so the commit comes first and
    theirs (the replicas' read-your-writes mark) see its flush."""

    @app.after_request
    def _end_unit_of_work(response: Response) -> Response:
        if response.status_code >= 400 or g.get(_DISCARDED):
            db.session.rollback()
        else:
            commit_keeping_objects()
        return response


def discard() -> None:
    """Roll back what this request wrote, now and at its end (a view that answers a caught
    `ServiceError` itself)."""
    db.session.rollback()
    setattr(g, _DISCARDED, True)


@contextmanager
def refusal_flashed(*, let_through: tuple[int, ...] = ()) -> Iterator[None]:
    """A posted action that answers with a redirect: when a service refuses it, what it wrote
    is discarded and the refusal's message flashed, and the rest of the block (the success
    message) is skipped. A refusal whose status is in `let_through` (404: there is no such
    object) becomes the error page instead."""
    try:
        yield
    except ServiceError as exc:
        discard()
        if exc.status in let_through:
            raise
        flash(exc.message, "error")


def commit_keeping_objects() -> None:
    """Commit without expiring the session's objects, where nothing committed changes what is
    already loaded and reloading it (the default) would only cost round trips: at the end of
    a request (its answer is made; the hooks after this one ask whether the user is signed
    in), the guard's access-log row before the read it guards, a profile cache entry."""
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


@contextmanager
def command_unit() -> Iterator[None]:
    """A CLI command's one unit of work: what the block writes is committed when it ends; when
    a service refuses (`ServiceError`) nothing is committed and the command stops with the
    service's message (exit status 1). It does not roll back itself: the command's end does
    (the app context's teardown), and a caller that shares the session, such as a test, keeps
    what it had written before."""
    try:
        yield
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
