"""Signed checkpoints of the access log, kept in the database and in a directory outside it.

A checkpoint signs the chain's length and head (`chain.Statement`) with the platform's
Ed25519 key (`AUDIT_SIGNING_KEY_FILE`; in development and tests generated into the instance
folder on first use, refused in production). Each one is stored twice: a row of
`audit_checkpoints` and a file `checkpoint-<seq>.json` created (never replaced) in
`AUDIT_CHECKPOINT_DIR` (default: the instance folder's `audit-checkpoints/`), which should
live on storage the database's users cannot write (another host, a WORM bucket,
`chattr +a`). Before signing, the rows added since the previous checkpoint are checked
against it, so a checkpoint never blesses a broken chain. Written by the scheduled job
`checkpoint_access_log` every few minutes and by `flask audit checkpoint`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import func, select

from app.audit.chain import (
    GENESIS_HASH,
    Signed,
    Statement,
    VerifyResult,
    check_checkpoints,
    sign,
    walk,
)
from app.audit.models import AccessLogEntry, AuditCheckpoint
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


def from_database() -> list[Signed]:
    rows = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
    return [Signed(_statement(r), r.signature, r.key_id) for r in rows]


# --- writing --------------------------------------------------------------------------------


def _rows_after(last_id: int | None, up_to: int | None):
    query = select(AccessLogEntry).order_by(AccessLogEntry.id)
    if last_id is not None:
        query = query.where(AccessLogEntry.id > last_id)
    if up_to is not None:
        query = query.where(AccessLogEntry.id <= up_to)
    return db.session.scalars(query.execution_options(yield_per=5000))


def latest() -> AuditCheckpoint | None:
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))


def _statement(row: AuditCheckpoint) -> Statement:
    return Statement(row.seq, row.at, row.length, row.last_id, row.head, row.previous)


def write_checkpoint() -> Signed:
    """Sign the chain's current length and head; store it in the database (flushed, the
    caller commits) and in the directory. Refused (`CheckpointRefused`) when the chain does
    not extend the previous checkpoint: rows after it altered, or rows cut off."""
    previous = latest()
    # Rows are appended under a lock held until commit, so every row up to the newest
    # visible one is committed: the head and the count describe one prefix of the chain.
    head = db.session.execute(
        select(AccessLogEntry.id, AccessLogEntry.row_hash)
        .order_by(AccessLogEntry.id.desc())
        .limit(1)
    ).first()
    last_id, head_hash = (head[0], head[1]) if head else (None, GENESIS_HASH)
    length = (
        db.session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.id <= (last_id or 0))
        )
        or 0
    )
    base = _statement(previous) if previous else None
    if base is not None:
        if base.last_id is not None and (last_id is None or last_id < base.last_id):
            raise CheckpointRefused(
                f"the log was cut: checkpoint {base.seq} covers rows up to row {base.last_id}"
            )
        check = walk(
            _rows_after(base.last_id, last_id), start_hash=base.head, start_count=base.length
        )
        if not check.ok:
            raise CheckpointRefused(check.message)
        if check.rows != length:
            raise CheckpointRefused(f"rows covered by checkpoint {base.seq} were removed")
    statement = Statement(
        seq=(base.seq if base else 0) + 1,
        at=utcnow().isoformat(timespec="seconds"),
        length=length,
        last_id=last_id,
        head=head_hash,
        previous=base.digest() if base else GENESIS_HASH,
    )
    signed = sign(statement, signing_key())
    db.session.add(
        AuditCheckpoint(
            seq=statement.seq, at=statement.at, length=statement.length,
            last_id=statement.last_id, head=statement.head, previous=statement.previous,
            key_id=signed.key_id, signature=signed.signature,
        )
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


# --- verifying ------------------------------------------------------------------------------


def verify_all() -> VerifyResult:
    """The chain walked against every checkpoint both stores agree on (`flask audit verify`)."""
    statements, problem = check_checkpoints(from_database(), from_directory(), public_key())
    if problem:
        return VerifyResult(False, 0, None, problem)
    return verify_chain(checkpoints=statements)
