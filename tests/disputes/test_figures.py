"""Objection figures for the financial office: filed, forwarded and each outcome, the median
working days to decision, per authority and per city, small groups suppressed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.auth.models import Role
from app.disputes import figures, services
from app.errors import ValidationFailed
from app.extensions import db
from app.ingest.models import TaxPayment
from tests.disputes.test_pages import _client


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def decided(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_ENTERPRISES", 2)
    ours = services.file_dispute(
        world.enterprise.id, "public_credit", world.penalty.id, reason="已撤销",
        user_id=world.owner.id, now=_at("2026-11-16T02:00"),
    )  # fmt: skip
    services.forward(ours.id, user_id=world.admin.id, authority="西安市市场监管局",
                     now=_at("2026-11-17T02:00"))  # fmt: skip
    services.resolve(ours.id, "upheld", user_id=world.admin.id, note="记录无误",
                     now=_at("2026-11-20T02:00"))  # fmt: skip
    theirs = services.file_dispute(
        world.other.id, "tax_payments", world.record(TaxPayment, world.other, period="2026-04").id, reason="已缴清",
        user_id=world.other_owner.id, now=_at("2026-11-16T02:00"),
    )  # fmt: skip
    services.resolve(theirs.id, "withdrawn", user_id=world.admin.id, note="平台加工错误",
                     now=_at("2026-11-17T02:00"))  # fmt: skip
    db.session.commit()


def test_by_city_counts_each_outcome_and_the_median(world, decided):
    data = figures.figures("city")
    [row] = data["groups"]
    assert row["key"] == "610100" and not row["suppressed"]
    assert (row["filed"], row["forwarded"], row["upheld"], row["withdrawn"], row["corrected"]) == (
        2, 1, 1, 1, 0,
    )  # fmt: skip
    assert row["median_working_days"] == 2.5  # Mon 16 → Fri 20 = 4, → Tue 17 = 1
    with pytest.raises(ValidationFailed):
        figures.figures("bank")


def test_by_authority_each_lone_enterprise_is_hidden(world, decided):
    rows = {r["key"]: r for r in figures.figures("authority")["groups"]}
    assert set(rows) == {"西安市市场监管局", "纳税记录"}  # forwarded-to, else the data's kind
    assert all(r["suppressed"] and r["filed"] is None for r in rows.values())


def test_the_office_page(app, world, decided, factories):
    regulator = factories.user(Role.REGULATOR)
    db.session.commit()
    page = _client(app, regulator).get("/office/objections?by=city")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "异议统计" in text and "2.5" in text
    assert _client(app, world.owner).get("/office/objections").status_code == 403
    assert _client(app, regulator).get("/office/objections?by=bank").status_code == 404
