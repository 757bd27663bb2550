from __future__ import annotations

import click
from flask.cli import AppGroup

from app.auth import services
from app.errors import ServiceError
from app.extensions import db

users_cli = AppGroup("users", help="Manage user accounts and API tokens.")


@users_cli.command("create")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["enterprise", "bank_officer", "bank_admin", "regulator", "admin"]),
)
@click.option("--email", required=True)
@click.option("--bank", "bank_code", help="Bank code, for bank_officer and bank_admin.")
@click.option("--uscc", help="Enterprise code, for enterprise accounts.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password", help="Password; when omitted a one-time password is printed.")
def create(role, email, bank_code, uscc, display_name, password) -> None:
    """Create an account. Bank, office and operator accounts are made only here."""
    try:
        user, generated = services.create_user(
            role=role,
            email=email,
            password=password,
            bank_code=bank_code,
            uscc=uscc,
            display_name=display_name,
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")
    if generated:
        click.echo(f"one-time password: {generated}")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
def token(email: str, name: str) -> None:
    """Print a new API token for EMAIL (on the last line; it is not stored in clear)."""
    user = services.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    _token, plaintext = services.issue_token(user, name)
    db.session.commit()
    click.echo(f"token for {user.email} ({user.role}), shown once:")
    click.echo(plaintext)
