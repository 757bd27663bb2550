from __future__ import annotations

import click
from flask.cli import AppGroup

from app.banks import services
from app.unit_of_work import command_unit

banks_cli = AppGroup("banks", help="Manage banks.")


@banks_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Bank name, e.g. 长安银行")
def create(code: str, name: str) -> None:
    """Create a bank with a short CODE (e.g. CABANK)."""
    with command_unit():
        bank = services.create_bank(code, name)
    click.echo(f"created bank {bank.code} {bank.name}")


@banks_cli.command("list")
def list_() -> None:
    """List banks."""
    for bank in services.list_banks():
        click.echo(f"{bank.code}\t{bank.name}")
