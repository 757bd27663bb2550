"""`flask repairs list|decide`: the operator's queue and decisions from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.auth.models import Role, User
from app.errors import ServiceError
from app.extensions import db
from app.repairs import services

repairs_cli = AppGroup("repairs", help="Credit repair (信用修复) applications.")


@repairs_cli.command("list")
@click.option("--pending", is_flag=True, help="Only the open ones, by deadline (overdue first).")
def list_command(pending: bool) -> None:
    """Repair applications: id, status, deadline (working days left), enterprise, record."""
    for r in services.list_repairs(pending=pending):
        left = services.working_days_left(r) if r.is_open else None
        due = f"{r.deadline.isoformat()}" + (f" ({left:+d})" if left is not None else "")
        overdue = " OVERDUE" if services.is_overdue(r) else ""
        click.echo(f"{r.id}\t{r.status}\t{due}{overdue}\t{r.enterprise.uscc}\t{r.record.ref_no}")


@repairs_cli.command("decide")
@click.argument("repair_id", type=int)
@click.option("--approve", "outcome", flag_value="approved", help="Repaired from today.")
@click.option("--reject", "outcome", flag_value="rejected", help="The note is the reason.")
@click.option("--extend", "outcome", flag_value="extended", help="Once, by the extension.")
@click.option("--note", required=True, help="Why (the enterprise sees it).")
@click.option("--by", "by_email", default=None, help="The operator's account e-mail.")
def decide_command(repair_id: int, outcome: str | None, note: str, by_email: str | None) -> None:
    """Decide repair application REPAIR_ID: --approve, --reject or --extend, with --note."""
    if outcome is None:
        raise click.UsageError("--approve、--reject 或 --extend 必须指定其一")
    user_id = None
    if by_email:
        user = db.session.scalar(db.select(User).where(User.email == by_email.strip().lower()))
        if user is None or user.role != Role.ADMIN:
            raise click.ClickException(f"不是平台管理员账号：{by_email}")
        user_id = user.id
    try:
        repair = services.decide(repair_id, outcome, user_id=user_id, note=note)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"repair {repair.id}: {repair.status} (deadline {repair.deadline.isoformat()})")
