"""Column types shared by every domain's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones, so values come back naive there; this makes both
    databases return the same aware `datetime`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.clock.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def Money() -> Numeric:  # noqa: N802 - reads as a type in column definitions
    """Yuan, two decimals, returned as `Decimal`."""
    return Numeric(18, 2, asdecimal=True)


def Rate() -> Numeric:  # noqa: N802
    """Annual rate in percent, e.g. 3.8500."""
    return Numeric(6, 4, asdecimal=True)


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK constraint's SQL allowing only `values` (a closed set's enum) in `column`."""
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"
