"""Completed months come from the rollup, the current month is live; the two agree with
computing everything live, for every grouping and filter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.stats import rollup, services
from app.stats.models import StatsMonthly, StatsRollupMonth
from app.util import SHANGHAI
from tests.stats.conftest import NOW

FILTERS = [{}, {"place": "610100"}, {"place": "610113"}, {"industry": "C"},
           {"industry": "13"}, {"bank": "STBA"}, {"product_type": "credit"},
           {"place": "610100", "product_type": "guarantee"}]  # fmt: skip


@pytest.fixture(autouse=True)
def _setup(lending, one_enterprise_enough):
    return lending


def test_rollup_covers_completed_months_only():
    assert rollup.months_to_roll_up(NOW) == [202501, 202502]
    result = rollup.roll_up(now=NOW)
    assert result["months"] == 2
    assert set(db.session.scalars(select(StatsRollupMonth.month))) == {202501, 202502}
    jan = db.session.scalar(
        select(func.sum(StatsMonthly.demand_count)).where(
            StatsMonthly.grain == "all", StatsMonthly.month == 202501
        )
    )
    assert jan == 4
    assert rollup.months_to_roll_up(NOW) == []  # nothing changed since


@pytest.mark.parametrize("group_by", services.GROUPINGS)
def test_rollup_plus_live_equals_all_live(group_by):
    rollup.roll_up(now=NOW)
    for args in FILTERS:
        query = services.parse_query(
            {"group_by": group_by, "from": "2024-12", "to": "2025-03", **args}, NOW
        )
        mixed = services.summarize(query, now=NOW)
        live = services.summarize(query, now=NOW, live_only=True)
        assert mixed.rows == live.rows, args
        assert mixed.totals == live.totals, args
    unfiltered = services.summarize(services.parse_query({"group_by": group_by}, NOW), now=NOW)
    assert unfiltered.rollup_months == 2 and unfiltered.live_months == 10


def test_a_late_change_to_a_closed_month_is_rolled_up_again(lending):
    rollup.roll_up(now=NOW)
    # A bank reports on 03-16 a disbursement dated in February (a business date).
    app = lending.apps[3]
    later = datetime(2025, 3, 16, 9, tzinfo=SHANGHAI)
    app.state, app.approved_amount, app.approved_rate = "disbursed", Decimal(1000), Decimal(4)
    app.approved_term_months, app.disbursed_amount = 12, Decimal(1000)
    app.disbursed_on, app.first_loan, app.updated_at = date(2025, 2, 27), True, later
    db.session.flush()
    query = services.parse_query({"group_by": "month", "from": "2025-01", "to": "2025-03"}, NOW)
    stale = services.summarize(query, now=later)
    assert {r["key"]: r["disbursed_count"] for r in stale.rows}["2025-02"] == 2
    assert rollup.months_to_roll_up(later) == [202501, 202502]
    rollup.roll_up(now=later)
    fresh = services.summarize(query, now=later)
    assert {r["key"]: r["disbursed_count"] for r in fresh.rows}["2025-02"] == 3
    assert fresh.rows == services.summarize(query, now=later, live_only=True).rows


def test_scheduler_job_rolls_up(app):
    from app.scheduler.jobs import registered_jobs

    job = next(j for j in registered_jobs(app) if j.name == "roll_up_stats")
    details = job.func()
    assert details["months"] >= 2  # every completed month since the fixture's January
    assert db.session.scalar(select(func.count()).select_from(StatsRollupMonth)) >= 2
