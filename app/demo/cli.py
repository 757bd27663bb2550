"""Demo data for `make run` and for benchmarks."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from app.demo import services
from app.demo.files import ENCODINGS, FORMATS, HEADER_MODES, SOURCES
from app.demo.generate import DemoData
from app.extensions import db
from app.progress import progress_bar

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--enterprises", default=services.DEMO_ENTERPRISE_COUNT, show_default=True)
@click.option("--months", default=services.DEMO_MONTHS, show_default=True)
def load(enterprises: int, months: int) -> None:
    """Load the demo banks, accounts and enterprises with their records (through the import
    path; idempotent) and print the logins."""
    result = services.load_demo_data(enterprises=enterprises, months=months)
    db.session.commit()
    click.echo(f"Demo logins (password for all: {services.DEMO_PASSWORD}):")
    for role, email, _password in result.logins:
        click.echo(f"  {role:<13} {email}")
    click.echo(
        "Second factor of the bank, office and operator logins (add it to an authenticator "
        f"app; demo only): {services.DEMO_TOTP_SECRET}"
    )
    for line in result.summary_lines():
        click.echo(line)


@demo_cli.command("generate")
@click.option("--enterprises", "count", type=click.IntRange(1), required=True)
@click.option("--months", type=click.IntRange(1, 120), required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--encoding", type=click.Choice(ENCODINGS), default="utf-8", show_default=True)
@click.option(
    "--headers",
    type=click.Choice(HEADER_MODES),
    default="mixed",
    show_default=True,
    help="Header language: Chinese, English, or mixed (Chinese for the registry, tax and "
    "social-insurance files, English for the others).",
)
@click.option(
    "--source",
    "sources",
    type=click.Choice(SOURCES),
    multiple=True,
    help="Only these sources (repeatable; default all six).",
)
def generate(
    count: int,
    months: int,
    out: Path,
    seed: int,
    fmt: str,
    encoding: str,
    headers: str,
    sources: tuple[str, ...],
) -> None:
    """Write realistic source files (one per source) for the last MONTHS months ending last
    month: valid USCCs across Shaanxi, varied payment behaviour. Deterministic for a seed."""
    if fmt == "xlsx" and encoding != "utf-8":
        raise click.UsageError("--encoding applies to CSV only")
    started = time.perf_counter()
    with progress_bar(desc="demo", unit="enterprises") as progress:
        result = DemoData(count, months, seed=seed).write(
            out,
            fmt=fmt,
            encoding=encoding,
            headers=headers,
            sources=sources or SOURCES,
            progress=progress,
        )
    elapsed = time.perf_counter() - started
    for source, path in result.files.items():
        click.echo(f"{source:<17} {result.rows[source]:>10,} rows  {path}")
    click.echo(f"{sum(result.rows.values()):,} rows in {elapsed:.1f} s")
