"""Every import batch rebuilds exactly the enterprises whose records it changed, in the
batch's own transaction (files, the push API and pulls all pass through `ingest._run`)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import events
from app.extensions import db
from app.ingest import services as ingest
from app.ingest.models import ImportBatch, TaxPayment
from app.profiles import services
from app.profiles.models import ProfileSnapshot
from tests.ingest.conftest import csv_text, grant
from tests.profiles.conftest import paid_day, recent_periods

HEADER = ["uscc", "period", "tax_type", "amount", "due_on", "paid_on"]


def _rows(enterprise, amount="5000.00", months=6):
    rows = []
    for period in recent_periods(months):
        due, paid = paid_day(period)
        rows.append([enterprise.uscc, period, "增值税", amount, due.isoformat(), paid.isoformat()])
    return rows


def _write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    return path


def _triggers(enterprise) -> list[str]:
    return list(
        db.session.scalars(
            select(ProfileSnapshot.trigger)
            .where(ProfileSnapshot.enterprise_id == enterprise.id)
            .order_by(ProfileSnapshot.id)
        )
    )


def test_a_batch_rebuilds_exactly_the_enterprises_it_touched(factories, tmp_path):
    a, b, c, bystander = (factories.enterprise() for _ in range(4))
    for enterprise in (a, b, bystander):
        grant(enterprise)  # c has no collection authorization: its rows are skipped

    first = ingest.ingest_file("tax_payments", _write(tmp_path, "1.csv", _rows(a) + _rows(b)))
    assert sorted(first.touched_enterprise_ids) == sorted([a.id, b.id])
    assert _triggers(a) == [f"batch:{first.batch_id}"]
    assert _triggers(b) == [f"batch:{first.batch_id}"]
    assert services.latest_profile(a.id).coverage["tax_payments"] == 6

    # b's rows again (unchanged), a corrected, c without consent
    rows = _rows(a, amount="6000.00") + _rows(b) + _rows(c)
    second = ingest.ingest_file("tax_payments", _write(tmp_path, "2.csv", rows))
    assert (second.updated, second.unchanged, second.skipped_no_consent) == (6, 6, 6)
    assert second.touched_enterprise_ids == [a.id]
    assert _triggers(a) == [f"batch:{first.batch_id}", f"batch:{second.batch_id}"]
    assert _triggers(b) == [f"batch:{first.batch_id}"]
    assert _triggers(c) == [] and _triggers(bystander) == []
    assert services.latest_profile(a.id).features["tax_paid_12m"] == "36000.00"


def test_the_push_api_rebuilds_too(api, factories):
    enterprise = factories.enterprise()
    grant(enterprise)
    token = factories.token(factories.user("admin"))
    db.session.commit()
    records = [dict(zip(HEADER, row, strict=True)) for row in _rows(enterprise)]
    response = api.post("/api/v1/ingest/tax_payments", json={"records": records}, token=token)
    assert response.status_code == 200, response.get_json()
    batch_id = response.get_json()["batch_id"]
    assert services.latest_profile(enterprise.id).trigger == f"batch:{batch_id}"


def test_a_failing_rebuild_fails_the_batch_and_writes_nothing(factories, tmp_path, monkeypatch):
    enterprise = factories.enterprise()
    grant(enterprise)
    db.session.commit()

    def broken(summary):
        raise RuntimeError("rebuild broke")

    with (
        events.batch_settled.connected_to(broken),
        pytest.raises(RuntimeError, match="rebuild broke"),
    ):
        ingest.ingest_file("tax_payments", _write(tmp_path, "x.csv", _rows(enterprise)))
    assert db.session.scalar(select(func.count()).select_from(TaxPayment)) == 0
    assert services.latest_profile(enterprise.id) is None
    failed = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert failed.status == "failed" and "rebuild broke" in failed.error


def test_what_a_batch_implies_runs_in_two_steps(factories, tmp_path):
    """The facts derived from the records (`batch_written`) are complete before what rests
    on them (`batch_settled`: the rebuild), each step once per batch."""
    enterprise = factories.enterprise()
    grant(enterprise)
    db.session.commit()
    seen: list[tuple[str, int]] = []
    with (
        events.batch_written.connected_to(lambda s: seen.append(("written", s.batch_id))),
        events.batch_settled.connected_to(lambda s: seen.append(("settled", s.batch_id))),
    ):
        summary = ingest.ingest_file("tax_payments", _write(tmp_path, "x.csv", _rows(enterprise)))
    assert seen == [("written", summary.batch_id), ("settled", summary.batch_id)]
    assert services.rebuild_after_batch in events.batch_settled.receivers_for(summary)
