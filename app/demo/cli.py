from __future__ import annotations

import click
from flask.cli import AppGroup

from app.demo import services
from app.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def load() -> None:
    """Load the demo banks, accounts and enterprises (idempotent) and print the logins."""
    logins = services.load_demo()
    db.session.commit()
    click.echo(f"Demo logins (password for all: {services.DEMO_PASSWORD}):")
    for role, email, _password in logins:
        click.echo(f"  {role:<13} {email}")
