"""`flask enterprises sizes`: the size by the standard across the registry."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.enterprises import sizing
from app.enterprises.models import Enterprise
from app.extensions import db

enterprises_cli = AppGroup("enterprises", help="The enterprise registry.")


@enterprises_cli.command("sizes")
@click.option("--recompute", is_flag=True, help="Compute every enterprise's size again first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sizes(recompute: bool, as_json: bool) -> None:
    """Enterprises by size under 工信部联企业〔2011〕300号, and declared sizes that disagree."""
    changed = None
    if recompute:
        changed = sizing.assign()
        db.session.commit()
    e = Enterprise
    counts = {
        size or "unknown": n
        for size, n in db.session.execute(select(e.size, func.count()).group_by(e.size))
    }
    mismatches = db.session.scalar(
        select(func.count()).where(e.size.is_not(None), e.scale.is_not(None), e.size != e.scale)
    )
    result = {"by_size": counts, "declared_differs": mismatches}
    if changed is not None:
        result["recomputed_changed"] = changed
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for size, n in sorted(counts.items()):
        click.echo(f"{size:>8}  {n}")
    click.echo(f"declared size differs: {mismatches}")
    if changed is not None:
        click.echo(f"recomputed: {changed} changed")
