"""Progress bars for the long CLI commands (`flask ingest file`, `flask profiles rebuild`,
`flask stats rollup`, `flask demo generate`): units done, rate and time left, drawn by tqdm on
standard error, and only when that is a terminal and no `--json` was asked for, so that
scripts, pipes, logs and the scheduler see nothing extra.

Services take a `Progress` (default `NO_PROGRESS`, which does nothing) and tell it the total
once they know it and each step done; they know nothing about bars or terminals.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any


class Progress:
    """What a service reports to: `total(n)` when known, `advance(n)` after each step,
    `rejected(n)` for the rows of a step it refused (imports)."""

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar

    def total(self, n: int | None) -> None:
        if self._bar is not None and n is not None:
            self._bar.total = n
            self._bar.refresh()

    def advance(self, n: int = 1) -> None:
        if self._bar is not None and n:
            self._bar.update(n)

    def rejected(self, n: int) -> None:
        """`n` more rows were rejected (a bar shows only the rows done)."""


NO_PROGRESS = Progress()


def wanted(*, as_json: bool = False, stream: IO[str] | None = None) -> bool:
    """A bar is drawn only on a terminal, and never beside machine-read output (--json)."""
    stream = stream if stream is not None else sys.stderr
    return not as_json and bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def progress_bar(*, desc: str, unit: str, as_json: bool = False) -> Iterator[Progress]:
    """A `Progress` drawing a bar on standard error, or `NO_PROGRESS` off a terminal or with
    --json."""
    if not wanted(as_json=as_json):
        yield NO_PROGRESS
        return
    from tqdm import tqdm

    with tqdm(desc=desc, unit=f" {unit}", file=sys.stderr) as bar:
        yield Progress(bar)
