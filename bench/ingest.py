"""Ingest benchmark: `tax_payments` rows from CSV into PostgreSQL and SQLite.

(a) baseline: a bare COPY of the same file into an unindexed table of the same columns;
(b) `ingest_file("tax_payments", path)` (parse, validate, consent check, upsert) in a child
    process whose peak RSS is measured, then again on the loaded data (re-import);
(c) the same file into SQLite.
Targets: (b) within 2x of (a); peak RSS under 1 GiB.
Also measured, for context: the same COPY into a table shaped and indexed like the target
(`copy_floor`), the least any importer into that table pays; the file read and checked
without writing anything (`parse_seconds`, the Python side alone); and, within the
ingest, the time of the after-batch hooks (the profile rebuild of the touched
enterprises), which run inside `ingest_file` in the batch's transaction.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import psycopg

from bench import db
from bench.registry import Context, benchmark, metric

SOURCE = "tax_payments"
MONTHS = 36
SEED = 4754
RSS_LIMIT_MIB = 1024
RATIO_TARGET = 2.0
COPY_BLOCK = 1 << 20


def generate(ctx: Context, work: Path) -> dict:
    """The registry and `ctx.rows` tax payments (enterprises × 36 months), and the
    collection authorizations that let them be stored."""
    from app.demo.generate import DemoData

    started = time.perf_counter()
    enterprises = ctx.rows // 100 + 10  # ~115 tax rows per enterprise over 36 months
    generated = DemoData(enterprises, MONTHS, seed=SEED).write(
        work, sources=("enterprises", SOURCE), limits={SOURCE: ctx.rows}
    )
    usccs = [line.split(",", 1)[0] for line in _lines(generated.files["enterprises"])[1:]]
    consents = work / "consents.json"
    consents.write_text(json.dumps([{"categories": [SOURCE], "usccs": usccs}]), encoding="utf-8")
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "enterprises": generated.enterprises,
        "rows": generated.rows[SOURCE],
        "file_mib": round(generated.files[SOURCE].stat().st_size / 2**20, 1),
        "files": {k: str(v) for k, v in generated.files.items()},
        "consents": str(consents),
    }


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def copy_baseline(url: str, path: Path) -> float:
    """Seconds to COPY the CSV file into a fresh unindexed table of text columns."""
    with open(path, encoding="utf-8") as f:
        columns = f.readline().strip().split(",")
    cols = ", ".join(f"c{i} text" for i in range(len(columns)))
    with psycopg.connect(db.conninfo(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_baseline")
        conn.execute(f"CREATE TABLE bench_copy_baseline ({cols})")
        conn.commit()
        started = time.perf_counter()
        statement = "COPY bench_copy_baseline FROM STDIN (FORMAT csv, HEADER true)"
        with conn.cursor() as cur, open(path, "rb") as f, cur.copy(statement) as copy:
            while block := f.read(COPY_BLOCK):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        count = conn.execute("SELECT count(*) FROM bench_copy_baseline").fetchone()[0]
        conn.execute("DROP TABLE bench_copy_baseline")
        conn.commit()
    return elapsed if count else float("nan")


def copy_floor(url: str, path: Path) -> float:
    """Seconds to COPY the same file into a table shaped and indexed like `tax_payments`
    (primary key, unique natural key): what any importer into the target pays at least,
    before parsing or checking anything."""
    with psycopg.connect(db.conninfo(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_floor")
        conn.execute("CREATE TABLE bench_copy_floor (LIKE tax_payments INCLUDING ALL)")
        conn.execute(
            "ALTER TABLE bench_copy_floor ALTER batch_id SET DEFAULT 0,"
            " ALTER created_at SET DEFAULT now(), ALTER updated_at SET DEFAULT now()"
        )
        conn.commit()
        started = time.perf_counter()
        statement = (
            "COPY bench_copy_floor (uscc, period, tax_type, amount, due_on, paid_on)"
            " FROM STDIN (FORMAT csv, HEADER true)"
        )
        with conn.cursor() as cur, open(path, "rb") as f, cur.copy(statement) as copy:
            while block := f.read(COPY_BLOCK):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_floor")
        conn.commit()
    return elapsed


def _setup_steps(gen: dict) -> list[dict]:
    """Migrate (`flask db upgrade`), load the registry, record the authorizations."""
    return [
        {"op": "upgrade"},
        {"op": "ingest", "source": "enterprises", "path": gen["files"]["enterprises"]},
        {"op": "authorize", "path": gen["consents"]},
    ]


def _ingest_steps(gen: dict) -> list[dict]:
    """The import, then the same file again on the loaded data (the re-import)."""
    step = {"op": "ingest", "source": SOURCE, "path": gen["files"][SOURCE]}
    return [step, step]


def _summaries(report: dict, rows: int) -> tuple[dict, dict]:
    """(import, re-import); the peak RSS is the child's, over both."""
    keys = ("rows", "inserted", "updated", "unchanged", "rejected", "skipped_no_consent")
    out = []
    for step in report["steps"]:
        hooks = step.get("after_batch_seconds", 0.0)
        out.append(
            {
                "seconds": step["seconds"],
                "rows_per_second": round(rows / step["seconds"]),
                "peak_rss_mib": report["peak_rss_mib"],
                # the after-batch hooks (the profile rebuild of the touched enterprises)
                # run inside ingest_file, in the batch's transaction
                "after_batch_seconds": hooks,
                "without_after_batch_seconds": round(step["seconds"] - hooks, 3),
                **{k: step.get(k) for k in keys},
            }
        )
    first, again = out
    first["process_seconds"] = report["process_seconds"]
    return first, again


