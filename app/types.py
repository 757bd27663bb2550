"""Column types and closed sets shared by every domain's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import DateTime, Index, Numeric, text
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


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of the rows matching `where` only, alike on PostgreSQL and SQLite; unique,
    it allows at most one such row per key."""
    return Index(
        name, *columns, unique=unique, postgresql_where=text(where), sqlite_where=text(where)
    )


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK constraint's SQL allowing only `values` (a closed set's enum) in `column`."""
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class LabelledEnum(StrEnum):
    """A closed set whose members carry their label, given once beside the value:
    `PENDING = "pending", _l("待审核")`. `.label` reads it in the current locale, and
    `labels()` gives the member → label mapping that templates and forms look codes up in."""

    _value_: str
    _label: Any

    if TYPE_CHECKING:  # what callers write: `Source("tax_ratings")`, the lookup by value

        def __new__(cls, value: str) -> Self: ...

    else:

        def __new__(cls, value: str, label: Any) -> Self:
            member = str.__new__(cls, value)
            member._value_ = value
            member._label = label
            return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def labels(cls) -> dict[Self, Any]:
        return {member: member._label for member in cls}
