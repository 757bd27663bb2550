"""Completed months come from the rollup, the current month is live; the two agree with
computing everything live, for every grouping and filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.applications.models import Application
from app.extensions import db
from app.stats import queries, rollup, services
from app.stats.models import GRAINS, StatsMonthly, StatsRollupMonth
from app.util import SHANGHAI
from tests.stats.conftest import NOW

# Single filters at each level; pairs answered by two-axis grains (a coarse filter over a
# fine grain too: 西安 over counties, C over divisions, a bank over its products — BB's
# January open demand 4 included); the three coarse axes together; and questions needing
# two fine levels, which no grain holds (computed live).
FILTERS = [{}, {"place": "610100"}, {"place": "610113"}, {"industry": "C"},
           {"industry": "13"}, {"bank": "STBA"}, {"bank": "STBB"}, {"product_type": "credit"},
           {"place": "610100", "product_type": "guarantee"},
           {"place": "610100", "industry": "13"}, {"industry": "C", "bank": "STBA"},
           {"place": "610300", "bank": "STBB", "product_type": "guarantee"},
           {"place": "610100", "industry": "C", "bank": "STBA"},
           {"place": "610113", "industry": "13"}, {"place": "610113", "bank": "STBA"}]  # fmt: skip


@pytest.fixture(autouse=True)
def _setup(lending, one_enterprise_enough):
    return lending


def test_rollup_covers_completed_months_only():
    from tests.main.test_progress import Recorder

    assert rollup.months_to_roll_up(NOW) == [202501, 202502]
    progress = Recorder()
    result = rollup.roll_up(now=NOW, progress=progress)
    assert result["months"] == 2
    assert (progress.totals, progress.steps) == ([2], [1, 1])  # a CLI bar, month by month
    assert result["rows"] == db.session.scalar(select(func.count()).select_from(StatsMonthly))
    assert set(db.session.scalars(select(StatsRollupMonth.month))) == {202501, 202502}
    jan = db.session.scalar(
        select(func.sum(StatsMonthly.demand_count)).where(
            StatsMonthly.grain == "all", StatsMonthly.month == 202501
        )
    )
    assert jan == 4
    assert rollup.months_to_roll_up(NOW) == []  # nothing changed since


def _mixed_and_live(query, context):
    """The summary as served (rollup + live) and computed all live: the same rows and totals."""
    mixed = services.summarize(query, now=NOW)
    live = services.summarize(query, now=NOW, live_only=True)
    assert mixed.rows == live.rows, context
    assert mixed.totals == live.totals, context
    return mixed, live


@pytest.mark.parametrize("group_by", services.GROUPINGS)
def test_rollup_plus_live_equals_all_live(group_by):
    rollup.roll_up(now=NOW)
    for args in FILTERS:
        query = services.parse_query(
            {"group_by": group_by, "from": "2024-12", "to": "2025-03", **args}, NOW
        )
        mixed, live = _mixed_and_live(query, args)
        grain = queries.grain_of(query.group_by, query.filters)
        assert mixed.rollup_months == (2 if grain in GRAINS else 0), (args, grain)
        assert live.rollup_months == 0
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


@pytest.mark.parametrize(
    ("group_by", "args", "grain"),
    [
        ("month", {}, "all"),
        ("county", {}, "county"),
        ("city", {"place": "610113"}, "county"),  # a county filter makes the grain finer
        ("bank", {"place": "610100"}, "city+bank"),
        ("county", {"industry": "C"}, "county+section"),
        ("section", {"place": "610100", "bank": "STBA"}, "city+section+bank"),
        ("product", {"bank": "STBA"}, "product"),
        ("county", {"industry": "13"}, "county+division"),  # two fine levels: not rolled up
        ("product", {"place": "610113"}, "county+product"),
    ],
)
def test_the_grain_that_answers_a_question(group_by, args, grain):
    query = services.parse_query({"group_by": group_by, **args}, NOW)
    assert queries.grain_of(query.group_by, query.filters) == grain
    assert (grain in GRAINS) == (grain not in ("county+division", "county+product"))


def test_groups_of_ten_or_more_are_counted_without_reading_their_ids(factories, lending):
    """Twelve more applicants in January: the rollup row holds the 10 smallest ids, and the
    reader takes "at least 10" from its count without reading them; figures, suppression
    and totals agree with computing live."""
    for n in range(12):
        enterprise = factories.enterprise(industry_code="13")
        enterprise.region_code = "610104"
        db.session.add(
            Application(
                enterprise_id=enterprise.id, product_id=lending.products["PA1"].id,
                bank_id=lending.banks["BA"].id, state="submitted", amount=Decimal(10000 + n),
                term_months=12, purpose="多户", submitted_at=datetime(2025, 1, 9, tzinfo=SHANGHAI),
                created_at=datetime(2025, 1, 9, tzinfo=SHANGHAI), version=1,
                updated_at=datetime(2025, 1, 9, tzinfo=SHANGHAI),
            )
        )  # fmt: skip
    db.session.flush()
    rollup.roll_up(now=NOW)
    row = db.session.scalars(
        select(StatsMonthly).where(
            StatsMonthly.grain == "county", StatsMonthly.place == "610104",
            StatsMonthly.month == 202501, StatsMonthly.product_type == "credit",
        )
    ).one()  # fmt: skip
    assert row.n_applicants == queries.SKETCH_K
    cells = rollup.rollup_cells("county", "county", queries.Filters(), [202501, 202502])
    assert cells["610104"].applicants == list(queries.SATURATED)
    assert cells["610104"].distinct("applicants") == queries.SKETCH_K
    for group_by in ("county", "city", "month"):
        query = services.parse_query(
            {"group_by": group_by, "from": "2025-01", "to": "2025-03"}, NOW
        )
        _mixed_and_live(query, group_by)


@pytest.mark.parametrize("group_by", ["county", "division", "bank", "product"])
def test_the_dashboard_trend_reuses_the_breakdowns_live_month(group_by):
    """The trend's current month taken from the breakdown's groups equals computing it."""
    rollup.roll_up(now=NOW)
    for args in FILTERS:
        query = services.parse_query(
            {"group_by": group_by, "from": "2025-01", "to": "2025-03", **args}, NOW
        )
        table = services.summarize(query, now=NOW)
        rolled = queries.grain_of(group_by, query.filters) in GRAINS
        # January and February came from the rollup; otherwise one live pass over the quarter
        assert set(table.live) == ({202503} if rolled else set()), args
        trend = replace(query, group_by="month")
        reused = services.summarize(trend, now=NOW, known=table.live)
        assert reused.rows == services.summarize(trend, now=NOW).rows, args
        assert reused.totals == services.summarize(trend, now=NOW).totals, args


def test_the_operator_can_roll_up_now(app, monkeypatch):
    """`flask stats rollup` (after a migration that emptied the rollup, say), `--all` redoes
    every completed month; `flask stats indicators` counts the data indicators."""
    monkeypatch.setattr(rollup, "utcnow", lambda: NOW)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["stats", "rollup"])
    assert first.exit_code == 0, first.output
    assert "已汇总 2 个月（2025-01 … 2025-02）" in first.output
    assert "没有需要汇总的月份" in runner.invoke(args=["stats", "rollup"]).output
    again = runner.invoke(args=["stats", "rollup", "--all"])
    assert "已汇总 2 个月" in again.output
    indicators = runner.invoke(args=["stats", "indicators"])
    assert indicators.exit_code == 0 and "enterprises\t" in indicators.output