def run_postgres(ctx: Context, gen: dict) -> dict:
    url = ctx.pg_url
    assert url
    rows = gen["rows"]
    db.create_database(url)
    try:
        setup = db.run_child(url, _setup_steps(gen))
        copy_seconds = copy_baseline(url, Path(gen["files"][SOURCE]))
        ctx.log(f"postgresql: COPY baseline {copy_seconds:.2f} s")
        floor_seconds = copy_floor(url, Path(gen["files"][SOURCE]))
        ctx.log(f"postgresql: COPY into an indexed copy of the target {floor_seconds:.2f} s")
        result: dict = {
            "server_version": db.server_version(url),
            "copy_seconds": round(copy_seconds, 3),
            "copy_rows_per_second": round(rows / copy_seconds),
            "copy_indexed_target_seconds": round(floor_seconds, 3),
            "floor_ratio_to_copy": round(floor_seconds / copy_seconds, 2),
        }
        parse = db.run_child(url, [{"op": "parse", "source": SOURCE, "path": gen["files"][SOURCE]}])
        result["parse_seconds"] = parse["steps"][0]["seconds"]
        result["parse_peak_rss_mib"] = parse["peak_rss_mib"]
        ctx.log(f"postgresql: read and check only (no writes) {result['parse_seconds']:.2f} s")
        first, again = _summaries(db.run_child(url, _ingest_steps(gen)), rows)
        ctx.log(
            f"postgresql: ingest {first['seconds']:.2f} s (of which after-batch hooks"
            f" {first['after_batch_seconds']:.2f} s), re-import {again['seconds']:.2f} s"
        )
    finally:
        if not ctx.keep:
            db.drop_database(url)
    return {
        **result,
        "setup": setup["steps"],
        "ingest": first,
        "reimport": again,
        "ratio_to_copy": round(first["seconds"] / copy_seconds, 2),
        "without_after_batch_ratio_to_copy": round(
            first["without_after_batch_seconds"] / copy_seconds, 2
        ),
        "parse_ratio_to_copy": round(result["parse_seconds"] / copy_seconds, 2),
    }


def run_sqlite(ctx: Context, gen: dict, work: Path) -> dict:
    path = work / "bench.sqlite"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    setup = db.run_child(url, _setup_steps(gen))
    first, again = _summaries(db.run_child(url, _ingest_steps(gen)), gen["rows"])
    ctx.log(f"sqlite: ingest {first['seconds']:.2f} s, re-import {again['seconds']:.2f} s")
    if not ctx.keep:
        path.unlink(missing_ok=True)
    return {"setup": setup["steps"], "ingest": first, "reimport": again}


def _rss(label: str, run: dict) -> dict:
    peak = run["peak_rss_mib"]
    return metric(label, peak, "MiB", f"< {RSS_LIMIT_MIB}", peak < RSS_LIMIT_MIB)


def _pg_metrics(pg: dict) -> list[dict]:
    ing, ratio = pg["ingest"], pg["ratio_to_copy"]
    return [
        metric("PostgreSQL bare COPY", pg["copy_seconds"], "s"),
        metric("  COPY into indexed target (floor)", pg["copy_indexed_target_seconds"], "s"),
        metric("  floor ratio to COPY", pg["floor_ratio_to_copy"], "x"),
        metric("  read + check only, no writes", pg["parse_seconds"], "s"),
        metric("PostgreSQL ingest_file", ing["seconds"], "s"),
        metric("  ratio to COPY", ratio, "x", f"<= {RATIO_TARGET}", ratio <= RATIO_TARGET),
        metric("  of which profile rebuild (hook)", ing["after_batch_seconds"], "s"),
        metric("  without the hook", ing["without_after_batch_seconds"], "s"),
        metric("  without the hook, ratio to COPY", pg["without_after_batch_ratio_to_copy"], "x"),
        metric("  rows/s", ing["rows_per_second"], "rows/s"),
        _rss("  peak RSS", ing),
        metric(
            "  inserted / rejected / skipped",
            f"{ing['inserted']} / {ing['rejected']} / {ing['skipped_no_consent']}",
        ),
        metric("PostgreSQL re-import", pg["reimport"]["seconds"], "s"),
        metric("  unchanged", pg["reimport"]["unchanged"]),
    ]


def _sqlite_metrics(lite: dict) -> list[dict]:
    return [
        metric("SQLite ingest_file", lite["ingest"]["seconds"], "s"),
        metric("  of which profile rebuild (hook)", lite["ingest"]["after_batch_seconds"], "s"),
        metric("  rows/s", lite["ingest"]["rows_per_second"], "rows/s"),
        _rss("  peak RSS", lite["ingest"]),
        metric("SQLite re-import", lite["reimport"]["seconds"], "s"),
    ]


@benchmark("ingest")
def ingest(ctx: Context) -> dict:
    work = ctx.out / "ingest"
    shutil.rmtree(work, ignore_errors=True)
    gen = generate(ctx, work)
    ctx.log(f"generated {gen['rows']:,} {SOURCE} rows in {gen['seconds']:.1f} s")
    result: dict = {
        "source": SOURCE,
        "rows": gen["rows"],
        "generate": {k: v for k, v in gen.items() if k not in ("files", "consents")},
    }
    metrics = [metric("generate tax_payments CSV", gen["seconds"], "s")]
    if ctx.pg_url:
        result["postgresql"] = run_postgres(ctx, gen)
        metrics += _pg_metrics(result["postgresql"])
    else:
        result["postgresql"] = {"skipped": "no PostgreSQL URL"}
    result["sqlite"] = run_sqlite(ctx, gen, work)
    metrics += _sqlite_metrics(result["sqlite"])
    if not ctx.keep:
        shutil.rmtree(work, ignore_errors=True)
    result["metrics"] = metrics
    return result
