"""`flask calendar set|unset|list|status`: the operator's holidays and adjusted working days."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from app.clock import local_today
from app.extensions import db
from app.workcalendar import services

calendar_cli = AppGroup("calendar", help="Working days: holidays and adjusted working days.")


def _day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"不是日期 (YYYY-MM-DD): {value}") from None


@calendar_cli.command("set")
@click.argument("days", nargs=-1, required=True)
@click.option(
    "--work/--off",
    "working",
    default=None,
    help="--off: a public holiday (放假); --work: an adjusted working day (调休上班).",
)
@click.option("--name", default="", help="e.g. 春节, 国庆节调休.")
def set_command(days, working, name) -> None:
    """Declare DAYS (YYYY-MM-DD …) off or worked, as the State Council's notice says.

    All days are checked before any is written.
    """
    if working is None:
        raise click.UsageError("--off 或 --work 必须指定其一")
    parsed = [_day(None, None, d) for d in days]
    for day in parsed:
        services.set_day(day, working, name)
    db.session.commit()
    click.echo(f"{len(parsed)} 天已记为{'工作日' if working else '休息日'} {name}".rstrip())


@calendar_cli.command("unset")
@click.argument("day", callback=_day)
def unset_command(day: date) -> None:
    """Remove the entry for DAY (the package's calendar applies again)."""
    found = services.unset_day(day)
    db.session.commit()
    click.echo("已删除" if found else "没有该日期的记录")


@calendar_cli.command("list")
@click.option("--year", type=int)
def list_command(year: int | None) -> None:
    """The days entered by the operator."""
    for row in services.entered_days(year):
        click.echo(f"{row.day.isoformat()}  {'上班' if row.working else '放假'}  {row.name}")


@calendar_cli.command("status")
def status_command() -> None:
    """Which years the calendar knows: this year and the next. Exits 1 when one is unknown
    to both the package and the operator (weekdays are then counted as working days)."""
    this_year = local_today().year
    missing = False
    for row in services.coverage([this_year, this_year + 1]):
        known = row["package"] or row["entered"] > 0
        missing |= not known
        source = "chinese-calendar" if row["package"] else f"{row['entered']} days entered"
        click.echo(f"{row['year']}: {source if known else 'UNKNOWN — counting Monday-Friday'}")
    raise SystemExit(1 if missing else 0)
