"""The `guard` section: what the consent guard and the access log add to a profile read.

Target (issue 4): under 5 ms added at the median, against the same read with the guard
bypassed, in the same run, on PostgreSQL.
"""

from __future__ import annotations

from bench.db import create_database, drop_database, run_module, sibling_url
from bench.registry import Context, benchmark, metric

TARGET_MS = 5.0


@benchmark("guard")
def guard(ctx: Context) -> dict:
    if not ctx.pg_url:
        return {"skipped": "no PostgreSQL URL", "metrics": []}
    url = sibling_url(ctx.pg_url, "guard")
    small = ctx.rows < 100_000  # the smoke test
    opts = {"iterations": 30 if small else 400, "warmup": 5 if small else 30,
            "log_rows": 100 if small else 10_000}  # fmt: skip
    create_database(url)
    try:
        result = run_module("bench.guard_child", url, opts)
    finally:
        if not ctx.keep:
            drop_database(url)
    added = result["added_median_ms"]
    result["options"] = opts
    result["metrics"] = [
        metric("profile read, guard bypassed (median)", result["bypassed"]["median_ms"], "ms"),
        metric("profile read through guard + log (median)", result["guarded"]["median_ms"], "ms"),
        metric(
            "added by guard + log (median)", added, "ms", f"< {TARGET_MS} ms", added < TARGET_MS
        ),
    ]
    return result
