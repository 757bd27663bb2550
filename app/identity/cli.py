"""`flask verifications list|decide|payments|paid|transfer`: the operator's side of verification."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.identity import members, payment, review
from app.unit_of_work import command_unit
from app.util import to_local

verifications_cli = AppGroup(
    "verifications",
    help="Account verification: licence reviews, payments, administrator transfers.",
)


@verifications_cli.command("list")
@click.option("--pending", is_flag=True, help="Only the reviews waiting for a decision.")
def list_command(pending: bool) -> None:
    """List reviews: pending first by deadline (working days left; negative when late)."""
    for r in review.reviews(pending_only=pending):
        left = f"{review.days_left(r):+d}wd" if r.state == "pending" else "-"
        due = to_local(r.due_at)
        click.echo(
            f"{r.id}\t{r.state}\t{r.enterprise.uscc}\t{r.enterprise.name}\t"
            f"due {due:%Y-%m-%d %H:%M}\t{left}\t{len(r.files)} file(s)"
        )


@verifications_cli.command("decide")
@click.argument("review_id", type=int)
@click.option("--approve", "decision", flag_value="approve", help="Verify the account.")
@click.option("--reject", "decision", flag_value="reject", help="Refuse (needs --reason).")
@click.option("--reason", default="", help="Why (shown to the enterprise).")
def decide_command(review_id: int, decision: str | None, reason: str) -> None:
    """Approve or reject review ID."""
    if decision is None:
        raise click.UsageError("give --approve or --reject")
    with command_unit():
        r = review.decide(review_id, approve=decision == "approve", reason=reason)
    click.echo(f"review {r.id}: {r.state}")


@verifications_cli.command("transfer")
@click.argument("email")
@click.option("--reason", required=True, help="The stronger claim and its evidence (recorded).")
def transfer_command(email: str, reason: str) -> None:
    """Make EMAIL's account the administrator of its enterprise (the previous one stays,
    as staff; the new one reviews the authorizations the previous one granted)."""
    with command_unit():
        transfer = members.transfer_admin(email, reason=reason)
    click.echo(f"transfer {transfer.id}: {email} administers {transfer.enterprise.uscc}")


@verifications_cli.command("payments")
@click.option("--all", "show_all", is_flag=True, help="The latest payments in any state.")
def payments_command(show_all: bool) -> None:
    """List small payments for verification: by default those still to be paid."""
    for p in payment.waiting(pending_only=not show_all):
        click.echo(
            f"{p.id}\t{p.state}\t{p.enterprise.uscc}\t{p.bank_name}\t{p.account_number}\t"
            f"{p.account_name}\t{p.amount}"
        )


@verifications_cli.command("paid")
@click.argument("payment_id", type=int)
def paid_command(payment_id: int) -> None:
    """Mark payment PAYMENT_ID paid (the manual channel): the enterprise may type it now."""
    with command_unit():
        p = payment.mark_paid(payment_id)
    click.echo(f"payment {p.id}: {p.state}")
