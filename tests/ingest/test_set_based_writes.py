"""The set-based write path in one batch: new, changed and unchanged keys together, and
the bulk paper authorizations that let records be stored (`consent.record_paper`)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.consent import services as consent
from app.consent.models import Authorization, PullRequest
from app.extensions import db
from app.ingest.models import RecordHistory, TaxPayment
from app.ingest.services import ingest_records
from tests.ingest.conftest import batches, table_counts

TAX = ["uscc", "period", "tax_type", "amount", "due_on", "paid_on"]


def test_new_changed_and_unchanged_keys_in_one_batch(consenting, load):
    kept = [consenting.uscc, "2024-01", "增值税", "100.00", "2024-02-15", "2024-02-10"]
    fixed = [consenting.uscc, "2024-02", "增值税", "200.00", "2024-03-15", ""]
    first = load("tax_payments", TAX, [kept, fixed])
    stamp = db.session.scalar(select(TaxPayment.updated_at).where(TaxPayment.period == "2024-01"))
    fixed[3], fixed[5] = "210.00", "2024-03-12"
    new = [consenting.uscc, "2024-03", "增值税", "300.00", "", ""]
    second = load("tax_payments", TAX, [new, fixed, kept])
    assert (second.rows, second.inserted, second.updated, second.unchanged) == (3, 1, 1, 1)
    assert second.touched_usccs == [consenting.uscc]
    db.session.expire_all()
    stored = {p.period: p for p in db.session.scalars(select(TaxPayment))}
    assert (stored["2024-01"].batch_id, stored["2024-01"].updated_at) == (first.batch_id, stamp)
    assert (stored["2024-02"].amount, stored["2024-02"].batch_id) == (
        Decimal("210.00"),
        second.batch_id,
    )
    assert stored["2024-02"].paid_on.isoformat() == "2024-03-12"
    assert (stored["2024-03"].amount, stored["2024-03"].batch_id) == (
        Decimal("300.00"),
        second.batch_id,
    )
    [history] = db.session.scalars(select(RecordHistory)).all()
    assert json.loads(history.natural_key)["period"] == "2024-02"
    assert Decimal(str(json.loads(history.old_values)["amount"])) == Decimal("200.00")


def test_paper_authorizations_in_bulk_replace_overlapping_ones(factories):
    held, fresh = factories.enterprise(), factories.enterprise()
    earlier = consent.record_paper(
        [held.uscc], categories=["tax_ratings", "utility_bills"], evidence_ref="P-1",
        now=utcnow() - timedelta(days=1),
    )[0]  # fmt: skip
    created = consent.record_paper(
        [fresh.uscc, held.uscc], categories=["tax_payments", "tax_ratings"], evidence_ref="P-2"
    )
    assert [a.enterprise_id for a in created] == [fresh.id, held.id]
    assert created[0].categories == ["tax_payments", "tax_ratings"]
    # the new grant takes over the replaced one's other category (narrowing only by revoking)
    assert created[1].categories == ["tax_payments", "tax_ratings", "utility_bills"]
    db.session.expire_all()
    old = db.session.get(Authorization, earlier.id)
    assert (old.state, old.replaced_by_id) == ("revoked", created[1].id)
    assert consent.has_collection_consent(held.id, "utility_bills")
    pulls = db.session.scalars(
        select(PullRequest).where(PullRequest.authorization_id.in_([a.id for a in created]))
    ).all()
    assert sorted((p.enterprise_id, tuple(p.categories)) for p in pulls) == sorted(
        [
            (fresh.id, ("tax_payments", "tax_ratings")),
            (held.id, ("tax_payments", "tax_ratings", "utility_bills")),
        ]
    )


def test_paper_authorizations_for_more_enterprises_than_an_in_list_takes(factories, monkeypatch):
    """Found at 100,000 enterprises: one IN list of every code passed more parameters than a
    PostgreSQL statement takes. Every step goes by `util.chunked`; two per list here."""
    from app import util

    monkeypatch.setattr(util, "IN_LIST", 2)
    enterprises = [factories.enterprise() for _ in range(5)]
    held = consent.record_paper(
        [e.uscc for e in enterprises[:3]],
        categories=["tax_ratings", "utility_bills"],
        evidence_ref="P-1",
        now=utcnow() - timedelta(days=1),
    )
    created = consent.record_paper(
        [e.uscc for e in enterprises],
        categories=["tax_payments", "tax_ratings"],
        evidence_ref="P-2",
    )
    assert [a.enterprise_id for a in created] == [e.id for e in enterprises]
    taken_over = ["tax_payments", "tax_ratings", "utility_bills"]
    assert [a.categories for a in created] == [taken_over] * 3 + [
        ["tax_payments", "tax_ratings"]
    ] * 2
    db.session.expire_all()
    assert {db.session.get(Authorization, a.id).state for a in held} == {"revoked"}


def test_a_failure_after_chunks_were_staged_writes_nothing(consenting, monkeypatch):
    """PostgreSQL stages each chunk in a sender thread while the next is read: a failure
    then must still roll everything back and leave the connection usable."""
    monkeypatch.setattr("app.ingest.readers.CHUNK_ROWS", 2)
    db.session.commit()
    before = table_counts()

    def pages():
        for month in range(1, 8):
            yield {"uscc": consenting.uscc, "period": f"2024-0{month}", "tax_type": "增值税",
                   "amount": "1"}  # fmt: skip
        raise ConnectionError("source went away")

    with pytest.raises(ConnectionError):
        ingest_records("tax_payments", pages(), origin="pull")
    assert table_counts() == before
    assert batches("failed") == 1 and batches("succeeded") == 0
    record = {"uscc": consenting.uscc, "period": "2024-01", "tax_type": "增值税", "amount": "1"}
    assert ingest_records("tax_payments", [record], origin="pull").inserted == 1
