"""The `guard` section: what the consent guard and the access log add to a profile read.

Target (issue 4): under 5 ms added at the median, against the same read with the guard
bypassed, in the same run, on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy.engine import make_url

from bench.db import _env, create_database, drop_database
from bench.registry import ROOT, Context, benchmark, metric

TARGET_MS = 5.0


@benchmark("guard")
def guard(ctx: Context) -> dict:
    if not ctx.pg_url:
        return {"skipped": "no PostgreSQL URL", "metrics": []}
    url = make_url(ctx.pg_url).set(database="xyd_bench_guard").render_as_string(hide_password=False)
    small = ctx.rows < 100_000  # the smoke test
    opts = {"iterations": 30 if small else 400, "warmup": 5 if small else 30,
            "log_rows": 100 if small else 10_000}  # fmt: skip
    create_database(url)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.guard_child", json.dumps(opts)],
            cwd=ROOT, env=_env(url), capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"child failed: {proc.stderr.strip()[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
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
