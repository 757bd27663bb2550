"""Signed checkpoints of the access log, kept in the database and in a directory outside it.

A checkpoint signs the Merkle tree head of every chain's leaf (`chain.Statement`) with the
platform's Ed25519 key (`AUDIT_SIGNING_KEY_FILE`; in development and tests generated into
the instance folder on first use, refused in production). Each one is stored twice: a row
of `audit_checkpoints` (with its changed leaves in `audit_checkpoint_leaves`) and a file
`checkpoint-<seq>.json` created (never replaced) in `AUDIT_CHECKPOINT_DIR` (default: the
instance folder's `audit-checkpoints/`), which should live on storage the database's users
cannot write (another host, a WORM bucket, `chattr +a`). Before signing, the rows added to
each chain since the previous checkpoint are checked to link on from its signed head, so a
checkpoint never blesses a broken chain. Written by the scheduled job
`checkpoint_access_log` every few minutes and by `flask audit checkpoint`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import func, select

from app.audit.chain import (
    GENESIS_HASH,
    Leaf,
    Signed,
    Statement,
    VerifyResult,
    apply,
    check_checkpoints,
    inclusion_proof,
    merkle_root,
    public_pem,
    sign,
    signature_valid,
    walk,
)
from app.audit.models import AccessLogEntry, AccessLogHead, AuditCheckpoint, AuditCheckpointLeaf
from app.audit.services import verify_chain
from app.clock import utcnow
from app.extensions import db

FILE_PATTERN = "checkpoint-{seq:08d}.json"


class CheckpointRefused(RuntimeError):
    """The chain does not extend the previous checkpoint: nothing is signed."""


# --- the key --------------------------------------------------------------------------------


def _key_path() -> Path:
    configured = current_app.config.get("AUDIT_SIGNING_KEY_FILE")
    return Path(configured or os.path.join(current_app.instance_path, "audit-signing-key.pem"))


def signing_key() -> Ed25519PrivateKey:
    """The configured private key; generated (mode 0600) into the instance folder where none
    is configured, except in production, which signs only with a configured key."""
    path = _key_path()
    if not path.exists():
        if current_app.config.get("AUDIT_SIGNING_KEY_FILE"):
            raise RuntimeError(f"AUDIT_SIGNING_KEY_FILE {path} does not exist")
        if not current_app.config.get("AUDIT_GENERATE_KEY"):
            raise RuntimeError("AUDIT_SIGNING_KEY_FILE must name the signing key (docs/audit.md)")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it meanwhile
            return signing_key()
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 private key")
    return key


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


# --- the directory --------------------------------------------------------------------------


def directory() -> Path:
    configured = current_app.config.get("AUDIT_CHECKPOINT_DIR")
    return Path(configured or os.path.join(current_app.instance_path, "audit-checkpoints"))


def _write_file(signed: Signed) -> Path:
    """Create the checkpoint's file; an existing file of that number is never replaced."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_PATTERN.format(seq=signed.statement.seq)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(signed.to_json() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return path


def from_directory(folder: Path | None = None) -> list[Signed]:
    folder = folder or directory()
    if not folder.is_dir():
        return []
    return [
        Signed.from_json(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("checkpoint-*.json"))
    ]


def _leaf(row) -> Leaf:
    """A chain's leaf from a row that has its chain, length, last_id and head (a stored leaf,
    a head, or a select of their columns)."""
    return Leaf(row.chain, row.length, row.last_id, row.head)


def from_database() -> list[Signed]:
    rows = list(db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)))
    changed: dict[int, list[Leaf]] = {}
    for leaf in db.session.scalars(select(AuditCheckpointLeaf).order_by(AuditCheckpointLeaf.id)):
        changed.setdefault(leaf.seq, []).append(_leaf(leaf))
    return [
        Signed(_statement(r), r.signature, r.key_id, tuple(sorted(changed.get(r.seq, ()))))
        for r in rows
    ]


def latest() -> AuditCheckpoint | None:
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))


