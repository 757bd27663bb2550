"""`flask stats rollup|indicators`: run the statistics jobs now (after a migration that
empties the rollup, say), instead of waiting for the scheduler."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.progress import progress_bar
from app.stats import rollup, services
from app.stats.queries import month_label

stats_cli = AppGroup("stats", help="Lending statistics: the rollup and the data indicators.")


@stats_cli.command("rollup")
@click.option("--all", "everything", is_flag=True, help="Every completed month, changed or not.")
def rollup_command(everything: bool) -> None:
    """Roll up the completed months not done yet and those changed since the last run, then
    this month's completed days (provisionally)."""
    months = rollup.months_to_roll_up(everything=everything)
    with progress_bar(desc="rollup", unit="months") as progress:
        result = rollup.roll_up(months, progress=progress)
    db.session.commit()
    if months:
        span = f"{month_label(months[0])} … {month_label(months[-1])}"
        click.echo(f"已汇总 {result['months']} 个月（{span}），{result['rows']} 行")
    else:
        click.echo("没有需要汇总的月份")
    current = rollup.roll_up_current(force=everything)  # this month's completed days
    db.session.commit()
    if current["months"]:
        click.echo(f"本月已过去的日子已暂汇总，{current['rows']} 行")


@stats_cli.command("indicators")
def indicators_command() -> None:
    """Count the data indicators (records per source, enterprises) and store them."""
    values = services.count_indicators()
    db.session.commit()
    for name, value in values.items():
        click.echo(f"{name}\t{value}")
