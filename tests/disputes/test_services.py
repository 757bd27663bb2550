"""Filing and resolving disputes: ownership, one open per record, each outcome, history."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.clock import local_today, utcnow
from app.disputes import records, services
from app.disputes.models import Dispute, DisputeEvent
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.facts.records import counts
from app.ingest.models import ImportBatch, RecordHistory, TaxPayment


def _file(world, record=None, source="tax_payments", **kw):
    record = record if record is not None else world.unpaid_tax
    kw.setdefault("reason", "该月增值税已于 2026-05-12 缴清，附完税证明")
    return services.file_dispute(
        world.enterprise.id, source, record.id, user_id=world.owner.id, **kw
    )


def _resolve(world, dispute, outcome, **kw):
    kw.setdefault("note", "经核实")
    return services.resolve(dispute.id, outcome, user_id=world.admin.id, **kw)


# --- filing ------------------------------------------------------------------------------


def test_filing_on_an_own_record_opens_a_dispute_with_a_frozen_copy(world):
    before = utcnow()
    dispute = _file(world, field="paid_on", evidence="完税证明 No.123")
    db.session.commit()
    assert dispute.status == "open" and dispute.uscc == world.enterprise.uscc
    assert dispute.record_key == {"uscc": world.enterprise.uscc, "period": "2026-04",
                                  "tax_type": "增值税"}  # fmt: skip
    assert dispute.record_values == {"amount": "800.00", "due_on": "2026-05-15", "paid_on": None}
    assert (dispute.field, dispute.evidence) == ("paid_on", "完税证明 No.123")
    assert dispute.filed_by_id == world.owner.id and dispute.filed_at >= before
    assert dispute.deadline > before.date()
    [event] = dispute.events
    assert (event.from_status, event.to_status, event.user_id) == (None, "open", world.owner.id)
    assert event.note == dispute.reason and event.at == dispute.filed_at


def test_another_enterprises_record_is_not_found(world):
    theirs = world.record(TaxPayment, world.other, period="2026-04")
    with pytest.raises(NotFound):
        _file(world, theirs)
    with pytest.raises(NotFound):
        _file(world, theirs, source="utility_bills")  # an id of another table
    with pytest.raises(NotFound):
        services.file_dispute(world.enterprise.id, "tax_payments", 10**9, reason="x",
                              user_id=world.owner.id)  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_only_the_enterprises_own_user_may_file(world, factories):
    for user in (world.other_owner, world.admin, factories.user(Role.BANK_OFFICER)):
        with pytest.raises(Forbidden):
            services.file_dispute(world.enterprise.id, "tax_payments", world.unpaid_tax.id,
                                  reason="x", user_id=user.id)  # fmt: skip


def test_one_open_dispute_per_record(world):
    _file(world)
    with pytest.raises(Conflict) as second:
        _file(world, reason="再次提出")
    assert second.value.code == "dispute_open"
    _file(world, world.penalty, source="public_credit")  # another record is fine
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 2


def test_the_database_refuses_a_second_open_dispute_too(world):
    """The partial unique index holds even if two filings pass the service check at once."""
    first = _file(world)
    db.session.commit()
    twin = Dispute(**{c: getattr(first, c) for c in (
        "enterprise_id", "uscc", "source", "record_id", "record_key", "record_values", "reason",
        "filed_by_id", "filed_at", "deadline")}, status="open")  # fmt: skip
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(twin)
        db.session.flush()


def test_after_a_resolution_the_record_may_be_contested_again(world):
    _resolve(world, _file(world), "upheld", note="税务机关确认未缴")
    again = _file(world, reason="补充材料后再次提出")
    assert again.status == "open"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(world, reason):
    with pytest.raises(ValidationFailed) as exc:
        _file(world, reason=reason)
    assert exc.value.field == "reason"


def test_bad_source_field_and_overlong_reason_name_their_field(world):
    with pytest.raises(ValidationFailed) as exc:
        _file(world, source="enterprises")
    assert exc.value.field == "source"
    with pytest.raises(ValidationFailed) as exc:
        _file(world, field="uscc")
    assert exc.value.field == "field"
    with pytest.raises(ValidationFailed) as exc:
        _file(world, reason="长" * (services.REASON_MAX + 1))
    assert exc.value.field == "reason"


# --- resolving ---------------------------------------------------------------------------


def test_upheld_keeps_the_record_and_records_who_when_and_why(world):
    dispute = _file(world)
    record_before = records.snapshot("tax_payments", world.unpaid_tax)
    before = utcnow()
    _resolve(world, dispute, "upheld", note="税务系统显示该笔税款至今未缴")
    db.session.commit()
    assert dispute.status == "upheld"
    assert dispute.resolved_by_id == world.admin.id and dispute.resolved_at >= before
    assert dispute.resolution_note == "税务系统显示该笔税款至今未缴"
    assert [(e.from_status, e.to_status, e.user_id) for e in dispute.events] == [
        (None, "open", world.owner.id), ("open", "upheld", world.admin.id)]  # fmt: skip
    assert dispute.events[1].note == "税务系统显示该笔税款至今未缴"
    assert records.snapshot("tax_payments", world.unpaid_tax) == record_before
    assert services.dispute_marks(world.enterprise.uscc, ["tax_payments"]) == {}


def test_corrected_changes_the_value_and_keeps_the_old_one_in_history(world):
    record = world.unpaid_tax
    old_batch = record.batch_id
    dispute = _file(world, field="paid_on")
    _resolve(world, dispute, "corrected", note="凭完税证明更正缴款日期",
             corrected_values={"paid_on": "2026年5月12日", "amount": "800"})  # fmt: skip
    db.session.commit()
    db.session.refresh(record)
    assert record.paid_on.isoformat() == "2026-05-12" and record.amount == Decimal("800.00")
    assert dispute.status == "corrected"
    assert dispute.corrected_values == {"paid_on": "2026-05-12", "amount": "800.00"}
    [history] = db.session.scalars(
        select(RecordHistory).where(RecordHistory.uscc == world.enterprise.uscc)
    ).all()
    assert json.loads(history.natural_key) == dispute.record_key
    old = json.loads(history.old_values)
    assert old["paid_on"] is None and Decimal(str(old["amount"])) == Decimal("800")
    batch = db.session.get(ImportBatch, record.batch_id)
    assert record.batch_id != old_batch and history.batch_id == batch.id
    assert (batch.user_id, batch.filename, batch.updated) == (
        world.admin.id,
        f"dispute #{dispute.id}",
        1,
    )
    assert records.record_history(dispute)[0]["old_values"]["paid_on"] is None
    assert [e.to_status for e in dispute.events] == ["open", "corrected"]


def test_a_correction_is_validated_like_an_import(world):
    dispute = _file(world)
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        _resolve(world, dispute, "corrected", corrected_values={"amount": "-5"})
    assert exc.value.field == "amount" and exc.value.code == "invalid_correction"
    db.session.rollback()
    assert world.unpaid_tax.amount == Decimal("800.00")
    assert db.session.get(Dispute, dispute.id).status == "open"
    assert db.session.scalar(select(func.count()).select_from(RecordHistory)) == 0


@pytest.mark.parametrize(
    ("values", "code"),
    [(None, "corrections_missing"), ({}, "corrections_missing"),
     ({"period": "2026-05"}, "not_correctable"), ({"amount": "800.00"}, "nothing_changed")],
)  # fmt: skip
def test_a_correction_needs_changed_value_fields(world, values, code):
    dispute = _file(world)
    with pytest.raises(ValidationFailed) as exc:
        _resolve(world, dispute, "corrected", corrected_values=values)
    assert exc.value.code == code and exc.value.field == "corrected_values"


def test_withdrawn_hides_the_record_from_what_banks_and_the_profile_read(world):
    from app.bankview.profile import read_section

    penalty = world.penalty
    assert len(read_section("public_credit", world.enterprise, services.Marks())["records"]) == 2
    dispute = _file(world, penalty, source="public_credit", reason="处罚决定已被复议撤销")
    _resolve(world, dispute, "withdrawn", note="复议决定书确认撤销")
    db.session.commit()
    assert dispute.status == "withdrawn"
    section = read_section("public_credit", world.enterprise, services.Marks())
    assert [r["category"] for r in section["records"]] == ["license"]
    assert section["by_category"] == {"license": 1}
    # the exclusion any reader (or feature extraction) can add to its WHERE
    kept = db.session.scalars(
        select(penalty.__class__.id).where(
            penalty.__class__.uscc == world.enterprise.uscc,
            counts("public_credit", penalty.__class__, local_today()),
        )
    ).all()
    assert penalty.id not in kept and len(kept) == 1
    # the other enterprise's record with the same shape is untouched
    assert len(read_section("public_credit", world.other, services.Marks())["records"]) == 2
    with pytest.raises(Conflict) as exc:
        _file(world, penalty, source="public_credit")
    assert exc.value.code == "record_withdrawn"


def test_every_outcome_needs_a_note_and_a_known_outcome(world):
    dispute = _file(world)
    for note in ("", "  ", None):
        with pytest.raises(ValidationFailed) as exc:
            _resolve(world, dispute, "upheld", note=note)
        assert exc.value.field == "note"
    with pytest.raises(ValidationFailed) as exc:
        _resolve(world, dispute, "rejected")
    assert exc.value.field == "outcome"
    with pytest.raises(ValidationFailed) as exc:
        _resolve(world, dispute, "upheld", corrected_values={"amount": "1"})
    assert exc.value.field == "corrected_values"
    assert dispute.status == "open"


def test_a_resolved_dispute_cannot_be_resolved_again(world):
    dispute = _file(world)
    _resolve(world, dispute, "upheld")
    with pytest.raises(Conflict):
        _resolve(world, dispute, "withdrawn")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(DisputeEvent)
            .where(DisputeEvent.dispute_id == dispute.id)
        )
        == 2
    )


def test_only_the_operator_resolves(world, factories):
    dispute = _file(world)
    for user in (world.owner, factories.user(Role.BANK_ADMIN), factories.user(Role.REGULATOR)):
        with pytest.raises(Forbidden):
            services.resolve(dispute.id, "withdrawn", user_id=user.id, note="x")
    assert dispute.status == "open"
    with pytest.raises(NotFound):
        services.resolve(10**9, "upheld", user_id=world.admin.id, note="x")


# --- lists and markers -------------------------------------------------------------------


def test_lists_and_the_readers_marker(world):
    from datetime import date

    late = _file(world, world.bill, source="utility_bills")
    late.deadline = date(2026, 1, 5)
    soon = _file(world)
    theirs = services.file_dispute(
        world.other.id, "tax_payments", world.record(TaxPayment, world.other, period="2026-04").id,
        reason="x", user_id=world.other_owner.id)  # fmt: skip
    db.session.flush()
    assert services.list_open()[0] == late  # overdue first
    assert services.list_open(overdue_first=False)[0] == theirs  # newest first
    assert services.list_for_enterprise(world.enterprise.id) == [soon, late]
    marks = services.dispute_marks(world.enterprise.uscc, ["tax_payments", "utility_bills"])
    assert marks == {
        "tax_payments": services.Marks(frozenset({soon.record_id})),
        "utility_bills": services.Marks(frozenset({late.record_id})),
    }
    assert services.dispute_marks(world.other.uscc, ["tax_payments"]) == {
        "tax_payments": services.Marks(frozenset({theirs.record_id}))
    }
    assert services.dispute_marks(world.enterprise.uscc, ["social_insurance"]) == {}
    assert services.is_overdue(late) and not services.is_overdue(soon)
    _resolve(world, late, "upheld")
    assert services.list_disputes("upheld") == [late]
    with pytest.raises(ValidationFailed):
        services.list_disputes("closed")


# --- the profile rebuild -----------------------------------------------------------------


def test_resolving_rebuilds_the_profile(world, monkeypatch):
    from app.profiles import services as profiles

    calls = []
    real = profiles.rebuild

    def recording(enterprise_ids, **kwargs):
        calls.append((list(enterprise_ids), kwargs))
        return real(enterprise_ids, **kwargs)

    monkeypatch.setattr(profiles, "rebuild", recording)
    dispute = _file(world)
    assert calls == []  # filing changes nothing the score reads
    _resolve(world, dispute, "withdrawn")
    assert calls == [([world.enterprise.id], {"trigger": "dispute", "as_of": None})]


def test_the_exclusion_works_on_the_lightweight_tables_feature_extraction_uses(world):
    """features.py reads through `table()` clauses; adding an `id` column and the condition
    is all it takes to leave withdrawn records out."""
    from sqlalchemy import Integer, String, column, table

    tax_payments_t = table(
        "tax_payments", column("id", Integer), column("uscc", String), column("period", String)
    )
    dispute = _file(world)
    _resolve(world, dispute, "withdrawn", note="重复记录")
    periods = db.session.scalars(
        select(tax_payments_t.c.period)
        .where(
            tax_payments_t.c.uscc.in_([world.enterprise.uscc, world.other.uscc]),
            counts("tax_payments", tax_payments_t, local_today()),
        )
        .order_by(tax_payments_t.c.period)
    ).all()
    assert periods == ["2026-03", "2026-03", "2026-04"]  # the other's April stays
