"""`flask consent record|expire|text publish`: paper authorizations and consent texts."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.clock import utcnow
from app.consent import services
from app.errors import ServiceError
from app.extensions import db
from app.unit_of_work import command_unit

consent_cli = AppGroup("consent", help="Authorizations: paper records, expiry, consent texts.")


@consent_cli.command("record")
@click.argument("usccs", nargs=-1, required=True)
@click.option(
    "--grantee",
    default="platform",
    show_default=True,
    help="platform (collection) or a bank code (query authorization).",
)
@click.option("--categories", required=True, help="Comma-separated source names.")
@click.option("--evidence", required=True, help="Reference of the signed paper form.")
@click.option("--days", type=int, help="Validity in days (query: default 30, at most 90).")
def record(usccs, grantee, categories, evidence, days) -> None:  # fmt: skip
    """Record paper authorizations (书面授权), one per USCC, all in one transaction.

    Any bad USCC (check character, not in the registry) writes nothing and exits 1.
    """
    try:
        created = services.record_paper(
            list(usccs),
            grantee=grantee,
            categories=[c for c in categories.split(",") if c.strip()],
            evidence_ref=evidence,
            days=days,
        )
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(1) from exc
    db.session.commit()
    for auth in created:
        click.echo(
            f"authorization {auth.id}: {auth.kind} enterprise {auth.enterprise_id} "
            f"{','.join(auth.categories)} (evidence {auth.evidence_ref})"
        )
    click.echo(f"recorded {len(created)} paper authorization(s)")


@consent_cli.command("expire")
def expire() -> None:
    """Mark lapsed authorizations as expired (the scheduler does this regularly)."""
    count = services.expire_lapsed(utcnow())
    db.session.commit()
    click.echo(f"expired {count} authorization(s)")


text_cli = AppGroup("text", help="Versioned consent texts.")
consent_cli.add_command(text_cli)


@text_cli.command("publish")
@click.argument("kind", type=click.Choice(["collection", "query"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--locale", default="zh", show_default=True)
@click.option("--title", default="", help="Title shown above the text (default: first line).")
def publish(kind: str, file: Path, locale: str, title: str) -> None:
    """Publish FILE (UTF-8) as the new version of the KIND consent text.

    Authorizations already granted keep pointing at the version their grantor saw.
    """
    body = file.read_text(encoding="utf-8-sig")
    if not title:
        first, _sep, rest = body.partition("\n")
        title, body = first.strip().lstrip("#").strip(), rest.lstrip("\n")
    with command_unit():
        text = services.publish_text(kind, body, title=title, locale=locale)
    click.echo(f"published {kind} v{text.version} ({locale}) sha256 {text.sha256}")
