"""`flask ingest …`: load source files (and, from app.sources, pull HTTP sources)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.cliecho import echo_summary
from app.extensions import db
from app.ingest.services import SOURCES, UnusableInput, ingest_file
from app.progress import progress_bar

ingest_cli = AppGroup("ingest", help="Import source data (files, pulls).")

EXIT_UNUSABLE = 2


FILE_HELP = f"""Import a CSV or XLSX file for SOURCE.

    SOURCE is one of: {", ".join(SOURCES)}.

    Exit 0 when the file was processed (even with rejected rows), 2 with a one-line reason
    when the file as a whole is unusable (nothing is written then). A `loan_status` file
    may report any bank's loans from here.
    """


@ingest_cli.command("file", help=FILE_HELP)
@click.argument("source")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the summary).")
def file_command(source: str, path: str, as_json: bool) -> None:
    try:
        with progress_bar(desc=source, unit="rows", as_json=as_json) as progress:
            summary = ingest_file(source, path, progress=progress)
    except UnusableInput as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_UNUSABLE)
    db.session.commit()
    echo_summary(
        summary,
        as_json,
        f"{summary.source} batch {summary.batch_id}: {summary.rows} rows, "
        f"{summary.inserted} inserted, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected, "
        f"{summary.skipped_no_consent} skipped (no collection authorization)",
    )
    if as_json:
        return
    for rejection in summary.rejections[:50]:
        column = f" [{rejection['column']}]" if rejection["column"] else ""
        click.echo(f"  row {rejection['row']}{column}: {rejection['reason']}")
    if len(summary.rejections) > 50:
        click.echo(f"  … {summary.rejected} rejected rows in all (see the batch page)")
