"""`python -m bench [--only NAME ...] [--rows N] [--results PATH]` (what `make bench` runs)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench import db
from bench.machine import machine_info
from bench.registry import BENCH_DIR, BENCHMARKS, DEFAULT_PG_URL, Context, load_all, run


def merge_results(path: Path, results: dict[str, dict], machine: dict) -> dict:
    """Update `path` with these results, keeping the sections that were not re-run."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data["machine"] = machine
    sections = data.setdefault("benchmarks", {})
    for name, result in results.items():
        sections[name] = {"date": machine["date"], **result}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def table(results: dict[str, dict]) -> str:
    lines = [f"{'benchmark':<10} {'measure':<34} {'value':>16} {'unit':<7} {'target':<9} ok"]
    for name, result in results.items():
        if "error" in result:
            lines.append(f"{name:<10} ERROR: {result['error']}")
        for m in result.get("metrics", []):
            value = m["value"]
            if isinstance(value, float):
                shown = f"{value:,.2f}"
            elif isinstance(value, int) and not isinstance(value, bool):
                shown = f"{value:,}"
            else:
                shown = str(value)
            ok = {True: "yes", False: "NO", None: ""}[m["ok"]]
            lines.append(
                f"{name:<10} {m['name']:<34} {shown:>16} {m['unit']:<7} {m['target']:<9} {ok}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    load_all()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), default=None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    args = parser.parse_args(argv)
    pg_url = None if args.no_postgres else os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL)
    ctx = Context(out=args.out, rows=args.rows, pg_url=pg_url, keep=args.keep)
    names = args.only or sorted(BENCHMARKS)
    results = run(names, ctx)
    machine = machine_info(db.server_version(pg_url) if pg_url else None)
    merge_results(args.results, results, machine)
    print(table(results))
    print(f"results: {args.results}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
