"""Two imports of the same records at the same time (PostgreSQL): both batches succeed; the
records are stored once and the batch that comes second counts them unchanged."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, func, select, text

from app import events
from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest import services
from app.ingest.models import ImportBatch, PublicCreditRecord, RecordHistory
from app.profiles.models import CurrentProfile, ProfileSnapshot
from tests.factories import Factories

pytestmark = pytest.mark.committing
RECORDS = 20


@pytest.fixture
def enterprises(app):
    with app.app_context():
        if db.engine.url.get_backend_name() != "postgresql":
            pytest.skip("the race needs PostgreSQL's concurrent transactions (TEST_DATABASE_URL)")
        f = Factories()
        usccs = [f.enterprise().uscc for _ in range(RECORDS)]
        db.session.commit()
        last_batch = db.session.scalar(select(func.max(ImportBatch.id))) or 0
    yield usccs
    with app.app_context():
        ids = select(Enterprise.id).where(Enterprise.uscc.in_(usccs))
        # Both batches, the one that wrote no row too.
        batch_ids = select(ImportBatch.id).where(
            ImportBatch.id > last_batch, ImportBatch.source == "public_credit"
        )
        db.session.execute(delete(CurrentProfile).where(CurrentProfile.enterprise_id.in_(ids)))
        db.session.execute(delete(ProfileSnapshot).where(ProfileSnapshot.enterprise_id.in_(ids)))
        db.session.execute(delete(RecordHistory).where(RecordHistory.uscc.in_(usccs)))
        db.session.execute(delete(PublicCreditRecord).where(PublicCreditRecord.uscc.in_(usccs)))
        db.session.execute(delete(ImportBatch).where(ImportBatch.id.in_(batch_ids)))
        db.session.execute(delete(Enterprise).where(Enterprise.uscc.in_(usccs)))
        db.session.commit()


def _records(usccs: list[str]) -> list[dict]:
    return [
        {
            "uscc": uscc,
            "类别": "黑名单",
            "文书号": f"陕失信〔2023〕{n}号",
            "认定机关": "陕西省发展和改革委员会",
            "认定日期": "2023年7月1日",
            "事由": "拒不履行",
        }
        for n, uscc in enumerate(usccs, start=1)
    ]


def _blocked_on_a_transaction(timeout: float = 30.0) -> bool:
    """Whether a session of this database waits for another's transaction to end (an
    INSERT that meets a key written by a transaction not committed yet), polled from a
    connection of its own for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'transactionid'"
                )
            )
            conn.rollback()  # a fresh snapshot of the statistics each time
            if waiting:
                return True
            time.sleep(0.02)
    return False


def test_the_second_of_two_simultaneous_imports_counts_the_rows_unchanged(app, enterprises):
    records = _records(enterprises)
    written = threading.Event()
    seen: dict[str, bool] = {}
    summaries: dict[str, object] = {}

    def hold_first(summary) -> None:
        # The first batch keeps its transaction open after writing, until the second one,
        # having classified the same keys as new, waits with its insert on the first's
        # uncommitted rows: the race, by events rather than by sleeping.
        if threading.current_thread().name == "first":
            written.set()
            seen["second waited"] = _blocked_on_a_transaction()

    def run() -> None:
        name = threading.current_thread().name
        with app.app_context():
            if name == "second":
                assert written.wait(timeout=60), "the first batch never wrote"
            try:
                summaries[name] = services.ingest_records("public_credit", records, origin="push")
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                summaries[name] = exc
            finally:
                db.session.remove()

    with events.batch_settled.connected_to(hold_first):
        threads = [threading.Thread(target=run, name=n) for n in ("first", "second")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    assert seen == {"second waited": True}
    first, second = summaries["first"], summaries["second"]
    assert isinstance(first, services.BatchSummary), first
    assert isinstance(second, services.BatchSummary), second
    assert (first.inserted, first.unchanged) == (RECORDS, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, RECORDS)
    with app.app_context():
        stored = db.session.scalars(
            select(PublicCreditRecord.uscc).where(PublicCreditRecord.uscc.in_(enterprises))
        ).all()
        assert sorted(stored) == sorted(enterprises)
        statuses = db.session.scalars(
            select(ImportBatch.status).where(ImportBatch.id.in_([first.batch_id, second.batch_id]))
        ).all()
        assert statuses == ["succeeded", "succeeded"]
