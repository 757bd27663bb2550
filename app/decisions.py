"""Decisions taken once, however many people press the button at the same moment.

A decision (a dispute resolved or forwarded, a repair decided or rechecked, a guarantee
claim decided, an application moved on) is written as an UPDATE whose WHERE names the state
the row must still be in. Of two concurrent requests only one changes the row; the other is
told that someone decided first (409), and nothing of it is written.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Update
from sqlalchemy.engine import CursorResult

from app.errors import Conflict
from app.extensions import db


def decide_once(statement: Update, conflict: Conflict) -> None:
    """Run the guarded `statement`; raise `conflict` unless it changed exactly one row. The
    session's objects are not synchronised: the caller expires or reloads what it shows."""
    result = cast(
        CursorResult, db.session.execute(statement.execution_options(synchronize_session=False))
    )
    if result.rowcount != 1:
        raise conflict
