"""Two banks accept one open demand at the same instant: exactly one wins (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select

from app.applications import services
from app.applications.models import Application, ApplicationEvent
from app.auth.models import Role, User
from app.banks.models import Bank
from app.enterprises.models import Enterprise
from app.errors import Conflict, NotFound
from app.extensions import db
from app.notifications.models import EmailOutbox, Notification
from app.products.models import Product
from tests.factories import Factories
from tests.products.helpers import make_product

pytestmark = pytest.mark.committing
ROUNDS = 5


@pytest.fixture
def contenders(app):
    with app.app_context():
        if db.engine.url.get_backend_name() != "postgresql":
            pytest.skip("the race needs PostgreSQL's row locks (set TEST_DATABASE_URL)")
        f = Factories()
        banks = [f.bank(), f.bank()]
        officers = [f.user(Role.BANK_OFFICER, bank=b) for b in banks]
        for bank in banks:
            make_product(bank)
        owner = f.user(Role.ENTERPRISE)
        demands = [
            services.create_application(
                owner.enterprise_id, product_id=None, amount=str(200000 + i), term_months=12,
                purpose="竞争测试", user_id=owner.id,
            ).id
            for i in range(ROUNDS)
        ]  # fmt: skip
        db.session.commit()
        ids = {
            "banks": [b.id for b in banks],
            "officers": [u.id for u in officers],
            "owner": owner.id,
            "enterprise": owner.enterprise_id,
            "demands": demands,
        }
    yield ids
    with app.app_context():
        users = [*ids["officers"], ids["owner"]]
        notes = select(Notification.id).where(
            (Notification.bank_id.in_(ids["banks"]))
            | (Notification.enterprise_id == ids["enterprise"]))  # fmt: skip
        db.session.execute(delete(EmailOutbox).where(
            EmailOutbox.notification_id.in_(notes) | EmailOutbox.user_id.in_(users)))  # fmt: skip
        db.session.execute(delete(Notification).where(Notification.id.in_(notes)))
        db.session.execute(
            delete(ApplicationEvent).where(ApplicationEvent.application_id.in_(ids["demands"]))
        )
        db.session.execute(delete(Application).where(Application.id.in_(ids["demands"])))
        db.session.execute(delete(Product).where(Product.bank_id.in_(ids["banks"])))
        db.session.execute(delete(User).where(User.id.in_(users)))
        db.session.execute(delete(Enterprise).where(Enterprise.id == ids["enterprise"]))
        db.session.execute(delete(Bank).where(Bank.id.in_(ids["banks"])))
        db.session.commit()


def _race(app, demand_id: int, officer_ids: list[int]) -> list[tuple[int, str]]:
    """Both officers accept `demand_id` at the same instant; what each got."""
    barrier = threading.Barrier(len(officer_ids))
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def accept(officer_id: int) -> None:
        with app.app_context():
            officer = db.session.get(User, officer_id)
            barrier.wait(timeout=10)
            try:
                services.accept(demand_id, officer)
                db.session.commit()
                result = "won"
            except (Conflict, NotFound) as exc:
                db.session.rollback()
                result = f"lost:{exc.status}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append((officer_id, result))

    threads = [threading.Thread(target=accept, args=(o,)) for o in officer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_exactly_one_bank_wins_each_open_demand(app, contenders):
    for demand_id in contenders["demands"]:
        outcomes = _race(app, demand_id, contenders["officers"])
        results = sorted(r for _o, r in outcomes)
        # The loser lost the conditional UPDATE (409), or found the demand already taken (404).
        assert results[1] == "won" and results[0] in ("lost:409", "lost:404"), outcomes
        with app.app_context():
            demand = db.session.get(Application, demand_id)
            winner = next(o for o, r in outcomes if r == "won")
            winner_bank = db.session.get(User, winner).bank_id
            assert (demand.state, demand.bank_id) == ("accepted", winner_bank)
            accepts = db.session.scalars(select(ApplicationEvent).where(
                ApplicationEvent.application_id == demand_id,
                ApplicationEvent.action == "accept")).all()  # fmt: skip
            assert len(accepts) == 1
            db.session.remove()
