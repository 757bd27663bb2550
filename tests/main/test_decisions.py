"""A decision is taken once: of two guarded UPDATEs of the same row, the second is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.decisions import decide_once
from app.enterprises.models import Region
from app.errors import Conflict
from app.extensions import db


def test_the_second_decision_is_refused_and_changes_nothing(app):
    db.session.add(Region(code="619997", name="待定区", level="county"))
    db.session.flush()

    def rename(to: str) -> None:
        decide_once(
            update(Region).where(Region.code == "619997", Region.name == "待定区").values(name=to),
            Conflict("已被他人决定", code="already_decided"),
        )

    rename("先到区")
    with pytest.raises(Conflict) as refused:
        rename("后到区")
    assert refused.value.code == "already_decided"
    assert db.session.scalar(select(Region.name).where(Region.code == "619997")) == "先到区"
