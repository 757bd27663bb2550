"""A small fixture of applications whose every figure is worked out by hand in the tests.

"Now" is 2025-03-15 12:00 in Asia/Shanghai: January and February 2025 are completed months
(rolled up when a test asks), March is the current month (always live).

| app | enterprise (county, industry) | product (bank, type) | amount | what happened (local dates) |
| --- | --- | --- | --- | --- |
| 1 | E1 (610113, 13) | PA1 (BA, credit) | 100,000 | sub 01-06, acc 01-08 (2 wd), appr 01-10 4.00% 12 m, disb 01-15 100,000 first |
| 2 | E2 (610113, 34) | PA1 (BA, credit) | 200,000 | sub 01-07, acc 01-08 (1), appr 01-20 5.00% 24 m, disb 02-03 200,000 first |
| 3 | E3 (610104, C) | PA2 (BA, collateral) | 300,000 | sub 01-20, acc 01-21 (1), rejected 01-25 |
| 4 | E4 (610302, 01) | open demand, picked by BB | 50,000 | sub 01-10, acc 01-13 (1), appr 01-20 6.00% 6 m, disb 02-10 50,000 not first |
| 5 | E5 (610302, 13) | open demand | 80,000 | sub 02-05, expired 02-10 unpicked |
| 6 | E1 | PB1 (BB, guarantee) | 150,000 | sub 02-12, acc 02-14 (2), appr 02-20 4.50% 12 m, disb 03-05 120,000 not first |
| 7 | E2 | open demand, picked by BA | 60,000 | sub 03-03, acc 03-04 (1) |
| 8 | E3 | PA1 | 90,000 | sub 03-10, waiting |
| 9 | E4 | PA1 | 40,000 | draft (never submitted: not a demand) |
| 10 | E5 | PA1 | 70,000 | sub 02-20, withdrawn 02-21 |

Working days from submission to disbursement (chinese-calendar, Spring Festival 2025):
app 1: 7, app 2: 15, app 4: 17, app 6: 15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from app.applications.models import Application
from app.extensions import db
from app.products.models import Product
from app.util import SHANGHAI

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=SHANGHAI)


@dataclass
class Lending:
    banks: dict
    products: dict
    enterprises: dict
    apps: dict


def _product(bank, name, type_) -> Product:
    product = Product(
        bank_id=bank.id, name=name, type=type_, tags=[], description="",
        amount_min=Decimal(10000), amount_max=Decimal(5000000), term_min_months=3,
        term_max_months=36, rate_min=Decimal("3.5"), rate_max=Decimal("8"), regions="",
        industries="", status="published", version=1,
    )  # fmt: skip
    db.session.add(product)
    db.session.flush()
    return product


@pytest.fixture
def lending(factories) -> Lending:
    banks = {"BA": factories.bank("STBA", "统计甲银行"), "BB": factories.bank("STBB", "统计乙银行")}
    products = {
        "PA1": _product(banks["BA"], "甲信用贷", "credit"),
        "PA2": _product(banks["BA"], "甲抵押贷", "collateral"),
        "PB1": _product(banks["BB"], "乙担保贷", "guarantee"),
    }
    places = {"E1": ("610113", "13"), "E2": ("610113", "34"), "E3": ("610104", "C"),
              "E4": ("610302", "01"), "E5": ("610302", "13")}  # fmt: skip
    e = {}
    for name, (region, industry) in places.items():
        e[name] = factories.enterprise(industry_code=industry)
        e[name].region_code = region  # the factory takes region_code for the USCC only
    ba, bb = banks["BA"].id, banks["BB"].id
    pa1, pa2, pb1 = products["PA1"].id, products["PA2"].id, products["PB1"].id

    def app(n, ent, product_id, bank_id, amount, state, *, sub=None, acc=None, rwd=None,
            dec=None, rate=None, term=None, disb=None, disb_amount=None, first=None,
            updated=None):  # fmt: skip
        last = updated or dec or acc or sub or at(1, 1)
        if disb is not None:
            last = datetime.combine(disb, datetime.min.time(), tzinfo=SHANGHAI).replace(hour=16)
        row = Application(
            enterprise_id=e[ent].id, product_id=product_id, bank_id=bank_id, state=state,
            amount=Decimal(amount), term_months=term or 12, purpose=f"统计测试{n}",
            submitted_at=sub, accepted_at=acc, response_working_days=rwd, decided_at=dec,
            approved_amount=Decimal(amount) if rate else None,
            approved_rate=Decimal(rate) if rate else None, approved_term_months=term,
            disbursed_amount=Decimal(disb_amount) if disb_amount else None,
            disbursed_on=disb, first_loan=first, version=1,
            created_at=sub or at(1, 1), updated_at=last,
            reject_reason="不符合条件" if state == "rejected" else None,
        )  # fmt: skip
        db.session.add(row)
        return row

    apps = {
        1: app(1, "E1", pa1, ba, 100000, "disbursed", sub=at(1, 6), acc=at(1, 8), rwd=2,
               dec=at(1, 10), rate="4.00", term=12, disb=date(2025, 1, 15),
               disb_amount=100000, first=True),
        2: app(2, "E2", pa1, ba, 200000, "disbursed", sub=at(1, 7), acc=at(1, 8), rwd=1,
               dec=at(1, 20), rate="5.00", term=24, disb=date(2025, 2, 3),
               disb_amount=200000, first=True),
        3: app(3, "E3", pa2, ba, 300000, "rejected", sub=at(1, 20), acc=at(1, 21), rwd=1,
               dec=at(1, 25)),
        4: app(4, "E4", None, bb, 50000, "disbursed", sub=at(1, 10), acc=at(1, 13), rwd=1,
               dec=at(1, 20), rate="6.00", term=6, disb=date(2025, 2, 10),
               disb_amount=50000, first=False),
        5: app(5, "E5", None, None, 80000, "expired", sub=at(2, 5), updated=at(2, 10)),
        6: app(6, "E1", pb1, bb, 150000, "disbursed", sub=at(2, 12), acc=at(2, 14), rwd=2,
               dec=at(2, 20), rate="4.50", term=12, disb=date(2025, 3, 5),
               disb_amount=120000, first=False),
        7: app(7, "E2", None, ba, 60000, "accepted", sub=at(3, 3), acc=at(3, 4), rwd=1),
        8: app(8, "E3", pa1, ba, 90000, "submitted", sub=at(3, 10)),
        9: app(9, "E4", pa1, ba, 40000, "draft"),
        10: app(10, "E5", pa1, ba, 70000, "withdrawn", sub=at(2, 20), updated=at(2, 21)),
    }  # fmt: skip
    db.session.flush()
    return Lending(banks, products, e, apps)


@pytest.fixture
def one_enterprise_enough(app, monkeypatch):
    """Figures tests look at every group: no suppression."""
    monkeypatch.setitem(app.config, "STATS_MIN_ENTERPRISES", 1)


def demand(enterprise, when: datetime, amount: int = 100000, **fields) -> Application:
    """A submitted application of `enterprise` (its region and industry copied on insert)."""
    row = Application(
        enterprise_id=enterprise.id, product_id=None, bank_id=None, state="submitted",
        amount=Decimal(amount), term_months=12, purpose="统计测试", submitted_at=when,
        version=1, created_at=when, updated_at=when, **fields,
    )  # fmt: skip
    db.session.add(row)
    return row
