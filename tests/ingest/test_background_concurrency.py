"""Background imports against PostgreSQL's real concurrency: the progress a running import
writes is visible from another connection while the import's own transaction is still
open (its rows are not), and two schedulers claiming at once never run one job twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text

from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest import jobs, readers
from app.ingest.models import ImportBatch
from app.ingest.tasks import run_import_jobs
from app.profiles.models import CurrentProfile, ProfileSnapshot
from tests.factories import Factories
from tests.ingest.conftest import csv_text
from tests.ingest.test_files import ZH_HEADER, _rows

pytestmark = pytest.mark.committing


@pytest.fixture
def pg(app, tmp_path, monkeypatch):
    with app.app_context():
        if db.engine.url.get_backend_name() != "postgresql":
            pytest.skip("needs PostgreSQL's concurrent transactions (TEST_DATABASE_URL)")
        last = db.session.scalar(select(func.max(ImportBatch.id))) or 0
    monkeypatch.setitem(app.config, "INGEST_JOB_DIR", str(tmp_path / "jobs"))
    usccs: list[str] = []
    yield usccs
    with app.app_context():
        ids = select(Enterprise.id).where(Enterprise.uscc.in_(usccs))
        db.session.execute(delete(CurrentProfile).where(CurrentProfile.enterprise_id.in_(ids)))
        db.session.execute(delete(ProfileSnapshot).where(ProfileSnapshot.enterprise_id.in_(ids)))
        db.session.execute(delete(Enterprise).where(Enterprise.uscc.in_(usccs)))
        db.session.execute(delete(ImportBatch).where(ImportBatch.id > last))
        db.session.commit()


def _queue(app, usccs: list[str], rows: int) -> int:
    with app.app_context():
        data = _rows(Factories(), rows)
        usccs.extend(r[0] for r in data)
        stored = jobs.job_dir() / f"test-{len(usccs)}.csv"
        stored.write_text(csv_text(ZH_HEADER, data))
        batch = jobs.queue_file("enterprises", stored, "big.csv", user_id=None, origin="file")
        db.session.commit()
        return batch.id


def test_progress_is_visible_from_another_connection_mid_import(app, pg, monkeypatch):
    batch_id = _queue(app, pg, 30)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 10)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", timedelta(0))
    seen: list[tuple] = []
    advance = jobs.BatchProgress.advance

    def watching(self, n=1):
        advance(self, n)
        # Another connection, as the operator's page would use, mid-import.
        with db.engine.connect() as other:
            row = other.execute(
                text(
                    "SELECT status, rows_read, rows_rejected, total_rows "
                    "FROM import_batches WHERE id = :id"
                ),
                {"id": batch_id},
            ).one()
            written = other.scalar(
                select(func.count()).select_from(Enterprise).where(Enterprise.uscc.in_(pg))
            )
            seen.append((*row, written))

    monkeypatch.setattr(jobs.BatchProgress, "advance", watching)
    with app.app_context():
        details = run_import_jobs()
    assert details["imports"][0]["status"] == "succeeded"
    # After each chunk of 10 lines (the first has the header): the running batch's
    # progress, and none of its rows yet.
    assert seen == [
        ("running", 9, 0, 30, 0),
        ("running", 19, 0, 30, 0),
        ("running", 29, 0, 30, 0),
        ("running", 30, 0, 30, 0),
    ]
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.inserted) == ("succeeded", 30)
        assert (
            db.session.scalar(
                select(func.count()).select_from(Enterprise).where(Enterprise.uscc.in_(pg))
            )
            == 30
        )


def test_two_claimers_never_take_the_same_job(app, pg):
    queued = [_queue(app, pg, 1) for _ in range(6)]
    claims: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def claimer(name: str) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                while (batch_id := jobs.claim_next(f"host:{name}")) is not None:
                    claims[name].append(batch_id)
                    time.sleep(0.05)  # hold the row lock: the other one waits on it
                    db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    taken = claims["a"] + claims["b"]
    assert sorted(taken) == queued, claims  # each once, none lost
    with app.app_context():
        rows = db.session.execute(
            select(ImportBatch.id, ImportBatch.claimed_by, ImportBatch.attempts).where(
                ImportBatch.id.in_(queued)
            )
        ).all()
    owner = {i: n for n in claims for i in claims[n]}
    assert {(i, f"host:{owner[i]}", 1) for i in queued} == set(rows)
