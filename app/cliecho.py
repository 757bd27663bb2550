"""What the CLI commands print when a run is done: its summary as one JSON object (with
`--json`, and always for the commands that speak only JSON), else a line for people."""

from __future__ import annotations

import json
from typing import Any

import click


def echo_json(result: Any) -> None:
    """Print `result.to_dict()` as one line of JSON, Chinese left as it is (not escaped)."""
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False))


def echo_summary(summary: Any, as_json: bool, text: str) -> None:
    """Print the summary: as JSON with `--json`, else `text`."""
    if as_json:
        echo_json(summary)
    else:
        click.echo(text)
