"""The profile cache: an enterprise's assembled profile material, kept until its data changes.

What a bank is shown of an enterprise is assembled from its registry row, its records (under
the dispute, publicity and repair rules), its key facts and its current profile snapshot:
a dozen statements and most of a read's CPU. None of it depends on the bank, so it is
assembled once per change and kept in `profile_cache`, one row per enterprise, shared by
every worker. What the bank's authorization allows (categories, date range) is applied to
the kept material on every read, and the guard and its access log still run on every read.

Exact invalidation, without a list of stale keys:

- `data_changed(ids)` bumps the enterprise's counter in `profile_data_versions` in the same
  transaction as the change: every import batch and rebuild (`profiles.services.rebuild`,
  which every batch, dispute, repair and publicity change runs), every dispute filed or
  decided and every repair decided call it.
- an entry is used only when its `version` equals the counter now and its `context` matches
  the reader's: the day (which records count moves with the calendar), the locale (labels)
  and a digest of the registry row (an edit of the enterprise needs no bump).

The counter is read before the material, so an entry assembled while a change commits is
stored under the old version and never used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, inspect, literal, select, true

from app.clock import local_today, utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.profiles.models import ProfileCacheEntry, ProfileDataVersion
from app.unit_of_work import commit_keeping_objects
from app.upsert import upsert
from app.util import among, chunked


def data_changed(enterprise_ids: Iterable[int] | None) -> None:
    """Bump the data version of these enterprises (None: of every enterprise), in the
    caller's transaction: their kept profile material is no longer used once it commits."""
    if enterprise_ids is None:
        _bump(None)
        return
    for part in chunked(sorted(set(enterprise_ids))):
        _bump(list(part))


def _bump(ids: list[int] | None) -> None:
    table = ProfileDataVersion.__table__
    # WHERE is never left out: SQLite parses INSERT … SELECT … ON CONFLICT only with one.
    chosen = select(Enterprise.id, literal(1)).where(true())
    if ids is not None:
        chosen = chosen.where(among(db.session, Enterprise.id, ids))
    stmt = upsert(table).from_select(["enterprise_id", "version"], chosen)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.enterprise_id], set_={"version": table.c.version + 1}
    )
    db.session.execute(stmt)


def context_of(enterprise: Enterprise, locale: str) -> str:
    """What an entry must have been assembled under besides the data version: today's date,
    the locale and the registry row's digest."""
    row = repr([getattr(enterprise, a.key) for a in inspect(Enterprise).column_attrs])
    digest = hashlib.blake2b(row.encode(), digest_size=16).hexdigest()
    return f"{local_today().isoformat()}|{locale}|{digest}"


_VERSION = func.coalesce(
    select(ProfileDataVersion.version)
    .where(ProfileDataVersion.enterprise_id == bindparam("enterprise"))
    .scalar_subquery(),
    0,
)
# One statement, on every bank read: the enterprise's data version now and the body kept
# under it and the reader's context (or NULL).
_LOOKUP = select(
    _VERSION,
    select(ProfileCacheEntry.body)
    .where(
        ProfileCacheEntry.enterprise_id == bindparam("enterprise"),
        ProfileCacheEntry.version == _VERSION,
        ProfileCacheEntry.context == bindparam("context"),
    )
    .scalar_subquery(),
)


def _lookup(enterprise_id: int, context: str) -> tuple[int, str | None]:
    """(the enterprise's data version now, the body kept under it and `context` or None)."""
    current, kept = db.session.execute(
        _LOOKUP, {"enterprise": enterprise_id, "context": context}
    ).one()
    return int(current), kept


def _store(enterprise_id: int, version: int, context: str, body: str) -> None:
    table = ProfileCacheEntry.__table__
    values = {"version": version, "context": context, "body": body, "stored_at": utcnow()}
    stmt = upsert(table).values(enterprise_id=enterprise_id, **values)
    db.session.execute(
        stmt.on_conflict_do_update(index_elements=[table.c.enterprise_id], set_=values)
    )


@dataclass(frozen=True)
class Looked:
    """What the cache holds for one reader: the enterprise's data version now, the reader's
    context, and the body kept under both (None: to assemble)."""

    version: int
    context: str
    kept: str | None


def look_up(enterprise: Enterprise, locale: str) -> Looked:
    """One statement. A bank's read looks up before its guard commits the log row, in the
    guard's transaction: a transaction of its own would cost two more round trips (BEGIN,
    ROLLBACK) on every read. Nothing is shown from it unless the guard allows."""
    context = context_of(enterprise, locale)
    version, kept = _lookup(enterprise.id, context)
    return Looked(version, context, kept)


def material(
    enterprise: Enterprise,
    locale: str,
    assemble: Callable[[], dict[str, Any]],
    *,
    keep: bool,
    looked: Looked | None = None,
) -> dict[str, Any]:
    """The enterprise's profile material: the kept one when still valid, else `assemble()`,
    stored for the next reader when `keep` (and committed at once, keeping the objects the
    request loaded: a bank's read, whose guard already committed its log row). `looked`:
    the caller's `look_up` of this enterprise and locale, made earlier in the request."""
    looked = looked or look_up(enterprise, locale)
    if looked.kept is not None:
        return json.loads(looked.kept)
    body = json.dumps(assemble(), ensure_ascii=False)
    if keep:
        _store(enterprise.id, looked.version, looked.context, body)
        commit_keeping_objects()
    return json.loads(body)  # the very shape a later read gets from the cache
