"""The operator's home page starts the day with what waits: verifications to review,
objections and credit repairs to decide, each with how many are past their deadline, each a
link into its queue."""

from __future__ import annotations

from datetime import timedelta

from app.clock import local_today
from app.disputes import services
from app.extensions import db
from app.main.services import operator_queues
from tests.conftest import WebClient


def test_the_operator_sees_the_queues_and_their_late_cases(app, world):
    first = services.file_dispute(world.enterprise.id, "public_credit", world.penalty.id,
                                  reason="有误", user_id=world.owner.id)  # fmt: skip
    services.file_dispute(world.enterprise.id, "tax_payments", world.unpaid_tax.id,
                          reason="已缴", user_id=world.owner.id)  # fmt: skip
    first.deadline = local_today() - timedelta(days=1)  # its step's last day has passed
    db.session.commit()

    queues = {q.key: q for q in operator_queues()}
    assert (queues["disputes"].waiting, queues["disputes"].overdue) == (2, 1)
    assert (queues["repairs"].waiting, queues["repairs"].overdue) == (0, 0)
    assert queues["verifications"].overdue == 0

    client = WebClient(app.test_client())
    client.login(world.admin)
    page = client.get("/admin").get_data(as_text=True)
    assert 'data-testid="operator-queues"' in page
    assert 'href="/admin/disputes" data-queue="disputes"' in page
    assert "异议处理" in page and "已超时 1" in page
