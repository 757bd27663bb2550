"""The enterprise's own records page data: the 36-month window, markers, ownership."""

from __future__ import annotations

from datetime import date

import pytest

from app.disputes import records, services
from app.errors import NotFound, ValidationFailed
from app.ingest.services import ingest_records

TODAY = date(2026, 11, 27)


def test_the_window_is_36_months_and_decisions_in_force_stay(world):
    uscc = world.enterprise.uscc
    ingest_records(
        "tax_payments",
        [
            {"uscc": uscc, "period": "2023-11", "tax_type": "增值税", "amount": "10"},
            {"uscc": uscc, "period": "2023-10", "tax_type": "增值税", "amount": "10"},
        ],
        origin="push",
    )
    ingest_records("public_credit", [
        {"uscc": uscc, "category": "黑名单", "ref_no": "失信-2019-1", "authority": "法院",
         "decided_on": "2019-05-01", "valid_until": "2029-05-01"},
        {"uscc": uscc, "category": "行政处罚", "ref_no": "罚-2019-2", "authority": "税务局",
         "decided_on": "2019-05-01"}], origin="push")  # fmt: skip
    periods = [r.values["period"] for r in records.own_records(world.enterprise.id, "tax_payments",
                                                                today=TODAY)]  # fmt: skip
    assert periods == ["2026-04", "2026-03", "2023-11"]  # 2023-10 is 37 months back
    refs = [r.values["ref_no"] for r in records.own_records(world.enterprise.id, "public_credit",
                                                             today=TODAY)]  # fmt: skip
    assert "失信-2019-1" in refs and "罚-2019-2" not in refs
    assert [r.values["year"] for r in records.own_records(world.enterprise.id, "tax_ratings",
                                                          today=TODAY)] == [2025]  # fmt: skip


def test_rows_carry_their_open_or_withdrawing_dispute(world):
    dispute = services.file_dispute(world.enterprise.id, "tax_payments", world.unpaid_tax.id,
                                    reason="有误", user_id=world.owner.id)  # fmt: skip
    rows = {r.id: r for r in records.own_records(world.enterprise.id, "tax_payments")}
    assert rows[world.unpaid_tax.id].status == "open"
    assert rows[world.unpaid_tax.id].dispute == dispute
    assert all(r.status is None for i, r in rows.items() if i != world.unpaid_tax.id)
    services.resolve(dispute.id, "upheld", user_id=world.admin.id, note="无误")
    rows = {r.id: r for r in records.own_records(world.enterprise.id, "tax_payments")}
    assert rows[world.unpaid_tax.id].status is None  # contestable again


def test_own_record_and_source_checks(world):
    assert records.get_own_record(world.enterprise.id, "utility_bills", world.bill.id) == world.bill
    with pytest.raises(NotFound):
        records.get_own_record(world.other.id, "utility_bills", world.bill.id)
    with pytest.raises(ValidationFailed):
        records.own_records(world.enterprise.id, "enterprises")
    assert records.contestable_fields("tax_ratings") == ("year", "grade")
