"""`flask funds create|top-up|show`: the financial office's funds from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.errors import FieldErrors, ServiceError
from app.extensions import db
from app.funds import services
from app.unit_of_work import command_unit

funds_cli = AppGroup("funds", help="Risk-mitigation funds (风险缓释基金).")


@funds_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="The fund's name.")
@click.option("--capital", required=True, help="Capital paid in, yuan.")
@click.option("--share", required=True, help="Percent of a principal loss the fund pays.")
@click.option("--cap-per-loan", required=True, help="At most this much per loan, yuan.")
@click.option("--leverage", required=True, help="Covered principal at most K × capital.")
@click.option("--credit-only", is_flag=True, help="Only credit loans (信用贷).")
@click.option("--sizes", default="", help="Enterprise sizes, e.g. small,micro (default any).")
@click.option("--product-types", default="", help="e.g. credit,guarantee (default any).")
@click.option("--max-amount", default=None, help="Largest loan covered, yuan.")
@click.option("--max-term", "max_term_months", default=None, help="Longest term, months.")
@click.option("--disbursed-from", default=None, help="Loans disbursed from YYYY-MM-DD.")
@click.option("--disbursed-to", default=None, help="… up to YYYY-MM-DD.")
@click.option("--register-within", default="30", help="Days after disbursement to register.")
@click.option("--claim-after", default="90", help="Days past due before a claim.")
@click.option("--decide-within", default="10", help="Working days to decide a claim.")
def create_command(code: str, **options) -> None:
    """Create fund CODE with its rules and capital."""
    try:
        fund = services.create_fund(
            code, name=options["name"], capital=options["capital"], share=options["share"],
            cap_per_loan=options["cap_per_loan"], leverage=options["leverage"],
            credit_only=options["credit_only"], sizes=options["sizes"],
            product_types=options["product_types"], max_amount=options["max_amount"],
            max_term_months=options["max_term_months"],
            disbursed_from=options["disbursed_from"], disbursed_to=options["disbursed_to"],
            register_within_days=options["register_within"],
            claim_after_days=options["claim_after"],
            decide_working_days=options["decide_within"],
        )  # fmt: skip
    except FieldErrors as exc:
        db.session.rollback()
        raise click.ClickException("；".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"fund {fund.code} created: capital {services.figures(fund)['capital']}")


@funds_cli.command("top-up")
@click.argument("code")
@click.option("--amount", required=True, help="Capital added, yuan.")
def top_up_command(code: str, amount: str) -> None:
    """Add capital to fund CODE (a new capital entry in its ledger; nothing is edited)."""
    with command_unit():
        services.top_up(code, amount)
    fund = services.get_fund(code)
    click.echo(f"fund {fund.code}: capital {services.figures(fund)['capital']}")


@funds_cli.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, decimals as strings.")
def show_command(code: str, as_json: bool) -> None:
    """A fund's rules and figures (from its ledger)."""
    try:
        fund = services.get_fund(code)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    figures = services.figures(fund)
    data = {
        "code": fund.code, "name": fund.name, "share": str(fund.share),
        "cap_per_loan": str(fund.cap_per_loan), "leverage": str(fund.leverage),
        "credit_only": fund.credit_only, "sizes": fund.sizes,
        "product_types": fund.product_types,
        "max_amount": str(fund.max_amount) if fund.max_amount is not None else None,
        "max_term_months": fund.max_term_months,
        "disbursed_from": fund.disbursed_from.isoformat() if fund.disbursed_from else None,
        "disbursed_to": fund.disbursed_to.isoformat() if fund.disbursed_to else None,
        "register_within_days": fund.register_within_days,
        "claim_after_days": fund.claim_after_days,
        "decide_working_days": fund.decide_working_days,
        **{k: str(v) for k, v in figures.items()},
        "claims": {s: n for s, n in services.claim_counts(fund).items()},
    }  # fmt: skip
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    for key, value in data.items():
        click.echo(f"{key}\t{value}")
