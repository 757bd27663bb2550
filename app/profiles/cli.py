from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.cliecho import echo_summary
from app.enterprises.services import get_by_uscc, normalize_uscc
from app.errors import ServiceError
from app.extensions import db
from app.profiles import services
from app.progress import progress_bar

profiles_cli = AppGroup("profiles", help="Enterprise credit profiles: rebuild.")


@profiles_cli.command("rebuild")
@click.option("--uscc", default=None, help="Only this enterprise (else every enterprise).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the summary).")
def rebuild_command(uscc: str | None, as_json: bool) -> None:
    """Rebuild profiles with the active scorecard version, as of today.

    Writes a snapshot only where the profile changed; prints enterprises scored, snapshots
    written, unchanged and seconds.
    """
    ids = None
    trigger = "full"
    if uscc:
        enterprise = get_by_uscc(normalize_uscc(uscc))
        if enterprise is None:
            click.echo(f"error: no enterprise {uscc}", err=True)
            sys.exit(1)
        ids, trigger = [enterprise.id], "manual"
    try:
        with progress_bar(desc="profiles", unit="enterprises", as_json=as_json) as progress:
            summary = services.rebuild(ids, trigger=trigger, progress=progress)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    echo_summary(
        summary,
        as_json,
        f"scorecard v{summary.scorecard_version}, as of {summary.as_of}: "
        f"{summary.enterprises} enterprises, {summary.written} snapshots written, "
        f"{summary.unchanged} unchanged, {summary.seconds:.1f} s",
    )
