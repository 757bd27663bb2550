"""A smoke test of `python -m bench --only stats` at a tiny size (PostgreSQL: the generation
is PostgreSQL SQL)."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bench import stats as bench_stats
from bench.db import conninfo
from bench.registry import BENCHMARKS, Context

pytestmark = pytest.mark.bench


def test_registered_and_skipped_without_postgres(tmp_path):
    assert "stats" in BENCHMARKS
    result = bench_stats.stats(Context(out=tmp_path, rows=300, pg_url=None, log=lambda _m: None))
    assert result == {"postgresql": {"skipped": "no PostgreSQL URL"}, "metrics": []}


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_tiny_run_generates_rolls_up_and_times_every_view(tmp_path, monkeypatch):
    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_stats_bench"
    monkeypatch.setenv("BENCH_STATS_DB", name)
    ctx = Context(out=tmp_path, rows=300, log=lambda _m: None,
                  pg_url=url.render_as_string(hide_password=False))  # fmt: skip
    result = bench_stats.stats(ctx)
    pg = result["postgresql"]
    assert pg["applications"] == 300 and pg["rollup"]["months"] >= 20
    expected = len(bench_stats.DASHBOARD_VIEWS) + 1 + 7 * len(bench_stats.API_FILTERS) + 1
    assert len(pg["views"]) == expected
    assert all(v["p50_ms"] > 0 for v in pg["views"].values())
    assert set(pg["baseline"]) == set(bench_stats.BASELINE_QUESTIONS)
    assert all(b["all_live_p50_ms"] > 0 for b in pg["baseline"].values())
    with psycopg.connect(conninfo(ctx.pg_url, "postgres")) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert name not in names  # dropped after
