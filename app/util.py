"""Small helpers shared by every domain: time zones, money and IN lists (the clock is
`app.clock`)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
# Values per IN (…) list: each is a bound parameter, one statement takes at most 65,535 on
# PostgreSQL and 32,766 on SQLite, and an import may name hundreds of thousands.
IN_LIST = 5000
T = TypeVar("T")


def chunked(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """`values` in consecutive slices of at most `size` (default `IN_LIST`), for IN lists."""
    size = size or IN_LIST
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ArrayParam(list):
    """Codes or ids sent to PostgreSQL as one array parameter (`= ANY(%s)`) rather than a
    list of thousands of parameters that SQLAlchemy names and psycopg parses on every
    statement (about a third of a profile rebuild chunk's Python time)."""


def among(session: Any, column: Any, values: Sequence[Any]) -> Any:
    """SQL: `column IN (values)`, as one array parameter on PostgreSQL (any length there;
    on SQLite keep a list within `IN_LIST`, as `chunked` gives)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    return in_values(column, ArrayParam(values) if postgres else values)


def in_values(column: Any, values: Sequence[Any]) -> Any:
    """SQL: `column IN (values)`; one array parameter for an `ArrayParam` (PostgreSQL)."""
    if isinstance(values, ArrayParam):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime read back from SQLite as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC time as shown to users, in Asia/Shanghai."""
    return None if value is None else as_utc(value).astimezone(SHANGHAI)


def money(value: Decimal | int | str) -> Decimal:
    """Yuan rounded to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_yuan(value: Decimal | int | str | float | None) -> str:
    """Money as every page shows it: ¥1,234,567.00 ("—" when there is none). Both UI languages
    group by commas with a decimal point (Babel's "#,##0.00" for zh and en); formatted
    directly, since a statistics table shows a thousand amounts. The `yuan` template filter
    and every sentence naming an amount use this one function.

    A negative amount has its sign before the symbol (-¥1,200.00, as Babel writes it in both
    languages), not after it.
    """
    if value is None:
        return "—"
    amount = Decimal(value)
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"


def format_rate(value: Decimal | int | str | None) -> str:
    """An annual rate in percent as people write it, without trailing zeros: 4.3500 → 4.35,
    10.0000 → 10 (`Decimal.normalize()` alone gives 1E+1). The `rate` template filter and every
    sentence naming a rate use this one function; the caller adds the %."""
    if value is None:
        return "—"
    return format(Decimal(str(value)).normalize(), "f")


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), clamped to the month's end:
    2026-01-31 + 1 month = 2026-02-28."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
