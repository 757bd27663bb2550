"""`flask verifications list [--pending]` and `flask verifications decide ID`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.errors import ServiceError
from app.extensions import db
from app.identity import review
from app.util import to_local

verifications_cli = AppGroup("verifications", help="The operator's review of business licences.")


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
    try:
        r = review.decide(review_id, approve=decision == "approve", reason=reason)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"review {r.id}: {r.state}")
