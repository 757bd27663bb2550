"""An import batch tells the enterprises whose records it changed, and only those with a
verified account to hear it, that new data arrived; a re-import that changes nothing and a
bank's loan-status report tell nobody."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.identity.models import VerificationState
from app.ingest import services as ingest
from app.ingest.models import Origin
from app.notifications.models import Notification
from tests.ingest.conftest import csv_text, grant
from tests.profiles.conftest import paid_day, recent_periods

HEADER = ["uscc", "period", "tax_type", "amount", "due_on", "paid_on"]


def _file(tmp_path, *enterprises):
    rows = []
    for enterprise in enterprises:
        for period in recent_periods(3):
            due, paid = paid_day(period)
            rows.append([enterprise.uscc, period, "增值税", "5000.00", due.isoformat(),
                         paid.isoformat()])  # fmt: skip
    path = tmp_path / "tax.csv"
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    return path


def _told() -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == "data_arrived")))


def test_the_enterprises_a_batch_changed_hear_of_it(factories, tmp_path):
    heard, silent, unverified = (factories.enterprise() for _ in range(3))
    for enterprise in (heard, silent, unverified):
        grant(enterprise)
    owner = factories.user(Role.ENTERPRISE, enterprise=heard)
    owner.verification_state = VerificationState.VERIFIED
    claimant = factories.user(Role.ENTERPRISE, enterprise=unverified)
    claimant.verification_state = VerificationState.UNVERIFIED
    db.session.flush()
    path = _file(tmp_path, heard, silent, unverified)
    summary = ingest.ingest_file("tax_payments", path)
    [note] = _told()
    assert note.enterprise_id == heard.id and note.link == "/enterprise/profile"
    assert (
        note.text
        == f"平台收到了贵企业新的纳税记录（导入批次 #{summary.batch_id}），画像和评分随之更新"
    )
    assert note.render("en").startswith("New data arrived for your enterprise: Tax payments")
    ingest.ingest_file("tax_payments", path)  # the same rows again: nothing changed
    assert len(_told()) == 1


def test_a_platform_correction_is_not_told_as_new_data(factories, tmp_path):
    enterprise = factories.enterprise()
    grant(enterprise)
    owner = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    owner.verification_state = VerificationState.VERIFIED
    db.session.flush()
    [period] = recent_periods(1)
    due, paid = paid_day(period)
    row = {"uscc": enterprise.uscc, "period": period, "tax_type": "增值税", "amount": "5000.00",
           "due_on": due.isoformat(), "paid_on": paid.isoformat()}  # fmt: skip
    summary = ingest.ingest_records("tax_payments", [row], origin=Origin.CORRECTION)
    assert summary.inserted == 1 and summary.origin == Origin.CORRECTION
    assert _told() == []  # the objection or the repair that made it tells the enterprise
    ingest.ingest_records("tax_payments", [{**row, "amount": "6000.00"}], origin=Origin.PUSH)
    assert len(_told()) == 1
