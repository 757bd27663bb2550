"""A measured child process: `python -m bench.child '<json steps>'` with DATABASE_URL set.

Steps: {"op": "upgrade"} migrates the database (what `flask db upgrade` runs);
{"op": "ingest", "source", "path"} calls `ingest_file` and commits (and says how long
the after-batch hooks took); {"op": "parse", "source", "path"} only reads and checks it;
{"op": "authorize", "path"} records the collection authorizations listed in a JSON file
({"categories": [...], "usccs": [...]} items). Prints one JSON line: each step's seconds
and result, and the peak RSS of this process (ru_maxrss).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def timed_batch_effects() -> Iterator[list[float]]:
    """Inside, each import batch's effects (`app.events.batch_written` and `batch_settled`:
    the sizes, publicity windows, the profile rebuild, the notices) are timed; yields the
    list each batch's seconds are appended to."""
    from app import events

    timings: list[float] = []
    signals = (events.batch_written, events.batch_settled)
    sends = [signal.send for signal in signals]

    def timed(send):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return send(*args, **kwargs)
            finally:
                timings.append(time.perf_counter() - started)

        return run

    for signal, send in zip(signals, sends, strict=True):
        signal.send = timed(send)  # type: ignore[method-assign]
    try:
        yield timings
    finally:
        for signal in signals:
            del signal.send  # the class's method again


def _ingest(step: dict) -> dict:
    """`ingest_file` and the commit; `after_batch_seconds` is the part spent in the
    batch's effects (the profile rebuild), inside the same call."""
    from app.ingest import services

    with timed_batch_effects() as timings:
        summary = services.ingest_file(step["source"], Path(step["path"])).to_dict()
    summary["rejections"] = summary.get("rejections", [])[:5]
    summary["after_batch_seconds"] = round(sum(timings), 3)
    return summary


def _parse(step: dict) -> dict:
    """Read and check the file as `ingest_file` does, writing nothing: the Python side
    alone (encoding check, pandas reading, normalisation and validation)."""
    from app.ingest.normalize import check_chunk
    from app.ingest.readers import file_checksum, read_file
    from app.ingest.services import _context, get_spec

    spec = get_spec(step["source"])
    path = Path(step["path"])
    file_checksum(path)
    ctx = _context()
    rows = valid = 0
    for chunk in read_file(path, spec):
        checked = check_chunk(chunk.frame, spec, ctx)
        rows += checked.rows
        valid += len(checked.valid)
    return {"rows": rows, "valid": valid}


def _authorize(step: dict) -> dict:
    from app.demo.services import authorize_collection

    groups = json.loads(Path(step["path"]).read_text(encoding="utf-8"))
    created = authorize_collection({tuple(g["categories"]): g["usccs"] for g in groups})
    return {"authorizations": created}


def _upgrade(step: dict) -> dict:
    from flask_migrate import upgrade

    upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
    return {}


OPS = {"upgrade": _upgrade, "ingest": _ingest, "parse": _parse, "authorize": _authorize}


def main(argv: list[str]) -> int:
    from app import create_app
    from app.extensions import db

    steps = json.loads(argv[1])
    app = create_app("development")
    report = []
    with app.app_context():
        for step in steps:
            started = time.perf_counter()
            result = OPS[step["op"]](step)
            db.session.commit()
            report.append({**step, "seconds": round(time.perf_counter() - started, 3), **result})
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"steps": report, "peak_rss_mib": round(peak_kib / 1024, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
