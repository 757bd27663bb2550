"""`flask sources set|list` and the `pull` command (attached to `flask ingest`)."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click
from flask.cli import AppGroup

from app.errors import ServiceError
from app.sources import services
from app.sources.models import ENTERPRISE_SOURCES
from app.unit_of_work import command_unit

sources_cli = AppGroup("sources", help="Configure the HTTP data sources.")


EXIT_FAILED = 2  # as `flask ingest file` for an unusable file


def _fail(reason: str) -> NoReturn:
    """A pull that failed as a whole: one line on stderr, exit status 2."""
    click.echo(f"error: {reason}", err=True)
    sys.exit(EXIT_FAILED)


@sources_cli.command("set")
@click.argument("source", type=click.Choice(ENTERPRISE_SOURCES))
@click.option("--url", required=True, help="Base URL; records are read from URL/SOURCE.")
@click.option(
    "--token",
    envvar="XYD_SOURCE_TOKEN",
    help="Bearer token (or env XYD_SOURCE_TOKEN). Omitted: keep the stored one, "
    "or ask for it (hidden) when the source is new.",
)
@click.option("--interval", "interval_minutes", type=int, help="Minutes between pulls.")
@click.option("--timeout", "timeout_seconds", type=float, help="Read timeout in seconds.")
@click.option("--enable/--disable", "enabled", default=None, help="Pull on the schedule or not.")
def set_command(source, url, token, interval_minutes, timeout_seconds, enabled) -> None:
    """Configure where SOURCE is pulled from. The token is stored encrypted, never printed."""
    if not token and services.get_source(source) is None:
        token = click.prompt("token", hide_input=True)
    with command_unit():
        ds = services.set_source(
            source,
            url,
            token,
            interval_minutes=interval_minutes,
            timeout_seconds=timeout_seconds,
            enabled=enabled,
        )
    click.echo(
        f"configured {ds.source}: {ds.base_url} token {services.masked_token(ds)}, "
        f"every {ds.interval_minutes} min, {'enabled' if ds.enabled else 'disabled'}"
    )


@sources_cli.command("list")
def list_command() -> None:
    """List the configured sources (tokens masked) and how their last pull went."""
    rows = services.list_sources()
    if not rows:
        click.echo("no HTTP source configured (flask sources set SOURCE --url URL --token TOKEN)")
        return
    for ds in rows:
        last = ds.last_pulled_at.isoformat(timespec="seconds") if ds.last_pulled_at else "never"
        status = ds.last_status or "-"
        line = (
            f"{ds.source}\t{'enabled' if ds.enabled else 'disabled'}\t{ds.base_url}\t"
            f"{services.masked_token(ds)}\tevery {ds.interval_minutes} min\t"
            f"last {last} {status}"
        )
        if ds.last_batch_id:
            line += f" batch {ds.last_batch_id}"
        if ds.last_error:
            line += f"\t{ds.last_error}"
        click.echo(line)


def echo_summary(summary: dict) -> None:
    """The same lines as `flask ingest file` (rows are the records, numbered from 1)."""
    click.echo(
        "{source} batch {batch_id}: {rows} rows, {inserted} inserted, {updated} updated, "
        "{unchanged} unchanged, {rejected} rejected, {skipped_no_consent} skipped "
        "(no collection authorization)".format(**summary)
    )
    rejections = summary.get("rejections") or []
    for rejection in rejections[:50]:
        column = f" [{rejection['column']}]" if rejection.get("column") else ""
        click.echo(f"  row {rejection['row']}{column}: {rejection['reason']}")
    if len(rejections) > 50:
        click.echo(f"  … {summary['rejected']} rejected rows in all (see the batch page)")


@click.command("pull")
@click.argument("source", required=False, type=click.Choice(ENTERPRISE_SOURCES))
@click.option("--uscc", help="Pull only this enterprise's records.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def pull_command(source: str | None, uscc: str | None, as_json: bool) -> None:
    """Pull records from the configured HTTP sources (every enabled one without SOURCE).

    Each pull is one import batch. Exit 2 with a one-line reason when a pull fails as a
    whole (not configured, refused, timed out, malformed answer): nothing of it is written.
    """
    if source:
        try:
            summary = services.pull_source(source, uscc=uscc)
        except ServiceError as exc:
            _fail(exc.message)
        data = summary.to_dict()
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, default=str))
        else:
            echo_summary(data)
        return
    try:
        results = services.pull_all(uscc)
    except ServiceError as exc:
        _fail(exc.message)
    if not results:
        _fail("no enabled HTTP source is configured (flask sources set)")
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, default=str))
    else:
        for result in results:
            if result.summary is not None:
                echo_summary(result.to_dict())
    failed = [r for r in results if not r.ok]
    if failed:
        _fail("; ".join(f"{r.error}" for r in failed))
