"""Profile rebuild benchmark on PostgreSQL (targets: 100,000 enterprises × 36 months of
records rebuilt in under 60 s on 2 cores; the incremental rebuild after a 10,000-row batch
under 3 s).

Setup (not measured): `flask demo generate`'s generator writes the registry and the five record
sources for `rows // 10` enterprises (100,000 for the real run; ~220 records each), and they are
COPYed straight into the source tables (through a text staging table, cast on the way in).
Measured, in a child process:
(a) a full rebuild (`rebuild(None, trigger="full")`: extract, score, bulk-insert a snapshot
    for every enterprise, upsert the current-profile pointers);
(b) the same again: every fingerprint matches, nothing is written;
(c) a 10,000-row `tax_payments` batch (one corrected row for each of 10,000 enterprises)
    through `ingest_file`, whose after-batch hook rebuilds exactly the enterprises it touched:
    the batch's seconds and, separately, the incremental rebuild's.

`python -m bench --only profiles --rows 20000` for a 2,000-enterprise run while iterating.
"""

from __future__ import annotations

import csv
import json
import resource
import shutil
import sys
import time
from pathlib import Path

import psycopg

from bench import db
from bench.registry import ROOT, Context, benchmark, metric

MONTHS = 36
SEED = 5005
TARGET_SECONDS = 60
INCREMENTAL_TARGET_SECONDS = 3
BATCH_ROWS = 10_000
COPY_BLOCK = 1 << 20

# source → (table, {column: SQL type}) in CSV column order (English headers).
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "enterprises": ("enterprises", {
        "uscc": "text", "name": "text", "legal_rep": "text", "established_on": "date",
        "registered_capital": "numeric", "region_code": "text", "industry_code": "text",
        "scale": "text", "employees": "integer", "revenue": "numeric",
        "total_assets": "numeric", "address": "text",
    }),
    "public_credit": ("public_credit_records", {
        "uscc": "text", "category": "text", "ref_no": "text", "authority": "text",
        "decided_on": "date", "valid_until": "date", "content": "text",
        "penalty_amount": "numeric", "severity": "text",
    }),
    "tax_ratings": ("tax_ratings", {"uscc": "text", "year": "integer", "grade": "text"}),
    "tax_payments": ("tax_payments", {
        "uscc": "text", "period": "text", "tax_type": "text", "amount": "numeric",
        "due_on": "date", "paid_on": "date",
    }),
    "utility_bills": ("utility_bills", {
        "uscc": "text", "utility": "text", "period": "text", "amount_due": "numeric",
        "amount_paid": "numeric", "due_on": "date", "paid_on": "date",
    }),
    "social_insurance": ("social_insurance_records", {
        "uscc": "text", "period": "text", "headcount": "integer", "amount_due": "numeric",
        "amount_paid": "numeric", "paid_on": "date",
    }),
}  # fmt: skip


def generate(ctx: Context, work: Path) -> dict:
    from app.demo.generate import DemoData

    started = time.perf_counter()
    enterprises = max(50, ctx.rows // 10)
    generated = DemoData(enterprises, MONTHS, seed=SEED).write(work, headers="en")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "enterprises": generated.enterprises,
        "rows": generated.rows,
        "files": {k: str(v) for k, v in generated.files.items()},
    }


def load(url: str, files: dict[str, str]) -> dict[str, float]:
    """COPY every generated file into its source table (via a text staging table)."""
    seconds: dict[str, float] = {}
    with psycopg.connect(db.conninfo(url)) as conn:
        for source, (table, columns) in TABLES.items():
            started = time.perf_counter()
            names = list(columns)
            staging = f"stage_{source}"
            conn.execute(f"CREATE TEMP TABLE {staging} ({', '.join(f'{c} text' for c in names)})")
            statement = f"COPY {staging} FROM STDIN (FORMAT csv, HEADER true)"
            with conn.cursor() as cur, open(files[source], "rb") as f, cur.copy(statement) as cp:
                while block := f.read(COPY_BLOCK):
                    cp.write(block)
            # Build the unique index once after the load, not row by row during it.
            constraints = conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                (table,),
            ).fetchall()
            for name, _definition in constraints:
                conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            casts = ", ".join(f"NULLIF({c}, '')::{t}" for c, t in columns.items())
            extra, values = "batch_id, created_at, updated_at", "0, now(), now()"
            if source == "enterprises":
                extra, values = extra + ", verified", values + ", true"
            conn.execute(
                f"INSERT INTO {table} ({', '.join(names)}, {extra}) "
                f"SELECT {casts}, {values} FROM {staging}"
            )
            conn.execute(f"DROP TABLE {staging}")
            for name, definition in constraints:
                conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            conn.commit()
            seconds[source] = round(time.perf_counter() - started, 1)
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return seconds


