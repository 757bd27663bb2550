"""Loan-status benchmark: a bank's monthly `loan_status` file of `ctx.rows` loans into
PostgreSQL, measured like the `ingest` section.

The loans are made with set-based SQL (`INSERT … SELECT` over `generate_series`: a bank,
one enterprise per ten loans, a disbursed application per loan, the loan), then the file
(one row per loan, as of last month's end; a few rows break a rule) is imported with
`ingest_file("loan_status", path)` in a measured child process, and again (the re-import).
Baselines, as for the other sources: a bare COPY of the file into an unindexed table, and
the keyed COPY floor, the same file COPYed into a table shaped and indexed like the target
`loan_reports`, the least any importer of these reports pays. The ratio to that floor is
what the import is judged by (target: within 2x of the bare COPY, like `ingest`).
"""

from __future__ import annotations

import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

from app.clock import local_today
from bench import db
from bench.ingest import COPY_BLOCK, RATIO_TARGET, RSS_LIMIT_MIB, copy_baseline
from bench.registry import Context, benchmark, metric

SOURCE = "loan_status"
LOANS_PER_ENTERPRISE = 10
# One row in this many breaks a rule (overdue without days past due): rejected, named.
BAD_EVERY = 1000
COLUMNS = "loan_id, as_of, status, days_past_due, outstanding"


def principal(i: int) -> int:
    """Loan i's principal (yuan), the same in the SQL that makes it and the file."""
    return 100_000 + (i % 90) * 10_000


