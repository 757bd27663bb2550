"""Benchmark databases: create, migrate, drop; run app work in a measured child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.registry import ROOT


def conninfo(url: str, database: str | None = None) -> str:
    """A psycopg connection string for an SQLAlchemy URL (postgresql+psycopg://…)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def create_database(url: str) -> None:
    """(Re)create the database named in `url`, empty."""
    name = make_url(url).database
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_version(url: str) -> str:
    with psycopg.connect(conninfo(url, "postgres")) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


def sibling_url(url: str, suffix: str) -> str:
    """A database next to `url`'s, named after it (`xyd_bench` → `xyd_bench_guard`), so that
    two runs against different base databases never share one."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, XYD_ENV="development")
    env.pop("TEST_DATABASE_URL", None)
    # The bench imports files as large as `--rows` asks (10,000,000 for the capacity model);
    # the per-file row limit that the web and API uploads answer with is not what it measures.
    env.setdefault("INGEST_MAX_ROWS", str(10**9))
    return env


def run_module(module: str, url: str, payload) -> dict:
    """`python -m module '<payload as JSON>'` in a fresh process against `url`; the JSON
    object on the last line of its output. A failing child raises with its stderr's end."""
    proc = subprocess.run(
        [sys.executable, "-m", module, json.dumps(payload)],
        cwd=ROOT,
        env=_env(url),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_child(url: str, steps: list[dict]) -> dict:
    """Run `steps` (see bench.child) in a fresh Python process against `url`; returns its
    report: per-step seconds and results, and the process's peak RSS."""
    started = time.perf_counter()
    report = run_module("bench.child", url, steps)
    report["process_seconds"] = round(time.perf_counter() - started, 3)
    return report
