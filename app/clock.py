"""The one clock: every "now" and "today" in the application comes from here.

Instants are stored in UTC; business dates (due dates, decisions, disbursements, the
months a profile covers) are calendar days in Asia/Shanghai. Nothing else in `app/` reads
the wall clock, so that tests can freeze time (`time-machine`) and the suite gives the same
answer on any day of the year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.util import SHANGHAI


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC (what we store)."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Asia/Shanghai (the business date)."""
    return utcnow().astimezone(SHANGHAI).date()
