"""The office's workbench: this month so far against last month, from the lending statistics
with their suppression."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from app.applications import services as applications
from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db
from app.main import workbench
from app.stats.queries import current_month, month_label, month_start
from app.util import SHANGHAI
from tests.conftest import WebClient
from tests.products.helpers import make_product


def _apply(factories, product, n):
    for _ in range(n):
        owner = factories.user(Role.ENTERPRISE)
        applications.create_application(
            owner.enterprise_id, product_id=product.id, amount="100000", term_months=12,
            purpose="备货", user_id=owner.id,
        )  # fmt: skip


def _last_and_this_month(factories, last: int, this: int) -> None:
    """`last` applications ten days before this month began, `this` now."""
    product = make_product(factories.bank())
    start = month_start(current_month())
    last_month = utcnow().astimezone(SHANGHAI).replace(
        year=start.year, month=start.month, day=1, hour=12
    ) - timedelta(days=10)
    with time_machine.travel(last_month, tick=False):
        _apply(factories, product, last)
    _apply(factories, product, this)
    db.session.commit()


def test_month_so_far_against_last_month(app, factories):
    _last_and_this_month(factories, last=4, this=3)
    office = factories.user(Role.REGULATOR)
    result = workbench.month_so_far(office)
    assert result.this_month == month_label(current_month())
    line = next(x for x in result.lines if x.key == "demand_count")
    assert (line.this, line.last, line.change) == (3, 4, -1)
    assert line.ratio == 0.75
    amount = next(x for x in result.lines if x.key == "demand_amount")
    assert (amount.this, amount.last) == (300000, 400000)

    client = WebClient(app.test_client())
    client.login(office)
    page = client.get("/office").get_data(as_text=True)
    assert "本月至今与上月对比" in page and "¥300,000.00" in page and "75.0%" in page
    # the change: a fall with its sign before the symbol, as every amount is written
    assert "-¥100,000.00" in page and "¥-" not in page


def test_too_few_enterprises_are_withheld(app, factories):
    product = make_product(factories.bank())
    _apply(factories, product, 1)
    db.session.commit()
    result = workbench.month_so_far(factories.user(Role.REGULATOR))
    line = next(x for x in result.lines if x.key == "demand_count")
    assert line.this is None and result.withheld


def test_a_rise_is_shown_with_its_plus(app, factories):
    _last_and_this_month(factories, last=3, this=4)
    client = WebClient(app.test_client())
    client.login(factories.user(Role.REGULATOR))
    page = client.get("/office").get_data(as_text=True)
    assert "+¥100,000.00" in page and ">+1<" in page
