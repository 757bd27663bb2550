"""Two operators deciding the same dispute at once: exactly one decision stands."""

from __future__ import annotations

import os
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from app import events as app_events
from app.auth.models import Role, User
from app.disputes import services
from app.disputes.models import Dispute, DisputeEvent
from app.enterprises.models import Enterprise
from app.errors import Conflict
from app.extensions import db
from app.ingest.models import TaxPayment
from app.notifications.models import Notification


@pytest.mark.committing
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_concurrent_resolutions_one_wins_the_other_gets_409(app, monkeypatch):
    with app.app_context():
        from tests.factories import Factories

        factories = Factories()
        enterprise = factories.enterprise()
        owner = factories.user(Role.ENTERPRISE, enterprise=enterprise)
        admins = [factories.user(Role.ADMIN), factories.user(Role.ADMIN)]
        record = TaxPayment(uscc=enterprise.uscc, period="2026-04", tax_type="增值税",
                            amount=Decimal("800"), due_on=date(2026, 5, 15), batch_id=0)  # fmt: skip
        db.session.add(record)
        db.session.flush()
        dispute = services.file_dispute(enterprise.id, "tax_payments", record.id, reason="有误",
                                        user_id=owner.id)  # fmt: skip
        db.session.commit()
        ids = {"dispute": dispute.id, "record": record.id, "enterprise": enterprise.id,
               "users": [owner.id, *(a.id for a in admins)]}  # fmt: skip

    # Both pass the "still open?" check before either writes.
    barrier = threading.Barrier(2, timeout=20)
    real_utcnow = services.utcnow

    def utcnow_after_both_checked():
        barrier.wait()
        return real_utcnow()

    monkeypatch.setattr(services, "utcnow", utcnow_after_both_checked)
    outcomes: dict[str, object] = {}

    def decide(admin_id: int, outcome: str):
        with app.app_context():
            try:
                services.resolve(ids["dispute"], outcome, user_id=admin_id, note=outcome)
                db.session.commit()
                outcomes[outcome] = "won"
            except Conflict as exc:
                db.session.rollback()
                outcomes[outcome] = exc
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcomes[outcome] = exc

    threads = [
        threading.Thread(target=decide, args=(ids["users"][1], "upheld")),
        threading.Thread(target=decide, args=(ids["users"][2], "withdrawn")),
    ]
    with app_events.records_changed.muted():  # the rebuild is not what races here
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    try:
        results = list(outcomes.values())
        assert results.count("won") == 1, outcomes
        [lost] = [r for r in results if r != "won"]
        assert isinstance(lost, Conflict) and lost.code == "already_resolved"
        with app.app_context():
            stored = db.session.get(Dispute, ids["dispute"])
            winner = next(o for o, r in outcomes.items() if r == "won")
            assert stored.status == winner
            events = db.session.scalars(
                select(DisputeEvent.to_status).where(DisputeEvent.dispute_id == ids["dispute"])
            ).all()
            assert sorted(events) == sorted(["open", winner])
    finally:
        with app.app_context():
            db.session.execute(
                delete(DisputeEvent).where(DisputeEvent.dispute_id == ids["dispute"])
            )
            db.session.execute(delete(Dispute).where(Dispute.id == ids["dispute"]))
            db.session.execute(delete(TaxPayment).where(TaxPayment.id == ids["record"]))
            db.session.execute(
                delete(Notification).where(Notification.enterprise_id == ids["enterprise"])
            )
            db.session.execute(delete(User).where(User.id.in_(ids["users"])))
            db.session.execute(delete(Enterprise).where(Enterprise.id == ids["enterprise"]))
            db.session.commit()
