"""Approvals are checked against the request and the product: the API names the field, the
web form keeps what the officer typed and marks each wrong field."""

from __future__ import annotations

import pytest

from app.applications import services
from app.auth.models import Role
from app.extensions import db
from tests.products.helpers import make_product


@pytest.fixture
def accepted(factories):
    """An accepted application for 1,390,000 元 over 36 months, under a product of
    100,000–3,000,000 元, 6–36 months, 3.65–6.5 %."""
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    owner = factories.user(Role.ENTERPRISE)
    product = make_product(bank, amount_max="3000000", rate_min="3.65", rate_max="6.5")
    app = services.create_application(
        owner.enterprise_id, product_id=product.id, amount="1390000", term_months=36,
        purpose="购置设备", user_id=owner.id,
    )  # fmt: skip
    services.accept(app.id, officer)
    db.session.commit()
    return app, officer


REFUSED = [
    ({"amount": "99999999"}, "amount", "批准金额不能超过申请金额 ¥1,390,000.00"),
    ({"amount": "1390000.01"}, "amount", "批准金额不能超过申请金额"),
    ({"amount": "50000"}, "amount", "批准金额低于产品下限 ¥100,000.00"),
    ({"rate": "36"}, "rate", "年利率应在产品的 3.65% 至 6.5% 之间"),
    ({"rate": "3.6"}, "rate", "年利率应在产品的 3.65% 至 6.5% 之间"),
    ({"term_months": 120}, "term_months", "期限应在 6 至 36 个月之间"),
    ({"term_months": 3}, "term_months", "期限应在 6 至 36 个月之间"),
]
GOOD = {"amount": "1390000", "rate": "4.35", "term_months": 36}


@pytest.mark.parametrize(("change", "field", "message"), REFUSED)
def test_an_approval_outside_the_product_or_above_the_request_is_422_naming_the_field(
    api, factories, accepted, change, field, message
):
    app, officer = accepted
    token = factories.token(officer)
    refused = api.post(f"/api/v1/applications/{app.id}/approve", GOOD | change, token=token)
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["field"] == field
    assert message in refused.json["error"]["message"]
    db.session.expire_all()
    assert app.state == "accepted" and app.approved_amount is None


def test_every_wrong_field_is_named_at_once(api, factories, accepted):
    """The officer's 99,999,999 元 at 36 % for 120 months: three fields, one answer."""
    app, officer = accepted
    refused = api.post(
        f"/api/v1/applications/{app.id}/approve",
        {"amount": "99999999", "rate": "36", "term_months": 120},
        token=factories.token(officer),
    )
    assert refused.status_code == 422
    assert set(refused.json["error"]["fields"]) == {"amount", "rate", "term_months"}


def test_an_approval_within_the_product_and_the_request_passes(api, factories, accepted):
    app, officer = accepted
    done = api.post(f"/api/v1/applications/{app.id}/approve", GOOD | {"amount": "1000000"},
                    token=factories.token(officer))  # fmt: skip
    assert done.status_code == 200, done.json
    assert (done.json["approved_amount"], done.json["approved_rate"]) == ("1000000.00", "4.3500")


def test_the_web_form_keeps_what_was_typed_and_marks_each_wrong_field(app, accepted):
    from tests.conftest import WebClient

    application, officer = accepted
    client = WebClient(app.test_client())
    client.login(officer)
    page = client.post(f"/applications/{application.id}/approve",
                       {"amount": "99999999", "rate": "4.35", "term_months": "120"})  # fmt: skip
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'value="99999999"' in text and 'value="4.35"' in text and 'value="120"' in text
    assert "批准金额不能超过申请金额 ¥1,390,000.00" in text
    assert "期限应在 6 至 36 个月之间" in text
    db.session.expire_all()
    assert application.state == "accepted"