def _statement(row: AuditCheckpoint) -> Statement:
    return Statement(
        row.seq, row.at, row.length, row.head, row.previous, row.chains, row.version, row.last_id
    )


# --- writing --------------------------------------------------------------------------------


_HEADS = select(
    AccessLogHead.chain, AccessLogHead.length, AccessLogHead.last_id, AccessLogHead.head
)


def current_leaves() -> dict[int, Leaf]:
    """Every chain's end as its head row says (`access_log_heads`, moved by each append):
    one row a chain, whatever the log's length. A chain's rows and head are written under its
    lock, held until commit, so what one snapshot sees of a head is a prefix of its chain;
    `_extends` walks the rows to check that they reach it."""
    return {head.chain: _leaf(head) for head in db.session.execute(_HEADS)}


# Each chain's leaf at the newest checkpoint that changed it.
_NEWEST = (
    select(AuditCheckpointLeaf.chain, func.max(AuditCheckpointLeaf.seq).label("seq"))
    .group_by(AuditCheckpointLeaf.chain)
    .subquery()
)
_NEWEST_LEAVES = select(
    AuditCheckpointLeaf.chain,
    AuditCheckpointLeaf.length,
    AuditCheckpointLeaf.last_id,
    AuditCheckpointLeaf.head,
).join(
    _NEWEST,
    (AuditCheckpointLeaf.chain == _NEWEST.c.chain) & (AuditCheckpointLeaf.seq == _NEWEST.c.seq),
)


def _signed(row: AuditCheckpoint) -> Signed:
    changed = db.session.scalars(
        select(AuditCheckpointLeaf).where(AuditCheckpointLeaf.seq == row.seq)
    )
    return Signed(_statement(row), row.signature, row.key_id, tuple(sorted(map(_leaf, changed))))


def signed_leaves() -> tuple[dict[int, Leaf], int]:
    """Every chain's leaf as the latest checkpoint signs it, and that checkpoint's number,
    without replaying the history: each chain's newest stored leaf, checked against the
    latest checkpoint's signature and tree head (a leaf altered in the database no longer
    gives it: CheckpointRefused). Databases whose checkpoints began at version 1 (the one
    global chain) are replayed in full, once; `flask audit verify` always replays all."""
    row = latest()
    if row is None:
        return {}, 0
    legacy = db.session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.version == 1).limit(1))
    if legacy is not None:
        return _replayed()
    signed = _signed(row)
    if not signature_valid(signed, public_key()):
        raise CheckpointRefused(f"checkpoint {row.seq}: bad signature (forged or altered)")
    leaves = {leaf.chain: _leaf(leaf) for leaf in db.session.execute(_NEWEST_LEAVES)}
    if (
        merkle_root(leaves.values()) != row.head
        or sum(leaf.length for leaf in leaves.values()) != row.length
        or len(leaves) != row.chains
    ):
        raise CheckpointRefused(
            f"checkpoint {row.seq}: its leaves do not give its signed tree head"
        )
    return leaves, row.seq


def _replayed() -> tuple[dict[int, Leaf], int]:
    leaves: dict[int, Leaf] = {}
    seq = 0
    for signed in from_database():
        problem = apply(leaves, signed)
        if problem:
            raise CheckpointRefused(problem)
        seq = signed.statement.seq
    return leaves, seq


def _extends(before: dict[int, Leaf], now: dict[int, Leaf]) -> list[Leaf]:
    """The leaves that changed since `before`, once the rows added to each changed chain are
    checked to link on from its signed head; CheckpointRefused when a chain was cut or does
    not link on."""
    for chain, leaf in before.items():
        if chain not in now or now[chain].length < leaf.length:
            raise CheckpointRefused(
                f"the log was cut: chain {chain} had {leaf.length} rows up to row {leaf.last_id}"
            )
    changed = sorted(leaf for chain, leaf in now.items() if before.get(chain) != leaf)
    if not changed:
        return []
    floor = min((before[c.chain].last_id or 0) if c.chain in before else 0 for c in changed)
    query = (
        select(AccessLogEntry)
        .where(AccessLogEntry.chain.in_([c.chain for c in changed]), AccessLogEntry.id > floor)
        .order_by(AccessLogEntry.chain, AccessLogEntry.id)
    )
    upto = {c.chain: c.last_id or 0 for c in changed}
    rows = (
        e
        for e in db.session.scalars(query.execution_options(yield_per=5000))
        if e.id <= upto[e.chain]
        and (e.chain not in before or e.id > (before[e.chain].last_id or 0))
    )
    check = walk(rows, start=before)
    if not check.ok:
        raise CheckpointRefused(check.message)
    walked = check.heads or {}
    for leaf in changed:
        if walked.get(leaf.chain) != leaf:
            raise CheckpointRefused(f"chain {leaf.chain} does not link on from its signed head")
    return changed


