from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cliecho import echo_json
from app.extensions import db
from app.retention import services

retention_cli = AppGroup("retention", help="How long records are kept (access log: ≥ 5 years).")


@retention_cli.command("report")
@click.option("--apply", "apply_", is_flag=True, help="Also remove what nothing cites any more.")
def report(apply_: bool) -> None:
    """Count what passed its retention (JSON); with --apply, remove the ended authorizations
    that no log row, credit report, data pull or later grant cites."""
    result = services.run(remove=apply_)
    db.session.commit()
    echo_json(result)
