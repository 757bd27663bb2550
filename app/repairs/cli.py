"""`flask repairs list|decide`: the operator's queue and decisions from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app import cases
from app.auth.models import Role
from app.auth.services import get_user_by_email
from app.extensions import db
from app.repairs import figures, services
from app.repairs import recheck as recheck_services
from app.unit_of_work import command_unit

repairs_cli = AppGroup("repairs", help="Credit repair (信用修复) applications.")


@repairs_cli.command("list")
@click.option("--pending", is_flag=True, help="Only the open ones, by deadline (overdue first).")
@click.option("--recheck", is_flag=True, help="Only the sampled ones awaiting re-check.")
def list_command(pending: bool, recheck: bool) -> None:
    """Repair applications: id, status, deadline (working days left), enterprise, record."""
    rows = recheck_services.review_queue() if recheck else services.list_repairs(pending=pending)
    for r in rows:
        timing = cases.timing_json(r)
        left = timing["working_days_left"]
        due = r.deadline.isoformat() + (f" ({left:+d})" if left is not None else "")
        overdue = " OVERDUE" if timing["overdue"] else ""
        click.echo(f"{r.id}\t{r.status}\t{due}{overdue}\t{r.enterprise.uscc}\t{r.record.ref_no}")


def _operator(by_email: str | None) -> int | None:
    if not by_email:
        return None
    user = get_user_by_email(by_email)
    if user is None or user.role != Role.ADMIN:
        raise click.ClickException(f"不是平台管理员账号：{by_email}")
    return user.id


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
    with command_unit():
        repair = services.decide(repair_id, outcome, user_id=_operator(by_email), note=note)
    click.echo(f"repair {repair.id}: {repair.status} (deadline {repair.deadline.isoformat()})")


@repairs_cli.command("sample")
def sample_command() -> None:
    """Draw this quarter's re-check sample now (the job sample_repairs does it daily)."""
    drawn = recheck_services.sample()
    db.session.commit()
    click.echo(f"sampled: {', '.join(str(r.id) for r in drawn) or 'none'}")


@repairs_cli.command("recheck")
@click.argument("repair_id", type=int)
@click.option("--confirm", "outcome", flag_value="confirmed", help="The repair stands.")
@click.option("--revoke", "outcome", flag_value="revoked", help="Not justified: revoke it.")
@click.option("--note", required=True, help="Why.")
@click.option("--by", "by_email", default=None, help="The operator's account e-mail.")
def recheck_command(repair_id: int, outcome: str | None, note: str, by_email: str | None) -> None:
    """Re-check sampled repair REPAIR_ID: --confirm, or --revoke (the record is shown again
    and the broken commitment recorded as a public-credit penalty)."""
    if outcome is None:
        raise click.UsageError("--confirm 或 --revoke 必须指定其一")
    with command_unit():
        repair = recheck_services.recheck(
            repair_id, outcome, user_id=_operator(by_email), note=note
        )
    click.echo(f"repair {repair.id}: re-check {repair.recheck_outcome}, status {repair.status}")


@repairs_cli.command("figures")
@click.option("--by", type=click.Choice(figures.DIMENSIONS), default="authority")
def figures_command(by: str) -> None:
    """Repair figures per deciding authority or city (small groups suppressed, shown as *):
    applied, approved, rejected, revoked, median working days to decision."""
    data = figures.figures(by)
    for row in [*data["groups"], data["total"]]:
        values = [row[n] for n in ("applied", "approved", "rejected", "revoked",
                                   "median_working_days")]  # fmt: skip
        shown = "\t".join("*" if row["suppressed"] else str(v if v is not None else "-")
                          for v in values)  # fmt: skip
        click.echo(f"{row['label']}\t{shown}")