def batch_rows(enterprises: int) -> int:
    """10,000 for the real run (a tenth of the enterprises); a tenth of a smaller run's."""
    return max(1, min(BATCH_ROWS, enterprises // 10))


def batch_file(files: dict[str, str], work: Path, rows: int) -> tuple[Path, list[str]]:
    """`rows` corrected tax rows: each enterprise's first row, amount + 1 yuan."""
    out = work / "tax_batch.csv"
    seen: set[str] = set()
    with (
        open(files["tax_payments"], encoding="utf-8", newline="") as f,
        open(out, "w", encoding="utf-8", newline="") as g,
    ):
        reader, writer = csv.reader(f), csv.writer(g)
        header = next(reader)
        writer.writerow(header)
        amount = header.index("amount")
        for row in reader:
            if row[0] in seen:
                continue
            seen.add(row[0])
            row[amount] = f"{float(row[amount]) + 1:.2f}"
            writer.writerow(row)
            if len(seen) >= rows:
                break
    return out, sorted(seen)


# --- the measured child --------------------------------------------------------------------


def _child(steps: list[dict]) -> dict:
    from app import create_app
    from app.extensions import db as sa_db

    app = create_app("development")
    report = []
    with app.app_context():
        for step in steps:
            started = time.perf_counter()
            result = CHILD_OPS[step["op"]](step)
            sa_db.session.commit()
            report.append({**step, "seconds": round(time.perf_counter() - started, 3), **result})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"steps": report, "peak_rss_mib": round(peak, 1)}


def _op_upgrade(step: dict) -> dict:
    from flask_migrate import upgrade

    upgrade(directory=str(ROOT / "migrations"))
    return {}


def _op_rebuild(step: dict) -> dict:
    from app.profiles.services import rebuild

    summary = rebuild(None, trigger="full").to_dict()
    return {k: summary[k] for k in ("enterprises", "written", "unchanged", "scorecard_version")}


def _op_authorize(step: dict) -> dict:
    from app.demo.services import authorize_collection

    usccs = json.loads(Path(step["path"]).read_text(encoding="utf-8"))
    return {"authorizations": authorize_collection({("tax_payments",): usccs})}


def _op_batch(step: dict) -> dict:
    """`ingest_file` with the batch's effects (the profile rebuild) timed on their own."""
    from app.ingest import services as ingest
    from bench.child import timed_batch_effects

    with timed_batch_effects() as timings:
        summary = ingest.ingest_file("tax_payments", Path(step["path"]))
    from sqlalchemy import func, select

    from app.extensions import db as sa_db
    from app.profiles.models import ProfileSnapshot

    written = sa_db.session.scalar(
        select(func.count()).where(ProfileSnapshot.trigger == f"batch:{summary.batch_id}")
    )
    return {
        "rows": summary.rows,
        "updated": summary.updated,
        "touched_enterprises": len(summary.touched_enterprise_ids),
        "snapshots_written": written,
        "rebuild_seconds": round(sum(timings), 3),
    }


CHILD_OPS = {
    "upgrade": _op_upgrade,
    "rebuild": _op_rebuild,
    "authorize": _op_authorize,
    "batch": _op_batch,
}


def run_child(url: str, steps: list[dict]) -> dict:
    return db.run_module("bench.profiles", url, steps)


# --- the section ---------------------------------------------------------------------------


@benchmark("profiles")
def profiles(ctx: Context) -> dict:
    if not ctx.pg_url:
        return {"skipped": "needs PostgreSQL", "metrics": []}
    url = ctx.pg_url
    work = ctx.out / "profiles"
    shutil.rmtree(work, ignore_errors=True)
    gen = generate(ctx, work)
    ctx.log(f"profiles: generated {gen['enterprises']} enterprises, {gen['rows']}")
    db.create_database(url)
    try:
        run_child(url, [{"op": "upgrade"}])
        loaded = load(url, gen["files"])
        ctx.log(f"profiles: loaded {loaded}")
        batch, usccs = batch_file(gen["files"], work, batch_rows(gen["enterprises"]))
        listed = work / "batch_usccs.json"
        listed.write_text(json.dumps(usccs), encoding="utf-8")
        run_child(url, [{"op": "authorize", "path": str(listed)}])
        report = run_child(
            url, [{"op": "rebuild"}, {"op": "rebuild"}, {"op": "batch", "path": str(batch)}]
        )
    finally:
        if not ctx.keep:
            db.drop_database(url)
            shutil.rmtree(work, ignore_errors=True)
    full, again, inc = report["steps"]
    ctx.log(f"profiles: full {full['seconds']} s, unchanged {again['seconds']} s, batch {inc}")
    records = sum(v for k, v in gen["rows"].items() if k != "enterprises")
    return {
        "server_version": db.server_version(url),
        "enterprises": gen["enterprises"],
        "months": MONTHS,
        "records": gen["rows"],
        "setup_seconds": {"generate": gen["seconds"], "copy": loaded},
        "full_rebuild": {k: full[k] for k in ("seconds", "enterprises", "written", "unchanged")},
        "unchanged_rebuild": {
            k: again[k] for k in ("seconds", "enterprises", "written", "unchanged")
        },
        "incremental": {k: v for k, v in inc.items() if k not in ("op", "path")},
        "peak_rss_mib": report["peak_rss_mib"],
        "metrics": [
            metric("enterprises / records", f"{gen['enterprises']:,} / {records:,}"),
            metric(
                "full rebuild",
                full["seconds"],
                "s",
                f"< {TARGET_SECONDS}",
                full["seconds"] < TARGET_SECONDS,
            ),
            metric("  snapshots written", full["written"]),
            metric("rebuild, nothing changed", again["seconds"], "s"),
            metric("  written / unchanged", f"{again['written']} / {again['unchanged']}"),
            metric(
                f"{batch_rows(gen['enterprises']):,}-row batch incl. rebuild", inc["seconds"], "s"
            ),
            metric(
                "  incremental rebuild",
                inc["rebuild_seconds"],
                "s",
                f"< {INCREMENTAL_TARGET_SECONDS}",
                inc["rebuild_seconds"] < INCREMENTAL_TARGET_SECONDS,
            ),
            metric(
                "  touched / written",
                f"{inc['touched_enterprises']} / {inc['snapshots_written']}",
            ),
            metric("  peak RSS", report["peak_rss_mib"], "MiB"),
        ],
    }


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
