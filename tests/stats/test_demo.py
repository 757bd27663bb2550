"""Per-family suppression on the demo data (`flask demo load`): the office sees recent
demand even in a month in which only two firms borrowed."""

from __future__ import annotations

from sqlalchemy import distinct, func, select, update

from app.applications.models import Application
from app.clock import utcnow
from app.demo import services as demo
from app.extensions import db
from app.stats import rollup, services
from app.stats.queries import _add_months, _utc_bounds, current_month, month_label, month_start


def _submitted(month: int) -> tuple[int, int]:
    """(applications submitted in `month`, distinct applicants), straight from the table."""
    start, end = _utc_bounds(month, month)
    within = (Application.submitted_at >= start, Application.submitted_at < end)
    count = select(func.count(), func.count(distinct(Application.enterprise_id))).where(*within)
    total, firms = db.session.execute(count).one()
    return int(total), int(firms)


def test_recent_demand_is_shown_when_few_firms_borrowed(app):
    demo.load_demo_data()
    last = _add_months(current_month(utcnow()), -1)  # the last completed month
    # Only two firms borrowed last month: the others' loans are not disbursed yet.
    start, end = month_start(last), month_start(_add_months(last, 1))
    in_month = (Application.disbursed_on >= start, Application.disbursed_on < end)
    two = db.session.scalars(
        select(Application.enterprise_id).where(*in_month).distinct().limit(2)
    ).all()
    db.session.execute(
        update(Application)
        .where(*in_month, Application.enterprise_id.not_in(two))
        .values(state="approved", disbursed_on=None, disbursed_amount=None, first_loan=None)
    )
    rollup.roll_up([last])
    n = services.min_enterprises()
    first = _add_months(last, -5)
    query = services.parse_query({"group_by": "month", "from": month_label(first),
                                  "to": month_label(last)})  # fmt: skip
    summary = services.summarize(query)
    rows = {row["key"]: row for row in summary.rows}
    for month in services.months_between(first, last):
        count, firms = _submitted(month)
        assert firms >= n  # the demo has some thirty applications a month
        row = rows[month_label(month)]
        assert row["demand_count"] == count, month  # demand: shown in every month
        assert "demand" not in row["suppressed_families"]
    newest = rows[month_label(last)]
    assert newest["suppressed_families"] == ["disbursements"]
    assert newest["disbursed_count"] is None and newest["disbursed_amount"] is None
    assert newest["accepted"] is not None  # decisions rest on their own enterprises
