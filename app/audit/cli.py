from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from app.audit import checkpoints, services
from app.audit.chain import public_pem
from app.extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident access log.")


@audit_cli.command("verify")
def verify() -> None:
    """Walk the access-log chain against its signed checkpoints (database and directory);
    exit 1 naming the first bad or missing row or checkpoint."""
    result = checkpoints.verify_all()
    services.record_verification(result)
    db.session.commit()
    if result.ok:
        click.echo(f"ok: {result.rows} rows in {len(result.heads or {})} chains, {result.message}")
        return
    click.echo(f"BROKEN after {result.rows} rows: {result.message}", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of every chain's length and head now (their Merkle tree head, in the
    database and the directory); exit 1 when a chain does not extend the previous one."""
    try:
        signed = checkpoints.checkpoint_now()
    except checkpoints.CheckpointRefused as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(1)
    s = signed.statement
    click.echo(
        f"checkpoint {s.seq}: {s.length} rows in {s.chains} chains, tree head {s.root} "
        f"(key {signed.key_id})"
    )


@audit_cli.command("public-key")
def public_key() -> None:
    """Print the checkpoints' Ed25519 public key (PEM), for offline verification."""
    click.echo(public_pem(checkpoints.public_key()).decode(), nl=False)


@audit_cli.command("export")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8", lazy=False), default="-")
def export(output) -> None:
    """Write every chain as JSON lines (every hashed field, id, chain, prev_hash, row_hash), for
    `scripts/audit_verify.py`."""
    for row in services.export_rows():
        output.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
