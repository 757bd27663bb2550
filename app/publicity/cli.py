"""`flask publicity run|rules|set-tier|set-rule`: the daily expiry and the operator's rules."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cliecho import echo_json
from app.publicity import services
from app.publicity.models import GRADED_CATEGORIES, TIERS
from app.unit_of_work import command_unit

publicity_cli = AppGroup("publicity", help="Publicity periods of public-credit records.")


@publicity_cli.command("run")
def run_command() -> None:
    """Apply the publicity rules: store each record's period, mark the records whose
    period ended (公示期满) and rebuild the profiles concerned (also the daily job
    expire_publicity)."""
    with command_unit():
        summary = services.run()
    echo_json(summary)


@publicity_cli.command("rules")
def rules_command() -> None:
    """The tiers (months shown at least / at most, published?) and which tier each category
    and severity fall in."""
    for t in services.list_tiers():
        shown = "published" if t.published else "not published"
        click.echo(f"tier {t.tier}: {t.min_months}-{t.max_months} months, {shown}")
    for r in services.list_rules():
        click.echo(f"rule {r.category} {r.severity or '*'} -> {r.tier}")


@publicity_cli.command("set-tier")
@click.argument("tier", type=click.Choice(TIERS))
@click.option("--min-months", type=int, required=True, help="Shown at least (repair after).")
@click.option("--max-months", type=int, required=True, help="Shown at most.")
@click.option("--published/--unpublished", default=None, help="Shown to banks at all.")
def set_tier_command(tier, min_months, max_months, published) -> None:
    """Change a tier's periods; `flask publicity run` (or the daily job) applies them."""
    with command_unit():
        services.set_tier(tier, min_months=min_months, max_months=max_months, published=published)
    click.echo(f"tier {tier}: {min_months}-{max_months} months")


@publicity_cli.command("set-rule")
@click.argument("category", type=click.Choice(GRADED_CATEGORIES))
@click.argument("tier", type=click.Choice(TIERS))
@click.option("--severity", default=None, help="slight, minor, major or severe (none = the rest).")
def set_rule_command(category, tier, severity) -> None:
    """Records of CATEGORY (with --severity) fall in TIER; applied by `flask publicity run`."""
    with command_unit():
        services.set_rule(category, severity, tier)
    click.echo(f"rule {category} {severity or '*'} -> {tier}")
