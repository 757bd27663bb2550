"""Every allowed and every refused transition of the application state machine."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app.applications import queries, services
from app.applications.models import Application, ApplicationEvent
from app.applications.states import TRANSITIONS, Action, Actor, State, step
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


PAYLOADS = {
    Action.APPROVE: {"amount": "150000", "rate": "4.2", "term_months": 12},
    Action.REJECT: {"reason": "流水不足"},
    Action.DISBURSE: {"amount": "150000", "disbursed_on": None, "first_loan": True},
}
ROLES = (Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN)
ACTOR = {Role.ENTERPRISE: Actor.ENTERPRISE, Role.BANK_OFFICER: Actor.BANK,
         Role.BANK_ADMIN: Actor.BANK}  # fmt: skip
TABLE = {(t.start, t.action, t.who): t.end for t in TRANSITIONS}


def test_the_one_function_follows_the_table_for_every_state_action_and_actor():
    for state, action, actor in itertools.product(State, Action, [*Actor, None]):
        if (state, action, actor) in TABLE:
            assert step(state, action, actor) == TABLE[state, action, actor]
        elif actor is None or actor not in {w for (_s, a, w) in TABLE if a == action}:
            with pytest.raises(Forbidden):
                step(state, action, actor)
        else:
            with pytest.raises(Conflict):
                step(state, action, actor)


@pytest.mark.parametrize(
    ("start", "action", "role"),
    list(itertools.product(State, services.USER_ACTIONS, ROLES)),
    ids=lambda v: str(v),
)
def test_every_state_action_and_role_does_what_the_table_says(
    world, factories, start, action, role
):
    """Moves and records an event when the table has the row; 403 when the role never takes
    the action; 409 (nothing changed) when the state does not allow it."""
    bank, _officer, owner, product = world
    app = _put(_apply(owner, product), start)
    app.approved_amount = app.amount
    version = app.version
    user = owner if role == Role.ENTERPRISE else factories.user(
        role, bank=bank if role in (Role.BANK_OFFICER, Role.BANK_ADMIN) else None
    )  # fmt: skip
    payload = dict(PAYLOADS.get(action, {}))
    if action == Action.DISBURSE:
        payload["disbursed_on"] = local_today().isoformat()
    end = TABLE.get((start, action, ACTOR.get(role)))
    takes_it = ACTOR.get(role) in services_who(action)
    if end is not None:
        services.act(action, app.id, user, payload)
        assert (app.state, app.version) == (end, version + 1)
        event = db.session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == app.id)
            .order_by(ApplicationEvent.id.desc())
        ).first()
        assert (event.action, event.from_state, event.to_state) == (action, start, end)
        return
    with pytest.raises(Forbidden if not takes_it else Conflict) as excinfo:
        services.act(action, app.id, user, payload)
    assert excinfo.value.status == (403 if not takes_it else 409)
    db.session.refresh(app)
    assert (app.state, app.version) == (start, version)


def services_who(action) -> set:
    return {w for (_s, a, w) in TABLE if a == action}


def test_expiry_is_the_schedulers_alone(world):
    _bank, _officer, owner, product = world
    app = _apply(owner, product)
    with pytest.raises(NotFound):  # no user may ask for it
        services.act("expire", app.id, owner, {})
    services._transition(app, Action.EXPIRE, actor=Actor.SYSTEM, user_id=None)
    assert app.state == State.EXPIRED


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
        services._transition(stale, Action.APPROVE, actor=Actor.BANK, user_id=officer.id)
    assert excinfo.value.code == "concurrent_change"
    db.session.expire_all()
    assert db.session.get(Application, app.id).state == "rejected"


@pytest.mark.parametrize(
    ("field", "kwargs", "message"),
    [
        ("amount", {"amount": "-5"}, "金额应大于 0"),
        ("amount", {"amount": "abc"}, "金额不是有效的数字"),
        ("amount", {"amount": "600000"}, "金额超出上限 ¥500,000.00"),
        ("amount", {"amount": "50000"}, "金额低于下限 ¥100,000.00"),
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
