"""Section `serving`: the profile API under 32 concurrent clients (gunicorn, PostgreSQL).

The target: p99 under 150 ms and at least half the requests per second of a bare Flask
endpoint that runs one query, in the same run. Both are served the same way — gunicorn,
`WORKERS` processes of `THREADS` threads on 127.0.0.1 — and driven by the same closed-loop
client: `CLIENTS` threads, each with its own keep-alive connection, sending the next request
as soon as the last one answered, for `SECONDS` seconds after a warm-up.

The profile requests are the real thing: a bank officer's token, `GET
/api/v1/enterprises/{uscc}/profile` over demo enterprises that have authorized the bank, so
every request goes through the consent guard and appends to the access log.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.db import _env, create_database, drop_database, run_module, sibling_url
from bench.registry import ROOT, Context, benchmark, metric

CLIENTS = 32
WORKERS = 4
THREADS = 2
TARGET_P99_MS = 150.0
TARGET_RATIO = 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise RuntimeError(f"server on port {port} did not answer {path}")


class Server:
    """gunicorn serving `app_spec` (module:app) until the `with` block ends."""

    def __init__(self, app_spec: str, env: dict[str, str], ready_path: str):
        self.port = _free_port()
        self.ready_path = ready_path
        self.cmd = [
            str(Path(sys.executable).with_name("gunicorn")), "-w", str(WORKERS),
            "--threads", str(THREADS), "-b", f"127.0.0.1:{self.port}",
            "--log-level", "warning", app_spec,
        ]  # fmt: skip
        self.env = env

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, start_new_session=True)
        _wait_ready(self.port, self.ready_path)
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def drive(
    port: int, paths: list[str], headers: dict, seconds: float, warmup: float,
    anonymous: frozenset[str] = frozenset(),
) -> dict:  # fmt: skip
    """Closed loop: CLIENTS threads, each sending its next request when the last answered
    (with `headers`, but for the `anonymous` paths: a visitor's requests)."""
    stop_at = time.monotonic() + warmup + seconds
    measure_from = time.monotonic() + warmup
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        seen: dict[int, int] = {}
        i = index
        while (now := time.monotonic()) < stop_at:
            path = paths[i % len(paths)]
            i += CLIENTS
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={} if path in anonymous else headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            if now >= measure_from:
                mine.append((time.perf_counter() - started) * 1000)
                seen[status] = seen.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for key, count in seen.items():
                statuses[key] = statuses.get(key, 0) + count

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "requests_per_second": round(n / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 2) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))], 2) if n else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def production_env(url: str) -> dict[str, str]:
    """gunicorn's environment: the app in production mode against `url`."""
    return _env(url) | {
        "XYD_ENV": "production",
        "SECRET_KEY": "bench-" + os.urandom(24).hex(),
        "SESSION_COOKIE_SECURE": "0",
        # Production refuses a per-process limiter store and codes written to the log: the
        # local Redis, as a deployment would share one, and a gateway that the reads measured
        # never call.
        "RATELIMIT_STORAGE_URI": os.environ.get(
            "BENCH_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15"
        ),
        "SMS_SENDER": "http",
        "SMS_GATEWAY_URL": "http://127.0.0.1:9/unused",
    }


def _seed(url: str, enterprises: int) -> dict:
    return run_module("bench.serving_seed", url, {"enterprises": enterprises})


@benchmark("serving")
def serving(ctx: Context) -> dict:
    if not ctx.pg_url:
        return {"skipped": "no PostgreSQL URL", "metrics": []}
    small = ctx.rows < 100_000  # the smoke test
    seconds, warmup, enterprises = (2.0, 0.5, 20) if small else (20.0, 3.0, 200)
    url_text = sibling_url(ctx.pg_url, "serving")
    create_database(url_text)
    try:
        seeded = _seed(url_text, enterprises)
        env = production_env(url_text)
        headers = {"Authorization": f"Bearer {seeded['token']}", "Accept": "application/json"}
        profile_paths = [f"/api/v1/enterprises/{u}/profile" for u in seeded["usccs"]]
        ctx.log(f"serving: {len(profile_paths)} enterprises; bare endpoint first")
        floor_paths = [f"/floor/{u}" for u in seeded["usccs"]]
        with Server("bench.bare_app:app", env, "/bare") as server:
            bare = drive(server.port, ["/bare"], {}, seconds, warmup)
        with Server("wsgi:app", env, "/healthz") as server:
            profile = drive(server.port, profile_paths, headers, seconds, warmup)
        # After the profile reads, which left every enterprise's material in the cache.
        with Server("bench.bare_app:app", env, "/bare") as server:
            floor = drive(server.port, floor_paths, headers, seconds, warmup)
    finally:
        if not ctx.keep:
            drop_database(url_text)
    ratio = round(profile["requests_per_second"] / max(bare["requests_per_second"], 0.1), 3)
    floor_ratio = round(floor["requests_per_second"] / max(bare["requests_per_second"], 0.1), 3)
    to_floor = round(profile["requests_per_second"] / max(floor["requests_per_second"], 0.1), 3)
    ok_status = all(set(r["statuses"]) == {"200"} for r in (bare, floor, profile))
    p99 = profile["p99_ms"] or float("inf")
    return {
        "clients": CLIENTS,
        "gunicorn": {"workers": WORKERS, "threads": THREADS},
        "seconds": seconds,
        "enterprises": len(profile_paths),
        "bare": bare,
        "floor": floor,
        "profile": profile,
        "ratio_to_bare": ratio,
        "floor_ratio_to_bare": floor_ratio,
        "ratio_to_floor": to_floor,
        "metrics": [
            metric("bare endpoint, one query: req/s", bare["requests_per_second"], "req/s"),
            metric("floor (its SQL, no app): req/s", floor["requests_per_second"], "req/s"),
            metric("floor ÷ bare", floor_ratio, ""),
            metric("floor p99", floor["p99_ms"], "ms"),
            metric("profile API: req/s", profile["requests_per_second"], "req/s"),
            metric("profile API ÷ floor", to_floor, ""),
            metric(
                "profile API req/s ÷ bare", ratio, "", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO
            ),
            metric("profile API p50", profile["p50_ms"], "ms"),
            metric("profile API p99", p99, "ms", f"< {TARGET_P99_MS:g}", p99 < TARGET_P99_MS),
            metric("all answers 200", ok_status, "", "yes", ok_status),
        ],
    }
