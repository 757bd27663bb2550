"""Demo loans: a few products per demo bank and a few hundred applications over the past
twelve months in every state, so that the inbox and the statistics dashboard have
something to show.

Products go through `products.services.create_product` (its validation); the applications'
history is written set-based (rows and their events in bulk, with the timestamps they
would have had), since the services stamp every transition with the present time.
Idempotent: nothing is added once the demo products exist.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from app.applications.models import Application, ApplicationEvent
from app.banks.models import Bank
from app.clock import local_today, utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.facts.registry import dimensions_query
from app.facts.services import enterprises_that_borrowed
from app.loans.services import open_missing_loans
from app.matching.criteria import NEED_CODES
from app.matching.services import MAX_LIMIT, match
from app.products import services as product_services
from app.products.models import Product
from app.util import SHANGHAI
from app.workcalendar import services as workdays

# bank code → products: (name, type, amount min, amount max, term min, term max, rate min,
# rate max, criteria). Each product has the conditions such a product has at a real bank, so
# that matching says something: a tax-based loan wants a good tax rating, a mortgage a
# manufacturer of some standing, an agricultural loan farming firms in the countryside.
DEMO_PRODUCTS: dict[str, list[tuple[Any, ...]]] = {
    "CABANK": [("长安税易贷", "credit", 100_000, 3_000_000, 6, 36, "3.65", "6.50",
                {"min_tax_grade": "B", "min_years": 2, "tags": ["信易贷", "税易贷"]}),
               ("长安厂房抵押贷", "collateral", 500_000, 10_000_000, 12, 60, "3.45", "5.20",
                {"industries": "C", "sizes": "medium,small", "min_years": 3})],
    "XABANK": [("西银信用快贷", "credit", 50_000, 1_000_000, 3, 24, "3.85", "7.20",
                {"min_score": 600, "sizes": "small,micro"}),
               ("西银担保贷", "guarantee", 200_000, 5_000_000, 6, 36, "4.10", "6.80",
                {"regions": "610100", "min_years": 1})],
    "SXRCU": [("农信惠农贷", "credit", 30_000, 500_000, 6, 36, "4.35", "8.00",
               {"industries": "A", "sizes": "small,micro"}),
              ("农信联保贷", "guarantee", 100_000, 2_000_000, 6, 24, "4.50", "7.50",
               {"min_grade": "C", "sizes": "medium,small,micro"})],
}  # fmt: skip
TERMS = (3, 6, 12, 12, 24, 36, 60)  # the terms asked for, the product's own range permitting
DEMO_APPLICATIONS = 360
SEED = 4754


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def load_demo_loans(count: int = DEMO_APPLICATIONS, seed: int = SEED) -> int:
    """Create the demo products and `count` applications; returns the applications added."""
    first = DEMO_PRODUCTS["CABANK"][0][0]
    if db.session.scalar(select(Product.id).where(Product.name == first)) is not None:
        return 0
    banks = {
        b.code: b for b in db.session.scalars(select(Bank).where(Bank.code.in_(DEMO_PRODUCTS)))
    }
    products: list[Product] = []
    for code, specs in DEMO_PRODUCTS.items():
        if code not in banks:
            continue
        for name, type_, amin, amax, tmin, tmax, rmin, rmax, criteria in specs:
            products.append(product_services.create_product(banks[code].id, {
                "name": name, "type": type_, "tags": ["信易贷"], "amount_min": amin,
                "amount_max": amax, "term_min_months": tmin, "term_max_months": tmax,
                "rate_min": rmin, "rate_max": rmax, "status": "published", **criteria,
            }))  # fmt: skip
    enterprises = list(
        db.session.scalars(select(Enterprise.id).where(Enterprise.verified.is_(True)))
    )
    if not products or not enterprises:
        return 0
    rng = random.Random(seed)
    today = local_today()
    rows: list[dict] = []
    histories: list[list[dict]] = []
    fitting: dict[int, list[Product]] = {}
    for _ in range(count * 20):  # enterprises that no product fits are passed over
        if len(rows) == count:
            break
        enterprise_id = rng.choice(enterprises)
        if enterprise_id not in fitting:
            fitting[enterprise_id] = _fitting(enterprise_id, products)
        if not fitting[enterprise_id]:
            continue
        row, history = _one(rng, enterprise_id, rng.choice(fitting[enterprise_id]), today)
        rows.append(row)
        histories.append(history)
    if not rows:
        return 0
    _first_loans(rows)
    dims = {
        eid: {"region_code": region, "industry_section": section, "industry_division": division}
        for eid, region, section, division in db.session.execute(
            dimensions_query({row["enterprise_id"] for row in rows})
        )
    }
    rows = [{**row, **dims.get(row["enterprise_id"], {})} for row in rows]
    columns = sorted({key for row in rows for key in row})
    rows = [{key: row.get(key) for key in columns} for row in rows]
    query = insert(Application).returning(Application.id, sort_by_parameter_order=True)
    ids = db.session.scalars(query, rows).all()
    pairs = zip(ids, histories, strict=True)
    events = [{**event, "application_id": app_id} for app_id, history in pairs for event in history]
    if events:
        db.session.execute(insert(ApplicationEvent), events)
    db.session.flush()
    open_missing_loans()  # the disbursed ones are loans, as a disbursement makes them
    return len(rows)


def _fitting(enterprise_id: int, products: list[Product]) -> list[Product]:
    """The demo products whose every condition this enterprise meets, as matching decides it
    (the amount and term are then chosen within the product's own ranges)."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    assert enterprise is not None
    wanted = {p.id: p for p in products}
    found = match(enterprise, products[0].amount_min, products[0].term_min_months,
                  limit=MAX_LIMIT, near_miss_max=len(NEED_CODES))  # fmt: skip
    return [
        wanted[m.product.id]
        for m in found
        if m.product.id in wanted
        and all(c["passed"] for c in m.checks if c["criterion"] not in NEED_CODES)
    ]


def _one(rng: random.Random, enterprise_id: int, product: Product,
         today: date) -> tuple[dict, list[dict]]:  # fmt: skip
    open_demand = rng.random() < 0.25
    submitted_day = today - timedelta(days=rng.randint(0, 364))
    submitted = _local(submitted_day, rng.randint(8, 18))
    amount = Decimal(rng.randrange(int(product.amount_min), int(product.amount_max) // 2, 10_000))
    term = rng.choice(
        [t for t in TERMS if product.term_min_months <= t <= product.term_max_months]
        or [product.term_min_months]
    )
    row: dict = {
        "enterprise_id": enterprise_id, "product_id": None if open_demand else product.id,
        "bank_id": None if open_demand else product.bank_id, "state": "submitted",
        "amount": amount, "term_months": term, "purpose": rng.choice(
            ["采购原材料", "补充流动资金", "设备更新", "支付工资", "扩大生产"]),
        "submitted_at": submitted, "respond_by": workdays.deadline_after(submitted, 3),
        "version": 1, "created_at": submitted, "updated_at": submitted,
    }  # fmt: skip
    history = [_event("submit", None, "submitted", submitted)]
    now = utcnow()

    def step(action, to, moment, **values):
        history.append(_event(action, row["state"], to, moment, row["bank_id"]))
        row.update(state=to, updated_at=moment, version=row["version"] + 1, **values)

    fate = rng.random()
    accept_day = workdays.add_working_days(submitted_day, rng.choice([0, 1, 1, 2, 3]))
    accepted = _local(accept_day, rng.randint(9, 17))
    if accepted <= submitted:  # the same day, earlier in it: accepted a little later instead
        accepted = submitted + timedelta(minutes=rng.randint(20, 180))
    if fate < 0.08 or accepted > now:  # still waiting, or (when old enough) expired
        if row["respond_by"] < now:
            step("expire", "expired", row["respond_by"])
        return row, history
    if fate < 0.13:
        step("withdraw", "withdrawn", submitted + timedelta(hours=rng.randint(2, 40)))
        return row, history
    if open_demand:  # taken by the bank of a product that fits
        row["bank_id"] = product.bank_id
    days = workdays.working_days_between(submitted_day, accept_day)
    step("accept", "accepted", accepted, accepted_at=accepted, response_working_days=days)
    decided = accepted + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 6))
    if decided > now:
        return row, history
    if fate < 0.33:
        step("reject", "rejected", decided, decided_at=decided, reject_reason="综合评估未通过")
        return row, history
    rate = (product.rate_min + Decimal(rng.randint(0, 150)) / 100).quantize(Decimal("0.01"))
    step("approve", "approved", decided, decided_at=decided, approved_amount=amount,
         approved_rate=rate, approved_term_months=term)  # fmt: skip
    disbursed_day = decided.astimezone(SHANGHAI).date() + timedelta(days=rng.randint(1, 10))
    if disbursed_day > today or fate < 0.4:
        return row, history
    moment = _local(disbursed_day, 16)
    step("disburse", "disbursed", min(moment, now), disbursed_amount=amount,
         disbursed_on=disbursed_day)  # fmt: skip
    return row, history


def _event(action: str, from_state: str | None, to_state: str, at: datetime,
           bank_id: int | None = None) -> dict:  # fmt: skip
    return {"action": action, "from_state": from_state, "to_state": to_state, "at": at,
            "note": "", "user_id": None, "bank_id": bank_id}  # fmt: skip


def _first_loans(rows: list[dict]) -> None:
    """首贷: an enterprise's first disbursement on record (`facts.services.is_first_loan`,
    asked for all the demo's enterprises at once)."""
    seen: set[int] = set()
    existing = enterprises_that_borrowed({row["enterprise_id"] for row in rows})
    for row in sorted(rows, key=lambda r: r.get("disbursed_on") or date.max):
        if row["state"] != "disbursed":
            continue
        row["first_loan"] = row["first_loan_platform"] = row["enterprise_id"] not in seen | existing
        seen.add(row["enterprise_id"])
