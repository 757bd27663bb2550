"""The access log's chains and their signed checkpoints, as pure functions (no database).

The log is a set of hash chains, one per enterprise (`chain` = the enterprise's id; 0 for
rows about no enterprise; -1 for the one global chain written before per-enterprise chains),
so that appends for different enterprises never wait for each other. A row's hash:
`sha256(prev_hash + "\\n" + canonical JSON of its fields)`, `prev_hash` being the hash of
the row before it in its chain (by id) or 64 zeros for the chain's first row.

A checkpoint signs, with Ed25519, the Merkle tree head (RFC 6962, as Certificate
Transparency does) of every chain's leaf — (chain, length, last row id, head hash) — with the
total length and the digest of the checkpoint before it; it carries the leaves that changed
since that one, so replaying the checkpoints gives every chain's signed head. A walk checks
every row against the row before it in its chain and each chain against its signed leaf:
rows altered with the chain recomputed, or rows cut off a chain's end, no longer match. The
database (`flask audit verify`) and the offline verifier (`scripts/audit_verify.py`, on an
export) both use these functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_HASH = "0" * 64
CANONICAL_FIELDS = (
    "at", "user_id", "bank_id", "enterprise_id", "authorization_id", "requested", "granted",
    "purpose", "endpoint", "channel", "ip", "outcome", "reason",
)  # fmt: skip
STATEMENT_VERSION = 2


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


# --- Merkle tree of chain heads (RFC 6962) ----------------------------------------------------

LEGACY_CHAIN = -1  # the global chain written before per-enterprise chains (migration 0026_audit)


@dataclass(frozen=True, order=True)
class Leaf:
    """One chain as of a checkpoint: its key, how many rows, its last row's id and hash."""

    chain: int
    length: int
    last_id: int | None
    head: str

    def to_list(self) -> list:
        return [self.chain, self.length, self.last_id, self.head]

    @classmethod
    def from_list(cls, item: list) -> Leaf:
        return cls(int(item[0]), int(item[1]), None if item[2] is None else int(item[2]), item[3])

    def leaf_hash(self) -> bytes:
        data = f"{self.chain}:{self.length}:{self.last_id}:{self.head}".encode()
        return hashlib.sha256(b"\x00" + data).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return hashlib.sha256(b"\x01" + _root(hashes[:k]) + _root(hashes[k:])).digest()


def merkle_root(leaves: Iterable[Leaf]) -> str:
    """The tree head over the leaves ordered by chain."""
    return _root([leaf.leaf_hash() for leaf in sorted(leaves)]).hex()


def inclusion_proof(leaves: Iterable[Leaf], chain: int) -> list[str]:
    """The audit path of `chain`'s leaf (RFC 6962 section 2.1.1), leaf to root."""
    ordered = sorted(leaves)
    index = next(i for i, leaf in enumerate(ordered) if leaf.chain == chain)
    hashes = [leaf.leaf_hash() for leaf in ordered]
    path: list[str] = []

    def descend(items: list[bytes], m: int) -> None:
        if len(items) <= 1:
            return
        k = _split(len(items))
        if m < k:
            descend(items[:k], m)
            path.append(_root(items[k:]).hex())
        else:
            descend(items[k:], m - k)
            path.append(_root(items[:k]).hex())

    descend(hashes, index)
    return path


def root_from_proof(leaf: Leaf, index: int, size: int, path: list[str]) -> str:
    """The root that `leaf` at `index` of `size` leaves and its audit path give."""

    def climb(m: int, n: int, steps: list[bytes]) -> bytes:
        if n == 1:
            return leaf.leaf_hash()
        k = _split(n)
        sibling, rest = steps[-1], steps[:-1]
        if m < k:
            return hashlib.sha256(b"\x01" + climb(m, k, rest) + sibling).digest()
        return hashlib.sha256(b"\x01" + sibling + climb(m - k, n - k, rest)).digest()

    return climb(index, size, [bytes.fromhex(h) for h in path]).hex()


