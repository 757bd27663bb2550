"""Every allowed and every refused transition of the application state machine."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.applications import queries, services
from app.applications.models import STATES, Application, ApplicationEvent
from app.auth.models import Role
from app.clock import local_today
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from tests.products.helpers import make_product


@pytest.fixture
def world(factories):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    owner = factories.user(Role.ENTERPRISE)
    product = make_product(bank)
    return bank, officer, owner, product


def _apply(owner, product):
    return services.create_application(
        owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
        purpose="流动资金", user_id=owner.id,
    )  # fmt: skip


def _put(app: Application, state: str) -> Application:
    """Force a state (the transition under test starts from it)."""
    app.state = state
    db.session.flush()
    return app


ACTIONS = {
    "accept": lambda app, officer, owner: services.accept(app.id, officer),
    "approve": lambda app, officer, owner: services.approve(
        app.id, officer, amount="150000", rate="4.2", term_months=12
    ),
    "reject": lambda app, officer, owner: services.reject(app.id, officer, reason="流水不足"),
    "disburse": lambda app, officer, owner: services.disburse(
        app.id, officer, amount="150000", disbursed_on=local_today(), first_loan=True
    ),
    "withdraw": lambda app, officer, owner: services.withdraw(app.id, owner),
    "expire": lambda app, officer, owner: services._transition(app, "expire", user_id=None),
}
ALLOWED = {
    (action, start) for action, (starts, _t, _w) in services.TRANSITIONS.items() for start in starts
}


@pytest.mark.parametrize(
    ("action", "start"),
    sorted((a, s) for a in ACTIONS for s in STATES if (a, s) in ALLOWED),
)
def test_allowed_transition_moves_and_records_an_event(world, action, start):
    _bank, officer, owner, product = world
    app = _put(_apply(owner, product), start)
    if start in ("approved",):
        app.approved_amount = app.amount
    version = app.version
    ACTIONS[action](app, officer, owner)
    assert app.state == services.TRANSITIONS[action][1]
    assert app.version == version + 1
    event = db.session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == app.id)
        .order_by(ApplicationEvent.id.desc())
    ).first()
    assert (event.action, event.from_state, event.to_state) == (action, start, app.state)


@pytest.mark.parametrize(
    ("action", "start"),
    sorted((a, s) for a in ACTIONS for s in STATES if (a, s) not in ALLOWED),
)
def test_refused_transition_is_a_409_and_changes_nothing(world, action, start):
    _bank, officer, owner, product = world
    app = _put(_apply(owner, product), start)
    app.approved_amount = app.amount
    version = app.version
    with pytest.raises(Conflict) as excinfo:
        ACTIONS[action](app, officer, owner)
    assert excinfo.value.status == 409
    db.session.refresh(app)
    assert (app.state, app.version) == (start, version)


def test_apply_records_create_and_submit_with_a_deadline(world):
    _bank, _officer, owner, product = world
    app = _apply(owner, product)
    assert app.state == "submitted"
    assert app.respond_by is not None and app.respond_by > app.submitted_at
    events = queries.events(app.id)
    assert [(e.from_state, e.to_state) for e in events] == [("draft", "submitted")]


def test_stale_version_loses(world):
    """Two officers load the same application; the second decision is a 409."""
    _bank, officer, owner, product = world
    app = _apply(owner, product)
    services.accept(app.id, officer)
    stale_version = app.version
    services.reject(app.id, officer, reason="资料不全")
    # What the second officer had loaded: accepted, at the old version.
    stale = Application(id=app.id, state="accepted", version=stale_version)
    with pytest.raises(Conflict) as excinfo:
        services._transition(stale, "approve", user_id=officer.id)
    assert excinfo.value.code == "concurrent_change"
    db.session.expire_all()
    assert db.session.get(Application, app.id).state == "rejected"


@pytest.mark.parametrize(
    ("field", "kwargs", "message"),
    [
        ("amount", {"amount": "-5"}, "金额应大于 0"),
        ("amount", {"amount": "abc"}, "金额不是有效的数字"),
        ("amount", {"amount": "600000"}, "金额超出上限 50万"),
        ("amount", {"amount": "50000"}, "金额低于下限 10万"),
        ("term_months", {"term_months": "1.5"}, "期限应为整数个月"),
        ("term_months", {"term_months": 0}, "期限应为 1 至 360 个月"),
        ("term_months", {"term_months": 48}, "期限应在 6 至 36 个月之间"),
        ("purpose", {"purpose": " "}, "请填写资金用途"),
    ],
)
def test_bad_amount_or_term_names_the_field(world, field, kwargs, message):
    _bank, _officer, owner, product = world
    values = {"amount": "200000", "term_months": 12, "purpose": "备货"} | kwargs
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_application(
            owner.enterprise_id, product_id=product.id, user_id=owner.id, **values
        )
    assert excinfo.value.field == field
    assert message in excinfo.value.message


def test_approve_and_disburse_validate_their_fields(world):
    _bank, officer, owner, product = world
    app = _apply(owner, product)
    services.accept(app.id, officer)
    with pytest.raises(ValidationFailed) as excinfo:
        services.approve(app.id, officer, amount="100000", rate="40", term_months=12)
    assert excinfo.value.field == "rate"
    services.approve(app.id, officer, amount="100000", rate="4.35", term_months=12)
    with pytest.raises(ValidationFailed) as excinfo:
        services.disburse(app.id, officer, amount="100001", disbursed_on=local_today())
    assert excinfo.value.field == "amount"
    with pytest.raises(ValidationFailed) as excinfo:
        services.disburse(app.id, officer, amount="100000", disbursed_on="2999-01-01")
    assert excinfo.value.field == "disbursed_on"
    services.disburse(app.id, officer, amount="100000", disbursed_on=local_today())
    assert app.state == "disbursed" and app.first_loan is True  # 首贷 on record by default


def test_reject_needs_a_reason(world):
    _bank, officer, owner, product = world
    app = _apply(owner, product)
    with pytest.raises(ValidationFailed) as excinfo:
        services.reject(app.id, officer, reason="  ")
    assert excinfo.value.field == "reason"


def test_other_bank_and_other_enterprise_get_404(world, factories):
    _bank, officer, owner, product = world
    app = _apply(owner, product)
    other_officer = factories.user(Role.BANK_OFFICER)
    other_owner = factories.user(Role.ENTERPRISE)
    with pytest.raises(NotFound):
        services.accept(app.id, other_officer)
    with pytest.raises(NotFound):
        services.withdraw(app.id, other_owner)
    with pytest.raises(Forbidden):
        services.withdraw(app.id, officer)


def test_unverified_enterprise_cannot_apply(world, factories):
    _bank, _officer, _owner, product = world
    owner = factories.user(Role.ENTERPRISE, enterprise=factories.enterprise(verified=False))
    with pytest.raises(Forbidden):
        _apply(owner, product)


def test_unpublished_product_is_not_found(world, factories):
    bank, _officer, owner, _product = world
    draft = make_product(bank, status="draft")
    with pytest.raises(NotFound):
        _apply(owner, draft)
