"""Section `replicas`: how much of the read load a streaming replica takes off the primary.

The scale issue asks that the reads which tolerate a few seconds of lag — statistics, the
product supermarket — leave the primary for PostgreSQL's own hot standbys, while the
guarded reads (and their access log) stay on it. This section measures that split on a real
standby, not the routing rule (the tests prove the rule):

1. a fresh database seeded as for `serving` (demo enterprises, a bank officer's token, every
   enterprise authorizing the bank), plus the statistics rollup of its completed months;
2. a hot standby of the local cluster on `REPLICA_PORT` (`scripts/replica.sh`, the same
   `pg_basebackup` standby `.ci/run` starts on 5433), waited for until it has the database;
3. the same closed-loop mix of API reads as gunicorn serves them (`serving.drive`: 32
   clients) twice, without and then with `DATABASE_REPLICA_URLS` naming the standby: a third
   the bank's statistics summaries (three groupings), a third the product supermarket as a
   visitor sees it, a third guarded profile reads;
4. for each run, each server's transactions and buffer accesses in the database
   (`pg_stat_database`, read before and after; a standby counts its own), so the share of
   the work the standby took is measured where it was done.

The standby is stopped and the database dropped at the end (`--keep` keeps the database).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time

import psycopg
from sqlalchemy.engine import make_url

from bench.db import conninfo, create_database, drop_database, run_module, sibling_url
from bench.registry import ROOT, Context, benchmark, metric
from bench.serving import CLIENTS, Server, drive, production_env

REPLICA_PORT = int(os.environ.get("BENCH_REPLICA_PORT", "5434"))  # .ci/run's tests use 5433
STATS_PATHS = [f"/api/v1/stats/summary?group_by={g}" for g in ("month", "city", "product")]
PRODUCT_PATHS = ["/api/v1/products"]  # as a visitor sees the supermarket


def _replica_url(url: str) -> str:
    return make_url(url).set(port=REPLICA_PORT).render_as_string(hide_password=False)


def _counters(url: str) -> dict[str, int]:
    """The database's transactions and buffer accesses so far, as this server counts them."""
    name = make_url(url).database
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback, blks_hit + blks_read, tup_returned "
            "FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
    assert row is not None, f"no statistics for {name}"
    return {"transactions": int(row[0]), "buffers": int(row[1]), "tuples": int(row[2])}


def _wait_for(url: str, timeout: float = 120.0) -> None:
    """Until the standby has replayed the database's creation and seed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(conninfo(url), connect_timeout=2) as conn:
                if conn.execute("SELECT count(*) FROM api_tokens").fetchone()[0]:
                    return
        except psycopg.Error:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the standby on port {REPLICA_PORT} never showed the database")
        time.sleep(0.5)


def _replica(action: str) -> None:
    subprocess.run(["scripts/replica.sh", action, str(REPLICA_PORT)], cwd=ROOT, check=True)


def _served(urls: dict[str, str], env: dict[str, str], *args) -> tuple[dict, dict]:
    """`drive(port, *args)` against gunicorn started with `env`, and each server's counters'
    growth meanwhile. The counters are read after gunicorn has stopped: a backend reports
    its statistics when it goes idle or exits, not after each transaction."""
    before = {name: _counters(url) for name, url in urls.items()}
    with Server("wsgi:app", env, "/healthz") as server:
        result = drive(server.port, *args)
    time.sleep(1.0)  # the backends' exits
    after = {name: _counters(url) for name, url in urls.items()}
    return result, {
        name: {k: after[name][k] - before[name][k] for k in before[name]} for name in urls
    }


def _share(done: dict[str, dict[str, int]], key: str) -> float:
    total = sum(server[key] for server in done.values())
    return round(done["replica"][key] / total, 3) if total else 0.0


@benchmark("replicas")
def replicas(ctx: Context) -> dict:
    if not ctx.pg_url:
        return {"skipped": "no PostgreSQL URL", "metrics": []}
    small = ctx.rows < 100_000  # the smoke test
    seconds, warmup, enterprises = (2.0, 0.5, 20) if small else (15.0, 2.0, 200)
    url = sibling_url(ctx.pg_url, "replicas")
    create_database(url)
    replica_url = _replica_url(url)
    try:
        seeded = run_module("bench.serving_seed", url, {"enterprises": enterprises})
        run_module("bench.replicas_seed", url, {})
        _replica("start")
        _wait_for(replica_url)
        headers = {"Authorization": f"Bearer {seeded['token']}", "Accept": "application/json"}
        profiles = [f"/api/v1/enterprises/{u}/profile" for u in seeded["usccs"]]
        # Statistics, supermarket, profile, in turn: one of each per enterprise.
        trios = zip(itertools.cycle(STATS_PATHS), itertools.cycle(PRODUCT_PATHS), profiles)
        mix = [path for trio in trios for path in trio]
        env = production_env(url)
        servers = {"primary": url, "replica": replica_url}
        visitor = frozenset(PRODUCT_PATHS)
        runs = {}
        for label, extra in (
            ("primary only", {}),
            ("with the replica", {"DATABASE_REPLICA_URLS": replica_url}),
        ):
            runs[label] = _served(servers, env | extra, mix, headers, seconds, warmup, visitor)
    finally:
        _replica("stop")
        if not ctx.keep:
            drop_database(url)
    alone, alone_done = runs["primary only"]
    shared, shared_done = runs["with the replica"]
    ratio = round(shared["requests_per_second"] / max(alone["requests_per_second"], 0.1), 3)
    idle = alone_done["replica"]["transactions"] == 0
    ok_status = all(set(r["statuses"]) == {"200"} for r in (alone, shared))
    per_request = {
        label: {server: round(done[server]["buffers"] / max(result["requests"], 1), 1)
                for server in servers}
        for label, (result, done) in runs.items()
    }  # fmt: skip
    return {
        "clients": CLIENTS,
        "seconds": seconds,
        "mix": {"statistics": STATS_PATHS, "products": PRODUCT_PATHS, "profiles": len(profiles)},
        "runs": {
            label: {"drive": result, "servers": done} for label, (result, done) in runs.items()
        },
        "buffers_per_request": per_request,
        "metrics": [
            metric("primary only: req/s", alone["requests_per_second"], "req/s"),
            metric("with the replica: req/s", shared["requests_per_second"], "req/s"),
            metric("with ÷ without", ratio, ""),
            metric("  p99 without / with", f"{alone['p99_ms']} / {shared['p99_ms']}", "ms"),
            metric("replica's share of transactions", _share(shared_done, "transactions"), ""),
            metric("replica's share of buffer reads", _share(shared_done, "buffers"), ""),
            metric(
                "primary buffers a request, without / with",
                f"{per_request['primary only']['primary']} / "
                f"{per_request['with the replica']['primary']}",
                "",
            ),
            metric("standby idle when not configured", idle, "", "yes", idle),
            metric("all answers 200", ok_status, "", "yes", ok_status),
        ],
    }
