"""Repair figures for the financial office: counts and the median working days to decision
per authority and city, small groups suppressed (with their complement)."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.errors import ValidationFailed
from app.repairs import figures, services
from tests.repairs import files
from tests.repairs.test_repairs import (
    PENALTY_REF,
    Upload,
    _at,
    _black_list,
    _record,
    evidence_dir,  # noqa: F401 - a fixture
)


@pytest.fixture
def decided(app, world, evidence_dir, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "STATS_MIN_ENTERPRISES", 2)
    _black_list(world.enterprise.uscc)

    def apply(record, owner):
        return services.apply(owner.enterprise_id, record.id, statement="已履行",
                              commitment_version=1, files=[Upload(files.pdf(), "a.pdf")],
                              user_id=owner.id, now=_at("2026-11-18T10:00"))  # fmt: skip

    mine = apply(_record(world, PENALTY_REF), world.owner)
    theirs = apply(_record(world, "陕市监罚〔2026〕99号", world.other), world.other_owner)
    apply(_record(world, "黑名单-2024"), world.owner)  # still pending
    services.decide(mine.id, "approved", user_id=world.admin.id, note="属实",
                    now=_at("2026-11-20T10:00"))  # fmt: skip
    services.decide(theirs.id, "rejected", user_id=world.admin.id, note="不实",
                    now=_at("2026-11-23T10:00"))  # fmt: skip


def test_by_authority_a_lone_small_group_hides_its_complement_too(world, decided):
    data = figures.figures("authority")
    rows = {r["key"]: r for r in data["groups"]}
    assert set(rows) == {"西安市市场监管局", "陕西省发展改革委"}
    assert all(r["suppressed"] and r["applied"] is None for r in rows.values())
    total = data["total"]
    assert (total["applied"], total["approved"], total["rejected"], total["revoked"]) == (
        3, 1, 1, 0
    )  # fmt: skip
    assert total["median_working_days"] == 2.5  # Fri 20 = 2, Mon 23 = 3 working days


def test_by_city_the_group_is_shown(world, decided):
    [row] = figures.figures("city")["groups"]
    assert row["key"] == "610100" and not row["suppressed"]
    assert (row["applied"], row["approved"], row["rejected"], row["median_working_days"]) == (
        3, 1, 1, 2.5
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        figures.figures("bank")


def test_below_the_threshold_nothing_shows(app, world, decided, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_ENTERPRISES", 3)
    data = figures.figures("city")
    assert data["groups"][0]["suppressed"] and data["total"]["suppressed"]


def test_the_office_page_and_the_cli(app, world, decided, factories):
    from app.extensions import db
    from tests.disputes.test_pages import _client

    regulator = factories.user(Role.REGULATOR)
    db.session.commit()
    page = _client(app, regulator).get("/office/repairs?by=city")
    assert page.status_code == 200 and "2.5" in page.get_data(as_text=True)
    assert _client(app, world.owner).get("/office/repairs").status_code == 403
    out = app.test_cli_runner().invoke(args=["repairs", "figures", "--by", "authority"])
    assert out.exit_code == 0 and "西安市市场监管局\t*" in out.output
    assert out.output.strip().endswith("3\t1\t1\t0\t2.5")
