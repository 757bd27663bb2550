"""Small helpers shared by every domain: time zones and money (the clock is `app.clock`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime read back from SQLite as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC time as shown to users, in Asia/Shanghai."""
    return None if value is None else as_utc(value).astimezone(SHANGHAI)


def money(value: Decimal | int | str) -> Decimal:
    """Yuan rounded to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