# --- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """What a checkpoint signs (version 2): the Merkle tree head of every chain's leaf, the
    total length and number of chains, linked to the checkpoint before.

    Version 1 statements (one global chain: its length, last id and head) are still read:
    they describe the legacy chain (-1)."""

    seq: int
    at: str  # ISO 8601, UTC
    length: int  # rows in all chains
    root: str  # merkle_root of every chain's leaf; for version 1, the global chain's head
    previous: str  # digest() of checkpoint seq - 1, GENESIS_HASH for the first
    chains: int = 0
    version: int = STATEMENT_VERSION
    last_id: int | None = None  # version 1 only

    def to_bytes(self) -> bytes:
        if self.version == 1:
            data = {
                "v": 1, "seq": self.seq, "at": self.at, "length": self.length,
                "last_id": self.last_id, "head": self.root, "previous": self.previous,
            }  # fmt: skip
        else:
            data = {
                "v": self.version, "seq": self.seq, "at": self.at, "length": self.length,
                "chains": self.chains, "root": self.root, "previous": self.previous,
            }  # fmt: skip
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict) -> Statement:
        if int(data.get("v", 1)) == 1:
            last_id = None if data["last_id"] is None else int(data["last_id"])
            return cls(
                int(data["seq"]), str(data["at"]), int(data["length"]), str(data["head"]),
                str(data["previous"]), 1, 1, last_id,
            )  # fmt: skip
        return cls(
            int(data["seq"]), str(data["at"]), int(data["length"]), str(data["root"]),
            str(data["previous"]), int(data["chains"]), int(data["v"]),
        )  # fmt: skip


@dataclass(frozen=True)
class Signed:
    """A signed statement and the leaves that changed since the checkpoint before it."""

    statement: Statement
    signature: str  # hex
    key_id: str
    changed: tuple[Leaf, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "statement": json.loads(self.statement.to_bytes()),
                "digest": self.statement.digest(),
                "signature": self.signature,
                "key_id": self.key_id,
                "changed": [leaf.to_list() for leaf in self.changed],
            },
            sort_keys=True,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Signed:
        data = json.loads(text)
        changed = tuple(Leaf.from_list(item) for item in data.get("changed", []))
        return cls(
            Statement.from_dict(data["statement"]), data["signature"], data["key_id"], changed
        )


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(
    statement: Statement, private_key: Ed25519PrivateKey, changed: Iterable[Leaf] = ()
) -> Signed:
    signature = private_key.sign(statement.to_bytes()).hex()
    return Signed(statement, signature, key_id(private_key.public_key()), tuple(sorted(changed)))


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


@dataclass
class SignedHeads:
    """The chains' heads as the latest checkpoint signs them."""

    leaves: dict[int, Leaf]
    seq: int | None


def apply(leaves: dict[int, Leaf], signed: Signed) -> str:
    """Replay one checkpoint onto `leaves` (chain → leaf); a message when it does not add up:
    a chain shorter than before, or leaves whose tree head is not the signed one."""
    statement = signed.statement
    if statement.version == 1:
        changed: tuple[Leaf, ...] = (
            Leaf(LEGACY_CHAIN, statement.length, statement.last_id, statement.root),
        )
    else:
        changed = signed.changed
    for leaf in changed:
        before = leaves.get(leaf.chain)
        if before is not None and leaf.length < before.length:
            return f"checkpoint {statement.seq}: chain {leaf.chain} is shorter than before"
        leaves[leaf.chain] = leaf
    if statement.version == 1:
        return ""
    if (
        merkle_root(leaves.values()) != statement.root
        or sum(leaf.length for leaf in leaves.values()) != statement.length
        or len(leaves) != statement.chains
    ):
        return f"checkpoint {statement.seq}: its leaves do not give its signed tree head"
    return ""


def check_checkpoints(
    in_database: list[Signed], in_directory: list[Signed], public_key: Ed25519PublicKey
) -> tuple[SignedHeads, str]:
    """Every chain's leaf as the latest checkpoint signs it, or a message naming the first
    problem: a bad signature (forged or altered), one store lacking a checkpoint the other
    has (one deleted), the stores disagreeing, a gap in the numbering, a broken link to the
    checkpoint before, leaves that do not give the signed tree head."""
    stores = {"database": in_database, "directory": in_directory}
    by_store: dict[str, dict[int, Signed]] = {}
    none = SignedHeads({}, None)
    for store, items in stores.items():
        by_store[store] = {}
        for signed in items:
            if not signature_valid(signed, public_key):
                seq = signed.statement.seq
                return none, f"checkpoint {seq} ({store}): bad signature (forged or altered)"
            by_store[store][signed.statement.seq] = signed
    db_side, dir_side = by_store["database"], by_store["directory"]
    for seq in sorted(set(db_side) | set(dir_side)):
        if seq not in db_side:
            return (
                none,
                f"checkpoint {seq} is in the directory but missing from the database (deleted)",
            )
        if seq not in dir_side:
            return (
                none,
                f"checkpoint {seq} is in the database but missing from the directory (deleted)",
            )
        if db_side[seq] != dir_side[seq]:
            return none, f"checkpoint {seq} differs between the database and the directory"
    previous = GENESIS_HASH
    leaves: dict[int, Leaf] = {}
    for expected, seq in enumerate(sorted(db_side), start=1):
        signed = db_side[seq]
        if seq != expected:
            return none, f"checkpoint {expected} is missing (the numbering has a gap)"
        if signed.statement.previous != previous:
            return none, f"checkpoint {seq} does not link to the checkpoint before it"
        problem = apply(leaves, signed)
        if problem:
            return none, problem
        previous = signed.statement.digest()
    return SignedHeads(leaves, max(db_side) if db_side else None), ""


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    message: str = ""
    last_id: int | None = None
    last_hash: str | None = None
    checkpoint_seq: int | None = None  # the latest checkpoint the chains were checked against
    heads: dict[int, Leaf] | None = None  # every chain's leaf as walked


