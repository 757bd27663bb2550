"""`flask dbgrants apply|check ROLE`: the application role's rights (`app.dbgrants`)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app import dbgrants
from app.extensions import db

dbgrants_cli = AppGroup(
    "dbgrants", help="PostgreSQL: the application role's rights (the log stays append-only)."
)


@dbgrants_cli.command("apply")
@click.argument("role")
def apply(role: str) -> None:
    """Grant ROLE reading and writing, but only reading and inserting on the access log and
    its checkpoints. Run as the tables' owner after every `flask db upgrade`."""
    try:
        sql = dbgrants.apply(role)
    except RuntimeError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{len(sql)} statements applied for {role}")
    found = dbgrants.problems(role)
    for problem in found:
        click.echo(f"still wrong: {problem}", err=True)
    sys.exit(1 if found else 0)


@dbgrants_cli.command("check")
@click.argument("role")
def check(role: str) -> None:
    """Exit 1 naming what would let ROLE change or cut the access log."""
    if db.engine.dialect.name != "postgresql":
        click.echo("database roles are a PostgreSQL deployment's concern", err=True)
        sys.exit(1)
    found = dbgrants.problems(role)
    for problem in found:
        click.echo(problem, err=True)
    if not found:
        click.echo(f"ok: {role} can read and append to the log, not change, cut or own it")
    sys.exit(1 if found else 0)
