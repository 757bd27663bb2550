"""The registry of benchmarks and what they share: where to write, how big, which databases."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/xyd_bench"


@dataclass
class Context:
    """What a benchmark may use. `rows` is the size knob (1,000,000 for the real run; the
    smoke test passes a few hundred); `pg_url` None skips the PostgreSQL parts."""

    out: Path = BENCH_DIR / "out"
    rows: int = 1_000_000
    pg_url: str | None = field(default_factory=lambda: os.environ.get("BENCH_DATABASE_URL"))
    keep: bool = False  # keep the benchmark databases for inspection
    log: Callable[[str], None] = print


Benchmark = Callable[[Context], dict]
BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark. Its result dict should carry `metrics`: a list of
    {"name", "value", "unit", "target", "ok"} rows for the printed table."""

    def register(fn: Benchmark) -> Benchmark:
        BENCHMARKS[name] = fn
        return fn

    return register


def load_all() -> None:
    """Import every module that registers benchmarks."""
    from bench import (  # noqa: F401
        guard,
        ingest,
        loan_status,
        matching,
        profiles,
        replicas,
        serving,
        stats,
    )


def run(names: list[str], ctx: Context) -> dict[str, dict]:
    results = {}
    for name in names:
        ctx.log(f"== {name}")
        try:
            results[name] = BENCHMARKS[name](ctx)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            ctx.log(traceback.format_exc())
            message = str(exc).strip().splitlines()[-1:] or [""]
            results[name] = {"error": f"{type(exc).__name__}: {message[0]}", "metrics": []}
    return results


def metric(name: str, value, unit: str = "", target: str = "", ok: bool | None = None) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "ok": ok}
