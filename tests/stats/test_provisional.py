"""The current month's completed days come from a provisional rollup, only today is computed
live (issue 18): every summary — figures, medians and suppression — is the same as
computing everything live, on generated applications whose events fall on either side of
every boundary (today's midnight, the month's first instant), at instants in the middle of
a month, just after midnight on the 1st, late on a month's last day and on 12-31."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.applications.models import Application
from app.clock import utcnow
from app.extensions import db
from app.stats import queries, rollup, services
from app.stats.models import StatsMonthly, StatsProvisionalMonth
from app.util import SHANGHAI
from tests.stats.conftest import _product

INSTANTS = [
    "2025-03-15T12:00:00+08:00",  # the middle of a month
    "2027-03-01T00:30:00+08:00",  # just after midnight on the 1st (still February in UTC)
    "2027-03-02T00:00:00+08:00",  # the first instant of the 2nd: one completed day
    "2026-11-30T23:30:00+08:00",  # late on a month's last day
    "2026-12-31T12:00:00+08:00",  # New Year's Eve
    "2027-01-01T08:00:00+08:00",  # New Year's Day
    None,  # the suite's own frozen instant (XYD_TEST_NOW in `make test-dates`)
]
# Counties of two cities, divisions of two sections; a county with more than ten
# enterprises (its sketches saturate), and small groups that suppression withholds.
PLACES = ["610113", "610113", "610113", "610104", "610302", "610302", "610303"]
INDUSTRIES = ["13", "13", "14", "34", "C", "01"]
GROUPINGS = services.GROUPINGS
# No filter, one per axis, and two fine levels (no grain: computed live, whatever the day).
FILTERS = [{}, {"place": "610100", "product_type": "credit"}, {"industry": "C"},
           {"bank": "SPBA"}, {"place": "610113", "industry": "13"}]  # fmt: skip


def _local(day: date, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0):
    return datetime.combine(day, time(hour, minute, second, us), tzinfo=SHANGHAI)


def _generate(factories, now: datetime, seed: int) -> None:
    """About 160 applications over the two months before `now`'s and up to `now`, with
    their events pinned on both sides of today's midnight and of the month's start."""
    rng = random.Random(seed)
    banks = [factories.bank("SPBA", "暂汇甲银行"), factories.bank("SPBB", "暂汇乙银行")]
    products = [
        _product(banks[0], "暂汇甲信用", "credit"),
        _product(banks[0], "暂汇甲抵押", "collateral"),
        _product(banks[1], "暂汇乙担保", "guarantee"),
    ]
    enterprises = []
    for n in range(24):
        place = "610113" if n < 12 else rng.choice(PLACES)
        enterprises.append(
            factories.enterprise(region_code=place, industry_code=rng.choice(INDUSTRIES))
        )
    today = now.astimezone(SHANGHAI).date()
    first = today.replace(day=1)
    # The boundaries: today's midnight, the month's first instant, the instant before each.
    edges = [_local(today), _local(first), _local(today) - timedelta(microseconds=1),
             _local(first) - timedelta(microseconds=1)]  # fmt: skip
    start = _local(first) - timedelta(days=62)

    def moment() -> datetime:
        if rng.random() < 0.3:
            return rng.choice(edges)
        return start + (now - start) * rng.random()

    def later(after: datetime) -> datetime:
        if rng.random() < 0.3:
            pinned = [e for e in edges if e >= after]
            if pinned:
                return rng.choice(pinned)
        return min(now, after + timedelta(hours=rng.uniform(0, 24 * 6)))

    for n in range(160):
        enterprise = rng.choice(enterprises)
        sub = moment()
        if sub > now:
            sub = now
        product = rng.choice([*products, None])  # an open demand now and then
        bank = product.bank_id if product else rng.choice([None, banks[0].id, banks[1].id])
        fate = rng.random()
        fields: dict = {"state": "submitted", "updated_at": sub}
        if product is None and bank is None:
            if fate < 0.5:
                fields = {"state": rng.choice(["withdrawn", "expired"]), "updated_at": later(sub)}
        elif fate > 0.2:
            acc = later(sub)
            fields = {"state": "accepted", "accepted_at": acc, "updated_at": acc,
                      "response_working_days": rng.randint(0, 4)}  # fmt: skip
            if fate > 0.4:
                dec = later(acc)
                fields.update(decided_at=dec, updated_at=dec)
                if fate < 0.55:
                    fields.update(state="rejected", reject_reason="不符合条件")
                else:
                    amount = Decimal(rng.randrange(10, 100) * 10000)
                    fields.update(state="approved", approved_amount=amount,
                                  approved_rate=Decimal(rng.choice(["3.85", "4.20", "5.10"])),
                                  approved_term_months=rng.choice([6, 12, 24]))  # fmt: skip
                    if fate > 0.7:
                        paid = later(dec)
                        fields.update(state="disbursed", disbursed_amount=amount,
                                      disbursed_on=paid.astimezone(SHANGHAI).date(),
                                      first_loan=rng.random() < 0.4, updated_at=paid)  # fmt: skip
        db.session.add(
            Application(
                enterprise_id=enterprise.id, product_id=product.id if product else None,
                bank_id=bank, amount=Decimal(rng.randrange(5, 200) * 10000), term_months=12,
                purpose=f"暂汇{n}", submitted_at=sub, created_at=sub, version=1, **fields,
            )
        )  # fmt: skip
    db.session.flush()


def _same(query, now, context):
    served = services.summarize(query, now=now)
    live = services.summarize(query, now=now, live_only=True)
    assert served.rows == live.rows, context
    assert served.totals == live.totals, context
    return served


def _all_questions(now: datetime):
    this = queries.current_month(now)
    first = queries.month_label(queries._add_months(this, -2))
    for group_by in GROUPINGS:
        periods = [{"from": first}] + ([{"from": queries.month_label(this)}] if group_by in (
            "month", "county") else [])  # fmt: skip
        for args in FILTERS:
            for period in periods:
                query = services.parse_query({"group_by": group_by, **period, **args}, now)
                yield group_by, args, query


@pytest.mark.parametrize("instant", INSTANTS)
def test_provisional_rollup_plus_today_equals_all_live(factories, instant):
    now = datetime.fromisoformat(instant) if instant else utcnow()
    _generate(factories, now, seed=18)
    rollup.roll_up(now=now)
    rollup.roll_up_current(now)
    this = queries.current_month(now)
    today = now.astimezone(SHANGHAI).date()
    provisional = rollup.provisional_months([this])
    if today.day == 1:  # no completed day: the whole month is today's
        assert provisional == {}
        assert not db.session.scalar(
            select(func.count()).select_from(StatsMonthly).where(StatsMonthly.month == this)
        )
    else:
        assert provisional == {this: today}
    for group_by, args, query in _all_questions(now):
        table = _same(query, now, (group_by, args, query.months))
        # The dashboard's trend takes the breakdown's live days as they are.
        trend = replace(query, group_by="month")
        reused = services.summarize(trend, now=now, known=table.live)
        computed = services.summarize(trend, now=now)
        assert (reused.rows, reused.totals) == (computed.rows, computed.totals), (group_by, args)


def test_a_late_record_is_rolled_up_again(factories):
    """A disbursement dated yesterday but recorded today, an open demand of the 3rd picked
    up today: the provisional rows are redone by the next run (as a completed month's are),
    which then agrees with computing live again; without a change, nothing is redone."""
    now = datetime(2025, 3, 15, 12, tzinfo=SHANGHAI)
    _generate(factories, now - timedelta(hours=1), seed=7)  # nothing changed in the last hour
    rollup.roll_up(now=now)
    assert rollup.roll_up_current(now)["months"] == 1
    assert rollup.roll_up_current(now + timedelta(minutes=30))["months"] == 0
    later = now + timedelta(hours=2)
    a = Application
    approved = db.session.scalars(
        select(a).where(a.state == "approved", a.decided_at < _local(date(2025, 3, 14)))
    ).first()
    assert approved is not None
    approved.state, approved.disbursed_amount = "disbursed", approved.approved_amount
    approved.disbursed_on, approved.first_loan = date(2025, 3, 14), True
    approved.updated_at = later
    db.session.flush()
    query = services.parse_query({"group_by": "product", "from": "2025-03"}, later)
    stale = services.summarize(query, now=later)
    live = services.summarize(query, now=later, live_only=True)
    assert stale.totals["disbursed_count"] + 1 == live.totals["disbursed_count"]
    assert rollup.roll_up_current(later)["months"] == 1
    _same(query, later, "after the run")
    for group_by, args, question in _all_questions(later):
        _same(question, later, (group_by, args))


def test_the_next_day_and_the_next_month(factories):
    """A run on an earlier day leaves rows up to that day: read as such (live from that day
    on) until the next run; once the month is over, its own rollup replaces them."""
    now = datetime(2025, 3, 15, 12, tzinfo=SHANGHAI)
    _generate(factories, now, seed=3)
    rollup.roll_up(now=now)
    rollup.roll_up_current(now - timedelta(days=3))
    assert rollup.provisional_months([202503]) == {202503: date(2025, 3, 12)}
    for group_by, args, query in _all_questions(now):
        _same(query, now, (group_by, args))
    april = datetime(2025, 4, 2, 9, tzinfo=SHANGHAI)
    assert 202503 in rollup.months_to_roll_up(april)
    rollup.roll_up(now=april)
    assert db.session.get(StatsProvisionalMonth, 202503) is None
    rollup.roll_up_current(april)
    assert rollup.provisional_months([202503, 202504]) == {202504: date(2025, 4, 2)}
    for group_by, args, query in _all_questions(april):
        _same(query, april, (group_by, args))
