"""A smoke test of `make bench` with a few hundred rows: the harness runs every section,
writes results.json with the machine, and prints the table."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bench import ingest as bench_ingest
from bench.__main__ import main, merge_results
from bench.db import conninfo
from bench.registry import BENCHMARKS, Context

# The bench runs its parts in child processes, which run at the wall clock.
pytestmark = [pytest.mark.bench, pytest.mark.wall_clock]


def _bench_url() -> str | None:
    """Next to the test database (never the test database itself), when there is one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_bench").render_as_string(hide_password=False)


def test_bench_runs_small_and_writes_results(tmp_path, capsys):
    """SQLite only, to stay fast; the PostgreSQL parts are checked below."""
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"benchmarks": {"later": {"kept": True}}}), encoding="utf-8")
    args = ["--rows", "300", "--results", str(results), "--out", str(tmp_path / "out")]
    assert main([*args, "--no-postgres"]) == 0
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["benchmarks"]["later"] == {"kept": True}  # other sections are kept
    machine = data["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["date"]
    ingest = data["benchmarks"]["ingest"]
    assert "error" not in ingest
    assert ingest["rows"] == 300 and ingest["generate"]["enterprises"] >= 3
    assert ingest["postgresql"] == {"skipped": "no PostgreSQL URL"}
    assert ingest["sqlite"]["ingest"]["inserted"] == 300
    assert ingest["sqlite"]["reimport"]["unchanged"] == 300
    assert 0 < ingest["sqlite"]["ingest"]["peak_rss_mib"] < 1024
    out = capsys.readouterr().out
    assert "benchmark" in out and "generate tax_payments CSV" in out
    assert not (tmp_path / "out" / "ingest").exists()  # work files are removed


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_postgres_section_creates_copies_and_drops_its_database(tmp_path):
    url = _bench_url()
    ctx = Context(out=tmp_path, rows=200, pg_url=url, log=lambda _msg: None)
    gen = bench_ingest.generate(ctx, tmp_path / "work")
    result = bench_ingest.run_postgres(ctx, gen)
    assert result["copy_seconds"] > 0 and result["copy_rows_per_second"] > 0
    assert result["server_version"][:2].isdigit()
    assert result["ingest"]["inserted"] == 200 and result["reimport"]["unchanged"] == 200
    assert result["ratio_to_copy"] > 0
    with psycopg.connect(conninfo(url, "postgres")) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert make_url(url).database not in names  # dropped after


def test_every_registered_benchmark_returns_a_dict_with_metrics():
    assert "ingest" in BENCHMARKS


def test_a_failing_section_is_reported_not_fatal(tmp_path, monkeypatch):
    def broken(ctx):
        raise RuntimeError("boom\nlast line")

    monkeypatch.setitem(BENCHMARKS, "broken", broken)
    results = tmp_path / "r.json"
    code = main(["--only", "broken", "--results", str(results), "--no-postgres"])
    assert code == 1
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["benchmarks"]["broken"]["error"] == "RuntimeError: last line"


def test_merge_keeps_old_sections(tmp_path):
    path = tmp_path / "r.json"
    merge_results(path, {"a": {"x": 1}}, {"date": "d1"})
    merge_results(path, {"b": {"y": 2}}, {"date": "d2"})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["benchmarks"]["a"] == {"date": "d1", "x": 1}
    assert data["benchmarks"]["b"] == {"date": "d2", "y": 2}
    assert data["machine"] == {"date": "d2"}


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_serving_section_drives_both_servers_and_drops_its_database(tmp_path):
    """Small: 20 enterprises, 2 seconds per server; every answer must be a 200."""
    from bench import serving

    url = _bench_url()
    ctx = Context(out=tmp_path, rows=200, pg_url=url, log=lambda _msg: None)
    result = serving.serving(ctx)
    assert result["bare"]["requests"] > 0 and result["profile"]["requests"] > 0
    assert result["bare"]["statuses"] == {"200": result["bare"]["requests"]}
    assert result["profile"]["statuses"] == {"200": result["profile"]["requests"]}
    assert result["ratio_to_bare"] > 0
    with psycopg.connect(conninfo(url, "postgres")) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert make_url(url).database + "_serving" not in names


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_replicas_section_measures_the_standby_taking_the_lagging_reads(tmp_path):
    """Small: a real standby of the cluster (`scripts/replica.sh`), the same mix served
    without and with it: the standby does nothing in the first run and part of the work in
    the second; it is stopped and the database dropped after."""
    from bench import replicas

    url = _bench_url()
    ctx = Context(out=tmp_path, rows=200, pg_url=url, log=lambda _msg: None)
    result = replicas.replicas(ctx)
    alone, shared = result["runs"]["primary only"], result["runs"]["with the replica"]
    for run in (alone, shared):
        assert run["drive"]["statuses"] == {"200": run["drive"]["requests"]}
    assert alone["servers"]["replica"] == {"transactions": 0, "buffers": 0, "tuples": 0}
    assert shared["servers"]["replica"]["transactions"] > 0
    assert shared["servers"]["replica"]["buffers"] > 0
    per_request = result["buffers_per_request"]
    assert per_request["with the replica"]["primary"] < per_request["primary only"]["primary"]
    with psycopg.connect(conninfo(url, "postgres")) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert make_url(url).database + "_replicas" not in names
    assert not Path(f"/tmp/xyd-replica-{replicas.REPLICA_PORT}").exists()  # stopped


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_loan_status_section_imports_a_month_of_loans_and_drops_its_database(tmp_path):
    """2,000 loans made in bulk; every thousandth row breaks a rule and is rejected."""
    from bench import loan_status

    url = _bench_url()
    ctx = Context(out=tmp_path, rows=2000, pg_url=url, log=lambda _msg: None)
    result = loan_status.loan_status(ctx)
    assert result["import"]["inserted"] == 1998 and result["import"]["rejected"] == 2
    assert result["reimport"]["unchanged"] == 1998 and result["reimport"]["inserted"] == 0
    assert result["ratio_to_floor"] > 0 and result["copy_indexed_target_seconds"] > 0
    with psycopg.connect(conninfo(url, "postgres")) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert make_url(url).database + "_loans" not in names