def month_end(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


def seed_loans(url: str, loans: int) -> float:
    """Seconds to make `loans` disbursed loans of one bank with set-based SQL."""
    enterprises = loans // LOANS_PER_ENTERPRISE + 1
    statements = [
        "INSERT INTO banks (id, code, name, is_active, created_at)"
        " VALUES (1, 'BENCH', '基准银行', true, now())",
        "INSERT INTO enterprises (id, uscc, name, verified, created_at, updated_at)"
        " SELECT i, '9161' || lpad(i::text, 14, '0'), '基准企业' || i, true, now(), now()"
        f" FROM generate_series(1, {enterprises}) i",
        "INSERT INTO applications (id, enterprise_id, bank_id, state, amount, term_months,"
        " purpose, version, created_at, updated_at, disbursed_amount, disbursed_on)"
        f" SELECT i, 1 + i % {enterprises}, 1, 'disbursed', 100000 + (i % 90) * 10000, 12,"
        " '流动资金', 1, now(), now(), 100000 + (i % 90) * 10000,"
        " date '2024-01-01' + (i % 365)"
        f" FROM generate_series(1, {loans}) i",
        "INSERT INTO loans (id, application_id, enterprise_id, bank_id, product_type,"
        " principal, term_months, disbursed_on, maturity_on, repayment, status,"
        " days_past_due, outstanding, created_at, updated_at)"
        " SELECT id, id, enterprise_id, 1, 'credit', amount, 12, disbursed_on,"
        " disbursed_on + interval '12 months', 'bullet', 'normal', 0, amount, now(), now()"
        " FROM applications",
    ]
    with psycopg.connect(db.conninfo(url)) as conn:
        started = time.perf_counter()
        for statement in statements:
            conn.execute(statement)
        for table in ("banks", "enterprises", "applications", "loans"):
            conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.execute("ANALYZE")
        return time.perf_counter() - started


def write_file(path: Path, loans: int, as_of: date) -> dict:
    """The month's report of every loan: mostly normal, some special mention, overdue,
    non-performing, settled or written off; every BAD_EVERY-th row overdue with 0 days."""
    day = as_of.isoformat()
    bad = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("贷款编号,报告日期,贷款状态,逾期天数,贷款余额\n")
        lines = []
        for i in range(1, loans + 1):
            owed = principal(i) - (i % 7) * 5_000
            k = i % 200
            if i % BAD_EVERY == 0:
                status, dpd, bad = "overdue", 0, bad + 1
            elif k < 180:
                status, dpd = "normal", 0
            elif k < 188:
                status, dpd = "special_mention", 0
            elif k < 194:
                status, dpd = "overdue", 1 + i % 89
            elif k < 197:
                status, dpd = "non_performing", 90 + i % 200
            elif k < 199:
                status, dpd, owed = "settled", 0, 0
            else:
                status, dpd = "written_off", 120 + i % 100
            lines.append(f"{i},{day},{status},{dpd},{owed}.00\n")
            if len(lines) == 100_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    return {"rows": loans, "bad_rows": bad, "file_mib": round(path.stat().st_size / 2**20, 1)}


def copy_floor(url: str, path: Path) -> float:
    """Seconds to COPY the file into a table shaped and indexed like `loan_reports`."""
    with psycopg.connect(db.conninfo(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_floor")
        conn.execute("CREATE TABLE bench_copy_floor (LIKE loan_reports INCLUDING ALL)")
        conn.execute(
            "ALTER TABLE bench_copy_floor"
            " ALTER origin SET DEFAULT 'file', ALTER at SET DEFAULT now()"
        )
        conn.commit()
        started = time.perf_counter()
        statement = f"COPY bench_copy_floor ({COLUMNS}) FROM STDIN (FORMAT csv, HEADER true)"
        with conn.cursor() as cur, open(path, "rb") as f, cur.copy(statement) as copy:
            while block := f.read(COPY_BLOCK):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_floor")
        conn.commit()
    return elapsed


def _summary(step: dict, rows: int, rss: float) -> dict:
    keys = ("rows", "inserted", "updated", "unchanged", "rejected")
    return {
        "seconds": step["seconds"],
        "rows_per_second": round(rows / step["seconds"]),
        "peak_rss_mib": rss,
        **{k: step.get(k) for k in keys},
    }


@benchmark("loan_status")
def loan_status(ctx: Context) -> dict:
    if not ctx.pg_url:
        return {"skipped": "no PostgreSQL URL", "metrics": []}
    url = db.sibling_url(ctx.pg_url, "loans")
    work = ctx.out / "loan_status"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = work / "loan_status.csv"
    rows = ctx.rows
    db.create_database(url)
    try:
        db.run_child(url, [{"op": "upgrade"}])
        seed_seconds = seed_loans(url, rows)
        ctx.log(f"postgresql: {rows:,} loans made in {seed_seconds:.2f} s")
        started = time.perf_counter()
        generated = write_file(path, rows, month_end(local_today()))
        generated["seconds"] = round(time.perf_counter() - started, 3)
        copy_seconds = copy_baseline(url, path)
        floor_seconds = copy_floor(url, path)
        ctx.log(f"postgresql: COPY {copy_seconds:.2f} s, keyed COPY floor {floor_seconds:.2f} s")
        step = {"op": "ingest", "source": SOURCE, "path": str(path)}
        report = db.run_child(url, [step, step])
        first, again = (_summary(s, rows, report["peak_rss_mib"]) for s in report["steps"])
        ctx.log(f"postgresql: import {first['seconds']:.2f} s, re-import {again['seconds']:.2f} s")
    finally:
        if not ctx.keep:
            db.drop_database(url)
            shutil.rmtree(work, ignore_errors=True)
    ratio = round(first["seconds"] / copy_seconds, 2)
    floor_ratio = round(first["seconds"] / floor_seconds, 2)
    result = {
        "source": SOURCE,
        "rows": rows,
        "seed_seconds": round(seed_seconds, 3),
        "generate": generated,
        "copy_seconds": round(copy_seconds, 3),
        "copy_indexed_target_seconds": round(floor_seconds, 3),
        "import": first,
        "reimport": again,
        "ratio_to_copy": ratio,
        "ratio_to_floor": floor_ratio,
        "reimport_ratio_to_floor": round(again["seconds"] / floor_seconds, 2),
    }
    peak = first["peak_rss_mib"]
    result["metrics"] = [
        metric(f"make {rows:,} loans (INSERT … SELECT)", result["seed_seconds"], "s"),
        metric("PostgreSQL bare COPY", result["copy_seconds"], "s"),
        metric("  COPY into indexed target (floor)", result["copy_indexed_target_seconds"], "s"),
        metric("PostgreSQL ingest_file loan_status", first["seconds"], "s"),
        metric("  ratio to COPY", ratio, "x", f"<= {RATIO_TARGET}", ratio <= RATIO_TARGET),
        metric("  ratio to the keyed COPY floor", floor_ratio, "x"),
        metric("  rows/s", first["rows_per_second"], "rows/s"),
        metric("  peak RSS", peak, "MiB", f"< {RSS_LIMIT_MIB}", peak < RSS_LIMIT_MIB),
        metric("  inserted / rejected", f"{first['inserted']} / {first['rejected']}"),
        metric("PostgreSQL re-import", again["seconds"], "s"),
        metric("  ratio to the keyed COPY floor", result["reimport_ratio_to_floor"], "x"),
        metric("  unchanged", again["unchanged"]),
    ]
    return result
