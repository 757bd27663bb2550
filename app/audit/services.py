"""Writing, reading and verifying the access log.

One hash chain per enterprise (`app/audit/chain.py`): `row_hash = sha256(prev_hash + "\\n" +
canonical JSON of the row's fields)`, where `prev_hash` is the `row_hash` of the row before
it in the same chain (by id) or 64 zeros for the chain's first row. Writers of one chain are
serialised so that no two rows claim the same predecessor: on PostgreSQL by a
transaction-scoped advisory lock on that chain alone (appends for different enterprises do
not wait for each other); on SQLite by its single writer lock. The append reads the chain's
last hash from its head (`access_log_heads`) and moves the head with the row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, bindparam, func, insert, select, text

from app.audit.chain import (
    CANONICAL_FIELDS,
    GENESIS_HASH,
    SignedHeads,
    VerifyResult,
    canonical,
    fields_of,
    row_hash,
    walk,
)
from app.audit.models import AccessLogEntry, AccessLogHead, AuditVerification
from app.clock import utcnow
from app.extensions import db
from app.types import UTCDateTime
from app.upsert import upsert

# The advisory lock's class (any constant unique to it); pg_advisory_xact_lock(int, int)
# takes it with the chain's key, so each chain has a lock of its own.
ADVISORY_LOCK_CLASS = 0x58594441  # "XYDA"


def _join(categories: Iterable[str] | None) -> str:
    return ",".join(sorted(set(categories or ())))


@dataclass(frozen=True)
class Appended:
    """A row just written to the chain: its id, hashes and the fields they cover."""

    id: int
    prev_hash: str
    row_hash: str
    at: datetime
    user_id: int | None
    bank_id: int | None
    enterprise_id: int | None
    authorization_id: int | None
    requested: str
    granted: str
    purpose: str
    endpoint: str
    channel: str
    ip: str | None
    outcome: str
    reason: str


def append(
    *,
    user_id: int | None,
    bank_id: int | None,
    enterprise_id: int | None,
    endpoint: str,
    channel: str,
    outcome: str,
    requested: Iterable[str] | None = None,
    granted: Iterable[str] | None = None,
    authorization_id: int | None = None,
    purpose: str = "",
    ip: str | None = None,
    reason: str = "",
) -> Appended:
    """Append one row to its enterprise's chain (the caller commits promptly to free the
    chain's lock).

    It runs on every bank read. On PostgreSQL it is one statement: a subquery takes the
    chain's advisory lock and reads its head's hash (`access_log_chain_head`, migration
    0055_log_heads), the server hashes it with the canonical bytes computed here, exactly as
    `row_hash` does, and the head moves to the new row. On SQLite the single writer lock
    serialises appends and Python hashes.
    """
    fields: dict[str, Any] = {
        "at": utcnow(),
        "user_id": user_id,
        "bank_id": bank_id,
        "enterprise_id": enterprise_id,
        "authorization_id": authorization_id,
        "requested": _join(requested),
        "granted": _join(granted),
        "purpose": (purpose or "")[:300],
        "endpoint": endpoint[:200],
        "channel": channel,
        "ip": ip,
        "outcome": outcome,
        "reason": reason,
    }
    chain = enterprise_id or 0
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        params = {**fields, "key": ADVISORY_LOCK_CLASS, "chain": chain,
                  "canonical": canonical(fields)}  # fmt: skip
        new_id, prev_hash, digest = session.execute(_PG_APPEND, params).one()
    else:
        prev_hash = session.scalar(_HEAD, {"chain": chain}) or GENESIS_HASH
        digest = row_hash(prev_hash, fields)
        new_id = session.execute(
            insert(AccessLogEntry)
            .values(**fields, chain=chain, prev_hash=prev_hash, row_hash=digest)
            .returning(AccessLogEntry.id)
        ).scalar_one()  # fmt: skip
        session.execute(
            _moved(upsert(AccessLogHead)), {"chain": chain, "id": new_id, "head": digest}
        )
    return Appended(id=new_id, prev_hash=prev_hash, row_hash=digest, **fields)


_HEAD = select(AccessLogHead.head).where(AccessLogHead.chain == bindparam("chain"))
_COLUMNS = ", ".join(CANONICAL_FIELDS)
_VALUES = ", ".join(":" + name for name in CANONICAL_FIELDS)


def _moved(insert_head):
    """The chain's head moved to the row just added (made for a chain's first row): on
    SQLite; on PostgreSQL `_PG_APPEND_SQL` says the same in its `moved` part."""
    return insert_head.values(
        chain=bindparam("chain"), length=1, last_id=bindparam("id"), head=bindparam("head")
    ).on_conflict_do_update(
        index_elements=[AccessLogHead.chain],
        set_={
            "length": AccessLogHead.length + 1,
            "last_id": insert_head.excluded.last_id,
            "head": insert_head.excluded.head,
        },
    )


# Built from constants only; every value is a bound parameter. The advisory lock, taken in
# the subquery, is held until commit, so the head read after it is the chain's newest.
_PG_APPEND_SQL = (
    "WITH added AS ("  # noqa: S608
    f"INSERT INTO access_log ({_COLUMNS}, chain, prev_hash, row_hash) "
    f"SELECT {_VALUES}, :chain, tail.prev, "
    "encode(sha256(convert_to(tail.prev, 'UTF8') || '\\x0a'::bytea || :canonical), 'hex') "
    "FROM (SELECT coalesce(access_log_chain_head(CAST(:key AS integer), "
    f"CAST(:chain AS bigint)), '{GENESIS_HASH}') AS prev) AS tail "
    "RETURNING id, chain, prev_hash, row_hash), "
    "moved AS (INSERT INTO access_log_heads (chain, length, last_id, head) "
    "SELECT chain, 1, id, row_hash FROM added ON CONFLICT (chain) DO UPDATE SET "
    "length = access_log_heads.length + 1, last_id = excluded.last_id, head = excluded.head) "
    "SELECT id, prev_hash, row_hash FROM added"
)
_PG_APPEND = text(_PG_APPEND_SQL).bindparams(
    bindparam("at", type_=UTCDateTime()), bindparam("canonical", type_=LargeBinary())
)


def ordered_rows(batch_size: int = 5000, chains: Iterable[int] | None = None):
    """Rows in (chain, id) order, as the walk wants them (a server-side cursor on PostgreSQL;
    close it)."""
    query = select(AccessLogEntry).order_by(AccessLogEntry.chain, AccessLogEntry.id)
    if chains is not None:
        query = query.where(AccessLogEntry.chain.in_(list(chains)))
    return db.session.scalars(query.execution_options(yield_per=batch_size))


def verify_chain(batch_size: int = 5000, signed: SignedHeads | None = None) -> VerifyResult:
    """Walk every chain (`chain.walk`), checking each against its signed leaf in `signed`."""
    entries = ordered_rows(batch_size)
    try:
        return walk(entries, signed)
    finally:
        entries.close()


def export_rows(batch_size: int = 5000, chains: Iterable[int] | None = None):
    """Every row in (chain, id) order as JSON-ready dicts: the hashed fields exactly as
    hashed (`chain.canonical`), the id, chain, prev_hash and row_hash."""
    entries = ordered_rows(batch_size, chains)
    try:
        for entry in entries:
            fields = json.loads(canonical(fields_of(entry)))
            yield {
                **fields,
                "id": entry.id,
                "chain": entry.chain,
                "prev_hash": entry.prev_hash,
                "row_hash": entry.row_hash,
            }
    finally:
        entries.close()


def record_verification(result: VerifyResult) -> AuditVerification:
    row = AuditVerification(
        at=utcnow(),
        ok=result.ok,
        rows=result.rows,
        last_id=result.last_id,
        last_hash=result.last_hash,
        first_bad_id=result.first_bad_id,
        message=result.message[:300],
    )
    db.session.add(row)
    db.session.flush()
    return row


def last_verification() -> AuditVerification | None:
    return db.session.scalar(
        select(AuditVerification).order_by(AuditVerification.id.desc()).limit(1)
    )


def count_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


# --- Reading the log -----------------------------------------------------------------------


@dataclass
class LogFilter:
    bank_code: str | None = None
    outcome: str | None = None  # allowed | denied
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive


def _entries_query(enterprise_id: int, flt: LogFilter):
    from app.auth.models import User
    from app.banks.models import Bank
    from app.consent.models import Authorization

    query = (
        select(
            AccessLogEntry, Bank.code, Bank.name, User.display_name, Authorization.keep_copy_days
        )
        .outerjoin(Bank, Bank.id == AccessLogEntry.bank_id)
        .outerjoin(User, User.id == AccessLogEntry.user_id)
        .outerjoin(Authorization, Authorization.id == AccessLogEntry.authorization_id)
        .where(AccessLogEntry.enterprise_id == enterprise_id)
    )
    if flt.bank_code:
        query = query.where(Bank.code == flt.bank_code.upper())
    if flt.outcome in ("allowed", "denied"):
        query = query.where(AccessLogEntry.outcome == flt.outcome)
    if flt.date_from:
        query = query.where(AccessLogEntry.at >= flt.date_from)
    if flt.date_to:
        query = query.where(AccessLogEntry.at < flt.date_to)
    return query.order_by(AccessLogEntry.id.desc())


def entries_for_enterprise(
    enterprise_id: int, flt: LogFilter | None = None, *, limit: int | None = 50, offset: int = 0
) -> list[dict]:
    """Who looked at this enterprise's data (its own log only), newest first; with each row
    citing an authorization, the days that authorization let the bank keep a copy."""
    query = _entries_query(enterprise_id, flt or LogFilter())
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [
        {
            "id": entry.id,
            "at": entry.at,
            "bank": bank_name,
            "bank_code": bank_code,
            "user": user_name,
            "categories": [c for c in entry.granted.split(",") if c],
            "requested": [c for c in entry.requested.split(",") if c],
            "purpose": entry.purpose,
            "endpoint": entry.endpoint,
            "channel": entry.channel,
            "ip": entry.ip,
            "outcome": entry.outcome,
            "reason": entry.reason,
            "authorization_id": entry.authorization_id,
            "keep_copy_days": keep_copy_days,
        }
        for entry, bank_code, bank_name, user_name, keep_copy_days in db.session.execute(query)
    ]


def banks_that_looked(enterprise_id: int) -> list[tuple[str, str]]:
    from app.banks.models import Bank

    rows = db.session.execute(
        select(Bank.code, Bank.name)
        .join(AccessLogEntry, AccessLogEntry.bank_id == Bank.id)
        .where(AccessLogEntry.enterprise_id == enterprise_id)
        .distinct()
        .order_by(Bank.code)
    )
    return [(code, name) for code, name in rows]


def banks_that_read(enterprise_id: int, category: str, since: datetime) -> list[int]:
    """Ids of the banks given `category` of this enterprise's data since `since` (allowed
    reads in the access log): whom a change to that data concerns."""
    rows = db.session.scalars(
        select(AccessLogEntry.bank_id)
        .where(
            AccessLogEntry.enterprise_id == enterprise_id,
            AccessLogEntry.outcome == "allowed",
            AccessLogEntry.bank_id.is_not(None),
            AccessLogEntry.at >= since,
            # `granted` is a sorted comma list of category names
            ("," + AccessLogEntry.granted + ",").contains(f",{category},"),
        )
        .distinct()
    )
    return sorted(bank_id for bank_id in rows if bank_id is not None)
