"""Duplicates, re-imports, corrections with history, and records (pull / push) batches."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ingest.models import ImportBatch, RecordHistory, TaxPayment, UtilityBill
from app.ingest.services import UnusableInput, ingest_records
from tests.ingest.conftest import batches, table_counts

UTIL = ["uscc", "utility", "period", "amount_due", "amount_paid", "due_on", "paid_on"]


def test_identical_duplicates_count_once_and_the_rest_unchanged(consenting, load):
    row = [consenting.uscc, "水费", "2024-03", "120.00", "120", "2024-04-10", "2024-04-08"]
    same_spelled_differently = [
        consenting.uscc,
        "水",
        "202403",
        "¥120",
        "120.0",
        "2024/4/10",
        "20240408",
    ]
    summary = load("utility_bills", UTIL, [row, same_spelled_differently, row])
    assert (summary.rows, summary.inserted, summary.unchanged, summary.rejected) == (3, 1, 2, 0)
    assert len(db.session.scalars(select(UtilityBill)).all()) == 1


def test_conflicting_duplicates_are_all_rejected(consenting, load):
    other = [consenting.uscc, "电", "2024-03", "50", "50", "", ""]
    a = [consenting.uscc, "水费", "2024-03", "120.00", "120", "", ""]
    b = [consenting.uscc, "水费", "2024-03", "130.00", "120", "", ""]
    summary = load("utility_bills", UTIL, [a, other, b, a])
    assert (summary.inserted, summary.rejected, summary.unchanged) == (1, 3, 0)
    assert [(r["row"], r["code"]) for r in summary.rejections] == [
        (2, "duplicate_conflict"),
        (4, "duplicate_conflict"),
        (5, "duplicate_conflict"),
    ]
    assert "不一致" in summary.rejections[0]["reason"]
    assert db.session.scalar(select(UtilityBill.utility)) == "electricity"


def test_reimport_changes_nothing(consenting, load):
    rows = [[consenting.uscc, "燃气费", f"2024-0{m}", "80", "80", "", ""] for m in range(1, 7)]
    first = load("utility_bills", UTIL, rows)
    stamps = {b.id: (b.batch_id, b.updated_at) for b in db.session.scalars(select(UtilityBill))}
    again = load("utility_bills", UTIL, rows)
    assert (first.inserted, again.inserted, again.updated, again.unchanged) == (6, 0, 0, 6)
    assert again.touched_usccs == [] and again.touched_enterprise_ids == []
    db.session.expire_all()
    assert {
        b.id: (b.batch_id, b.updated_at) for b in db.session.scalars(select(UtilityBill))
    } == stamps
    assert db.session.scalars(select(RecordHistory)).all() == []


def test_a_correction_is_updated_and_the_old_value_kept(consenting, load):
    rows = [
        [consenting.uscc, "暖气", "2024-01", "300", "0", "2024-02-10", ""],
        [consenting.uscc, "暖气", "2024-02", "300", "300", "2024-03-10", "2024-03-01"],
    ]
    first = load("utility_bills", UTIL, rows)
    rows[0][4], rows[0][6] = "300", "2024-02-20"  # paid after all
    second = load("utility_bills", UTIL, rows)
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 1)
    assert second.touched_usccs == [consenting.uscc]
    assert second.touched_enterprise_ids == [consenting.id]
    bill = db.session.scalar(select(UtilityBill).where(UtilityBill.period == "2024-01"))
    assert bill.amount_paid == Decimal("300.00") and bill.batch_id == second.batch_id
    [history] = db.session.scalars(select(RecordHistory)).all()
    assert (history.source, history.uscc, history.batch_id) == (
        "utility_bills",
        consenting.uscc,
        second.batch_id,
    )
    assert json.loads(history.natural_key) == {
        "uscc": consenting.uscc,
        "utility": "heating",
        "period": "2024-01",
    }
    old = json.loads(history.old_values)
    assert Decimal(str(old["amount_paid"])) == 0 and old["paid_on"] is None
    assert first.batch_id != second.batch_id


def test_enterprises_source_fills_a_registered_business_and_its_contact_phone(factories, load):
    registered = factories.enterprise(
        verified=False,
        contact_name="李四",
        contact_phone="13800000000",
        established_on=None,
        legal_rep=None,
    )
    header = ["uscc", "name", "established_on", "region_code", "industry_code", "legal_rep",
              "联系电话"]  # fmt: skip
    row = [registered.uscc, registered.name, "2015-06-01", "610113", "C", "王五", "13911112222"]
    summary = load("enterprises", header, [row])
    assert (summary.inserted, summary.updated) == (0, 1)
    db.session.refresh(registered)
    assert registered.verified and registered.legal_rep == "王五"
    # The contact phone is the registry's (企业年报 联系电话): verification codes go there.
    assert (registered.contact_name, registered.contact_phone) == ("李四", "13911112222")


def test_records_with_chinese_keys_from_a_generator(consenting):
    def pages():
        for month in (1, 2):
            yield {
                "统一社会信用代码": consenting.uscc,
                "所属期": f"2024年{month}月",
                "税种": "增值税",
                "实缴金额": 1000 + month,
                "缴款日期": None,
            }
        yield {
            "uscc": consenting.uscc,
            "period": "2024-03",
            "tax_type": "企业所得税",
            "amount": "5",
        }

    summary = ingest_records("tax_payments", pages(), origin="pull", label="test pull")
    assert (summary.rows, summary.inserted) == (3, 3)
    batch = db.session.get(ImportBatch, summary.batch_id)
    assert (batch.origin, batch.filename, batch.status) == ("pull", "test pull", "succeeded")
    assert len(batch.checksum) == 64
    amounts = sorted(db.session.scalars(select(TaxPayment.amount)))
    assert amounts == [Decimal("5.00"), Decimal("1001.00"), Decimal("1002.00")]


def test_an_exception_from_the_records_rolls_everything_back(consenting):
    db.session.commit()
    before = table_counts()

    def pages():
        yield {"uscc": consenting.uscc, "period": "2024-01", "tax_type": "增值税", "amount": "1"}
        raise ConnectionError("source went away")

    with pytest.raises(ConnectionError):
        ingest_records("tax_payments", pages(), origin="pull")
    assert table_counts() == before
    failed = db.session.scalar(select(ImportBatch).where(ImportBatch.status == "failed"))
    assert "source went away" in failed.error and failed.origin == "pull"
    assert batches("succeeded") == 0


def test_records_missing_a_required_field_are_unusable(consenting):
    db.session.commit()
    with pytest.raises(UnusableInput) as exc:
        ingest_records(
            "tax_payments", [{"uscc": consenting.uscc, "period": "2024-01"}], origin="push"
        )
    assert exc.value.code == "missing_column"
    assert db.session.scalars(select(TaxPayment)).all() == []


def test_empty_records_make_an_empty_batch(consenting):
    summary = ingest_records("tax_payments", [], origin="push")
    assert summary.to_dict() == {
        "source": "tax_payments",
        "rows": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "skipped_no_consent": 0,
        "batch_id": summary.batch_id,
        "rejections": [],
    }


def test_chunk_boundaries_keep_row_numbers_and_find_duplicates_across_chunks(
    consenting, load, monkeypatch
):
    monkeypatch.setattr("app.ingest.readers.CHUNK_ROWS", 2)
    rows = [[consenting.uscc, "水", f"2024-0{m}", "10", "10", "", ""] for m in range(1, 6)]
    rows.append(list(rows[0]))  # identical to row 2, three chunks later
    rows.append([consenting.uscc, "水", "2024-02", "99", "10", "", ""])  # conflicts with row 3
    rows.append([consenting.uscc, "水", "2024-06", "bad", "10", "", ""])
    summary = load("utility_bills", UTIL, rows)
    assert (summary.rows, summary.inserted, summary.unchanged, summary.rejected) == (8, 4, 1, 3)
    assert [(r["row"], r["code"]) for r in summary.rejections] == [
        (3, "duplicate_conflict"),
        (8, "duplicate_conflict"),
        (9, "invalid_amount"),
    ]


def test_records_across_chunks_number_from_one(consenting, monkeypatch):
    monkeypatch.setattr("app.ingest.readers.CHUNK_ROWS", 2)
    records = [
        {"uscc": consenting.uscc, "period": f"2024-0{m}", "headcount": 5, "amount_due": 100,
         "amount_paid": 100}
        for m in range(1, 5)
    ]  # fmt: skip
    records.append({"uscc": consenting.uscc, "period": "2024-05", "headcount": 5})
    summary = ingest_records("social_insurance", iter(records), origin="pull")
    assert (summary.rows, summary.inserted, summary.rejected) == (5, 4, 1)
    assert [(r["row"], r["column"], r["code"]) for r in summary.rejections] == [
        (5, "amount_due", "missing_value"),
        (5, "amount_paid", "missing_value"),
    ]
