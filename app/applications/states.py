"""The application life cycle as one table: (from, action, to, who).

`State` gives the column's CHECK constraint, the labels and the lists; `TRANSITIONS` is the
whole state machine, and `step` is the one function that enforces it: who may take an
action at all (403 otherwise), and from which states (409 otherwise).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import Conflict, Forbidden
from app.types import LabelledEnum


class State(LabelledEnum):
    DRAFT = "draft", _l("草稿")
    SUBMITTED = "submitted", _l("已提交")
    ACCEPTED = "accepted", _l("已受理")  # 受理: the bank took it up
    APPROVED = "approved", _l("已批准")
    REJECTED = "rejected", _l("已拒绝")
    DISBURSED = "disbursed", _l("已放款")  # 放款
    WITHDRAWN = "withdrawn", _l("已撤回")
    EXPIRED = "expired", _l("已过期")  # not accepted in time


class Action(LabelledEnum):
    SUBMIT = "submit", _l("提交")
    ACCEPT = "accept", _l("受理")
    APPROVE = "approve", _l("批准")
    REJECT = "reject", _l("拒绝")
    DISBURSE = "disburse", _l("放款")
    WITHDRAW = "withdraw", _l("撤回")
    EXPIRE = "expire", _l("过期")


class Actor(StrEnum):
    """Who takes an action: the applying enterprise, the bank deciding, or the scheduler."""

    ENTERPRISE = "enterprise"
    BANK = "bank"
    SYSTEM = "system"


STATE_LABELS = State.labels()
ACTION_LABELS = Action.labels()


class Transition(NamedTuple):
    start: State
    action: Action
    end: State
    who: Actor


S, A, W = State, Action, Actor
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, A.SUBMIT, S.SUBMITTED, W.ENTERPRISE),
    Transition(S.SUBMITTED, A.ACCEPT, S.ACCEPTED, W.BANK),
    Transition(S.ACCEPTED, A.APPROVE, S.APPROVED, W.BANK),
    Transition(S.SUBMITTED, A.REJECT, S.REJECTED, W.BANK),
    Transition(S.ACCEPTED, A.REJECT, S.REJECTED, W.BANK),
    Transition(S.APPROVED, A.DISBURSE, S.DISBURSED, W.BANK),
    Transition(S.DRAFT, A.WITHDRAW, S.WITHDRAWN, W.ENTERPRISE),
    Transition(S.SUBMITTED, A.WITHDRAW, S.WITHDRAWN, W.ENTERPRISE),
    Transition(S.ACCEPTED, A.WITHDRAW, S.WITHDRAWN, W.ENTERPRISE),
    Transition(S.SUBMITTED, A.EXPIRE, S.EXPIRED, W.SYSTEM),
)
del S, A, W

# Open = not decided yet: the states the enterprise may still withdraw from.
OPEN_STATES = tuple(t.start for t in TRANSITIONS if t.action == Action.WITHDRAW)


def who_may(action: Action | str) -> frozenset[Actor]:
    return frozenset(t.who for t in TRANSITIONS if t.action == action)


def check_actor(action: Action | str, actor: Actor | None) -> None:
    """Forbidden (403) unless `actor` is the one who takes `action`."""
    if actor is None or actor not in who_may(action):
        raise Forbidden(_("无权执行“%(a)s”", a=Action(action).label), code="wrong_role")


def step(state: State | str, action: Action | str, actor: Actor | None) -> State:
    """The state `action` by `actor` leads to from `state`: 403 for the wrong actor, 409 when
    the table has no such move."""
    check_actor(action, actor)
    for t in TRANSITIONS:
        if t.start == state and t.action == action and t.who == actor:
            return t.end
    raise Conflict(
        _("申请当前状态为“%(s)s”，不能执行“%(a)s”", s=State(state).label, a=Action(action).label),
        code="invalid_transition",
    )