def write_checkpoint() -> Signed:
    """Sign the Merkle tree head of every chain's current leaf; store it in the database
    (flushed, the caller commits) and in the directory, with the leaves that changed.
    Refused (`CheckpointRefused`) when a chain does not extend its signed leaf: rows after it
    altered, or rows cut off."""
    before, seq = signed_leaves()
    previous = latest()
    now = current_leaves()
    changed = _extends(before, now)
    statement = Statement(
        seq=seq + 1,
        at=utcnow().isoformat(timespec="seconds"),
        length=sum(leaf.length for leaf in now.values()),
        root=merkle_root(now.values()),
        previous=_statement(previous).digest() if previous else GENESIS_HASH,
        chains=len(now),
    )
    signed = sign(statement, signing_key(), changed)
    db.session.add(
        AuditCheckpoint(
            seq=statement.seq, version=statement.version, at=statement.at,
            length=statement.length, chains=statement.chains, last_id=None,
            head=statement.root, previous=statement.previous, key_id=signed.key_id,
            signature=signed.signature,
        )
    )  # fmt: skip
    db.session.add_all(
        AuditCheckpointLeaf(
            seq=statement.seq, chain=leaf.chain, length=leaf.length, last_id=leaf.last_id,
            head=leaf.head,
        )
        for leaf in changed
    )  # fmt: skip
    db.session.flush()  # a second writer of the same number fails here, before any file
    _write_file(signed)
    return signed


def checkpoint_now() -> Signed:
    """`write_checkpoint` and commit (the CLI and the job); a checkpoint whose row could not
    be committed leaves no file behind."""
    signed = write_checkpoint()
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        path = directory() / FILE_PATTERN.format(seq=signed.statement.seq)
        path.unlink(missing_ok=True)
        raise
    return signed


def enterprise_bundle(enterprise_id: int) -> dict:
    """What an enterprise downloads to verify its own chain offline: every row of its chain
    (the hashed fields exactly as hashed, id, chain, hashes), the latest checkpoint as signed
    (with the public key's id), its chain's leaf there, the leaf's index and audit path in
    the tree, and the public key (to compare with the one the platform publishes)."""
    from app.audit.services import export_rows

    leaves, seq = signed_leaves()
    bundle: dict = {
        "chain": enterprise_id,
        "rows": list(export_rows(chains=[enterprise_id])),
        "public_key": public_pem(public_key()).decode(),
        "checkpoint": None,
    }
    if seq and enterprise_id in leaves:
        newest = latest()
        assert newest is not None  # seq > 0: there is a checkpoint
        signed = _signed(newest)
        ordered = sorted(leaves.values())
        bundle.update(
            checkpoint=json.loads(signed.to_json()),
            leaf=leaves[enterprise_id].to_list(),
            index=ordered.index(leaves[enterprise_id]),
            path=inclusion_proof(ordered, enterprise_id),
        )
    return bundle


# --- verifying ------------------------------------------------------------------------------


def verify_all() -> VerifyResult:
    """Every chain walked against its leaf as the latest checkpoint both stores agree on
    signs it (`flask audit verify`)."""
    heads, problem = check_checkpoints(from_database(), from_directory(), public_key())
    if problem:
        return VerifyResult(False, 0, None, problem)
    return verify_chain(signed=heads)
