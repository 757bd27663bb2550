from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from app.auth.services import get_user_by_email
from app.errors import ServiceError
from app.extensions import db
from app.scoring import services
from app.util import to_local

scorecards_cli = AppGroup("scorecards", help="Scorecard versions: list, show, import, activate.")


def _fail(exc: ServiceError) -> None:
    db.session.rollback()
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


def _user_id(email: str | None) -> int | None:
    if not email:
        return None
    user = get_user_by_email(email)
    if user is None:
        click.echo(f"error: no user {email}", err=True)
        sys.exit(1)
    return user.id


def _when(value) -> str:
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else "-"


@scorecards_cli.command("list")
def list_versions() -> None:
    """List every version, newest first, with its status."""
    for card in services.list_versions():
        click.echo(
            f"v{card.version:<4} {card.status:<8} created {_when(card.created_at)}  "
            f"activated {_when(card.activated_at)}  {card.name}"
        )


@scorecards_cli.command("show")
@click.argument("version", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print {name, definition} (importable).")
def show(version: int, as_json: bool) -> None:
    """Show one version (its dimensions and weights, or the whole definition as JSON)."""
    try:
        card = services.get_version(version)
    except ServiceError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(
            json.dumps(
                {"name": card.name, "definition": card.definition}, ensure_ascii=False, indent=2
            )
        )
        return
    click.echo(f"v{card.version} {card.status}: {card.name}")
    for dim in card.definition["dimensions"]:
        click.echo(f"  {dim['code']:<16} {dim['weight']:>5}  {dim['name_zh']} {dim['name_en']}")
    grades = ", ".join(f"{g['grade']}≥{g['min']}" for g in card.definition["grades"])
    click.echo(f"  grades: {grades}")
    for cap in card.definition.get("caps", []):
        click.echo(f"  cap: {cap['code']} → at most {cap['max_grade']}")


@scorecards_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", default=None, help="Version name (else the file's name field).")
@click.option("--activate", "then_activate", is_flag=True, help="Activate it at once.")
@click.option("--by", "by_email", default=None, help="Admin user recorded as author.")
def import_file(path: str, name: str | None, then_activate: bool, by_email: str | None) -> None:
    """Store the definition in FILE.json as a new (draft) version; validated first."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        click.echo(f"error: cannot read {path}: {exc}", err=True)
        sys.exit(1)
    user_id = _user_id(by_email)
    try:
        file_name, definition = services.parse_import(data)
        card = services.create_version(definition, user_id=user_id, name=name or file_name)
        if then_activate:
            services.activate(card.version, user_id=user_id)
    except ServiceError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"imported v{card.version} ({card.status}): {card.name}")


@scorecards_cli.command("activate")
@click.argument("version", type=int)
@click.option("--by", "by_email", default=None, help="Admin user recorded as activating it.")
def activate(version: int, by_email: str | None) -> None:
    """Put VERSION in force; the previously active version is retired."""
    try:
        card = services.activate(version, user_id=_user_id(by_email))
    except ServiceError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"v{card.version} is now active")
