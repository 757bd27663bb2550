from __future__ import annotations

import click
from flask.cli import AppGroup

from app.auth import services, twofactor
from app.auth.models import DEFAULT_TOKEN_DAYS, TOKEN_DAYS, TokenScope, User
from app.extensions import db
from app.identity import services as identity
from app.unit_of_work import command_unit


def _user(email: str) -> User:
    """The account with this e-mail, or the command stops saying there is none."""
    user = services.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


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
@click.option(
    "--verified", is_flag=True, help="Enterprise accounts: already checked by the operator."
)
def create(role, email, bank_code, uscc, display_name, password, verified) -> None:
    """Create an account. Bank, office and operator accounts are made only here.

    An enterprise account is unverified (待核验) unless --verified is given.
    """
    with command_unit():
        user, generated = services.create_user(
            role=role,
            email=email,
            password=password,
            bank_code=bank_code,
            uscc=uscc,
            display_name=display_name,
            verified=verified,
        )
    state = f" ({user.verification_state})" if user.role == "enterprise" else ""
    click.echo(f"created {user.role} {user.email}{state}")
    if generated:
        click.echo(f"one-time password: {generated}")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
@click.option(
    "--days",
    type=click.Choice([str(d) for d in TOKEN_DAYS]),
    default=str(DEFAULT_TOKEN_DAYS),
    show_default=True,
    help="How long the token is valid.",
)
@click.option("--read-only", is_flag=True, help="The token may only read (GET).")
def token(email: str, name: str, days: str, read_only: bool) -> None:
    """Print a new API token for EMAIL (on the last line; it is not stored in clear)."""
    user = _user(email)
    scope = TokenScope.READ if read_only else TokenScope.WRITE
    made, plaintext = services.issue_token(user, name, days=int(days), scope=scope)
    db.session.commit()
    click.echo(
        f"{scope} token for {user.email} ({user.role}) until {made.expires_at:%Y-%m-%d %H:%M} UTC,"
        " shown once:"
    )
    click.echo(plaintext)


@users_cli.command("verify")
@click.argument("email")
@click.option("--evidence", required=True, help="Reference of the in-person or paper check.")
def verify(email: str, evidence: str) -> None:
    """Mark the enterprise account EMAIL verified after an in-person or paper check.

    The evidence reference is recorded in the account's history.
    """
    user = _user(email)
    with command_unit():
        identity.verify_by_operator(user, evidence)
    click.echo(f"verified {user.email} ({evidence.strip()})")


@users_cli.command("reset-2fa")
@click.argument("email")
@click.option("--evidence", required=True, help="Reference of the identity check.")
def reset_2fa(email: str, evidence: str) -> None:
    """Remove the second factor of EMAIL after checking who asks (lost phone and codes).

    Every session of the account ends and the reset is recorded in its history with the
    evidence reference; bank, office and operator accounts enrol again at the next login.
    """
    user = _user(email)
    with command_unit():
        twofactor.reset(user, evidence)
    click.echo(f"second factor reset for {user.email} ({evidence.strip()})")
