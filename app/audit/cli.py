from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.audit import services
from app.extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident access log.")


@audit_cli.command("verify")
def verify() -> None:
    """Walk the access-log chain; exit 1 naming the first bad row if it is broken."""
    result = services.verify_chain()
    services.record_verification(result)
    db.session.commit()
    if result.ok:
        click.echo(f"ok: {result.rows} rows, chain intact (last hash {result.last_hash})")
        return
    click.echo(f"BROKEN after {result.rows} rows: {result.message}", err=True)
    sys.exit(1)