def walk(
    rows: Iterable[Any], signed: SignedHeads | None = None, *, start: dict[int, Leaf] | None = None
) -> VerifyResult:
    """Walk the rows in (chain, id) order; stop at the first row that does not fit its
    chain, or at the first chain that does not match its signed leaf (altered and
    recomputed) or does not reach it (cut). `start` resumes chains after given leaves."""
    expected = dict(signed.leaves) if signed else {}
    seq = signed.seq if signed else None
    start = start or {}
    heads: dict[int, Leaf] = {}
    count = 0
    current: int | None = None
    prev_hash = GENESIS_HASH
    length = 0
    last_id: int | None = None

    def close(chain: int) -> VerifyResult | None:
        leaf = expected.pop(chain, None)
        heads[chain] = Leaf(chain, length, last_id, prev_hash)
        if leaf is not None and length < leaf.length:
            after = f"after row {last_id}" if last_id is not None else "from its first row"
            return VerifyResult(
                False, count, leaf.last_id,
                f"the log was cut: chain {chain} lacks the rows {after}; signed checkpoint "
                f"{seq} covers {leaf.length} rows up to row "
                f"{leaf.last_id}, the chain has {length}",
            )  # fmt: skip
        return None

    for entry in rows:
        chain = entry.chain
        if chain != current:
            if current is not None and (bad := close(current)):
                return bad
            current = chain
            begin = start.get(chain)
            prev_hash = begin.head if begin else GENESIS_HASH
            length = begin.length if begin else 0
            last_id = begin.last_id if begin else None
        count += 1
        length += 1
        if chain != LEGACY_CHAIN and chain != (entry.enterprise_id or 0):
            return VerifyResult(False, count, entry.id, f"row {entry.id}: in the wrong chain")
        if entry.prev_hash != prev_hash:
            return VerifyResult(
                False, count, entry.id,
                f"row {entry.id}: prev_hash does not match the row before it in chain {chain} "
                "(a row was removed or inserted)",
            )  # fmt: skip
        if row_hash(entry.prev_hash, fields_of(entry)) != entry.row_hash:
            return VerifyResult(
                False, count, entry.id, f"row {entry.id}: contents do not match its hash (altered)"
            )
        leaf = expected.get(chain)
        if (
            leaf is not None
            and length == leaf.length
            and (leaf.head != entry.row_hash or leaf.last_id != entry.id)
        ):
            return VerifyResult(
                False, count, entry.id,
                f"row {entry.id}: does not match signed checkpoint {seq} (this row or one "
                f"before it in chain {chain} was altered and the chain recomputed)",
            )  # fmt: skip
        prev_hash = entry.row_hash
        last_id = entry.id
    if current is not None and (bad := close(current)):
        return bad
    for chain, leaf in sorted(expected.items()):
        if chain in start and start[chain].length >= leaf.length:
            continue
        return VerifyResult(
            False, count, leaf.last_id,
            f"the log was cut: chain {chain} is missing; signed checkpoint {seq} covers "
            f"{leaf.length} rows up to row {leaf.last_id}",
        )  # fmt: skip
    if seq is not None:
        message = f"chains intact, match signed checkpoint {seq}"
    else:
        message = "chains intact (no signed checkpoint yet)"
    return VerifyResult(True, count, None, message, None, None, seq, heads)


# --- one enterprise's chain, verified on its own ------------------------------------------------


def verify_bundle(bundle: dict, public_key: Ed25519PublicKey) -> VerifyResult:
    """An enterprise's download (`checkpoints.enterprise_bundle`): its chain's rows, the
    latest signed checkpoint, its chain's leaf and the leaf's audit path. Checks that the
    checkpoint is signed by `public_key`, that the leaf and path give the signed tree head,
    and that the chain walks intact to the leaf (rows after it are newer than the
    checkpoint)."""
    chain_key = int(bundle["chain"])
    rows = [SimpleNamespace(**row) for row in bundle["rows"]]
    checkpoint = bundle.get("checkpoint")
    if checkpoint is None:
        result = walk(rows)
        result.message += " (no signed checkpoint covers this chain yet)"
        return result
    signed = Signed.from_json(json.dumps(checkpoint))
    if not signature_valid(signed, public_key):
        return VerifyResult(False, 0, None, "the checkpoint's signature is bad (forged or altered)")
    statement = signed.statement
    leaf = Leaf.from_list(bundle["leaf"])
    if leaf.chain != chain_key:
        return VerifyResult(False, 0, None, f"the leaf is not chain {chain_key}'s")
    root = root_from_proof(leaf, int(bundle["index"]), statement.chains, bundle["path"])
    if root != statement.root:
        return VerifyResult(
            False,
            0,
            None,
            f"the leaf and its audit path do not give checkpoint {statement.seq}'s tree head",
        )
    return walk(rows, SignedHeads({chain_key: leaf}, statement.seq))
