"""Applying twice is one application: a second identical open application is a 409, also
when both arrive at the same instant (PostgreSQL, threads)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select

from app.applications import services
from app.applications.models import Application, ApplicationEvent
from app.auth.models import Role, User
from app.banks.models import Bank
from app.enterprises.models import Enterprise
from app.errors import Conflict
from app.extensions import db
from app.notifications.models import Notification
from app.products.models import Product
from tests.factories import Factories
from tests.products.helpers import make_product

NEED = {"amount": "200000", "term_months": 12, "purpose": "采购原材料"}


def test_a_second_identical_open_application_is_409(api, factories):
    product = make_product(factories.bank())
    owner = factories.user(Role.ENTERPRISE)
    token = factories.token(owner)
    first = api.post("/api/v1/applications", NEED | {"product_id": product.id}, token=token)
    assert first.status_code == 201
    again = api.post("/api/v1/applications", NEED | {"product_id": product.id, "purpose": "同上"},
                     token=token)  # fmt: skip
    assert again.status_code == 409
    assert again.json["error"]["code"] == "duplicate_application"
    # Another amount, another term, an open demand: other applications.
    for other in ({"amount": "300000"}, {"term_months": 24}, {"product_id": None}):
        body = NEED | {"product_id": product.id} | other
        assert api.post("/api/v1/applications", body, token=token).status_code == 201
    # Once the first is no longer open, the same request may be made again.
    assert api.post(f"/api/v1/applications/{first.json['id']}/withdraw",
                    token=token).status_code == 200  # fmt: skip
    body = NEED | {"product_id": product.id}
    assert api.post("/api/v1/applications", body, token=token).status_code == 201


@pytest.fixture
def applicant(app):
    with app.app_context():
        if db.engine.url.get_backend_name() != "postgresql":
            pytest.skip("the race needs PostgreSQL's row locks (set TEST_DATABASE_URL)")
        f = Factories()
        bank = f.bank()
        product = make_product(bank)
        owner = f.user(Role.ENTERPRISE)
        db.session.commit()
        ids = {"bank": bank.id, "product": product.id, "owner": owner.id,
               "enterprise": owner.enterprise_id}  # fmt: skip
    yield ids
    with app.app_context():
        made = select(Application.id).where(Application.enterprise_id == ids["enterprise"])
        db.session.execute(
            delete(ApplicationEvent).where(ApplicationEvent.application_id.in_(made))
        )
        db.session.execute(
            delete(Application).where(Application.enterprise_id == ids["enterprise"])
        )
        db.session.execute(delete(Notification).where(Notification.bank_id == ids["bank"]))
        db.session.execute(delete(Product).where(Product.id == ids["product"]))
        db.session.execute(delete(User).where(User.id == ids["owner"]))
        db.session.execute(delete(Enterprise).where(Enterprise.id == ids["enterprise"]))
        db.session.execute(delete(Bank).where(Bank.id == ids["bank"]))
        db.session.commit()


@pytest.mark.committing
def test_identical_applications_at_the_same_instant_make_one(app, applicant):
    n = 4
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def apply() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                services.create_application(
                    applicant["enterprise"], product_id=applicant["product"],
                    user_id=applicant["owner"], **NEED,
                )  # fmt: skip
                db.session.commit()
                result = "created"
            except Conflict as exc:
                db.session.rollback()
                result = exc.code
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=apply) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["created"] + ["duplicate_application"] * (n - 1)
    with app.app_context():
        made = db.session.scalars(
            select(Application.id).where(Application.enterprise_id == applicant["enterprise"])
        ).all()
        assert len(made) == 1
        db.session.remove()
