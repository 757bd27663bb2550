"""The access log's chain and its signed checkpoints, as pure functions (no database).

A row's hash: `sha256(prev_hash + "\\n" + canonical JSON of its fields)`, `prev_hash` being
the hash of the row before it (by id) or 64 zeros for the first row. A checkpoint is a
statement — its number, when, how many rows, the last row's id and hash, and the digest of
the checkpoint before it — signed with Ed25519, as Certificate Transparency signs its tree
heads. A walk checks every row against the row before it and, where a checkpoint ends,
against the signed head: rows altered and the chain recomputed, or rows cut off the end,
no longer match. The database (`flask audit verify`) and the offline verifier
(`scripts/audit_verify.py`, on an export) both walk with `walk()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_HASH = "0" * 64
CANONICAL_FIELDS = (
    "at", "user_id", "bank_id", "enterprise_id", "authorization_id", "requested", "granted",
    "purpose", "endpoint", "channel", "ip", "outcome", "reason",
)  # fmt: skip
STATEMENT_VERSION = 1


def _canonical_value(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def canonical(fields: dict) -> bytes:
    """The bytes hashed for a row: its fields as sorted, compact JSON."""
    data = {name: _canonical_value(fields.get(name)) for name in CANONICAL_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(fields)).hexdigest()


def fields_of(row: Any) -> dict:
    return {name: getattr(row, name) for name in CANONICAL_FIELDS}


# --- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """What a checkpoint signs: the chain's length and head, linked to the checkpoint before."""

    seq: int
    at: str  # ISO 8601, UTC
    length: int
    last_id: int | None
    head: str
    previous: str  # digest() of checkpoint seq - 1, GENESIS_HASH for the first

    def to_bytes(self) -> bytes:
        data = {
            "v": STATEMENT_VERSION, "seq": self.seq, "at": self.at, "length": self.length,
            "last_id": self.last_id, "head": self.head, "previous": self.previous,
        }  # fmt: skip
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict) -> Statement:
        return cls(
            int(data["seq"]), str(data["at"]), int(data["length"]),
            None if data["last_id"] is None else int(data["last_id"]),
            str(data["head"]), str(data["previous"]),
        )  # fmt: skip


@dataclass(frozen=True)
class Signed:
    statement: Statement
    signature: str  # hex
    key_id: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "statement": json.loads(self.statement.to_bytes()),
                "digest": self.statement.digest(),
                "signature": self.signature,
                "key_id": self.key_id,
            },
            sort_keys=True,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Signed:
        data = json.loads(text)
        return cls(Statement.from_dict(data["statement"]), data["signature"], data["key_id"])


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(statement: Statement, private_key: Ed25519PrivateKey) -> Signed:
    signature = private_key.sign(statement.to_bytes()).hex()
    return Signed(statement, signature, key_id(private_key.public_key()))


def signature_valid(signed: Signed, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(bytes.fromhex(signed.signature), signed.statement.to_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_checkpoints(
    in_database: list[Signed], in_directory: list[Signed], public_key: Ed25519PublicKey
) -> tuple[list[Statement], str]:
    """The checkpoints both stores agree on, in order, or a message naming the first problem:
    a bad signature (forged or altered), one store lacking a checkpoint the other has (one
    deleted), a gap in the numbering or a broken link to the checkpoint before."""
    stores = {"database": in_database, "directory": in_directory}
    by_store: dict[str, dict[int, Signed]] = {}
    for store, items in stores.items():
        by_store[store] = {}
        for signed in items:
            if not signature_valid(signed, public_key):
                return (
                    [],
                    f"checkpoint {signed.statement.seq} ({store}): bad signature "
                    "(forged or altered)",
                )
            by_store[store][signed.statement.seq] = signed
    db_side, dir_side = by_store["database"], by_store["directory"]
    for seq in sorted(set(db_side) | set(dir_side)):
        if seq not in db_side:
            return (
                [],
                f"checkpoint {seq} is in the directory but missing from the database (deleted)",
            )
        if seq not in dir_side:
            return (
                [],
                f"checkpoint {seq} is in the database but missing from the directory (deleted)",
            )
        if db_side[seq].statement != dir_side[seq].statement:
            return [], f"checkpoint {seq} differs between the database and the directory"
    ordered = [db_side[seq].statement for seq in sorted(db_side)]
    previous = GENESIS_HASH
    for expected, statement in enumerate(ordered, start=1):
        if statement.seq != expected:
            return [], f"checkpoint {expected} is missing (the numbering has a gap)"
        if statement.previous != previous:
            return [], f"checkpoint {statement.seq} does not link to the checkpoint before it"
        previous = statement.digest()
    return ordered, ""


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    message: str = ""
    last_id: int | None = None
    last_hash: str | None = None
    checkpoint_seq: int | None = None  # the latest checkpoint the chain was checked against


def walk(
    rows: Iterable[Any],
    checkpoints: Sequence[Statement] = (),
    *,
    start_hash: str = GENESIS_HASH,
    start_count: int = 0,
) -> VerifyResult:
    """Walk the chain in id order; stop at the first row that does not fit, or at the first
    checkpoint the chain does not reach or does not match. `start_hash` / `start_count`
    resume a walk after a checkpoint (its head and length)."""
    pending = sorted(
        (c for c in checkpoints if c.last_id is not None), key=lambda c: c.last_id or 0
    )
    expected_prev = start_hash
    count = start_count
    last_id = None
    latest = None
    for entry in rows:
        if pending and entry.id > (pending[0].last_id or 0):
            cp = pending[0]
            return VerifyResult(
                False, count, cp.last_id,
                f"row {cp.last_id} is missing: signed checkpoint {cp.seq} ends at it "
                f"({cp.length} rows)",
            )  # fmt: skip
        count += 1
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False, count, entry.id,
                f"row {entry.id}: prev_hash does not match the row before it "
                "(a row was removed or inserted)",
            )  # fmt: skip
        if row_hash(entry.prev_hash, fields_of(entry)) != entry.row_hash:
            return VerifyResult(
                False, count, entry.id, f"row {entry.id}: contents do not match its hash (altered)"
            )
        if pending and entry.id == pending[0].last_id:
            cp = pending.pop(0)
            if cp.head != entry.row_hash or cp.length != count:
                return VerifyResult(
                    False, count, entry.id,
                    f"row {entry.id}: does not match signed checkpoint {cp.seq} (this row or "
                    "one before it was altered and the chain recomputed)",
                )  # fmt: skip
            latest = cp.seq
        expected_prev = entry.row_hash
        last_id = entry.id
    if pending:
        cp = pending[0]
        after = f"after row {last_id}" if last_id is not None else "from the first row"
        return VerifyResult(
            False, count, cp.last_id,
            f"the log was cut: the rows {after} are missing; signed checkpoint {cp.seq} "
            f"covers {cp.length} rows up to row {cp.last_id}, the log has {count}",
        )  # fmt: skip
    if checkpoints:
        message = f"chain intact, matches signed checkpoint {checkpoints[-1].seq}"
    else:
        message = "chain intact (no signed checkpoint yet)"
    return VerifyResult(True, count, None, message, last_id, expected_prev, latest)
