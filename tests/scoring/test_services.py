"""Scorecard versions: the seeded version 1, validation, activation, one active at a time."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.scoring import services
from app.scoring.models import Scorecard


def test_version_1_is_seeded_active_from_the_published_file(v1_definition):
    card = services.active_scorecard()
    assert (card.version, card.status) == (1, "active")
    assert card.definition == v1_definition
    assert card.activated_at is not None
    assert [d["code"] for d in card.definition["dimensions"]] == [
        "compliance",
        "performance",
        "operating",
        "social",
        "qualifications",
        "risk",
    ]
    services.validate_definition(card.definition)  # the seed passes its own validation


def _variant(v1_definition, **changes):
    d = copy.deepcopy(v1_definition)
    d["dimensions"][0]["weight"] = 0.25
    d["dimensions"][1]["weight"] = 0.20
    d.update(changes)
    return d


def test_create_then_activate_retires_the_previous_version(v1_definition, factories):
    admin = factories.user("admin")
    draft = services.create_version(_variant(v1_definition), user_id=admin.id, name=" 第二版 ")
    assert (draft.version, draft.status, draft.name, draft.created_by_id) == (
        2,
        "draft",
        "第二版",
        admin.id,
    )
    assert services.active_scorecard().version == 1  # a draft changes nothing yet

    services.activate(2, user_id=admin.id)
    assert services.active_scorecard().version == 2
    v1 = services.get_version(1)
    assert v1.status == "retired" and v1.retired_at is not None
    assert db.session.scalars(
        select(Scorecard.version).where(Scorecard.status == "active")
    ).all() == [2]

    services.activate(1, user_id=None)  # roll back to version 1 from the operator's shell
    assert services.active_scorecard().version == 1
    assert services.get_version(2).status == "retired"
    assert [c.version for c in services.list_versions()] == [2, 1]


def test_activation_errors(v1_definition):
    with pytest.raises(Conflict, match="已是生效版本"):
        services.activate(1, user_id=None)
    with pytest.raises(NotFound):
        services.activate(42, user_id=None)


def test_only_an_admin_may_create_or_activate(v1_definition, factories):
    officer = factories.user("bank_officer")
    with pytest.raises(Forbidden):
        services.create_version(_variant(v1_definition), user_id=officer.id)
    draft = services.create_version(_variant(v1_definition), user_id=None)
    with pytest.raises(Forbidden):
        services.activate(draft.version, user_id=officer.id)
    assert services.active_scorecard().version == 1


def test_the_database_refuses_two_active_versions(v1_definition):
    draft = services.create_version(_variant(v1_definition), user_id=None)
    draft.status = "active"  # bypassing the service
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


def _break(v1_definition, mutate):
    d = copy.deepcopy(v1_definition)
    mutate(d)
    return d


def _rule(d, dim, i):
    return d["dimensions"][dim]["rules"][i]


BROKEN = {
    "weights do not sum to 1": (
        lambda d: d["dimensions"][0].update(weight=0.3),
        "权重之和应为 1",
    ),
    "cuts out of order": (
        lambda d: _rule(d, 1, 0).update(cuts=[0.5, 0.95, 0.85, 0.7]),
        "严格递增",
    ),
    "unknown feature": (lambda d: _rule(d, 0, 0).update(feature="moon_phase"), "未知特征"),
    "points against the feature": (
        lambda d: _rule(d, 0, 0).update(points=[20, 45, 75, 100]),
        "分值方向错误",
    ),
    "points count": (lambda d: _rule(d, 0, 0).update(points=[100, 50]), "多一个"),
    "missing outside the range": (lambda d: _rule(d, 0, 0).update(missing=150), "missing"),
    "unknown reason": (lambda d: _rule(d, 0, 0).update(reason="LATE_ISH"), "未知原因代码"),
    "grades not descending": (
        lambda d: d["grades"][1].update(min=950),
        "严格递减",
    ),
    "lowest grade not from 0": (lambda d: d["grades"][-1].update(min=100), "应为 0"),
    "cap on the good side": (
        lambda d: d["caps"][0].update(when=False),
        "较差的一侧",
    ),
    "cap to an unknown grade": (lambda d: d["caps"][0].update(max_grade="Z"), "等级表"),
    "tax grade map incomplete": (
        lambda d: _rule(d, 0, 3).update(map={"A": 100, "B": 50}),
        "纳税信用级别",
    ),
    "no dimensions": (lambda d: d.update(dimensions=[]), "至少需要一个维度"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_invalid_definitions_are_refused_with_the_reason(v1_definition, case):
    mutate, expected = BROKEN[case]
    with pytest.raises(ValidationFailed) as exc:
        services.create_version(_break(v1_definition, mutate), user_id=None)
    assert expected in exc.value.message
    assert exc.value.code == "invalid_scorecard"
    assert [c.version for c in services.list_versions()] == [1]  # nothing stored


def test_not_an_object_is_refused():
    with pytest.raises(ValidationFailed):
        services.create_version(["dimensions"], user_id=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        services.parse_import("just text")


def test_a_stored_definition_cannot_be_changed(v1_definition):
    card = services.active_scorecard()
    card.definition = _variant(v1_definition)
    with pytest.raises(ValueError, match="immutable"), db.session.begin_nested():
        db.session.flush()
